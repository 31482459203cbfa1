package app

import (
	"testing"

	"github.com/spanmap/spanmap/graph"
)

func TestSearch_Nodes_ranking(t *testing.T) {
	nodes := []graph.Node{
		{ID: "cart", Name: "cart", Namespace: "shop", Stats: graph.Stats{Rate: 5}},
		{ID: "cart-db", Name: "cart-db", Kind: graph.NodeDatabase, Stats: graph.Stats{Rate: 50}},
		{ID: "shop-cartography", Name: "shop-cartography"},
		{ID: "checkout", Name: "checkout", Namespace: "cartel"},
		{ID: "scarter", Name: "scarter", Stats: graph.Stats{Rate: 1}},
		{ID: "cart-group", Name: "cart", Kind: graph.NodeGroup},
		{ID: "payments", Name: "payments"},
	}
	tests := []struct {
		name  string
		query string
		limit int
		want  []string
	}{
		{"exact then prefix then word then substring then namespace", "Cart", 0,
			[]string{"cart", "cart-db", "shop-cartography", "scarter", "checkout"}},
		{"limit", "cart", 2, []string{"cart", "cart-db"}},
		{"blank", "  ", 0, nil},
		{"no match", "zzz", 0, nil},
		{"prefix ties by traffic", "c", 0, []string{"cart-db", "cart", "checkout", "shop-cartography", "scarter"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := SearchNodes(nodes, tt.query, tt.limit)
			var ids []string
			for _, n := range got {
				ids = append(ids, n.ID)
			}
			if len(ids) != len(tt.want) {
				t.Fatalf("SearchNodes(%q) = %v, want %v", tt.query, ids, tt.want)
			}
			for i := range ids {
				if ids[i] != tt.want[i] {
					t.Fatalf("SearchNodes(%q) = %v, want %v", tt.query, ids, tt.want)
				}
			}
		})
	}
}

func TestSearch_MoveIndex_wraps(t *testing.T) {
	tests := []struct {
		name          string
		cur, delta, n int
		want          int
	}{
		{"down from none", -1, 1, 3, 0},
		{"up from none", -1, -1, 3, 2},
		{"down", 0, 1, 3, 1},
		{"wrap down", 2, 1, 3, 0},
		{"wrap up", 0, -1, 3, 2},
		{"empty", 0, 1, 0, -1},
		{"stale cursor", 7, 1, 3, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := MoveIndex(tt.cur, tt.delta, tt.n); got != tt.want {
				t.Errorf("MoveIndex(%d,%d,%d) = %d, want %d", tt.cur, tt.delta, tt.n, got, tt.want)
			}
		})
	}
}
