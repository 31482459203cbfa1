package app

import (
	"testing"

	"github.com/spanmap/spanmap/graph"
)

func TestStatus_SourcesSummary_wording(t *testing.T) {
	tests := []struct {
		name string
		st   *graph.Status
		want string
	}{
		{"no status", nil, ""},
		{"none", &graph.Status{}, "no sources configured"},
		{"one ok", &graph.Status{Sources: []graph.SourceStatus{{Name: "otlp", State: graph.SourceOK}}}, "1 source"},
		{"problems and drops", &graph.Status{DroppedSpans: 12, Sources: []graph.SourceStatus{
			{Name: "jaeger", State: graph.SourceDown, LastError: "connection refused"},
			{Name: "otlp", State: graph.SourceOK},
			{Name: "tempo", State: graph.SourceDegraded},
		}}, "3 sources · jaeger down (connection refused) · tempo degraded · 12 spans dropped"},
		{"stale", &graph.Status{Sources: []graph.SourceStatus{
			{Name: "jaeger", State: graph.SourceDown, LastError: "connection refused", Stale: true},
			{Name: "otlp", State: graph.SourceOK, Stale: true},
			{Name: "zipkin", State: graph.SourceOK},
		}}, "3 sources · jaeger down, stale (connection refused) · otlp stale"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := SourcesSummary(tt.st); got != tt.want {
				t.Errorf("SourcesSummary = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestStatus_StaleMessage_wording(t *testing.T) {
	tests := []struct {
		name string
		st   *graph.Status
		want string
	}{
		{"no status", nil, ""},
		{"fresh", &graph.Status{Stale: false}, ""},
		{"stale", &graph.Status{Stale: true}, "The map shows old figures: no source has delivered spans recently."},
		{"stale with a source down", &graph.Status{Stale: true, Sources: []graph.SourceStatus{
			{Name: "jaeger", State: graph.SourceDown, LastError: "timeout"}, {Name: "otlp", State: graph.SourceOK},
		}}, "The map shows old figures: no source has delivered spans recently. Down: jaeger: timeout."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := StaleMessage(tt.st); got != tt.want {
				t.Errorf("StaleMessage = %q, want %q", got, tt.want)
			}
		})
	}
}
