package app

import (
	"fmt"
	"math/rand/v2"
	"regexp"
	"slices"
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

// testMap draws a canvas the way the browser does: go-app renders the
// shell, and drawLayers fills the layers, here in a fakeDOM.
type testMap struct {
	c       *mapCanvas
	dom     *fakeDOM
	parents [len(layerClasses)]domRef
}

func newTestMap(c *mapCanvas) *testMap {
	c.inTree = false
	m := &testMap{c: c, dom: newFakeDOM()}
	for i, cls := range layerClasses {
		m.parents[i] = &fakeEl{tag: "g", attrs: []vattr{{"class", cls}}}
	}
	return m
}

// draw brings the layers up to date and returns what drawLayers did.
func (m *testMap) draw() ([len(layerClasses)]syncStats, bool) {
	return m.c.drawLayers(m.dom, m.parents)
}

// html draws and returns the shell's markup followed by the layers'.
func (m *testMap) html() string {
	m.draw()
	var b strings.Builder
	b.WriteString(app.HTMLString(m.c))
	for _, p := range m.parents {
		p.(*fakeEl).html(&b)
	}
	return b.String()
}

// drawnHTML is the markup of c drawn once.
func drawnHTML(c *mapCanvas) string { return newTestMap(c).html() }

func TestMapCanvas_Render_elementsCarryIDs(t *testing.T) {
	c := newMapCanvas()
	c.Snapshot = sampleSnapshot()
	html := drawnHTML(c)

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
	// Health: the failing edge carries the class that dashes it and
	// gives it its arrow (TestHealthStyle_css), one arrow per health.
	if !hasClass(tagAttrs(html, "data-edge-id", "frontend->checkout"), "edge", "health-failing") {
		t.Error("failing edge without its health class")
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
		name        string
		k           float64
		mode        LabelMode
		wantLabels  int
		wantFigures bool
		wantNames   bool
	}{
		{"full zoom rate", 1, LabelRate, 3, true, true},
		{"full zoom p99", 1, LabelP99, 3, true, true},
		{"labels off", 1, LabelNone, 0, true, true},
		{"mid zoom hides edge labels and node figures", 0.4, LabelRate, 0, false, true},
		{"far zoom hides names", 0.2, LabelRate, 0, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newMapCanvas()
			c.Snapshot = sampleSnapshot()
			c.Labels = tt.mode
			c.vp.K = tt.k
			html := drawnHTML(c)
			if n := countMatches(html, `data-label-for=`); n != tt.wantLabels {
				t.Errorf("%d edge labels, want %d", n, tt.wantLabels)
			}
			// Node texts stay drawn; the container's classes hide them
			// (spanmap.css), so zooming does not redraw every node.
			if n := countMatches(html, `class="node-label[ "]`); n != 4 {
				t.Errorf("%d node names drawn, want 4", n)
			}
			canvas := tagAttrs(html, "class", c.canvasClass())
			if canvas == nil {
				t.Fatalf("no map container with class %q", c.canvasClass())
			}
			if got := !hasClass(canvas, classZoomedOut); got != tt.wantFigures {
				t.Errorf("node figures shown = %v, want %v (class %q)", got, tt.wantFigures, canvas["class"])
			}
			if got := !hasClass(canvas, classZoomedFar); got != tt.wantNames {
				t.Errorf("node names shown = %v, want %v (class %q)", got, tt.wantNames, canvas["class"])
			}
		})
	}
}

func TestMapCanvas_Render_selectionDimsOthers(t *testing.T) {
	c := newMapCanvas()
	c.Snapshot = sampleSnapshot()
	c.Selected = Selection{Kind: KindNode, ID: "checkout"}
	c.Highlights = Changes{Edges: map[string]string{"user->frontend": ClassNew}, Nodes: map[string]string{"checkout": "is-spike cmp-regressed"}}
	html := drawnHTML(c)
	// The container dims every element not marked near.
	if canvas := tagAttrs(html, "class", c.canvasClass()); canvas == nil || !hasClass(canvas, "map-canvas", classHasSelection) {
		t.Errorf("map container class %q, want %s", c.canvasClass(), classHasSelection)
	}
	tests := []struct {
		attr, id string
		want     []string
		not      []string
	}{
		{"data-node-id", "checkout", []string{"node", "selected", "near", "is-spike", "cmp-regressed", "health-failing"}, nil},
		{"data-node-id", "frontend", []string{"node", "near"}, []string{"selected"}},
		{"data-node-id", "database:pg", []string{"node", "virtual", "kind-database", "near"}, nil},
		{"data-node-id", "user", []string{"node", "virtual"}, []string{"near"}},
		{"data-edge-id", "user->frontend", []string{"edge", "is-new"}, []string{"near"}},
		{"data-edge-id", "frontend->checkout", []string{"edge", "health-failing", "near"}, nil},
		{"data-label-for", "user->frontend", []string{"edge-label"}, []string{"near"}},
		{"data-label-for", "checkout->database:pg", []string{"edge-label", "near"}, nil},
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
	m := newTestMap(c)
	html := m.html()
	if !strings.Contains(html, `data-group-id="ns/shop"`) || countMatches(html, `data-node-id=`) != 4 {
		t.Fatalf("expanded group not drawn:\n%s", html)
	}
	c.toggleGroup("ns/shop")
	html = m.html()
	if countMatches(html, `data-node-id=`) != 3 || !strings.Contains(html, `data-node-id="ns/shop"`) {
		t.Errorf("collapsed group not drawn as one node")
	}
	if !strings.Contains(html, `data-edge-id="ns/shop->db"`) {
		t.Error("merged edge missing")
	}
	c.toggleGroup("ns/shop")
	if html = m.html(); countMatches(html, `data-node-id=`) != 4 {
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
	for i, cls := range layerClasses[:fxLayer] {
		if err := app.TestMatch(c, app.TestUIDescriptor{
			Path:     app.TestPath(0, 0, 1, i),
			Expected: svgElem("g").Class(cls),
		}); err != nil {
			t.Error(err)
		}
	}
	// Each change effect layer is in an overlay <svg> of its own, with
	// the map's viewport.
	for i, cls := range layerClasses[fxLayer:] {
		for _, want := range []struct {
			path []int
			ui   app.UI
		}{
			{[]int{0, 1, i}, svgElem("svg").Class("map-fx", fxOverlays[i], "fx-a").Attr("aria-hidden", "true")},
			{[]int{0, 1, i, 0}, svgElem("g").Class("viewport").Attr("transform", c.vp.Transform())},
			{[]int{0, 1, i, 0, 0}, svgElem("g").Class(cls)},
		} {
			if err := app.TestMatch(c, app.TestUIDescriptor{Path: app.TestPath(want.path...), Expected: want.ui}); err != nil {
				t.Error(err)
			}
		}
	}
	if err := app.TestMatch(c, app.TestUIDescriptor{
		Path:     app.TestPath(0, 2, 0),
		Expected: app.Button().Class("icon-button").Title("zoom in (+)").Aria("label", "zoom in").OnClick(c.onZoomIn),
	}); err != nil {
		t.Error(err)
	}
}

func TestMapCanvas_Render_inTreeMatchesDrawnLayers(t *testing.T) {
	c := newMapCanvas()
	c.Snapshot = groupedSnapshot()
	c.Selected = Selection{Kind: KindNode, ID: "pay"}
	c.Highlights = Changes{Edges: map[string]string{"pay->db": ClassSpike}}
	drawn := drawnHTML(c)
	c.inTree = true
	tree := app.HTMLString(c)
	for _, attr := range []string{"data-node-id", "data-edge-id", "data-label-for", "data-group-id"} {
		if a, b := countMatches(tree, attr+"="), countMatches(drawn, attr+"="); a != b || a == 0 {
			t.Errorf("%d elements with %s in the go-app tree, %d drawn", a, attr, b)
		}
	}
	for _, id := range []string{"orders", "pay", "web", "db"} {
		if a, b := tagAttrs(tree, "data-node-id", id), tagAttrs(drawn, "data-node-id", id); a["class"] != b["class"] || a["transform"] != b["transform"] {
			t.Errorf("node %s: %v in the go-app tree, %v drawn", id, a, b)
		}
	}
}

func TestMapCanvas_drawLayers_incremental(t *testing.T) {
	c := newMapCanvas()
	c.Snapshot = bigSnapshot(60)
	m := newTestMap(c)
	st, drew := m.draw()
	if !drew || st[2].Created != 60 || st[1].Created != len(c.Snapshot.Edges) {
		t.Fatalf("first draw %+v (drew %v), want 60 nodes and %d edges created", st, drew, len(c.Snapshot.Edges))
	}

	// Nothing shown changed: a pan, or a zoom within the label thresholds.
	c.vp = c.vp.Pan(30, 10).ZoomAt(1.1, 0, 0)
	if st, drew := m.draw(); drew {
		t.Errorf("pan and zoom redrew the layers: %+v", st)
	}

	// A live update: a tenth of the edges have new figures.
	before := m.dom.total()
	c.Snapshot = tickSnapshot(c.Snapshot, 0)
	changed := 0
	for i := range c.Snapshot.Edges {
		if i%10 == 0 {
			changed++
		}
	}
	st, _ = m.draw()
	// Only edges whose drawn width changed are updated; every changed
	// edge gets its new label.
	if st[1].Updated > changed || st[1].Created+st[1].Removed+st[1].Moved > 0 || st[2] != (syncStats{}) || st[0] != (syncStats{}) {
		t.Errorf("update of %d edges: %+v", changed, st)
	}
	if st[3].Updated != changed || st[3].Created+st[3].Removed+st[3].Moved > 0 {
		t.Errorf("labels after the update of %d edges: %+v", changed, st[3])
	}
	// Each changed edge: its label's text, and maybe its width.
	if ops := m.dom.total() - before; ops > 2*changed {
		t.Errorf("%d DOM operations for %d changed edges", ops, changed)
	}

	// Selecting a node marks its neighbourhood only; the container's
	// class dims the rest.
	c.Selected = Selection{Kind: KindNode, ID: c.Snapshot.Nodes[5].ID}
	near := neighbourhood(c.Snapshot, c.Selected)
	st, _ = m.draw()
	if got := st[1].Updated + st[2].Updated; got != len(near) {
		t.Errorf("selection updated %d edges and nodes, want the %d near it: %+v", got, len(near), st)
	}
	html := m.html()
	if a := tagAttrs(html, "data-node-id", c.Selected.ID); !hasClass(a, "selected", classNear) {
		t.Errorf("selected node class %q", a["class"])
	}
}

func TestMapCanvas_drawLayers_redrawsNewLayerElements(t *testing.T) {
	c := newMapCanvas()
	c.Snapshot = sampleSnapshot()
	m := newTestMap(c)
	m.draw()
	// go-app mounted the layers anew: the new elements are filled again.
	m2 := newTestMap(c)
	m2.dom = m.dom
	if st, drew := m2.draw(); !drew || st[2].Created != 4 {
		t.Errorf("draw into new layer elements: %+v (drew %v), want 4 nodes created", st, drew)
	}
	if n := countMatches(m2.html(), `data-node-id=`); n != 4 {
		t.Errorf("%d nodes in the new layer elements", n)
	}
}

// TestMapCanvas_drawLayers_matchesFresh draws a map through hundreds of
// random updates (figures, health, nodes and edges added and removed,
// nodes moved and renamed, selection, label mode, collapsed groups) into
// one in-memory DOM, and checks after each that the layers are exactly
// what a fresh canvas draws for the same state.
func TestMapCanvas_drawLayers_matchesFresh(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	health := []graph.Health{graph.HealthUnknown, graph.HealthOK, graph.HealthDegraded, graph.HealthFailing}
	c := newMapCanvas()
	c.Snapshot = gridSnapshot(40, 3)
	m := newTestMap(c)
	var effects [len(fxOverlays)]int // rounds that drew each change effect
	for round := range 300 {
		s := c.Snapshot
		s.Version++
		s.Nodes = slices.Clone(s.Nodes)
		s.Edges = slices.Clone(s.Edges)
		for i := range s.Edges {
			if r.IntN(5) == 0 {
				s.Edges[i].Rate = float64(r.IntN(2000)) / 10
				s.Edges[i].ErrorRate = float64(r.IntN(100)) / 100
				s.Edges[i].Latency.P50 = float64(r.IntN(500))
				s.Edges[i].Health = health[r.IntN(len(health))]
			}
		}
		for i := range s.Nodes {
			switch r.IntN(12) {
			case 0:
				s.Nodes[i].Stats.Rate = float64(r.IntN(100))
				s.Nodes[i].Stats.Calls = int64(r.IntN(3))
				s.Nodes[i].Health = health[r.IntN(len(health))]
			case 1:
				s.Nodes[i].Pos = &graph.Point{X: float64(r.IntN(4000)), Y: float64(r.IntN(1000))}
			case 2:
				if r.IntN(4) == 0 {
					s.Nodes[i].Name = fmt.Sprintf("renamed-%d", round)
				}
			}
		}
		switch r.IntN(8) {
		case 0: // a node and its edges go
			i := r.IntN(len(s.Nodes))
			id := s.Nodes[i].ID
			s.Nodes = slices.Delete(s.Nodes, i, i+1)
			s.Edges = slices.DeleteFunc(s.Edges, func(e graph.Edge) bool { return e.From == id || e.To == id })
		case 1: // a new node with an edge
			id := fmt.Sprintf("svc-new-%03d", round)
			s.Nodes = append(s.Nodes, graph.Node{ID: id, Kind: graph.NodeService, Namespace: "ns1", Group: "ns:ns1",
				Pos: &graph.Point{X: float64(r.IntN(4000)), Y: float64(r.IntN(1000))}, Width: 120, Height: 40})
			from := s.Nodes[r.IntN(len(s.Nodes)-1)]
			s.Edges = append(s.Edges, graph.Edge{ID: graph.EdgeID(from.ID, id, ""), From: from.ID, To: id, Kind: graph.EdgeRPC,
				Stats: graph.Stats{Calls: 5, Rate: 1}})
			slices.SortFunc(s.Nodes, func(a, b graph.Node) int { return strings.Compare(a.ID, b.ID) })
			slices.SortFunc(s.Edges, func(a, b graph.Edge) int { return strings.Compare(a.ID, b.ID) })
		case 2:
			c.Selected = Selection{}
			if len(s.Nodes) > 0 && r.IntN(2) == 0 {
				c.Selected = Selection{Kind: KindNode, ID: s.Nodes[r.IntN(len(s.Nodes))].ID}
			}
		case 3:
			c.Labels = []LabelMode{LabelRate, LabelErrors, LabelP50, LabelNone}[r.IntN(4)]
		case 4:
			c.toggleGroup(fmt.Sprintf("ns:ns%d", r.IntN(8)))
		}
		// The changes of the update, as the live page highlights them,
		// or none (they expired).
		if r.IntN(3) == 0 {
			c.Highlights = Changes{}
		} else {
			c.Highlights = DetectChanges(c.Snapshot, s)
			c.Highlights.Gen = uint64(round + 1)
		}
		c.Snapshot = s
		m.draw()
		fresh := newMapCanvas()
		fresh.Snapshot, fresh.Selected, fresh.Labels, fresh.Highlights = c.Snapshot, c.Selected, c.Labels, c.Highlights
		for k, v := range c.collapsed {
			fresh.collapsed[k] = v
		}
		fm := newTestMap(fresh)
		fm.draw()
		for i := range m.parents {
			got, want := layerHTML(m.parents[i].(*fakeEl)), layerHTML(fm.parents[i].(*fakeEl))
			if got != want {
				t.Fatalf("round %d, layer %s: incremental draw\n%s\nfresh draw\n%s", round, layerClasses[i], got, want)
			}
			if i >= fxLayer && strings.Contains(got, "data-fx-for") {
				effects[i-fxLayer]++
			}
		}
	}
	for i, n := range effects {
		if n == 0 {
			t.Errorf("no round drew a %s effect", fxOverlays[i])
		}
	}
}

// TestMapCanvas_drawLayers_changeEffects checks what the effect overlays
// hold: the path of a spiking edge, the outline of a new node and the last
// drawn path of a gone edge, each named by data-fx-for.
func TestMapCanvas_drawLayers_changeEffects(t *testing.T) {
	old := groupedSnapshot()
	cur := groupedSnapshot()
	cur.Edges = slices.DeleteFunc(cur.Edges, func(e graph.Edge) bool { return e.ID == "web->db" })
	cur.Nodes = append(cur.Nodes, graph.Node{ID: "zeta", Pos: pt(500, 500), Width: 100, Height: 40})
	for i := range cur.Edges {
		if cur.Edges[i].ID == "orders->db" {
			cur.Edges[i].ErrorRate, cur.Edges[i].Health = 0.5, graph.HealthFailing
		}
	}
	c := newMapCanvas()
	c.Snapshot = cur
	c.Highlights = DetectChanges(old, cur)
	c.Highlights.Gen = 7
	m := newTestMap(c)
	m.draw()
	fx := func(i int) string { return layerHTML(m.parents[fxLayer+i].(*fakeEl)) }
	line, _ := EdgePath(cur.Edges[0], graph.Node{}, graph.Node{})
	if got := fx(fxSpike); got != `<path class="fx-edge" data-fx-for="orders->db" d="`+line+`"></path>` {
		t.Errorf("spike effects %s", got)
	}
	outline, _ := NodeShape(graph.NodeService, 100, 40)
	if got := fx(fxNew); !strings.Contains(got, `data-fx-for="zeta" transform="translate(500,500)" d="`+outline+`"`) ||
		strings.Count(got, "data-fx-for") != 1 {
		t.Errorf("new effects %s", got)
	}
	gonePath, _ := EdgePath(old.Edges[4], graph.Node{}, graph.Node{})
	if got := fx(fxGone); got != `<path class="fx-edge" data-fx-for="web->db" d="`+gonePath+`"></path>` {
		t.Errorf("gone effects %s", got)
	}
	// The overlays name the update's animation run.
	if h := app.HTMLString(c); !strings.Contains(h, `class="map-fx fx-gone fx-b"`) {
		t.Errorf("no overlay for run b in %s", h)
	}
}

// TestMapCanvas_drawLayers_minorEdges checks that an edge below 1% of the
// busiest edge's traffic is marked minor (which CSS fades zoomed out and
// hides far out) and busier ones are not.
func TestMapCanvas_drawLayers_minorEdges(t *testing.T) {
	c := newMapCanvas()
	c.Snapshot = sampleSnapshot()
	c.Snapshot.Edges[2].Rate = 0.19 // user->frontend: under 1% of 20/s
	m := newTestMap(c)
	m.draw()
	edges := layerHTML(m.parents[1].(*fakeEl))
	for id, minor := range map[string]bool{"user->frontend": true, "checkout->database:pg": false, "frontend->checkout": false} {
		re := regexp.MustCompile(`<g class="([^"]*)" data-edge-id="` + regexp.QuoteMeta(id) + `"`)
		mt := re.FindStringSubmatch(edges)
		if mt == nil {
			t.Fatalf("edge %s not drawn in %s", id, edges)
		}
		if got := slices.Contains(strings.Fields(mt[1]), classMinor); got != minor {
			t.Errorf("edge %s classes %q: minor %v, want %v", id, mt[1], got, minor)
		}
	}
	// Busier traffic elsewhere does not change it until it crosses the
	// line: at 0.2/s it is 1% and no longer minor.
	s := c.Snapshot
	s.Edges = slices.Clone(s.Edges)
	s.Edges[2].Rate = 0.2
	c.Snapshot = s
	m.draw()
	if edges := layerHTML(m.parents[1].(*fakeEl)); strings.Contains(edges, `minor" data-edge-id="user->frontend"`) {
		t.Errorf("user->frontend at 1%% is still minor: %s", edges)
	}
}

// TestMapCanvas_Render_fxRestartsPerUpdate checks that the effect overlays
// switch animation names with each update's changes, and keep theirs when
// the changes expire, so that the next ones start over.
func TestMapCanvas_Render_fxRestartsPerUpdate(t *testing.T) {
	c := newMapCanvas()
	c.Snapshot = sampleSnapshot()
	for _, step := range []struct {
		gen  uint64
		want string
	}{{0, "fx-a"}, {1, "fx-b"}, {1, "fx-b"}, {0, "fx-b"}, {2, "fx-a"}, {0, "fx-a"}, {0, "fx-a"}, {3, "fx-b"}} {
		c.Highlights = Changes{Gen: step.gen}
		if h := app.HTMLString(c); !strings.Contains(h, `class="map-fx fx-spike `+step.want+`"`) {
			t.Fatalf("highlights of update %d: overlays not on %s", step.gen, step.want)
		}
	}
}
