package app

import (
	"strings"
	"testing"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
	"github.com/spanmap/spanmap/graph"
)

func TestDetailsPanel_Render_node(t *testing.T) {
	snap := sampleSnapshot()
	snap.Nodes[0].Operations = []string{"GET /cart", "POST /checkout"}
	snap.Nodes[0].Namespace = "shop"
	snap.Nodes[0].Sources = []string{"jaeger", "otlp"}
	snap.Edges[0].Trust = graph.Trust{Paired: 30, Unpaired: 10, Dropped: 2, SamplingRate: 0.5}
	snap.Edges[1].Trust = graph.Trust{Paired: 60, Dropped: 1, SamplingRate: 0.25}
	d := newDetailsPanel()
	d.Snapshot = snap
	d.Selected = Selection{Kind: KindNode, ID: "checkout"}
	html := app.HTMLString(d)
	for _, w := range []string{
		"checkout", "namespace shop", "failing ✕",
		"inbound (1)", "outbound (1)", `data-edge-id="frontend->checkout"`, `data-edge-id="checkout->database:pg"`,
		"20%", "operations (2)", "POST /checkout", "seen by jaeger, otlp", "focus the map here",
		// trust over both edges: 90 of 100 calls paired, 3 dropped spans,
		// the lower sampling rate
		"90% of 100", "<dd>3</dd>", "25% of traces kept",
	} {
		if !strings.Contains(html, w) {
			t.Errorf("missing %q", w)
		}
	}
}

func TestDetailsPanel_Render_edgeWithTraceLinks(t *testing.T) {
	snap := sampleSnapshot()
	e := &snap.Edges[1]
	e.Trust = graph.Trust{Paired: 90, Unpaired: 10, Dropped: 2, LastSeen: 1_999_000, SamplingRate: 0.1}
	e.ClientLatency = &graph.Latency{P50: 12, P90: 30, P99: 80}
	e.Exemplars = []graph.Exemplar{
		{Role: "error", TraceID: "00000000000000000000000000abcdef", Source: "prod-jaeger", DurationMs: 120, Time: 1_999_000},
		{Role: "slowest", TraceID: "beef", Source: "otlp", DurationMs: 2500},
	}
	d := newDetailsPanel()
	d.Snapshot = snap
	d.Selected = Selection{Kind: KindEdge, ID: "frontend->checkout"}
	d.Sources = map[string]SourceLink{
		"prod-jaeger": {Name: "prod-jaeger", Kind: "jaeger", UIURL: "http://jaeger:16686"},
		"otlp":        {Name: "otlp", Kind: "otlp"},
	}
	d.Now = 2_000_000
	html := app.HTMLString(d)
	for _, w := range []string{
		"frontend → checkout", "rpc call",
		`href="http://jaeger:16686/trace/00000000000000000000000000abcdef"`, `target="_blank"`,
		"beef", "caller waited", "90% of 100", "10% of traces kept", "1 s ago", "dropped spans",
	} {
		if !strings.Contains(html, w) {
			t.Errorf("missing %q", w)
		}
	}
	if strings.Count(html, "<a ") != 1 {
		t.Errorf("want exactly one trace link (the receiver has no UI):\n%s", html)
	}
}

func TestDetailsPanel_Render_goneAndEmpty(t *testing.T) {
	d := newDetailsPanel()
	d.Snapshot = sampleSnapshot()
	if html := app.HTMLString(d); !strings.Contains(html, "Click a service or an edge") {
		t.Error("empty hint missing")
	}
	d.Selected = Selection{Kind: KindNode, ID: "gone"}
	if html := app.HTMLString(d); !strings.Contains(html, "not part of the current view") {
		t.Error("gone hint missing")
	}
}

func TestHotspotsPanel_Render_ranked(t *testing.T) {
	h := newHotspotsPanel()
	if html := app.HTMLString(h); !strings.Contains(html, "No failing calls") {
		t.Error("empty hotspot text missing")
	}
	h.Snapshot = sampleSnapshot()
	h.Selected = Selection{Kind: KindEdge, ID: "frontend->checkout"}
	html := app.HTMLString(h)
	iEdge := strings.Index(html, `data-id="frontend->checkout"`)
	iNode := strings.Index(html, `data-id="checkout"`)
	if iEdge < 0 || iNode < 0 {
		t.Fatalf("hotspots missing:\n%s", html)
	}
	if a := tagAttrs(html, "data-id", "frontend->checkout"); !hasClass(a, "hotspot", "selected", "health-failing") {
		t.Errorf("selected hotspot classes %q", a["class"])
	}
}

func TestSearchBox_Key_navigation(t *testing.T) {
	s := newSearchBox()
	s.Nodes = sampleSnapshot().Nodes
	s.query, s.open, s.cursor = "c", true, 0
	if n := len(s.results()); n != 1 {
		t.Fatalf("results = %d", n)
	}
	s.query = "e"
	res := s.results()
	if len(res) < 3 {
		t.Fatalf("results for e = %d", len(res))
	}
	s.key(app.Context{}, "ArrowDown", false)
	s.key(app.Context{}, "ArrowDown", false)
	if s.cursor != 2 {
		t.Errorf("cursor = %d", s.cursor)
	}
	s.key(app.Context{}, "ArrowUp", false)
	if s.cursor != 1 {
		t.Errorf("cursor = %d", s.cursor)
	}
	html := app.HTMLString(s)
	if a := tagAttrs(html, "data-node-id", res[1].ID); !hasClass(a, "search-result", "active") {
		t.Errorf("active result %q, class %q", res[1].ID, a["class"])
	}
	if !strings.Contains(html, `id="spanmap-search"`) {
		t.Error("search input id missing")
	}
	s.query = "zzz"
	if html := app.HTMLString(s); !strings.Contains(html, "no service matches") {
		t.Error("no-match text missing")
	}
}

func TestControlsPanel_Render_reflectsView(t *testing.T) {
	c := newControlsPanel()
	c.View = graph.View{Window: 15 * time.Minute, Focus: "cart", Up: 2, Down: 0, Group: graph.GroupNamespace,
		HideVirtual: true, MinRate: 5, ErrorsOnly: true, Layout: graph.LayoutNeato}
	c.FocusName = "cart service"
	c.Labels = LabelP99
	html := app.HTMLString(c)
	checks := []struct {
		attr, val string
		want      string
	}{
		{"id", "ctl-group", "checked"},
		{"id", "ctl-virtual", "checked"},
		{"id", "ctl-errors", "checked"},
		{"value", "15m0s", "selected"},
		{"value", graph.LayoutNeato, "selected"},
		{"value", "p99", "selected"},
	}
	for _, ck := range checks {
		a := tagAttrs(html, ck.attr, ck.val)
		if a == nil {
			t.Errorf("no element %s=%q", ck.attr, ck.val)
			continue
		}
		if v, ok := a[ck.want]; !ok || v == "false" {
			t.Errorf("%s=%q not %s: %v", ck.attr, ck.val, ck.want, a)
		}
	}
	if a := tagAttrs(html, "id", "ctl-ops"); a == nil || a["checked"] != "false" {
		t.Errorf("ops checkbox %v, want unchecked", a)
	}
	if a := tagAttrs(html, "id", "ctl-minrate"); a == nil || a["value"] != "5" {
		t.Errorf("min rate slider %v", a)
	}
	for _, w := range []string{"cart service", "min traffic: 5/s", "callers", "callees"} {
		if !strings.Contains(html, w) {
			t.Errorf("missing %q", w)
		}
	}
	// A fixed range shows as its own option.
	c.View = graph.View{From: time.Date(2026, 1, 2, 10, 0, 0, 0, time.UTC), To: time.Date(2026, 1, 2, 11, 0, 0, 0, time.UTC)}
	if html := app.HTMLString(c); !strings.Contains(html, "2026-01-02 10:00 – 11:00 UTC") || !strings.Contains(html, "whole map") {
		t.Error("fixed range or unfocused hint missing")
	}
}

func TestMinRate_Index_steps(t *testing.T) {
	tests := []struct {
		rate float64
		want int
	}{
		{0, 0}, {0.01, 1}, {0.3, 2}, {5, 5}, {7, 5}, {5000, 10},
	}
	for _, tt := range tests {
		if got := MinRateIndex(tt.rate); got != tt.want {
			t.Errorf("MinRateIndex(%v) = %d, want %d", tt.rate, got, tt.want)
		}
	}
}

func TestLiveStatus_Describe_states(t *testing.T) {
	tests := []struct {
		name      string
		l         liveStatus
		wantClass string
		wantText  string
	}{
		{"connecting", liveStatus{}, "connecting", "connecting…"},
		{"live waiting", liveStatus{Connected: true}, "live", "live · waiting for data"},
		{"live", liveStatus{Connected: true, HasData: true, Age: 3 * time.Second}, "live", "live · updated 3 s ago"},
		{"paused", liveStatus{Connected: true, Paused: true, HasData: true, Age: 90 * time.Second}, "paused", "paused · updated 1 min ago"},
		{"past range", liveStatus{Connected: true, Past: true, HasData: true, Age: 3 * time.Second}, "past", "past range · not live"},
		{"past range, offline", liveStatus{ConnErr: "x", Past: true}, "offline", "disconnected"},
		{"offline", liveStatus{ConnErr: "x", RetryIn: 2500 * time.Millisecond, HasData: true, Age: 0}, "offline", "disconnected, retrying in 3 s · updated just now"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, txt := tt.l.describe()
			if c != tt.wantClass || txt != tt.wantText {
				t.Errorf("describe = %q %q, want %q %q", c, txt, tt.wantClass, tt.wantText)
			}
		})
	}
}

func TestLegend_Render_foldable(t *testing.T) {
	l := newLegend()
	html := app.HTMLString(l)
	for _, h := range LegendHealths() {
		if !strings.Contains(html, HealthStyleOf(h).Label) {
			t.Errorf("legend misses %s", h)
		}
	}
	if !strings.Contains(html, "10k/s") || !strings.Contains(html, "database") {
		t.Error("legend misses widths or kinds")
	}
	l.onToggle(app.Context{}, app.Event{})
	if html := app.HTMLString(l); strings.Contains(html, "legend-section") {
		t.Error("folded legend shows sections")
	}
}

func TestLegend_Render_statesTheRules(t *testing.T) {
	l := newLegend()
	l.Rules = &graph.HealthRules{ErrorRateDegraded: 0.01, ErrorRateFailing: 0.05, P99FailingMs: 1500}
	html := app.HTMLString(l)
	for _, want := range []string{"errors ≥ 1%", "errors ≥ 5% or p99 ≥ 1.5s"} {
		if !strings.Contains(html, want) {
			t.Errorf("legend misses %q", want)
		}
	}
	if strings.Contains(html, "errors ≥ 1% or") {
		t.Error("legend states a p99 rule for degraded, which has none")
	}
}
