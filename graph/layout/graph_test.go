package layout

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"

	"github.com/spanmap/spanmap/graph"
)

// randomSnapshot returns a connected random service graph with n nodes and
// about m edges: a random spanning tree from earlier to later nodes plus
// random extra calls in the same direction. Kinds are mostly services, with
// databases, queues and external APIs mixed in. The same seed gives the same
// graph.
func randomSnapshot(seed uint64, n, m int) graph.Snapshot {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	s := graph.Snapshot{Nodes: make([]graph.Node, n)}
	for i := range s.Nodes {
		kind := graph.NodeService
		switch x := r.IntN(20); {
		case i == 0:
			kind = graph.NodeUser
		case x < 2:
			kind = graph.NodeDatabase
		case x < 3:
			kind = graph.NodeMessaging
		case x < 4:
			kind = graph.NodeExternal
		}
		s.Nodes[i] = graph.Node{ID: fmt.Sprintf("svc-%04d", i), Name: fmt.Sprintf("service-%d", i), Kind: kind}
	}
	seen := map[[2]int]bool{}
	add := func(a, b int) {
		if a == b || seen[[2]int{a, b}] {
			return
		}
		seen[[2]int{a, b}] = true
		s.Edges = append(s.Edges, graph.Edge{
			ID: graph.EdgeID(s.Nodes[a].ID, s.Nodes[b].ID, ""), From: s.Nodes[a].ID, To: s.Nodes[b].ID, Kind: graph.EdgeRPC,
			Stats: graph.Stats{Calls: int64(r.IntN(1000)), Rate: r.Float64() * 100},
		})
	}
	for i := 1; i < n; i++ {
		add(r.IntN(i), i)
	}
	for tries := 0; len(s.Edges) < m && tries < 20*m; tries++ {
		a, b := r.IntN(n), r.IntN(n)
		if a > b {
			a, b = b, a
		}
		add(a, b)
	}
	sortSnapshot(&s)
	return s
}

// addRandomEdge adds one new edge between existing nodes, chosen by seed.
func addRandomEdge(s *graph.Snapshot, seed uint64) graph.Edge {
	r := rand.New(rand.NewPCG(seed, 7))
	have := map[string]bool{}
	for _, e := range s.Edges {
		have[e.ID] = true
	}
	for {
		a, b := r.IntN(len(s.Nodes)), r.IntN(len(s.Nodes))
		if a == b {
			continue
		}
		from, to := s.Nodes[a].ID, s.Nodes[b].ID
		if id := graph.EdgeID(from, to, ""); !have[id] {
			e := graph.Edge{ID: id, From: from, To: to, Kind: graph.EdgeRPC}
			s.Edges = append(s.Edges, e)
			sortSnapshot(s)
			return e
		}
	}
}

func sortSnapshot(s *graph.Snapshot) {
	sort.Slice(s.Nodes, func(i, j int) bool { return s.Nodes[i].ID < s.Nodes[j].ID })
	sort.Slice(s.Edges, func(i, j int) bool { return s.Edges[i].ID < s.Edges[j].ID })
}

// clone copies s deeply enough that laying out the copy leaves s alone.
func clone(s graph.Snapshot) graph.Snapshot {
	c := s
	c.Nodes = append([]graph.Node(nil), s.Nodes...)
	c.Edges = append([]graph.Edge(nil), s.Edges...)
	return c
}

// overlaps counts pairs of nodes whose boxes intersect.
func overlaps(s *graph.Snapshot) int {
	c := 0
	for i := range s.Nodes {
		for j := i + 1; j < len(s.Nodes); j++ {
			a, b := s.Nodes[i], s.Nodes[j]
			if a.Pos == nil || b.Pos == nil {
				continue
			}
			if math.Abs(a.Pos.X-b.Pos.X) < (a.Width+b.Width)/2 && math.Abs(a.Pos.Y-b.Pos.Y) < (a.Height+b.Height)/2 {
				c++
			}
		}
	}
	return c
}
