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

// descCache keeps the element descriptions of the last draw, keyed by
// element, with what they were made from: an element whose inputs are
// the same reuses its description, which the reconciler then recognises
// as unchanged without comparing it field by field.
type descCache[K comparable] struct {
	gen  uint32
	m    map[string]*cachedDesc[K]
	used int // entries the current draw used
}

type cachedDesc[K comparable] struct {
	in  K
	el  velem
	gen uint32
}

func (c *descCache[K]) begin(gen uint32) {
	c.gen, c.used = gen, 0
	if c.m == nil {
		c.m = map[string]*cachedDesc[K]{}
	}
}

// get returns the description of id made from in, and whether there was
// one. A nil cache has none.
func (c *descCache[K]) get(id string, in K) (velem, bool) {
	if c == nil || c.m == nil {
		return velem{}, false
	}
	if d := c.m[id]; d != nil && d.in == in {
		c.use(d)
		return d.el, true
	}
	return velem{}, false
}

// put records the description of id made from in.
func (c *descCache[K]) put(id string, in K, el velem) {
	if c == nil || c.m == nil {
		return
	}
	d := c.m[id]
	if d == nil {
		d = &cachedDesc[K]{}
		c.m[id] = d
	}
	d.in, d.el = in, el
	c.use(d)
}

// use marks d as used by the current draw.
func (c *descCache[K]) use(d *cachedDesc[K]) {
	if d.gen != c.gen {
		d.gen = c.gen
		c.used++
	}
}

// done drops what the draw did not use.
func (c *descCache[K]) done() {
	if c.used == len(c.m) {
		return
	}
	for k, d := range c.m {
		if d.gen != c.gen {
			delete(c.m, k)
		}
	}
}

// edgeIn is what an edge's description is made from.
type edgeIn struct {
	id, op, path               string
	fromID, fromLabel, toLabel string
	kind                       graph.EdgeKind
	health                     graph.Health
	width                      float64
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
	rate, errRate       float64
	hl                  string
	selected, near      bool
	collapsible         bool
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
