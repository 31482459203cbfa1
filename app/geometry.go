package app

import (
	"math"
	"strings"

	"github.com/spanmap/spanmap/graph"
)

// Fallback node sizes in points, used when layout did not size a node.
const (
	defaultNodeHeight = 44.0
	minNodeWidth      = 96.0
	maxNodeWidth      = 260.0
	charWidth         = 7.5
	gridGapX          = 60.0
	gridGapY          = 70.0
)

// nodeSize returns the laid-out size of n, or a size derived from its kind
// and name length when layout left it unset.
func nodeSize(n graph.Node) (w, h float64) {
	if n.Width > 0 && n.Height > 0 {
		return n.Width, n.Height
	}
	w = clamp(float64(len([]rune(nodeLabel(n))))*charWidth+32, minNodeWidth, maxNodeWidth)
	h = defaultNodeHeight
	switch n.Kind {
	case graph.NodeDatabase:
		h = 56
	case graph.NodeUser:
		w = math.Max(w, 90)
	case graph.NodeGroup:
		h = 60
	}
	return w, h
}

// nodeLabel is the text shown on a node: its Name, or its ID without a
// "kind:" prefix.
func nodeLabel(n graph.Node) string { return labelOf(&n) }

// labelOf is nodeLabel without copying the node.
func labelOf(n *graph.Node) string {
	if n.Name != "" {
		return n.Name
	}
	if i := strings.IndexByte(n.ID, ':'); i > 0 && graph.NodeKind(n.ID[:i]).IsVirtual() {
		return n.ID[i+1:]
	}
	return n.ID
}

// NodeShape returns the SVG path of a node outline of kind k and size w x h,
// centred on the origin: services are rounded rectangles, databases
// cylinders, messaging nodes parallelograms, external nodes hexagons, the
// user node a stadium, group nodes squared boxes. Detail is an extra
// stroke-only path (the cylinder's top rim) or "".
func NodeShape(k graph.NodeKind, w, h float64) (outline, detail string) {
	x0, y0, x1, y1 := -w/2, -h/2, w/2, h/2
	var b pathBuilder
	switch k {
	case graph.NodeDatabase:
		ry := math.Min(h*0.16, 9)
		rx := w / 2
		b.move(x0, y0+ry)
		b.arc(rx, ry, 1, x1, y0+ry)
		b.line(x1, y1-ry)
		b.arc(rx, ry, 1, x0, y1-ry)
		b.close()
		var d pathBuilder
		d.move(x0, y0+ry)
		d.arc(rx, ry, 0, x1, y0+ry)
		return b.String(), d.String()
	case graph.NodeMessaging:
		s := math.Min(h*0.35, 14)
		b.move(x0+s, y0)
		b.line(x1, y0)
		b.line(x1-s, y1)
		b.line(x0, y1)
		b.close()
	case graph.NodeExternal:
		s := math.Min(h/2, 18)
		b.move(x0+s, y0)
		b.line(x1-s, y0)
		b.line(x1, 0)
		b.line(x1-s, y1)
		b.line(x0+s, y1)
		b.line(x0, 0)
		b.close()
	case graph.NodeUser:
		roundedRect(&b, x0, y0, x1, y1, h/2)
	case graph.NodeGroup:
		roundedRect(&b, x0, y0, x1, y1, 2)
	default:
		roundedRect(&b, x0, y0, x1, y1, math.Min(8, h/4))
	}
	return b.String(), ""
}

func roundedRect(b *pathBuilder, x0, y0, x1, y1, r float64) {
	r = math.Min(r, math.Min((x1-x0)/2, (y1-y0)/2))
	b.move(x0+r, y0)
	b.line(x1-r, y0)
	b.arc(r, r, 1, x1, y0+r)
	b.line(x1, y1-r)
	b.arc(r, r, 1, x1-r, y1)
	b.line(x0+r, y1)
	b.arc(r, r, 1, x0, y1-r)
	b.line(x0, y0+r)
	b.arc(r, r, 1, x0+r, y0)
	b.close()
}

// EdgePath returns the SVG path of e between the nodes from and to, and
// the point where its label goes. A laid-out Path of 1+3k points becomes
// cubic Bezier segments; any other Path of two or more points a polyline;
// without a Path the edge is a straight line between the node outlines (a
// loop for an edge from a node to itself).
func EdgePath(e graph.Edge, from, to graph.Node) (d string, label graph.Point) {
	var b pathBuilder
	switch p := e.Path; {
	case len(p) >= 4 && (len(p)-1)%3 == 0:
		b.move(p[0].X, p[0].Y)
		for i := 1; i+2 < len(p); i += 3 {
			b.cubic(p[i], p[i+1], p[i+2])
		}
		mid := ((len(p) - 1) / 3 / 2) * 3
		return b.String(), bezierPoint(p[mid], p[mid+1], p[mid+2], p[mid+3], 0.5)
	case len(p) >= 2:
		b.move(p[0].X, p[0].Y)
		for _, q := range p[1:] {
			b.line(q.X, q.Y)
		}
		m := len(p) / 2
		if len(p)%2 == 1 {
			return b.String(), p[m]
		}
		return b.String(), graph.Point{X: (p[m-1].X + p[m].X) / 2, Y: (p[m-1].Y + p[m].Y) / 2}
	}
	if from.Pos == nil || to.Pos == nil {
		return "", graph.Point{}
	}
	if from.ID == to.ID {
		return selfLoop(from)
	}
	fw, fh := nodeSize(from)
	tw, th := nodeSize(to)
	a := clipToBox(*from.Pos, fw, fh, *to.Pos)
	z := clipToBox(*to.Pos, tw, th, *from.Pos)
	b.move(a.X, a.Y)
	b.line(z.X, z.Y)
	return b.String(), graph.Point{X: (a.X + z.X) / 2, Y: (a.Y + z.Y) / 2}
}

// selfLoop draws a loop above the right half of n.
func selfLoop(n graph.Node) (string, graph.Point) {
	w, h := nodeSize(n)
	c := *n.Pos
	sx, sy := c.X+w/4, c.Y-h/2
	ex, ey := c.X+w/2, c.Y-h/4
	var b pathBuilder
	b.move(sx, sy)
	b.cubic(graph.Point{X: sx, Y: sy - 40}, graph.Point{X: ex + 40, Y: ey}, graph.Point{X: ex, Y: ey})
	return b.String(), graph.Point{X: ex + 18, Y: sy - 18}
}

// clipToBox returns where the segment from the centre c of a w x h box
// towards p leaves the box. If p is inside the box it returns c.
func clipToBox(c graph.Point, w, h float64, p graph.Point) graph.Point {
	dx, dy := p.X-c.X, p.Y-c.Y
	if dx == 0 && dy == 0 {
		return c
	}
	t := math.Inf(1)
	if dx != 0 {
		t = math.Min(t, (w/2)/math.Abs(dx))
	}
	if dy != 0 {
		t = math.Min(t, (h/2)/math.Abs(dy))
	}
	if t >= 1 {
		return c
	}
	return graph.Point{X: c.X + dx*t, Y: c.Y + dy*t}
}

// bezierPoint evaluates a cubic Bezier curve at t.
func bezierPoint(p0, p1, p2, p3 graph.Point, t float64) graph.Point {
	u := 1 - t
	a, b, c, d := u*u*u, 3*u*u*t, 3*u*t*t, t*t*t
	return graph.Point{
		X: a*p0.X + b*p1.X + c*p2.X + d*p3.X,
		Y: a*p0.Y + b*p1.Y + c*p2.Y + d*p3.Y,
	}
}

// PlaceUnpositioned returns a copy of nodes in which every node without a
// Pos gets one on a grid below the positioned nodes (or from the origin
// when none is positioned), in input order. Positioned nodes are kept.
func PlaceUnpositioned(nodes []graph.Node) []graph.Node {
	out := make([]graph.Node, len(nodes))
	copy(out, nodes)
	var b boundsAcc
	missing := 0
	for _, n := range out {
		if n.Pos == nil {
			missing++
			continue
		}
		w, h := nodeSize(n)
		b.add(n.Pos.X-w/2, n.Pos.Y-h/2, n.Pos.X+w/2, n.Pos.Y+h/2)
	}
	if missing == 0 {
		return out
	}
	top, left := 0.0, 0.0
	if b.ok {
		top, left = b.y1+gridGapY, b.x0
	}
	cols := int(math.Ceil(math.Sqrt(float64(missing))))
	cellW, cellH := maxNodeWidth/2+gridGapX, defaultNodeHeight+gridGapY
	i := 0
	for k := range out {
		if out[k].Pos != nil {
			continue
		}
		row, col := i/cols, i%cols
		out[k].Pos = &graph.Point{
			X: left + cellW/2 + float64(col)*(cellW+gridGapX/2),
			Y: top + cellH/2 + float64(row)*cellH,
		}
		i++
	}
	return out
}

// pathBuilder writes SVG path data with compact numbers.
type pathBuilder struct {
	sb strings.Builder
}

func (b *pathBuilder) cmd(c string, nums ...float64) {
	if b.sb.Len() > 0 {
		b.sb.WriteByte(' ')
	}
	b.sb.WriteString(c)
	for _, n := range nums {
		b.sb.WriteByte(' ')
		b.sb.WriteString(fmtNum(n))
	}
}

func (b *pathBuilder) move(x, y float64) { b.cmd("M", x, y) }
func (b *pathBuilder) line(x, y float64) { b.cmd("L", x, y) }
func (b *pathBuilder) close()            { b.cmd("Z") }

func (b *pathBuilder) cubic(c1, c2, p graph.Point) {
	b.cmd("C", c1.X, c1.Y, c2.X, c2.Y, p.X, p.Y)
}

// arc draws an elliptic arc with the given sweep flag (0 or 1).
func (b *pathBuilder) arc(rx, ry float64, sweep int, x, y float64) {
	b.cmd("A", rx, ry, 0, 0, float64(sweep), x, y)
}

// String returns the path data.
func (b *pathBuilder) String() string { return b.sb.String() }
