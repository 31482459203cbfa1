package app

import (
	"testing"

	"github.com/spanmap/spanmap/graph"
)

func TestFormat_Rate_compact(t *testing.T) {
	tests := []struct {
		in   float64
		want string
	}{
		{0, "0/s"},
		{-1, "0/s"},
		{0.004, "<0.01/s"},
		{0.42, "0.42/s"},
		{0.5, "0.5/s"},
		{1, "1/s"},
		{12.34, "12.3/s"},
		{99.96, "100/s"},
		{123.4, "123/s"},
		{1234, "1.2k/s"},
		{25000, "25k/s"},
		{3.4e6, "3.4M/s"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := FormatRate(tt.in); got != tt.want {
				t.Errorf("FormatRate(%v) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestFormat_Percent_compact(t *testing.T) {
	tests := []struct {
		in   float64
		want string
	}{
		{0, "0%"},
		{0.0004, "<0.1%"},
		{0.001, "0.1%"},
		{0.025, "2.5%"},
		{0.05, "5%"},
		{0.37, "37%"},
		{1, "100%"},
		{1.2, "100%"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := FormatPercent(tt.in); got != tt.want {
				t.Errorf("FormatPercent(%v) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestFormat_Millis_units(t *testing.T) {
	tests := []struct {
		in   float64
		want string
	}{
		{0, "–"},
		{0.35, "350µs"},
		{4.25, "4.2ms"},
		{4, "4ms"},
		{120.4, "120ms"},
		{1250, "1.25s"},
		{12500, "12.5s"},
		{126000, "2.1min"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := FormatMillis(tt.in); got != tt.want {
				t.Errorf("FormatMillis(%v) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestFormat_Age_units(t *testing.T) {
	tests := []struct {
		in   float64
		want string
	}{
		{0.2, "just now"},
		{5.9, "5 s ago"},
		{59, "59 s ago"},
		{185, "3 min ago"},
		{7300, "2 h ago"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := FormatAge(tt.in); got != tt.want {
				t.Errorf("FormatAge(%v) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestLabelMode_EdgeLabel_perMode(t *testing.T) {
	e := graph.Edge{ID: "a->b", From: "a", To: "b", Stats: graph.Stats{
		Rate: 12.34, ErrorRate: 0.025, Latency: graph.Latency{P50: 4.25, P99: 1250},
	}}
	tests := []struct {
		mode LabelMode
		want string
	}{
		{LabelRate, "12.3/s"},
		{LabelErrors, "2.5%"},
		{LabelP50, "4.2ms"},
		{LabelP99, "1.25s"},
		{LabelNone, ""},
	}
	for _, tt := range tests {
		t.Run(string(tt.mode), func(t *testing.T) {
			if got := EdgeLabel(e, tt.mode); got != tt.want {
				t.Errorf("EdgeLabel(%s) = %q, want %q", tt.mode, got, tt.want)
			}
		})
	}
}

func TestLabelMode_Parse_unknownIsRate(t *testing.T) {
	tests := []struct {
		in   string
		want LabelMode
	}{
		{"errors", LabelErrors},
		{"p99", LabelP99},
		{"none", LabelNone},
		{"", LabelRate},
		{"bogus", LabelRate},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := ParseLabelMode(tt.in); got != tt.want {
				t.Errorf("ParseLabelMode(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}
