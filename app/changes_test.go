package app

import (
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
