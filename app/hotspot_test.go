package app

import (
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"sort"
	"testing"

	"github.com/spanmap/spanmap/graph"
)

func TestHotspot_Score_weighsTraffic(t *testing.T) {
	tests := []struct {
		name      string
		errRate   float64
		rate      float64
		want      float64
		wantAbove float64
	}{
		{"no errors", 0, 100, 0, -1},
		{"no traffic", 0.5, 0, 0, -1},
		{"one call a minute", 0.5, 1.0 / 60, 0.5 * math.Log10(2), -1},
		{"busy edge", 0.1, 1000, 0.1 * math.Log10(60001), 0.5 * math.Log10(2)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := HotspotScore(tt.errRate, tt.rate)
			if !near(got, tt.want) {
				t.Errorf("HotspotScore = %v, want %v", got, tt.want)
			}
			if got <= tt.wantAbove {
				t.Errorf("HotspotScore = %v, want above %v", got, tt.wantAbove)
			}
		})
	}
}

func TestHotspot_Rank_orderAndLimit(t *testing.T) {
	s := graph.Snapshot{
		Nodes: []graph.Node{
			{ID: "api", Name: "api", Stats: graph.Stats{Calls: 6000, Errors: 60, Rate: 100, ErrorRate: 0.01}},
			{ID: "db", Name: "postgres", Kind: graph.NodeDatabase},
			{ID: "web", Name: "web", Stats: graph.Stats{Calls: 100, Rate: 2}},
		},
		Edges: []graph.Edge{
			{ID: "web->api", From: "web", To: "api", Stats: graph.Stats{Calls: 6000, Errors: 600, Rate: 100, ErrorRate: 0.1}},
			{ID: "api->db", From: "api", To: "db", Stats: graph.Stats{Calls: 2, Errors: 1, Rate: 1.0 / 60, ErrorRate: 0.5}},
			{ID: "api->db#select", From: "api", To: "db", Operation: "select", Stats: graph.Stats{Calls: 100, Rate: 2}},
		},
	}
	got := RankHotspots(s, 0)
	want := []struct{ kind, id, label string }{
		{KindEdge, "web->api", "web → api"},
		{KindEdge, "api->db", "api → postgres"},
		{KindNode, "api", "api"},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d hotspots, want %d: %+v", len(got), len(want), got)
	}
	for i, w := range want {
		if got[i].Kind != w.kind || got[i].ID != w.id || got[i].Label != w.label {
			t.Errorf("hotspot %d = %s %s %q, want %s %s %q", i, got[i].Kind, got[i].ID, got[i].Label, w.kind, w.id, w.label)
		}
	}
	if lim := RankHotspots(s, 2); len(lim) != 2 || lim[0].ID != "web->api" {
		t.Errorf("limit 2 = %+v", lim)
	}
}

func TestHotspot_Rank_tiesByKindThenID(t *testing.T) {
	st := graph.Stats{Calls: 10, Errors: 1, Rate: 1, ErrorRate: 0.1}
	s := graph.Snapshot{
		Nodes: []graph.Node{{ID: "b", Stats: st}, {ID: "a", Stats: st}},
		Edges: []graph.Edge{{ID: "a->b", From: "a", To: "b", Operation: "GET /", Stats: st}},
	}
	got := RankHotspots(s, 0)
	ids := []string{got[0].ID, got[1].ID, got[2].ID}
	if ids[0] != "a->b" || ids[1] != "a" || ids[2] != "b" {
		t.Errorf("order = %v", ids)
	}
	if got[0].Label != "a → b · GET /" {
		t.Errorf("operation label = %q", got[0].Label)
	}
}

// rankHotspotsSimple is RankHotspots written plainly: label everything,
// sort, cut.
func rankHotspotsSimple(s graph.Snapshot, limit int) []Hotspot {
	names := map[string]string{}
	var out []Hotspot
	for _, n := range s.Nodes {
		names[n.ID] = nodeLabel(n)
		if n.Stats.Errors > 0 || n.Stats.ErrorRate > 0 {
			out = append(out, Hotspot{Kind: KindNode, ID: n.ID, Label: nodeLabel(n), Score: HotspotScore(n.Stats.ErrorRate, n.Stats.Rate),
				ErrorRate: n.Stats.ErrorRate, Rate: n.Stats.Rate, Health: n.Health})
		}
	}
	for _, e := range s.Edges {
		if e.Errors > 0 || e.ErrorRate > 0 {
			out = append(out, Hotspot{Kind: KindEdge, ID: e.ID, Label: edgeLabel(e, names), Score: HotspotScore(e.ErrorRate, e.Rate),
				ErrorRate: e.ErrorRate, Rate: e.Rate, Health: e.Health})
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Score != out[j].Score {
			return out[i].Score > out[j].Score
		}
		if out[i].Kind != out[j].Kind {
			return out[i].Kind < out[j].Kind
		}
		return out[i].ID < out[j].ID
	})
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out
}

func TestRankHotspots_sameAsSimple(t *testing.T) {
	r := rand.New(rand.NewPCG(10, 11))
	for round := range 200 {
		var s graph.Snapshot
		for i := range 30 {
			id := fmt.Sprintf("n%02d", r.IntN(40))
			s.Nodes = append(s.Nodes, graph.Node{ID: id, Name: fmt.Sprint("name", i%7),
				Stats: graph.Stats{Errors: int64(r.IntN(3)), ErrorRate: float64(r.IntN(4)) / 8, Rate: float64(r.IntN(5))}})
			to := fmt.Sprintf("n%02d", r.IntN(40))
			s.Edges = append(s.Edges, graph.Edge{ID: id + "->" + to, From: id, To: to, Operation: []string{"", "op"}[r.IntN(2)],
				Stats: graph.Stats{Errors: int64(r.IntN(3)), ErrorRate: float64(r.IntN(4)) / 8, Rate: float64(r.IntN(5))}})
		}
		limit := r.IntN(12)
		if got, want := RankHotspots(s, limit), rankHotspotsSimple(s, limit); !reflect.DeepEqual(got, want) {
			t.Fatalf("round %d: RankHotspots = %+v\nwant %+v", round, got, want)
		}
	}
}
