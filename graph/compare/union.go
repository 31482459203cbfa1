package compare

import (
	"slices"
	"strings"

	"github.com/spanmap/spanmap/graph"
)

// Union returns every node and edge of a and b, with b's figures where an
// element is in b and a's otherwise, sorted by ID, so a drawing of the
// union shows what went away next to what is there now. Its View, From and
// To are b's and its layout fields are cleared. a and b are not changed.
func Union(a, b graph.Snapshot) graph.Snapshot {
	out := graph.Snapshot{View: b.View, From: b.From, To: b.To}
	inB := make(map[string]bool, len(b.Nodes))
	for _, n := range b.Nodes {
		inB[n.ID] = true
	}
	out.Nodes = slices.Clone(b.Nodes)
	for _, n := range a.Nodes {
		if !inB[n.ID] {
			out.Nodes = append(out.Nodes, n)
		}
	}
	clear(inB)
	for _, e := range b.Edges {
		inB[e.ID] = true
	}
	out.Edges = slices.Clone(b.Edges)
	for _, e := range a.Edges {
		if !inB[e.ID] {
			out.Edges = append(out.Edges, e)
		}
	}
	if out.Nodes == nil {
		out.Nodes = []graph.Node{}
	}
	if out.Edges == nil {
		out.Edges = []graph.Edge{}
	}
	for i := range out.Nodes {
		out.Nodes[i].Pos, out.Nodes[i].Width, out.Nodes[i].Height = nil, 0, 0
	}
	for i := range out.Edges {
		out.Edges[i].Path = nil
	}
	slices.SortFunc(out.Nodes, func(x, y graph.Node) int { return strings.Compare(x.ID, y.ID) })
	slices.SortFunc(out.Edges, func(x, y graph.Edge) int { return strings.Compare(x.ID, y.ID) })
	return out
}
