package app

import (
	"math"
	"strconv"
	"unsafe"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
	"github.com/spanmap/spanmap/graph"
)

// Minimap size in pixels, and the node count from which it is shown even
// when the whole map fits on screen.
const (
	minimapW     = 180.0
	minimapH     = 120.0
	minimapNodes = 40
)

// MinimapScale is the scale that fits bounds into a w x h minimap, and the
// offset that centres it.
func MinimapScale(bounds Rect, w, h float64) (scale, ox, oy float64) {
	if bounds.Empty() {
		return 0, 0, 0
	}
	scale = math.Min(w/bounds.W, h/bounds.H)
	ox = (w - bounds.W*scale) / 2
	oy = (h - bounds.H*scale) / 2
	return scale, ox, oy
}

// MinimapView is the part of the map a screen of sw x sh pixels shows at
// viewport vp, in minimap pixels (the rectangle drawn on the minimap).
func MinimapView(vp Viewport, sw, sh float64, bounds Rect, scale, ox, oy float64) Rect {
	tl, br := vp.ToMap(0, 0), vp.ToMap(sw, sh)
	return Rect{
		X: ox + (tl.X-bounds.X)*scale, Y: oy + (tl.Y-bounds.Y)*scale,
		W: (br.X - tl.X) * scale, H: (br.Y - tl.Y) * scale,
	}
}

// MinimapToMap converts a point on the minimap to map points.
func MinimapToMap(mx, my float64, bounds Rect, scale, ox, oy float64) graph.Point {
	return graph.Point{X: bounds.X + (mx-ox)/scale, Y: bounds.Y + (my-oy)/scale}
}

// ShowMinimap reports whether the overview helps: a big map, or one that
// does not fit the screen at the current zoom.
func ShowMinimap(nodes int, vp Viewport, sw, sh float64, bounds Rect) bool {
	if bounds.Empty() || sw <= 0 || sh <= 0 {
		return false
	}
	if nodes >= minimapNodes {
		return true
	}
	tl, br := vp.ToMap(0, 0), vp.ToMap(sw, sh)
	return bounds.X < tl.X || bounds.Y < tl.Y || bounds.X+bounds.W > br.X || bounds.Y+bounds.H > br.Y
}

// renderMinimap draws the overview: every node as a dot in its health
// colour and the visible area as a rectangle; a click recentres the map.
// The dots are drawn into the empty <g> by drawMinimap after the render,
// as the layers are, so that a live update rewrites only the dots of the
// nodes that moved or changed health.
func (c *mapCanvas) renderMinimap() app.UI {
	bounds := c.bounds()
	if !ShowMinimap(len(c.Snapshot.Nodes), c.vp, c.width, c.height, bounds) {
		return app.Text("")
	}
	scale, ox, oy := MinimapScale(bounds, minimapW, minimapH)
	var dots []app.UI
	if c.inTree {
		for _, k := range minimapDotsOf(c.Snapshot.Nodes, bounds, scale, ox, oy, nil) {
			dots = append(dots, k.El.ui())
		}
	}
	v := MinimapView(c.vp, c.width, c.height, bounds, scale, ox, oy)
	return app.Div().Class("minimap").Title("overview: click to move there").
		On("pointerdown", c.onMinimap).
		Body(svgElem("svg").Class("minimap-svg").
			Attr("width", "180").Attr("height", "120").Attr("viewBox", "0 0 180 120").Body(
			svgElem("g").Class(miniDotsClass).Body(dots...),
			svgElem("rect").Class("mini-view").
				Attr("x", fmtNum(v.X)).Attr("y", fmtNum(v.Y)).
				Attr("width", fmtNum(math.Max(v.W, 1))).Attr("height", fmtNum(math.Max(v.H, 1))),
		))
}

// bounds is SnapshotBounds of the snapshot shown, computed anew only when
// the geometry changed: edge paths make it tens of thousands of points.
func (c *mapCanvas) bounds() Rect {
	key := c.snapshotKey()
	if c.geom.ok && c.geom.key == key {
		return c.geom.rect
	}
	if !c.geom.ok || !c.geom.same(c.Snapshot) {
		c.geom.remember(c.Snapshot)
		c.geom.rect = SnapshotBounds(c.Snapshot)
	}
	c.geom.key, c.geom.ok = key, true
	return c.geom.rect
}

// geomKey is what SnapshotBounds reads of a snapshot, by identity: a live
// diff that changes figures keeps the position pointers and path arrays
// of the snapshot before it, so comparing them is enough to know that the
// bounds did not change.
type geomKey struct {
	key   drawKey
	rect  Rect
	ok    bool
	nodes []nodeGeom
	paths []pathGeom
}

type nodeGeom struct {
	pos  *graph.Point
	w, h float64
	kind graph.NodeKind
	name string
}

type pathGeom struct {
	data *graph.Point
	n    int
}

func nodeGeomOf(n *graph.Node) nodeGeom {
	return nodeGeom{pos: n.Pos, w: n.Width, h: n.Height, kind: n.Kind, name: n.Name}
}

// same reports whether s has the geometry remembered.
func (g *geomKey) same(s graph.Snapshot) bool {
	if len(s.Nodes) != len(g.nodes) || len(s.Edges) != len(g.paths) {
		return false
	}
	for i := range s.Nodes {
		if nodeGeomOf(&s.Nodes[i]) != g.nodes[i] {
			return false
		}
	}
	for i := range s.Edges {
		p := s.Edges[i].Path
		if (pathGeom{unsafe.SliceData(p), len(p)}) != g.paths[i] {
			return false
		}
	}
	return true
}

// remember records the geometry of s.
func (g *geomKey) remember(s graph.Snapshot) {
	g.nodes = g.nodes[:0]
	for i := range s.Nodes {
		g.nodes = append(g.nodes, nodeGeomOf(&s.Nodes[i]))
	}
	g.paths = g.paths[:0]
	for i := range s.Edges {
		p := s.Edges[i].Path
		g.paths = append(g.paths, pathGeom{unsafe.SliceData(p), len(p)})
	}
}

// miniDotsClass is the class of the minimap's <g> of node dots.
const miniDotsClass = "mini-dots"

// miniDotIn is what a node's minimap dot is made from.
type miniDotIn struct {
	pos           graph.Point
	health        graph.Health
	scale, ox, oy float64
	bounds        Rect
}

func (a miniDotIn) same(b miniDotIn) bool {
	return a.pos == b.pos && sameStr(a.health, b.health) && a.scale == b.scale && a.ox == b.ox && a.oy == b.oy && a.bounds == b.bounds
}

// minimapDotsOf returns the dots of the nodes that have a position, keyed
// by node ID, reusing the descriptions kept in cache (which may be nil) of
// the dots whose node neither moved nor changed health.
func minimapDotsOf(nodes []graph.Node, bounds Rect, scale, ox, oy float64, cache *slots[memo[miniDotIn]]) []keyed {
	if cache != nil {
		cache.begin(len(nodes), func(i int) string { return nodes[i].ID })
		defer cache.done()
	}
	out := make([]keyed, 0, len(nodes))
	for i := range nodes {
		n := &nodes[i]
		var m *memo[miniDotIn]
		if cache != nil {
			m = cache.at(i, n.ID)
		}
		if n.Pos == nil {
			continue
		}
		in := miniDotIn{pos: *n.Pos, health: n.Health, scale: scale, ox: ox, oy: oy, bounds: bounds}
		v, ok := m.get(in)
		if !ok {
			v = elem("circle", attr("class", "mini-node "+HealthStyleOf(n.Health).Class), attr("r", "2"),
				attr("cx", strconv.FormatFloat(ox+(n.Pos.X-bounds.X)*scale, 'f', 1, 64)),
				attr("cy", strconv.FormatFloat(oy+(n.Pos.Y-bounds.Y)*scale, 'f', 1, 64)))
			m.put(in, v)
		}
		out = append(out, keyed{Key: n.ID, El: v})
	}
	return out
}

// onMinimap recentres the map on the clicked point of the overview.
func (c *mapCanvas) onMinimap(ctx app.Context, e app.Event) {
	e.StopImmediatePropagation()
	bounds := c.bounds()
	scale, ox, oy := MinimapScale(bounds, minimapW, minimapH)
	if scale <= 0 {
		return
	}
	p := MinimapToMap(e.Get("offsetX").Float(), e.Get("offsetY").Float(), bounds, scale, ox, oy)
	c.vp = c.vp.CenterOn(p, c.width, c.height)
}
