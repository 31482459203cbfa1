package app

import (
	"slices"

	"github.com/spanmap/spanmap/graph"
)

// geoCache keeps the SVG path data of edges and node shapes between draws,
// so that a live update, which mostly changes figures, formats the path of
// only the edges that moved, and the descriptions of the elements, so that
// only changed elements are described anew. Entries are updated in place
// and the ones a draw did not use are dropped at its end, so a draw
// allocates little (garbage collection is slow in the browser). A nil
// *geoCache computes everything.
type geoCache struct {
	gen    uint32 // the current draw
	shapes map[shapeKey]*shapeGeo
	// what is kept per edge and per node, found by position while the
	// lists keep their IDs (slots)
	edges slots[edgeEntry]
	nodes slots[nodeEntry]
	// layers are the lists of the last draw, reused by the next
	layers [len(layerClasses)][]keyed
}

// edgeEntry is what is kept of one edge between draws: its path, its
// description and its label's, and where its nodes were in the drawing's
// node list.
type edgeEntry struct {
	geo   edgeGeo
	desc  memo[edgeIn]
	label memo[labelIn]
	// from and to index the nodes of the draw whose node list had the
	// layout count ends.
	from, to int
	ends     uint32
}

// nodeEntry is what is kept of one node between draws.
type nodeEntry struct {
	desc  memo[nodeIn]
	parts *nodeParts
}

// edgeGeo is the drawn path of one edge and what it was computed from.
type edgeGeo struct {
	path     []graph.Point
	from, to endGeo
	d        string
	at       graph.Point
	ok       bool
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

func endOf(n *graph.Node) endGeo {
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

type shapeGeo struct {
	outline, detail string
	gen             uint32
}

// begin starts a draw.
func (c *geoCache) begin() {
	if c == nil {
		return
	}
	c.gen++
	if c.shapes == nil {
		c.shapes = map[shapeKey]*shapeGeo{}
	}
}

// edgePath is EdgePath, from g when e's path (or, for an edge without
// one, its nodes) did not change since g was computed. A nil g computes it.
func edgePath(g *edgeGeo, e *graph.Edge, from, to *graph.Node) (string, graph.Point) {
	if g == nil {
		return EdgePath(*e, *from, *to)
	}
	var fe, te endGeo
	if len(e.Path) < 2 { // drawn between the nodes' outlines
		fe, te = endOf(from), endOf(to)
	}
	if !g.ok || g.from != fe || g.to != te || !samePoints(g.path, e.Path) {
		g.path, g.from, g.to, g.ok = e.Path, fe, te, true
		g.d, g.at = EdgePath(*e, *from, *to)
	}
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
	if c == nil || c.shapes == nil {
		return NodeShape(k, w, h)
	}
	key := shapeKey{k, w, h}
	s := c.shapes[key]
	if s == nil {
		s = &shapeGeo{}
		s.outline, s.detail = NodeShape(k, w, h)
		c.shapes[key] = s
	}
	s.gen = c.gen
	return s.outline, s.detail
}

// done ends a draw: what it did not use is forgotten.
func (c *geoCache) done() {
	if c == nil {
		return
	}
	for k, s := range c.shapes {
		if s.gen != c.gen {
			delete(c.shapes, k)
		}
	}
	c.edges.done()
	c.nodes.done()
}

// edgeIn is what an edge's description is made from.
type edgeIn struct {
	id, op, path               string
	fromID, fromLabel, toLabel string
	kind                       graph.EdgeKind
	health                     graph.Health
	width                      float64
	hl                         string
	selected, near, minor      bool
	stale                      bool
}

func (a edgeIn) same(b edgeIn) bool {
	return sameStr(a.id, b.id) && sameStr(a.op, b.op) && sameStr(a.path, b.path) &&
		sameStr(a.fromID, b.fromID) && sameStr(a.fromLabel, b.fromLabel) && sameStr(a.toLabel, b.toLabel) &&
		sameStr(a.kind, b.kind) && sameStr(a.health, b.health) && a.width == b.width &&
		sameStr(a.hl, b.hl) && a.selected == b.selected && a.near == b.near && a.minor == b.minor &&
		a.stale == b.stale
}

// nodeIn is what a node's description is made from.
type nodeIn struct {
	id, name, namespace string
	kind                graph.NodeKind
	health              graph.Health
	pos                 graph.Point
	w, h                float64
	calls               int64
	rate, errRate       float64
	hl                  string
	selected, near      bool
	collapsible         bool
	stale               bool
}

func (a nodeIn) same(b nodeIn) bool {
	return sameStr(a.id, b.id) && sameStr(a.name, b.name) && sameStr(a.namespace, b.namespace) &&
		sameStr(a.kind, b.kind) && sameStr(a.health, b.health) && a.pos == b.pos && a.w == b.w && a.h == b.h &&
		a.calls == b.calls && a.rate == b.rate && a.errRate == b.errRate && sameStr(a.hl, b.hl) &&
		a.selected == b.selected && a.near == b.near && a.collapsible == b.collapsible && a.stale == b.stale
}

// labelIn is what an edge label is made from: the figure shown, not its
// text, so that a label whose figure did not change is not formatted.
type labelIn struct {
	mode   LabelMode
	figure float64
	at     graph.Point
	health graph.Health
	near   bool
}

func (a labelIn) same(b labelIn) bool {
	return sameStr(a.mode, b.mode) && a.figure == b.figure && a.at == b.at && sameStr(a.health, b.health) && a.near == b.near
}
