package app

import (
	"strings"
	"testing"

	"github.com/spanmap/spanmap/graph"
)

func pt(x, y float64) *graph.Point { return &graph.Point{X: x, Y: y} }

func TestEdgePath_Build_shapes(t *testing.T) {
	a := graph.Node{ID: "a", Pos: pt(0, 0), Width: 100, Height: 40}
	b := graph.Node{ID: "b", Pos: pt(200, 0), Width: 100, Height: 40}
	tests := []struct {
		name      string
		e         graph.Edge
		from, to  graph.Node
		wantD     string
		wantLabel graph.Point
	}{
		{"bezier", graph.Edge{Path: pts(0, 0, 10, 0, 20, 10, 30, 10)}, a, b,
			"M 0 0 C 10 0 20 10 30 10", graph.Point{X: 15, Y: 5}},
		{"two beziers label on second", graph.Edge{Path: pts(0, 0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0)}, a, b,
			"M 0 0 C 1 0 2 0 3 0 C 4 0 5 0 6 0", graph.Point{X: 4.5, Y: 0}},
		{"polyline", graph.Edge{Path: pts(0, 0, 10, 10, 20, 0)}, a, b,
			"M 0 0 L 10 10 L 20 0", graph.Point{X: 10, Y: 10}},
		{"polyline even", graph.Edge{Path: pts(0, 0, 10, 10)}, a, b,
			"M 0 0 L 10 10", graph.Point{X: 5, Y: 5}},
		{"straight clipped to boxes", graph.Edge{}, a, b,
			"M 50 0 L 150 0", graph.Point{X: 100, Y: 0}},
		{"no positions", graph.Edge{}, graph.Node{ID: "a"}, b, "", graph.Point{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, label := EdgePath(tt.e, tt.from, tt.to)
			if d != tt.wantD {
				t.Errorf("d = %q, want %q", d, tt.wantD)
			}
			if !near(label.X, tt.wantLabel.X) || !near(label.Y, tt.wantLabel.Y) {
				t.Errorf("label = %+v, want %+v", label, tt.wantLabel)
			}
		})
	}
}

func TestEdgePath_Build_selfLoop(t *testing.T) {
	a := graph.Node{ID: "a", Pos: pt(100, 100), Width: 80, Height: 40}
	d, _ := EdgePath(graph.Edge{From: "a", To: "a"}, a, a)
	if !strings.HasPrefix(d, "M 120 80 C") {
		t.Errorf("self loop d = %q", d)
	}
}

func TestClipToBox_Clip_edges(t *testing.T) {
	tests := []struct {
		name string
		p    graph.Point
		want graph.Point
	}{
		{"right", graph.Point{X: 100, Y: 0}, graph.Point{X: 50, Y: 0}},
		{"below", graph.Point{X: 0, Y: 100}, graph.Point{X: 0, Y: 20}},
		{"diagonal hits top", graph.Point{X: 40, Y: -40}, graph.Point{X: 20, Y: -20}},
		{"inside", graph.Point{X: 10, Y: 5}, graph.Point{}},
		{"same point", graph.Point{}, graph.Point{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := clipToBox(graph.Point{}, 100, 40, tt.p)
			if !near(got.X, tt.want.X) || !near(got.Y, tt.want.Y) {
				t.Errorf("clipToBox = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestNodeShape_Kinds_distinct(t *testing.T) {
	kinds := []graph.NodeKind{graph.NodeService, graph.NodeDatabase, graph.NodeMessaging, graph.NodeExternal, graph.NodeUser, graph.NodeGroup}
	seen := map[string]graph.NodeKind{}
	for _, k := range kinds {
		outline, detail := NodeShape(k, 120, 40)
		if !strings.HasPrefix(outline, "M ") || !strings.HasSuffix(outline, "Z") {
			t.Errorf("%s outline not closed: %q", k, outline)
		}
		if other, dup := seen[outline]; dup {
			t.Errorf("%s and %s share an outline", k, other)
		}
		seen[outline] = k
		if (detail != "") != (k == graph.NodeDatabase) {
			t.Errorf("%s detail = %q", k, detail)
		}
	}
	if got, want := func() string { o, _ := NodeShape(graph.NodeMessaging, 100, 40); return o }(),
		"M -36 -20 L 50 -20 L 36 20 L -50 20 Z"; got != want {
		t.Errorf("messaging outline = %q, want %q", got, want)
	}
}

func TestNode_Size_andLabel(t *testing.T) {
	tests := []struct {
		name      string
		n         graph.Node
		w, h      float64
		wantLabel string
	}{
		{"laid out", graph.Node{ID: "a", Width: 70, Height: 30}, 70, 30, "a"},
		{"short name gets min width", graph.Node{ID: "a", Name: "api"}, minNodeWidth, defaultNodeHeight, "api"},
		{"long name capped", graph.Node{ID: strings.Repeat("x", 80)}, maxNodeWidth, defaultNodeHeight, strings.Repeat("x", 80)},
		{"database taller", graph.Node{ID: "database:pg", Kind: graph.NodeDatabase}, minNodeWidth, 56, "pg"},
		{"service with colon keeps id", graph.Node{ID: "ns:svc", Kind: graph.NodeService}, minNodeWidth, defaultNodeHeight, "ns:svc"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, h := nodeSize(tt.n)
			if w != tt.w || h != tt.h {
				t.Errorf("nodeSize = %v x %v, want %v x %v", w, h, tt.w, tt.h)
			}
			if got := nodeLabel(tt.n); got != tt.wantLabel {
				t.Errorf("nodeLabel = %q, want %q", got, tt.wantLabel)
			}
		})
	}
}

func TestPlaceUnpositioned_Place_gridBelow(t *testing.T) {
	nodes := []graph.Node{
		{ID: "a", Pos: pt(100, 100), Width: 100, Height: 40},
		{ID: "b"},
		{ID: "c"},
		{ID: "d"},
		{ID: "e"},
	}
	out := PlaceUnpositioned(nodes)
	if nodes[1].Pos != nil {
		t.Fatal("input was modified")
	}
	if out[0].Pos.X != 100 || out[0].Pos.Y != 100 {
		t.Errorf("positioned node moved to %+v", out[0].Pos)
	}
	seen := map[graph.Point]bool{}
	for _, n := range out[1:] {
		if n.Pos == nil {
			t.Fatalf("%s not placed", n.ID)
		}
		if n.Pos.Y-defaultNodeHeight/2 <= 120 {
			t.Errorf("%s placed at %+v, overlapping the laid-out nodes", n.ID, *n.Pos)
		}
		if seen[*n.Pos] {
			t.Errorf("%s placed on top of another node", n.ID)
		}
		seen[*n.Pos] = true
	}
	// Four nodes: a 2x2 grid.
	if out[1].Pos.Y != out[2].Pos.Y || out[3].Pos.Y == out[1].Pos.Y {
		t.Errorf("grid rows wrong: %+v %+v %+v", *out[1].Pos, *out[2].Pos, *out[3].Pos)
	}
}

// pts builds a point list from x, y pairs.
func pts(xy ...float64) []graph.Point {
	out := make([]graph.Point, 0, len(xy)/2)
	for i := 0; i+1 < len(xy); i += 2 {
		out = append(out, graph.Point{X: xy[i], Y: xy[i+1]})
	}
	return out
}
