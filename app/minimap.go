package app

import (
	"math"
	"slices"
	"strconv"
	"strings"

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
func (c *mapCanvas) renderMinimap() app.UI {
	bounds := SnapshotBounds(c.Snapshot)
	if !ShowMinimap(len(c.Snapshot.Nodes), c.vp, c.width, c.height, bounds) {
		return app.Text("")
	}
	scale, ox, oy := MinimapScale(bounds, minimapW, minimapH)
	var b strings.Builder
	b.WriteString(`<svg class="minimap-svg" width="180" height="120" viewBox="0 0 180 120">`)
	b.WriteString(c.mini.dots(c.Snapshot.Nodes, bounds, scale, ox, oy))
	v := MinimapView(c.vp, c.width, c.height, bounds, scale, ox, oy)
	b.WriteString(`<rect class="mini-view" x="` + fmtNum(v.X) + `" y="` + fmtNum(v.Y) + `" width="` + fmtNum(math.Max(v.W, 1)) + `" height="` + fmtNum(math.Max(v.H, 1)) + `"/></svg>`)
	return app.Div().Class("minimap").Title("overview: click to move there").
		On("pointerdown", c.onMinimap).
		Body(app.Raw(b.String()))
}

// minimapDots keeps the overview's node markup between renders: a live
// update moves few nodes and changes the health of few, so only their dots
// are written anew.
type minimapDots struct {
	scale, ox, oy float64
	bounds        Rect
	dot           []minimapDot // by node index
	markup        string
}

// minimapDot is the markup of one node's dot (empty for a node without a
// position) and what it was made from.
type minimapDot struct {
	placed bool
	pos    graph.Point
	health graph.Health
	markup string
}

// dots returns the dots of nodes (those with a position) at the given
// scale and offset.
func (m *minimapDots) dots(nodes []graph.Node, bounds Rect, scale, ox, oy float64) string {
	changed := m.dot == nil || len(m.dot) != len(nodes)
	if m.bounds != bounds || m.scale != scale || m.ox != ox || m.oy != oy {
		*m = minimapDots{bounds: bounds, scale: scale, ox: ox, oy: oy}
		changed = true
	}
	if len(m.dot) != len(nodes) {
		m.dot = slices.Grow(m.dot[:0], len(nodes))[:len(nodes)]
		clear(m.dot)
	}
	for i := range nodes {
		n, d := &nodes[i], &m.dot[i]
		switch {
		case n.Pos == nil:
			if d.placed || d.markup != "" {
				*d = minimapDot{}
				changed = true
			}
		case !d.placed || d.pos != *n.Pos || d.health != n.Health:
			x := ox + (n.Pos.X-bounds.X)*scale
			y := oy + (n.Pos.Y-bounds.Y)*scale
			*d = minimapDot{placed: true, pos: *n.Pos, health: n.Health, markup: `<circle class="mini-node ` +
				HealthStyleOf(n.Health).Class + `" r="2" cx="` + strconv.FormatFloat(x, 'f', 1, 64) +
				`" cy="` + strconv.FormatFloat(y, 'f', 1, 64) + `"/>`}
			changed = true
		}
	}
	if !changed {
		return m.markup
	}
	var b strings.Builder
	for i := range m.dot {
		b.WriteString(m.dot[i].markup)
	}
	m.markup = b.String()
	return m.markup
}

// onMinimap recentres the map on the clicked point of the overview.
func (c *mapCanvas) onMinimap(ctx app.Context, e app.Event) {
	e.StopImmediatePropagation()
	bounds := SnapshotBounds(c.Snapshot)
	scale, ox, oy := MinimapScale(bounds, minimapW, minimapH)
	if scale <= 0 {
		return
	}
	p := MinimapToMap(e.Get("offsetX").Float(), e.Get("offsetY").Float(), bounds, scale, ox, oy)
	c.vp = c.vp.CenterOn(p, c.width, c.height)
}
