//go:build !js

package app

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/spanmap/spanmap/graph"
)

func TestSources_Parse_andLink(t *testing.T) {
	body := `{"sources":[
		{"name":"prod-jaeger","kind":"jaeger","state":"ok","ui_url":"http://jaeger:16686"},
		{"name":"otlp","kind":"otlp","state":"ok"},
		{"name":"tempo-eu","kind":"tempo","ui_url":"https://grafana.example.com?datasource=tempo-eu"}]}`
	srcs, err := parseSources(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		ex   graph.Exemplar
		want string
	}{
		{"jaeger", graph.Exemplar{TraceID: "abc", Source: "prod-jaeger"}, "http://jaeger:16686/trace/abc"},
		{"receiver without ui", graph.Exemplar{TraceID: "abc", Source: "otlp"}, ""},
		{"unknown source", graph.Exemplar{TraceID: "abc", Source: "nope"}, ""},
		{"tempo", graph.Exemplar{TraceID: "abc", Source: "tempo-eu"}, "https://grafana.example.com/explore?"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ExemplarURL(tt.ex, srcs)
			if (tt.want == "") != (got == "") || !strings.HasPrefix(got, tt.want) {
				t.Errorf("ExemplarURL = %q, want %q", got, tt.want)
			}
		})
	}
	if _, err := parseSources(strings.NewReader("{")); err == nil {
		t.Error("bad JSON accepted")
	}
}

func TestSources_Fetch_statusAndBody(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != PathSources {
			http.Error(w, "no", http.StatusUnauthorized)
			return
		}
		w.Write([]byte(`{"sources":[{"name":"z","kind":"zipkin","ui_url":"http://z:9411"}]}`))
	}))
	defer srv.Close()
	srcs, err := fetchSources(srv.URL + PathSources)
	if err != nil || srcs["z"].Kind != "zipkin" {
		t.Fatalf("fetchSources = %+v, %v", srcs, err)
	}
	if _, err := fetchSources(srv.URL + "/other"); err == nil || !strings.Contains(err.Error(), "401") {
		t.Errorf("error = %v", err)
	}
}
