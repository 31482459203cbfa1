package app

import (
	"regexp"
	"strings"
	"testing"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
	"github.com/spanmap/spanmap/graph"
)

func sampleSnapshot() graph.Snapshot {
	return graph.Snapshot{
		Version: 3,
		Nodes: []graph.Node{
			{ID: "checkout", Name: "checkout", Kind: graph.NodeService, Pos: pt(300, 100), Width: 120, Height: 40,
				Health: graph.HealthFailing, Stats: graph.Stats{Calls: 600, Errors: 120, Rate: 10, ErrorRate: 0.2}},
			{ID: "database:pg", Name: "pg", Kind: graph.NodeDatabase, Pos: pt(300, 300), Width: 100, Height: 56},
			{ID: "frontend", Name: "frontend", Kind: graph.NodeService, Pos: pt(100, 100), Width: 120, Height: 40, Health: graph.HealthOK},
			{ID: "user", Name: "user", Kind: graph.NodeUser, Pos: pt(-100, 100), Width: 90, Height: 40},
		},
		Edges: []graph.Edge{
			{ID: "checkout->database:pg", From: "checkout", To: "database:pg", Kind: graph.EdgeDatabase,
				Stats: graph.Stats{Calls: 1200, Rate: 20, Latency: graph.Latency{P50: 2, P99: 40}}, Health: graph.HealthOK,
				Path: pts(300, 120, 300, 180, 300, 220, 300, 272)},
			{ID: "frontend->checkout", From: "frontend", To: "checkout", Kind: graph.EdgeRPC,
				Stats: graph.Stats{Calls: 600, Errors: 120, Rate: 10, ErrorRate: 0.2}, Health: graph.HealthFailing},
			{ID: "user->frontend", From: "user", To: "frontend", Kind: graph.EdgeRPC, Stats: graph.Stats{Rate: 5}},
		},
	}
}

func countMatches(s, re string) int {
	return len(regexp.MustCompile(re).FindAllString(s, -1))
}

var (
	tagRE  = regexp.MustCompile(`<[a-z]+((?:\s+[a-z-]+(?:="[^"]*")?)*)\s*>`)
	attrRE = regexp.MustCompile(`([a-z-]+)(?:="([^"]*)")?`)
)

// tagAttrs returns the attributes of the first start tag in html that has
// attribute name set to value, nil if there is none.
func tagAttrs(html, name, value string) map[string]string {
	for _, m := range tagRE.FindAllStringSubmatch(html, -1) {
		attrs := map[string]string{}
		for _, a := range attrRE.FindAllStringSubmatch(m[1], -1) {
			attrs[a[1]] = a[2]
		}
		if v, ok := attrs[name]; ok && v == value {
			return attrs
		}
	}
	return nil
}

// hasClass reports whether a class attribute value contains every name.
func hasClass(attrs map[string]string, names ...string) bool {
	have := strings.Fields(attrs["class"])
	for _, n := range names {
		found := false
		for _, h := range have {
			found = found || h == n
		}
		if !found {
			return false
		}
	}
	return true
}

func TestMapCanvas_Render_elementsCarryIDs(t *testing.T) {
	c := newMapCanvas()
	c.Snapshot = sampleSnapshot()
	html := app.HTMLString(c)

	if n := countMatches(html, `data-node-id=`); n != 4 {
		t.Errorf("%d elements with data-node-id, want 4", n)
	}
	if n := countMatches(html, `data-edge-id=`); n != 3 {
		t.Errorf("%d elements with data-edge-id, want 3", n)
	}
	for _, id := range []string{`data-node-id="checkout"`, `data-node-id="database:pg"`, `data-edge-id="frontend->checkout"`, `data-edge-id="checkout->database:pg"`} {
		if !strings.Contains(html, id) {
			t.Errorf("missing %s", id)
		}
	}
	// Laid-out edges follow their Bezier path; others are straight.
	if !strings.Contains(html, `d="M 300 120 C 300 180 300 220 300 272"`) {
		t.Error("bezier path not drawn")
	}
	if !strings.Contains(html, `d="M 160 100 L 240 100"`) {
		t.Error("straight fallback edge not drawn between node outlines")
	}
	// Health: failing edge dashed and marked, arrow per health.
	if !strings.Contains(html, `marker-end="url(#arrow-health-failing)"`) || !strings.Contains(html, `stroke-dasharray="14 3 3 3"`) {
		t.Error("failing edge style missing")
	}
	if n := countMatches(html, `<marker`); n != len(LegendHealths()) {
		t.Errorf("%d markers", n)
	}
	// Shapes per kind.
	for _, cls := range []string{"kind-service", "kind-database", "kind-user"} {
		if !strings.Contains(html, cls) {
			t.Errorf("missing %s", cls)
		}
	}
	// Labels at 1:1 zoom: rate labels and node figures, legend shown.
	if n := countMatches(html, `data-label-for=`); n != 3 {
		t.Errorf("%d edge labels, want 3", n)
	}
	if !strings.Contains(html, "20/s") || !strings.Contains(html, `class="legend"`) {
		t.Error("labels or legend missing")
	}
}

func TestMapCanvas_Render_labelsHiddenWhenZoomedOut(t *testing.T) {
	tests := []struct {
		name       string
		k          float64
		mode       LabelMode
		wantLabels int
		wantNames  bool
	}{
		{"full zoom rate", 1, LabelRate, 3, true},
		{"full zoom p99", 1, LabelP99, 3, true},
		{"labels off", 1, LabelNone, 0, true},
		{"mid zoom hides edge labels", 0.4, LabelRate, 0, true},
		{"far zoom hides names", 0.2, LabelRate, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newMapCanvas()
			c.Snapshot = sampleSnapshot()
			c.Labels = tt.mode
			c.vp.K = tt.k
			html := app.HTMLString(c)
			if n := countMatches(html, `data-label-for=`); n != tt.wantLabels {
				t.Errorf("%d edge labels, want %d", n, tt.wantLabels)
			}
			if got := strings.Contains(html, `class="node-label"`); got != tt.wantNames {
				t.Errorf("node names shown = %v, want %v", got, tt.wantNames)
			}
		})
	}
}

func TestMapCanvas_Render_selectionDimsOthers(t *testing.T) {
	c := newMapCanvas()
	c.Snapshot = sampleSnapshot()
	c.Selected = Selection{Kind: KindNode, ID: "checkout"}
	c.Highlights = Changes{Edges: map[string]string{"user->frontend": ClassNew}, Nodes: map[string]string{"checkout": ClassSpike}}
	html := app.HTMLString(c)
	tests := []struct {
		attr, id string
		want     []string
		not      []string
	}{
		{"data-node-id", "checkout", []string{"node", "selected", "is-spike", "health-failing"}, []string{"dim"}},
		{"data-node-id", "frontend", []string{"node"}, []string{"dim", "selected"}},
		{"data-node-id", "database:pg", []string{"node", "virtual", "kind-database"}, []string{"dim"}},
		{"data-node-id", "user", []string{"node", "virtual", "dim"}, nil},
		{"data-edge-id", "user->frontend", []string{"edge", "is-new", "dim"}, nil},
		{"data-edge-id", "frontend->checkout", []string{"edge", "health-failing"}, []string{"dim"}},
	}
	for _, tt := range tests {
		attrs := tagAttrs(html, tt.attr, tt.id)
		if attrs == nil {
			t.Errorf("no element with %s=%q", tt.attr, tt.id)
			continue
		}
		if !hasClass(attrs, tt.want...) {
			t.Errorf("%s class %q, want %v", tt.id, attrs["class"], tt.want)
		}
		for _, n := range tt.not {
			if hasClass(attrs, n) {
				t.Errorf("%s class %q has %s", tt.id, attrs["class"], n)
			}
		}
	}
}

func TestMapCanvas_Fit_andFocus(t *testing.T) {
	c := newMapCanvas()
	c.Snapshot = sampleSnapshot()
	c.FitKey = "window=5m"
	c.autoFit()
	b := SnapshotBounds(c.Snapshot)
	want := FitViewport(b, c.width, c.height, FitPadding)
	if c.vp != want {
		t.Fatalf("viewport after first snapshot = %+v, want %+v", c.vp, want)
	}
	// Same key: a user zoom is kept.
	c.zoomBy(2)
	zoomed := c.vp
	c.autoFit()
	if c.vp != zoomed {
		t.Error("autoFit refitted for the same view")
	}
	// New key: fit again.
	c.FitKey = "window=1h"
	c.autoFit()
	if c.vp != want {
		t.Error("autoFit did not refit for a new view")
	}
	// Focus centres on the node.
	if !c.focus(Selection{Kind: KindNode, ID: "database:pg"}) {
		t.Fatal("focus on node failed")
	}
	if p := c.vp.ToMap(c.width/2, c.height/2); !near(p.X, 300) || !near(p.Y, 300) || c.vp.K < 1 {
		t.Errorf("focus centre = %+v at %v", p, c.vp.K)
	}
	if !c.focus(Selection{Kind: KindEdge, ID: "frontend->checkout"}) {
		t.Fatal("focus on edge failed")
	}
	if p := c.vp.ToMap(c.width/2, c.height/2); !near(p.X, 200) || !near(p.Y, 100) {
		t.Errorf("edge focus centre = %+v", p)
	}
	if c.focus(Selection{Kind: KindNode, ID: "nope"}) {
		t.Error("focus on a missing node succeeded")
	}
}

func TestMapCanvas_ToggleGroup_collapses(t *testing.T) {
	c := newMapCanvas()
	c.Snapshot = groupedSnapshot()
	html := app.HTMLString(c)
	if !strings.Contains(html, `data-group-id="ns/shop"`) || countMatches(html, `data-node-id=`) != 4 {
		t.Fatalf("expanded group not drawn:\n%s", html)
	}
	c.toggleGroup("ns/shop")
	html = app.HTMLString(c)
	if countMatches(html, `data-node-id=`) != 3 || !strings.Contains(html, `data-node-id="ns/shop"`) {
		t.Errorf("collapsed group not drawn as one node")
	}
	if !strings.Contains(html, `data-edge-id="ns/shop->db"`) {
		t.Error("merged edge missing")
	}
	c.toggleGroup("ns/shop")
	if html = app.HTMLString(c); countMatches(html, `data-node-id=`) != 4 {
		t.Error("group did not expand again")
	}
}

func TestMapCanvas_Load_inTestEngine(t *testing.T) {
	e := app.NewTestEngine()
	c := newMapCanvas()
	c.Snapshot = sampleSnapshot()
	if err := e.Load(c); err != nil {
		t.Fatal(err)
	}
	e.ConsumeAll()
	if err := app.TestMatch(c, app.TestUIDescriptor{
		Path:     app.TestPath(0),
		Expected: app.Div().Class("map-canvas"),
	}); err != nil {
		t.Error(err)
	}
	if err := app.TestMatch(c, app.TestUIDescriptor{
		Path:     app.TestPath(0, 0, 1),
		Expected: svgElem("g").Class("viewport").Attr("transform", c.vp.Transform()),
	}); err != nil {
		t.Error(err)
	}
	if err := app.TestMatch(c, app.TestUIDescriptor{
		Path:     app.TestPath(0, 1, 0),
		Expected: app.Button().Class("icon-button").Title("zoom in (+)").Aria("label", "zoom in").OnClick(c.onZoomIn),
	}); err != nil {
		t.Error(err)
	}
}
