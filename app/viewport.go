package app

import (
	"math"
	"strconv"

	"github.com/spanmap/spanmap/graph"
)

// Zoom limits and thresholds.
const (
	// MinZoom is the smallest scale the map can be zoomed out to.
	MinZoom = 0.05
	// MaxZoom is the largest scale the map can be zoomed in to.
	MaxZoom = 4.0
	// MaxFitZoom caps zoom-to-fit so a tiny graph is not blown up.
	MaxFitZoom = 1.5
	// LabelZoom is the scale below which labels are hidden.
	LabelZoom = 0.55
	// ZoomStep is the factor of one zoom button press.
	ZoomStep = 1.25
	// FitPadding is the screen margin, in pixels, kept around a fitted map.
	FitPadding = 32.0
)

// Rect is an axis-aligned rectangle in map points, origin top-left.
type Rect struct {
	X, Y, W, H float64
}

// Empty reports whether r has no area.
func (r Rect) Empty() bool { return r.W <= 0 || r.H <= 0 }

// Center returns the centre point of r.
func (r Rect) Center() graph.Point { return graph.Point{X: r.X + r.W/2, Y: r.Y + r.H/2} }

// boundsAcc accumulates a bounding box.
type boundsAcc struct {
	x0, y0, x1, y1 float64
	ok             bool
}

// add grows the box to include the rectangle (x0,y0)-(x1,y1).
func (b *boundsAcc) add(x0, y0, x1, y1 float64) {
	if !b.ok {
		*b = boundsAcc{x0: x0, y0: y0, x1: x1, y1: y1, ok: true}
		return
	}
	// Plain comparisons: math.Min and Max handle NaN and signed zeros,
	// which a layout's coordinates never are, at several times the cost.
	if x0 < b.x0 {
		b.x0 = x0
	}
	if y0 < b.y0 {
		b.y0 = y0
	}
	if x1 > b.x1 {
		b.x1 = x1
	}
	if y1 > b.y1 {
		b.y1 = y1
	}
}

// rect returns the accumulated box, the zero Rect when nothing was added.
func (b boundsAcc) rect() Rect {
	if !b.ok {
		return Rect{}
	}
	return Rect{X: b.x0, Y: b.y0, W: b.x1 - b.x0, H: b.y1 - b.y0}
}

// Viewport maps map points to screen pixels: screen = point*K + (X, Y).
type Viewport struct {
	X, Y float64
	K    float64
}

// IdentityViewport is scale 1 with no translation.
func IdentityViewport() Viewport { return Viewport{K: 1} }

// Transform is the SVG transform attribute of the viewport.
func (v Viewport) Transform() string {
	return "translate(" + fmtNum(v.X) + "," + fmtNum(v.Y) + ") scale(" + strconv.FormatFloat(v.K, 'f', 4, 64) + ")"
}

// ToMap converts a screen position to map points.
func (v Viewport) ToMap(sx, sy float64) graph.Point {
	return graph.Point{X: (sx - v.X) / v.K, Y: (sy - v.Y) / v.K}
}

// Pan moves the viewport by (dx, dy) screen pixels.
func (v Viewport) Pan(dx, dy float64) Viewport {
	v.X += dx
	v.Y += dy
	return v
}

// ZoomAt scales the viewport by factor, keeping the map point under the
// screen position (sx, sy) in place. The scale is clamped to
// [MinZoom, MaxZoom].
func (v Viewport) ZoomAt(factor, sx, sy float64) Viewport {
	if factor <= 0 || math.IsNaN(factor) || math.IsInf(factor, 0) {
		return v
	}
	k := clamp(v.K*factor, MinZoom, MaxZoom)
	p := v.ToMap(sx, sy)
	return Viewport{X: sx - p.X*k, Y: sy - p.Y*k, K: k}
}

// CenterOn keeps the scale and moves the viewport so that p is in the
// middle of a screen of size w x h.
func (v Viewport) CenterOn(p graph.Point, w, h float64) Viewport {
	return Viewport{X: w/2 - p.X*v.K, Y: h/2 - p.Y*v.K, K: v.K}
}

// ShowLabels reports whether labels are legible at the viewport's scale.
func (v Viewport) ShowLabels() bool { return v.K >= LabelZoom }

// FitViewport returns the viewport that shows all of bounds centred on a
// screen of w x h pixels with padding pixels of margin, never above
// MaxFitZoom. An empty bounds or screen gives the identity viewport.
func FitViewport(bounds Rect, w, h, padding float64) Viewport {
	if bounds.Empty() || w <= 0 || h <= 0 {
		return IdentityViewport()
	}
	aw, ah := math.Max(w-2*padding, 1), math.Max(h-2*padding, 1)
	k := clamp(math.Min(aw/bounds.W, ah/bounds.H), MinZoom, MaxFitZoom)
	return Viewport{K: k}.CenterOn(bounds.Center(), w, h)
}

// WheelZoomFactor converts a wheel event's deltaY (in pixels, deltaMode 0,
// or lines, deltaMode 1) to a zoom factor; scrolling up zooms in.
func WheelZoomFactor(deltaY float64, deltaMode int) float64 {
	switch deltaMode {
	case 1:
		deltaY *= 16
	case 2:
		deltaY *= 400
	}
	deltaY = clamp(deltaY, -300, 300)
	return math.Exp(-deltaY * 0.002)
}

// SnapshotBounds is the bounding box of the drawing: every positioned node
// (centre plus half its size) and every edge control point. Without
// positions it falls back to the snapshot's Width and Height.
func SnapshotBounds(s graph.Snapshot) Rect {
	var b boundsAcc
	for i := range s.Nodes {
		n := &s.Nodes[i]
		if n.Pos == nil {
			continue
		}
		w, h := nodeSize(*n)
		b.add(n.Pos.X-w/2, n.Pos.Y-h/2, n.Pos.X+w/2, n.Pos.Y+h/2)
	}
	for i := range s.Edges {
		for _, p := range s.Edges[i].Path {
			b.add(p.X, p.Y, p.X, p.Y)
		}
	}
	r := b.rect()
	if r.Empty() && s.Width > 0 && s.Height > 0 {
		return Rect{W: s.Width, H: s.Height}
	}
	return r
}

func clamp(v, lo, hi float64) float64 {
	return math.Max(lo, math.Min(hi, v))
}

// fmtNum formats a coordinate with at most two decimals.
func fmtNum(f float64) string {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return "0"
	}
	return trimFloat(f, 2)
}
