package app

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"

	"github.com/spanmap/spanmap/graph"
)

func TestChanges_Detect_newAndSpikes(t *testing.T) {
	old := graph.Snapshot{
		Nodes: []graph.Node{
			{ID: "a", Stats: graph.Stats{ErrorRate: 0.01}},
			{ID: "b", Health: graph.HealthDegraded},
		},
		Edges: []graph.Edge{
			{ID: "a->b", Stats: graph.Stats{ErrorRate: 0.02}},
			{ID: "b->a", Stats: graph.Stats{ErrorRate: 0.2}},
			{ID: "a->a", Stats: graph.Stats{ErrorRate: 0}},
		},
	}
	cur := graph.Snapshot{
		Nodes: []graph.Node{
			{ID: "a", Stats: graph.Stats{ErrorRate: 0.02}},
			{ID: "b", Health: graph.HealthFailing},
			{ID: "c"},
		},
		Edges: []graph.Edge{
			{ID: "a->b", Stats: graph.Stats{ErrorRate: 0.1}},
			{ID: "b->a", Stats: graph.Stats{ErrorRate: 0.3}},
			{ID: "a->a", Stats: graph.Stats{ErrorRate: 0.04}},
			{ID: "a->c"},
		},
	}
	got := DetectChanges(old, cur)
	wantNodes := map[string]string{"b": ClassSpike, "c": ClassNew}
	wantEdges := map[string]string{"a->b": ClassSpike, "a->c": ClassNew}
	if len(got.Nodes) != len(wantNodes) || len(got.Edges) != len(wantEdges) {
		t.Fatalf("DetectChanges = %+v", got)
	}
	for id, c := range wantNodes {
		if got.Nodes[id] != c {
			t.Errorf("node %s = %q, want %q", id, got.Nodes[id], c)
		}
	}
	for id, c := range wantEdges {
		if got.Edges[id] != c {
			t.Errorf("edge %s = %q, want %q", id, got.Edges[id], c)
		}
	}
}

func TestChanges_Detect_firstSnapshotQuiet(t *testing.T) {
	cur := graph.Snapshot{Nodes: []graph.Node{{ID: "a"}}, Edges: []graph.Edge{{ID: "a->a"}}}
	if got := DetectChanges(graph.Snapshot{}, cur); !got.Empty() {
		t.Errorf("first snapshot highlighted %+v", got)
	}
}

// TestChanges_Detect_sortedAndUnsorted checks that the merge over sorted
// snapshots finds the same changes as the lookup that unsorted ones take.
func TestChanges_Detect_sortedAndUnsorted(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	health := []graph.Health{graph.HealthUnknown, graph.HealthOK, graph.HealthFailing}
	random := func() graph.Snapshot {
		var s graph.Snapshot
		for i := range 40 {
			if r.IntN(3) == 0 {
				continue
			}
			id := fmt.Sprintf("n%02d", i)
			st := graph.Stats{ErrorRate: float64(r.IntN(5)) / 10}
			s.Nodes = append(s.Nodes, graph.Node{ID: id, Stats: st, Health: health[r.IntN(3)]})
			s.Edges = append(s.Edges, graph.Edge{ID: id + "->x", Stats: st, Health: health[r.IntN(3)]})
		}
		return s
	}
	shuffled := func(s graph.Snapshot) graph.Snapshot {
		s.Nodes, s.Edges = slices.Clone(s.Nodes), slices.Clone(s.Edges)
		r.Shuffle(len(s.Nodes), func(i, j int) { s.Nodes[i], s.Nodes[j] = s.Nodes[j], s.Nodes[i] })
		r.Shuffle(len(s.Edges), func(i, j int) { s.Edges[i], s.Edges[j] = s.Edges[j], s.Edges[i] })
		return s
	}
	for range 200 {
		old, cur := random(), random()
		want := DetectChanges(shuffled(old), shuffled(cur))
		if got := DetectChanges(old, cur); !reflect.DeepEqual(got, want) {
			t.Fatalf("sorted snapshots: %v, unsorted: %v", got, want)
		}
	}
}

func TestChanges_Detect_gone(t *testing.T) {
	old := graph.Snapshot{
		Nodes: []graph.Node{{ID: "a"}, {ID: "b"}, {ID: "c"}},
		Edges: []graph.Edge{{ID: "a->b"}, {ID: "a->c"}, {ID: "b->c"}},
	}
	cur := graph.Snapshot{
		Nodes: []graph.Node{{ID: "a"}, {ID: "b"}, {ID: "d"}},
		Edges: []graph.Edge{{ID: "a->b"}, {ID: "a->d"}},
	}
	got := DetectChanges(old, cur)
	if len(got.GoneNodes) != 1 || got.GoneNodes[0].ID != "c" {
		t.Errorf("gone nodes %+v, want c", got.GoneNodes)
	}
	if len(got.GoneEdges) != 2 || got.GoneEdges[0].ID != "a->c" || got.GoneEdges[1].ID != "b->c" {
		t.Errorf("gone edges %+v, want a->c and b->c", got.GoneEdges)
	}
	if got.Empty() {
		t.Error("changes with gone elements are empty")
	}
	if g := DetectChanges(cur, cur); !g.Empty() {
		t.Errorf("no change: %+v", g)
	}
}
