package app

import (
	"slices"

	"github.com/spanmap/spanmap/graph"
)

// geoCache keeps the SVG path data of edges and node shapes between draws,
// so that a live update, which mostly changes figures, formats the path of
// only the edges that moved, and the descriptions of the elements, so that
// only changed elements are described anew. A nil *geoCache computes
// everything.
type geoCache struct {
	edges, nextEdges   map[string]edgeGeo
	shapes, nextShapes map[shapeKey]shapeGeo
	// descriptions of edges, nodes and labels
	edgeDesc  descCache[edgeIn]
	nodeDesc  descCache[nodeIn]
	labelDesc descCache[labelIn]
}

// edgeGeo is the drawn path of one edge and what it was computed from.
type edgeGeo struct {
	path     []graph.Point
	from, to endGeo
	d        string
	at       graph.Point
}

// endGeo is what an edge drawn without a laid-out path takes from one of
// its nodes.
type endGeo struct {
	id, name string
	kind     graph.NodeKind
	placed   bool
	pos      graph.Point
	w, h     float64
}

func endOf(n graph.Node) endGeo {
	g := endGeo{id: n.ID, name: n.Name, kind: n.Kind, w: n.Width, h: n.Height}
	if n.Pos != nil {
		g.placed, g.pos = true, *n.Pos
	}
	return g
}

type shapeKey struct {
	kind graph.NodeKind
	w, h float64
}

type shapeGeo struct{ outline, detail string }

// edgePath is EdgePath, from the cache when e's path (or, for an edge
// without one, its nodes) did not change.
func (c *geoCache) edgePath(e graph.Edge, from, to graph.Node) (string, graph.Point) {
	if c == nil {
		return EdgePath(e, from, to)
	}
	if c.nextEdges == nil {
		c.nextEdges = make(map[string]edgeGeo, len(c.edges))
	}
	if g, ok := c.nextEdges[e.ID]; ok {
		return g.d, g.at
	}
	var fe, te endGeo
	if len(e.Path) < 2 { // drawn between the nodes' outlines
		fe, te = endOf(from), endOf(to)
	}
	g, ok := c.edges[e.ID]
	if !ok || g.from != fe || g.to != te || !samePoints(g.path, e.Path) {
		g = edgeGeo{path: e.Path, from: fe, to: te}
		g.d, g.at = EdgePath(e, from, to)
	}
	c.nextEdges[e.ID] = g
	return g.d, g.at
}

// samePoints reports whether a and b hold the same points, quickly when
// they share their array (an edge whose path a diff did not resend).
func samePoints(a, b []graph.Point) bool {
	if len(a) != len(b) {
		return false
	}
	if len(a) == 0 || &a[0] == &b[0] {
		return true
	}
	return slices.Equal(a, b)
}

// nodeShape is NodeShape, from the cache when a node of the same kind and
// size was drawn before.
func (c *geoCache) nodeShape(k graph.NodeKind, w, h float64) (outline, detail string) {
	if c == nil {
		return NodeShape(k, w, h)
	}
	if c.nextShapes == nil {
		c.nextShapes = map[shapeKey]shapeGeo{}
	}
	key := shapeKey{k, w, h}
	if s, ok := c.nextShapes[key]; ok {
		return s.outline, s.detail
	}
	s, ok := c.shapes[key]
	if !ok {
		s.outline, s.detail = NodeShape(k, w, h)
	}
	c.nextShapes[key] = s
	return s.outline, s.detail
}

// done ends a draw: what it did not use is forgotten.
func (c *geoCache) done() {
	if c == nil {
		return
	}
	c.edges, c.nextEdges = c.nextEdges, nil
	c.shapes, c.nextShapes = c.nextShapes, nil
	c.edgeDesc.done()
	c.nodeDesc.done()
	c.labelDesc.done()
}

// descCache keeps the element descriptions of the last draw, keyed by
// element, with what they were made from: an element whose inputs are
// the same reuses its description, which the reconciler then recognises
// as unchanged without comparing it field by field.
type descCache[K comparable] struct {
	last, next map[string]cachedDesc[K]
}

type cachedDesc[K comparable] struct {
	in K
	el velem
}

// get returns the description of id made from in, and whether there was
// one. A nil cache has none.
func (c *descCache[K]) get(id string, in K) (velem, bool) {
	if c == nil {
		return velem{}, false
	}
	if d, ok := c.last[id]; ok && d.in == in {
		c.put(id, in, d.el)
		return d.el, true
	}
	return velem{}, false
}

// put records the description of id made from in for the next draw.
func (c *descCache[K]) put(id string, in K, el velem) {
	if c == nil {
		return
	}
	if c.next == nil {
		c.next = make(map[string]cachedDesc[K], len(c.last))
	}
	c.next[id] = cachedDesc[K]{in: in, el: el}
}

// done ends a draw: what it did not use is forgotten.
func (c *descCache[K]) done() { c.last, c.next = c.next, nil }

// edgeIn is what an edge's description is made from.
type edgeIn struct {
	id, op, path               string
	fromID, fromLabel, toLabel string
	kind                       graph.EdgeKind
	health                     graph.Health
	rate, errRate, p50         float64
	p99                        float64
	hl                         string
	selected, near             bool
}

// nodeIn is what a node's description is made from.
type nodeIn struct {
	id, name, namespace string
	kind                graph.NodeKind
	health              graph.Health
	pos                 graph.Point
	w, h                float64
	calls               int64
	rate, errRate, p99  float64
	hl                  string
	selected, near      bool
	collapsible         bool
}

// labelIn is what an edge label is made from.
type labelIn struct {
	text   string
	at     graph.Point
	health graph.Health
	near   bool
}
