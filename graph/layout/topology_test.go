package layout

import (
	"testing"

	"github.com/spanmap/spanmap/graph"
)

func TestTopologyKey(t *testing.T) {
	base := smallSnapshot()
	key := TopologyKey(&base)
	tests := []struct {
		name   string
		change func(s *graph.Snapshot)
		same   bool
	}{
		{"stats", func(s *graph.Snapshot) { s.Edges[0].Rate = 99; s.Nodes[0].Stats.Calls = 5 }, true},
		{"health", func(s *graph.Snapshot) {
			s.Edges[1].Health = graph.HealthFailing
			s.Nodes[1].Health = graph.HealthDegraded
		}, true},
		{"positions and version", func(s *graph.Snapshot) { s.Nodes[0].Pos = &graph.Point{X: 1}; s.Version = 9; s.Width = 3 }, true},
		{"sources, trust, exemplars", func(s *graph.Snapshot) {
			s.Nodes[0].Sources = []string{"jaeger"}
			s.Edges[0].Trust.Paired = 4
			s.Edges[0].Exemplars = []graph.Exemplar{{TraceID: "ab"}}
		}, true},
		{"order", func(s *graph.Snapshot) {
			s.Nodes[0], s.Nodes[len(s.Nodes)-1] = s.Nodes[len(s.Nodes)-1], s.Nodes[0]
			s.Edges[0], s.Edges[1] = s.Edges[1], s.Edges[0]
		}, true},
		{"node name", func(s *graph.Snapshot) { s.Nodes[0].Name = "renamed" }, false},
		{"node kind", func(s *graph.Snapshot) { s.Nodes[0].Kind = graph.NodeExternal }, false},
		{"group", func(s *graph.Snapshot) { s.Nodes[0].Group = "g" }, false},
		{"added node", func(s *graph.Snapshot) { s.Nodes = append(s.Nodes, graph.Node{ID: "z"}) }, false},
		{"removed edge", func(s *graph.Snapshot) { s.Edges = s.Edges[1:] }, false},
		{"rewired edge", func(s *graph.Snapshot) { s.Edges[0].To = s.Edges[0].From }, false},
		{"field boundary", func(s *graph.Snapshot) { s.Nodes[0].ID += "x"; s.Nodes[0].Name = s.Nodes[0].Name[1:] }, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := clone(base)
			s.Nodes = append([]graph.Node(nil), base.Nodes...)
			tc.change(&s)
			if got := TopologyKey(&s) == key; got != tc.same {
				t.Errorf("key unchanged = %v, want %v", got, tc.same)
			}
		})
	}
}

func TestParseSpline(t *testing.T) {
	tests := []struct {
		pos  string
		want int
		ok   bool
	}{
		{"e,125,28 86,27 94,27 104,27 113,27", 4, true},
		{"s,1,1 e,9,9 2,2 3,3 4,4 5,5", 4, true},
		{"1,1 2,2 3,3 4,4 5,5 6,6 7,7", 7, true},
		{"1,1 2,2 3,3 4,4;5,5 6,6 7,7 8,8", 10, true},
		{"1,1 2,2", 0, false},
		{"1,x 2,2 3,3 4,4", 0, false},
	}
	for _, tc := range tests {
		got, err := parseSpline(tc.pos)
		if (err == nil) != tc.ok || len(got) != tc.want {
			t.Errorf("parseSpline(%q) = %d points, %v", tc.pos, len(got), err)
		}
	}
}

func TestNodeSize(t *testing.T) {
	short := graph.Node{ID: "a", Kind: graph.NodeService}
	long := graph.Node{ID: "a-much-longer-service-name", Kind: graph.NodeService}
	wide := graph.Node{ID: "x", Name: "日本語のサービス名前", Kind: graph.NodeService}
	huge := graph.Node{ID: string(make([]byte, 500)), Kind: graph.NodeService}
	db := graph.Node{ID: "a-much-longer-service-name", Kind: graph.NodeDatabase}
	ws, _ := NodeSize(short)
	wl, _ := NodeSize(long)
	ww, _ := NodeSize(wide)
	wh, _ := NodeSize(huge)
	_, hs := NodeSize(short)
	_, hd := NodeSize(db)
	if ws != MinNodeWidth || wl <= ws || ww <= ws || hd <= hs {
		t.Errorf("sizes: short %v, long %v, wide %v, db height %v vs %v", ws, wl, ww, hd, hs)
	}
	if wh > 0.6*LabelFontSize*MaxLabelRunes+2*nodePadX+4 {
		t.Errorf("a 500-character name gives width %v", wh)
	}
}
