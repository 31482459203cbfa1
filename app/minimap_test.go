package app

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"

	"github.com/spanmap/spanmap/graph"
)

func TestMinimap_Geometry_roundTrip(t *testing.T) {
	bounds := Rect{X: 10, Y: 20, W: 900, H: 300}
	scale, ox, oy := MinimapScale(bounds, 180, 120)
	if !near(scale, 0.2) || !near(ox, 0) || !near(oy, 30) {
		t.Fatalf("scale %v offset %v,%v; want 0.2 and a vertically centred drawing", scale, ox, oy)
	}
	// The whole map on a 900x300 screen at scale 1 starting at the bounds.
	vp := Viewport{X: -10, Y: -20, K: 1}
	v := MinimapView(vp, 900, 300, bounds, scale, ox, oy)
	if !near(v.X, 0) || !near(v.Y, 30) || !near(v.W, 180) || !near(v.H, 60) {
		t.Fatalf("view %+v, want the whole drawing", v)
	}
	p := MinimapToMap(90, 60, bounds, scale, ox, oy)
	if !near(p.X, 460) || !near(p.Y, 170) {
		t.Fatalf("minimap centre maps to %+v, want the drawing centre", p)
	}
	if s, _, _ := MinimapScale(Rect{}, 180, 120); s != 0 {
		t.Fatal("empty bounds must give no scale")
	}
}

func TestShowMinimap_When(t *testing.T) {
	bounds := Rect{W: 1000, H: 500}
	fits := Viewport{K: 1}
	for _, tc := range []struct {
		name  string
		nodes int
		vp    Viewport
		w, h  float64
		want  bool
	}{
		{"small map that fits", 5, fits, 1200, 800, false},
		{"zoomed in", 5, Viewport{K: 3}, 1200, 800, true},
		{"big map", 200, fits, 1200, 800, true},
		{"not measured yet", 200, fits, 0, 0, false},
	} {
		if got := ShowMinimap(tc.nodes, tc.vp, tc.w, tc.h, bounds); got != tc.want {
			t.Errorf("%s: got %v", tc.name, got)
		}
	}
}

// TestMinimap_drawMatchesFresh checks that the dots drawn incrementally
// into one element are always those a fresh draw writes, as nodes move,
// change health, lose their position, appear and go, and that an update
// that changes one dot's health rewrites only that dot.
func TestMinimap_drawMatchesFresh(t *testing.T) {
	r := rand.New(rand.NewPCG(8, 9))
	health := []graph.Health{graph.HealthUnknown, graph.HealthOK, graph.HealthDegraded, graph.HealthFailing}
	var nodes []graph.Node
	c := newMapCanvas()
	dom := newFakeDOM()
	parent := &fakeEl{tag: "g"}
	for round := range 300 {
		next := slices.Clone(nodes)
		switch {
		case len(next) < 5 || r.IntN(6) == 0:
			next = append(next, graph.Node{ID: fmt.Sprintf("n%03d", round), Pos: &graph.Point{X: float64(r.IntN(500)), Y: float64(r.IntN(300))}})
		case r.IntN(6) == 0:
			next = slices.Delete(next, 0, 1)
		}
		for i := range next {
			switch r.IntN(8) {
			case 0:
				next[i].Health = health[r.IntN(len(health))]
			case 1:
				next[i].Pos = &graph.Point{X: float64(r.IntN(500)), Y: float64(r.IntN(300))}
			case 2:
				next[i].Pos = nil
			}
		}
		nodes = next
		c.Snapshot = graph.Snapshot{Version: uint64(round + 1), Nodes: nodes}
		if _, drew := c.drawMinimap(dom, parent); !drew {
			t.Fatalf("round %d: a new snapshot was not drawn", round)
		}
		bounds := SnapshotBounds(c.Snapshot)
		scale, ox, oy := MinimapScale(bounds, minimapW, minimapH)
		want := ""
		for _, n := range nodes {
			if n.Pos != nil {
				want += `<circle class="mini-node ` + HealthStyleOf(n.Health).Class + `" r="2" cx="` +
					strconv.FormatFloat(ox+(n.Pos.X-bounds.X)*scale, 'f', 1, 64) + `" cy="` +
					strconv.FormatFloat(oy+(n.Pos.Y-bounds.Y)*scale, 'f', 1, 64) + `"></circle>`
			}
		}
		if got := layerHTML(parent); got != want {
			t.Fatalf("round %d: drawn dots\n%s\nfresh\n%s", round, got, want)
		}
	}
	if _, drew := c.drawMinimap(dom, parent); drew {
		t.Error("the same snapshot was drawn again")
	}
	// One node changes health: one attribute is written.
	i := slices.IndexFunc(nodes, func(n graph.Node) bool { return n.Pos != nil })
	nodes = slices.Clone(nodes)
	nodes[i].Health = worseHealth(nodes[i].Health, graph.HealthFailing)
	if nodes[i].Health == c.Snapshot.Nodes[i].Health {
		nodes[i].Health = graph.HealthOK
	}
	c.Snapshot = graph.Snapshot{Version: c.Snapshot.Version + 1, Nodes: nodes}
	dom.ops = map[string]int{}
	st, _ := c.drawMinimap(dom, parent)
	if st.Updated != 1 || st.Created != 0 || st.Removed != 0 || sumOps(dom.ops) != 1 {
		t.Errorf("one health change: %+v, DOM operations %v, want one update with one operation", st, dom.ops)
	}
}

// TestMapCanvas_bounds_followGeometry checks that the bounds kept between
// snapshots follow a moved node and a new edge path, and stay for a
// figures-only update.
func TestMapCanvas_bounds_followGeometry(t *testing.T) {
	c := newMapCanvas()
	c.Snapshot = sampleSnapshot()
	want := SnapshotBounds(c.Snapshot)
	if got := c.bounds(); got != want {
		t.Fatalf("bounds %+v, want %+v", got, want)
	}
	next := c.Snapshot
	next.Version++
	next.Nodes = slices.Clone(next.Nodes)
	next.Nodes[0].Stats.Rate++
	c.Snapshot = next
	if got := c.bounds(); got != want {
		t.Errorf("figures-only update: bounds %+v, want %+v", got, want)
	}
	next.Version++
	next.Nodes = slices.Clone(next.Nodes)
	next.Nodes[0].Pos = &graph.Point{X: 5000, Y: 3000}
	c.Snapshot = next
	if got, want := c.bounds(), SnapshotBounds(next); got != want || got.X+got.W < 5000 {
		t.Errorf("moved node: bounds %+v, want %+v", got, want)
	}
	next.Version++
	next.Edges = slices.Clone(next.Edges)
	next.Edges[0].Path = []graph.Point{{X: -900, Y: -900}, {X: 0, Y: 0}, {X: 1, Y: 1}, {X: 300, Y: 272}}
	c.Snapshot = next
	if got, want := c.bounds(), SnapshotBounds(next); got != want || got.X > -900 {
		t.Errorf("new path: bounds %+v, want %+v", got, want)
	}
}
