package app

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
	"github.com/spanmap/spanmap/graph"
)

// staleStatus is a status in which jaeger went quiet two minutes ago and
// is down, while otlp delivers.
func staleStatus() *graph.Status {
	return &graph.Status{Time: 1_000_000, Sources: []graph.SourceStatus{
		{Name: "jaeger", Kind: "jaeger", State: graph.SourceDown, LastSuccess: 880_000, LastError: "connection refused", Stale: true},
		{Name: "otlp", Kind: "otlp", State: graph.SourceOK, LastSuccess: 999_000},
	}}
}

func TestStaleSources(t *testing.T) {
	set := StaleSources(staleStatus(), true)
	if set.Key != "jaeger" || len(set.Why) != 1 {
		t.Fatalf("set = %+v, want jaeger alone", set)
	}
	if got, want := set.Why["jaeger"], "jaeger: nothing new for 2 min, down (connection refused)"; got != want {
		t.Errorf("why = %q, want %q", got, want)
	}
	if set := StaleSources(staleStatus(), false); set.Key != "" || set.Marks([]string{"jaeger"}) {
		t.Errorf("a past View marks stale elements: %+v", set)
	}
	if set := StaleSources(nil, true); set.Marks([]string{"jaeger"}) {
		t.Error("no status marks stale elements")
	}
	for _, tc := range []struct {
		srcs []string
		want bool
	}{
		{[]string{"jaeger"}, true},
		{[]string{"jaeger", "otlp"}, false}, // otlp still delivers
		{[]string{"otlp"}, false},
		{nil, false}, // no source recorded: nothing to judge by
	} {
		if got := set.Marks(tc.srcs); got != tc.want {
			t.Errorf("Marks(%v) = %v, want %v", tc.srcs, got, tc.want)
		}
		if got := set.Reason(tc.srcs) != ""; got != tc.want {
			t.Errorf("Reason(%v) given = %v, want %v", tc.srcs, got, tc.want)
		}
	}
	// Both stale: the key names both, in order, whatever the status order.
	st := staleStatus()
	st.Sources[1].Stale = true
	st.Sources[0], st.Sources[1] = st.Sources[1], st.Sources[0]
	both := StaleSources(st, true)
	if both.Key != "jaeger\x00otlp" || !both.Marks([]string{"jaeger", "otlp"}) {
		t.Errorf("both stale: %+v", both)
	}
	if r := both.Reason([]string{"jaeger", "otlp"}); !strings.Contains(r, "jaeger: nothing new for 2 min") || !strings.Contains(r, "otlp: nothing new") {
		t.Errorf("reason %q does not name both sources", r)
	}
}

// TestMapCanvas_drawLayers_staleElements checks that the nodes and edges
// seen only by stale sources are drawn with the stale class, that a status
// alone (same snapshot) redraws them, and that the legend explains it.
func TestMapCanvas_drawLayers_staleElements(t *testing.T) {
	c := newMapCanvas()
	c.Snapshot = sampleSnapshot()
	c.Snapshot.Edges[0].Sources = []string{"jaeger"}         // checkout->database:pg
	c.Snapshot.Edges[1].Sources = []string{"jaeger", "otlp"} // frontend->checkout
	c.Snapshot.Edges[2].Sources = []string{"otlp"}           // user->frontend
	c.Snapshot.Nodes[1].Sources = []string{"jaeger"}         // database:pg
	c.Snapshot.Nodes[2].Sources = []string{"otlp"}           // frontend
	m := newTestMap(c)
	classesOf := func(layer int, attr, id string) []string {
		t.Helper()
		html := layerHTML(m.parents[layer].(*fakeEl))
		mt := regexp.MustCompile(`<g class="([^"]*)" ` + attr + `="` + regexp.QuoteMeta(id) + `"`).FindStringSubmatch(html)
		if mt == nil {
			t.Fatalf("%s %s not drawn in %s", attr, id, html)
		}
		return strings.Fields(mt[1])
	}
	check := func(wantStale map[string]bool) {
		t.Helper()
		for id, want := range wantStale {
			layer, attr := 1, "data-edge-id"
			if !strings.Contains(id, "->") {
				layer, attr = 2, "data-node-id"
			}
			if got := slices.Contains(classesOf(layer, attr, id), classStale); got != want {
				t.Errorf("%s stale = %v, want %v", id, got, want)
			}
		}
	}
	m.draw()
	check(map[string]bool{"checkout->database:pg": false, "frontend->checkout": false, "user->frontend": false, "database:pg": false, "frontend": false})
	if strings.Contains(app.HTMLString(c), "legend-stale") {
		t.Error("the legend explains stale elements on a map without any")
	}

	c.Stale = StaleSources(staleStatus(), true)
	if _, drew := m.draw(); !drew {
		t.Fatal("a new stale set did not redraw the map")
	}
	check(map[string]bool{"checkout->database:pg": true, "frontend->checkout": false, "user->frontend": false, "database:pg": true, "frontend": false})
	if !strings.Contains(app.HTMLString(c), "stale: its sources sent nothing lately") {
		t.Error("the legend does not explain stale elements")
	}

	c.Stale = StaleSet{}
	m.draw()
	check(map[string]bool{"checkout->database:pg": false, "database:pg": false})
}

func TestDetailsPanel_Render_staleNote(t *testing.T) {
	snap := sampleSnapshot()
	snap.Edges[0].Sources = []string{"jaeger"}
	snap.Edges[1].Sources = []string{"jaeger", "otlp"}
	snap.Nodes[1].Sources = []string{"jaeger"}
	d := newDetailsPanel()
	d.Snapshot = snap
	d.Stale = StaleSources(staleStatus(), true)
	const note = "Old figures: every source that saw this is stale. jaeger: nothing new for 2 min, down (connection refused)."
	for _, tc := range []struct {
		sel  Selection
		want bool
	}{
		{Selection{Kind: KindEdge, ID: "checkout->database:pg"}, true},
		{Selection{Kind: KindNode, ID: "database:pg"}, true},
		{Selection{Kind: KindEdge, ID: "frontend->checkout"}, false},
		{Selection{Kind: KindNode, ID: "checkout"}, false},
	} {
		d.Selected = tc.sel
		html := app.HTMLString(d)
		if got := strings.Contains(html, note); got != tc.want {
			t.Errorf("%s: stale note shown = %v, want %v", tc.sel.ID, got, tc.want)
		}
	}
}
