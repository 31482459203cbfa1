package hub

import (
	"slices"

	"github.com/spanmap/spanmap/graph"
)

// nodePlace is where a layout put one node.
type nodePlace struct {
	pos           *graph.Point
	width, height float64
}

// placement is the result of one layout: the topology it placed and where
// everything went. It never changes once built, so ticks and layout jobs
// share it freely.
//
// A View publishes only what its latest placement covers: metric changes
// and removals stream at once, while nodes and edges the layout has not
// placed yet are held back until the layout that places them lands. Every
// published node therefore has its final position and nothing moves except
// when a layout lands.
type placement struct {
	key   uint64 // topology key of the laid-out snapshot
	all   bool   // publish unplaced nodes and edges too (no layouter, or it failed)
	nodes map[string]nodePlace
	edges map[string][]graph.Point
	// width and height are the drawing's bounding box.
	width, height float64
}

// newPlacement records the positions of a laid-out snapshot.
func newPlacement(key uint64, s *graph.Snapshot) *placement {
	p := &placement{
		key:    key,
		nodes:  make(map[string]nodePlace, len(s.Nodes)),
		edges:  make(map[string][]graph.Point, len(s.Edges)),
		width:  s.Width,
		height: s.Height,
	}
	for _, n := range s.Nodes {
		np := nodePlace{width: n.Width, height: n.Height}
		if n.Pos != nil {
			pos := *n.Pos
			np.pos = &pos
		}
		p.nodes[n.ID] = np
	}
	for _, e := range s.Edges {
		p.edges[e.ID] = slices.Clone(e.Path)
	}
	return p
}

// unplaced is the placement used when there is no layout for key: every node
// and edge is published, those placed before keep their positions.
func (p *placement) unplaced(key uint64) *placement {
	out := &placement{key: key, all: true}
	if p != nil {
		out.nodes, out.edges, out.width, out.height = p.nodes, p.edges, p.width, p.height
	}
	return out
}

// positions returns the node positions, for layout stability.
func (p *placement) positions() map[string]graph.Point {
	if p == nil {
		return nil
	}
	out := make(map[string]graph.Point, len(p.nodes))
	for id, np := range p.nodes {
		if np.pos != nil {
			out[id] = *np.pos
		}
	}
	return out
}

// paths returns the edge paths, for layout stability.
func (p *placement) paths() map[string][]graph.Point {
	if p == nil {
		return nil
	}
	return p.edges
}

// place returns s with the placement's positions, keeping only the nodes and
// edges it covers (all of them when p.all). s is not changed.
func (p *placement) place(s graph.Snapshot) graph.Snapshot {
	out := s
	out.Width, out.Height = p.width, p.height
	out.Nodes = make([]graph.Node, 0, len(s.Nodes))
	shown := make(map[string]bool, len(s.Nodes))
	for _, n := range s.Nodes {
		np, ok := p.nodes[n.ID]
		if !ok && !p.all {
			continue
		}
		n.Pos, n.Width, n.Height = np.pos, np.width, np.height
		out.Nodes = append(out.Nodes, n)
		shown[n.ID] = true
	}
	out.Edges = make([]graph.Edge, 0, len(s.Edges))
	for _, e := range s.Edges {
		path, ok := p.edges[e.ID]
		if (!ok && !p.all) || !shown[e.From] || !shown[e.To] {
			continue
		}
		e.Path = path
		out.Edges = append(out.Edges, e)
	}
	return out
}

// layoutInput returns a copy of s that a layouter may change freely.
func layoutInput(s graph.Snapshot) graph.Snapshot {
	in := s
	in.Nodes = slices.Clone(s.Nodes)
	in.Edges = slices.Clone(s.Edges)
	for i := range in.Nodes {
		in.Nodes[i].Pos = nil
	}
	for i := range in.Edges {
		in.Edges[i].Path = nil
	}
	return in
}
