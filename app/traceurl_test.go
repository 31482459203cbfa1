package app

import (
	"encoding/json"
	"net/url"
	"testing"
)

func TestTraceURL_Build_perSource(t *testing.T) {
	tests := []struct {
		name, kind, base, id, want string
	}{
		{"jaeger", "jaeger", "http://jaeger:16686", "4BF92F3577B34DA6A3CE929D0E0E4736", "http://jaeger:16686/trace/4bf92f3577b34da6a3ce929d0e0e4736"},
		{"jaeger trailing slash", "Jaeger", "http://jaeger:16686/", "abc1", "http://jaeger:16686/trace/abc1"},
		{"jaeger under prefix", "jaeger", "https://ops.example.com/jaeger", "abc1", "https://ops.example.com/jaeger/trace/abc1"},
		{"zipkin", "zipkin", "http://zipkin:9411", "abc1", "http://zipkin:9411/zipkin/traces/abc1"},
		{"zipkin base with ui path", "zipkin", "http://zipkin:9411/zipkin/", "abc1", "http://zipkin:9411/zipkin/traces/abc1"},
		{"unknown kind", "otlp", "http://x", "abc1", ""},
		{"no base", "jaeger", "", "abc1", ""},
		{"not hex", "jaeger", "http://j", "abc/../x", ""},
		{"empty id", "jaeger", "http://j", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := TraceURL(tt.kind, tt.base, tt.id); got != tt.want {
				t.Errorf("TraceURL = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestTraceURL_Build_grafanaExplore(t *testing.T) {
	tests := []struct {
		name, kind, base string
		wantPath         string
		wantDS, wantOrg  string
	}{
		{"tempo default datasource", "tempo", "http://grafana:3000", "/explore", "tempo", "1"},
		{"grafana with uid and org", "grafana", "https://g.example.com/grafana/?datasource=P214B5B846CF3925F&orgId=4", "/grafana/explore", "P214B5B846CF3925F", "4"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := TraceURL(tt.kind, tt.base, "ABC123")
			u, err := url.Parse(got)
			if err != nil || got == "" {
				t.Fatalf("TraceURL = %q: %v", got, err)
			}
			if u.Path != tt.wantPath {
				t.Errorf("path = %q, want %q", u.Path, tt.wantPath)
			}
			q := u.Query()
			if q.Get("orgId") != tt.wantOrg || q.Get("schemaVersion") != "1" || q.Get("datasource") != "" {
				t.Errorf("query = %v", q)
			}
			var panes map[string]struct {
				Datasource string `json:"datasource"`
				Queries    []struct {
					Datasource struct{ Type, UID string } `json:"datasource"`
					QueryType  string                     `json:"queryType"`
					Query      string                     `json:"query"`
				} `json:"queries"`
			}
			if err := json.Unmarshal([]byte(q.Get("panes")), &panes); err != nil {
				t.Fatalf("panes: %v", err)
			}
			if len(panes) != 1 {
				t.Fatalf("panes = %+v", panes)
			}
			for _, p := range panes {
				if p.Datasource != tt.wantDS || len(p.Queries) != 1 {
					t.Fatalf("pane = %+v", p)
				}
				q := p.Queries[0]
				if q.Query != "abc123" || q.QueryType != "traceql" || q.Datasource.UID != tt.wantDS || q.Datasource.Type != "tempo" {
					t.Errorf("query = %+v", q)
				}
			}
		})
	}
	if got := TraceURL("tempo", "not a url", "abc"); got != "" {
		t.Errorf("relative base = %q, want empty", got)
	}
}
