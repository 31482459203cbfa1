package layout

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"sort"

	"github.com/spanmap/spanmap/graph"
)

// Dot cannot fix nodes where they were: it ranks and orders the whole graph
// again, and one new edge can move most nodes. With Options.Pin, a small
// change to a dot layout (see smallChange) keeps every node of Previous in
// its place; new nodes go where dot put them, moved with their known
// neighbours (the median of how far those are from their dot positions) and
// pushed across the flow until they overlap nothing. Edges whose ends both
// kept their places keep their previous paths; graphviz draws the others as
// curves between the fixed nodes ("nop2": positions given, edges computed).
// A bigger change gets dot's own layout of the new topology.

// pinSep is the gap, in points, kept between a new node and the others.
const pinSep = 18

// smallChange reports whether s differs from the previous layout little
// enough for dot to pin: at most max(2, 10%) new nodes and, when the
// previous paths are known, max(3, 10%) new edges.
func smallChange(s *graph.Snapshot, opt Options) bool {
	if len(opt.Previous) == 0 {
		return false
	}
	newNodes := 0
	for i := range s.Nodes {
		if _, ok := opt.Previous[s.Nodes[i].ID]; !ok {
			newNodes++
		}
	}
	if newNodes > max(2, len(opt.Previous)/10) {
		return false
	}
	if opt.PreviousPaths == nil {
		return true
	}
	newEdges := 0
	for i := range s.Edges {
		if _, ok := opt.PreviousPaths[s.Edges[i].ID]; !ok {
			newEdges++
		}
	}
	return newEdges <= max(3, len(opt.PreviousPaths)/10)
}

// pinDot returns the layout of s with the nodes of opt.Previous where they
// were and the new ones placed after fresh, dot's own layout of s.
func (l *Layouter) pinDot(ctx context.Context, s *graph.Snapshot, fresh *result, opt Options) (*result, error) {
	pos := pinnedPositions(s, fresh, opt.Previous, opt.engine())
	// Only the edges that cannot keep their previous path are routed.
	in := &input{nodes: sortedNodes(s)}
	for _, i := range sortedEdges(s) {
		if !keepsPath(&s.Edges[i], opt) {
			in.edges = append(in.edges, i)
		}
	}
	name := make(map[string]int, len(in.nodes))
	for k, i := range in.nodes {
		name[s.Nodes[i].ID] = k
	}
	var b bytes.Buffer
	b.WriteString("digraph L {\ngraph [splines=curved, fontsize=12, fontname=\"Helvetica\"];\n")
	b.WriteString("node [label=\"\", fixedsize=true, shape=box];\nedge [dir=none];\n")
	pinned := make(map[int]seedPos, len(in.nodes))
	for k, i := range in.nodes {
		p := pos[s.Nodes[i].ID]
		pinned[k] = seedPos{x: p.X, y: -p.Y, pin: true} // graphviz's y axis points up
	}
	for k := range in.nodes {
		writeNode(&b, s, in, k, pinned)
	}
	writeEdges(&b, s, in, name)
	b.WriteString("}\n")
	var out bytes.Buffer
	if err := l.run(ctx, b.Bytes(), "nop2", "json0", &out); err != nil {
		return nil, fmt.Errorf("route edges around pinned nodes: %w", err)
	}
	res, err := parseOutput(out.Bytes(), s, in)
	if err != nil {
		return nil, err
	}
	shift := res.moveTo(pos)
	res.keepPaths(s, opt, shift)
	return res, nil
}

// keepPaths gives every edge of opt.PreviousPaths whose ends both kept their
// places its previous path, moved by shift like the whole drawing, so that
// only new edges and edges of new nodes change.
func (res *result) keepPaths(s *graph.Snapshot, opt Options, shift graph.Point) {
	for i := range s.Edges {
		e := &s.Edges[i]
		if !keepsPath(e, opt) {
			continue
		}
		old := opt.PreviousPaths[e.ID]
		path := make([]graph.Point, len(old))
		for j, p := range old {
			path[j] = graph.Point{X: p.X + shift.X, Y: p.Y + shift.Y}
			res.width = max(res.width, path[j].X)
			res.height = max(res.height, path[j].Y)
		}
		res.edges[e.ID] = path
	}
}

// keepsPath reports whether e keeps its previous path: it has one and both
// its ends kept their places.
func keepsPath(e *graph.Edge, opt Options) bool {
	old, ok := opt.PreviousPaths[e.ID]
	if !ok || len(old) < 4 || (len(old)-1)%3 != 0 {
		return false
	}
	_, from := opt.Previous[e.From]
	_, to := opt.Previous[e.To]
	return from && to
}

// moveTo translates res so that its nodes are at pos (graphviz puts the
// bounding box, curves included, at the origin), then shifts it right and
// down only as far as a node would be left of or above the origin, and
// returns that shift. The drawing's size covers every node and curve.
func (res *result) moveTo(pos map[string]graph.Point) graph.Point {
	var dx, dy float64
	for id, p := range res.nodes {
		dx, dy = pos[id].X-p.pos.X, pos[id].Y-p.pos.Y
		break
	}
	minX, minY := math.Inf(1), math.Inf(1)
	for _, p := range res.nodes {
		minX = math.Min(minX, p.pos.X+dx-p.width/2)
		minY = math.Min(minY, p.pos.Y+dy-p.height/2)
	}
	shift := graph.Point{X: -math.Min(minX, 0), Y: -math.Min(minY, 0)}
	dx += shift.X
	dy += shift.Y
	res.translate(dx, dy)
	var w, h float64
	for _, p := range res.nodes {
		w = math.Max(w, p.pos.X+p.width/2)
		h = math.Max(h, p.pos.Y+p.height/2)
	}
	for _, path := range res.edges {
		for _, q := range path {
			w = math.Max(w, q.X)
			h = math.Max(h, q.Y)
		}
	}
	res.width, res.height = w, h
	return shift
}

// pinnedPositions returns the centre of every node of s: its previous
// position when it has one, else its position in fresh moved with its known
// neighbours and clear of every other node.
func pinnedPositions(s *graph.Snapshot, fresh *result, prev map[string]graph.Point, eng Engine) map[string]graph.Point {
	pos := make(map[string]graph.Point, len(s.Nodes))
	var newIDs []string
	delta := map[string]graph.Point{} // how far each known node is from its dot position
	var all []graph.Point
	for _, n := range s.Nodes {
		if p, ok := prev[n.ID]; ok {
			pos[n.ID] = p
			f := fresh.nodes[n.ID].pos
			d := graph.Point{X: p.X - f.X, Y: p.Y - f.Y}
			delta[n.ID] = d
			all = append(all, d)
		} else {
			newIDs = append(newIDs, n.ID)
		}
	}
	if len(newIDs) == 0 {
		return pos
	}
	global := medianPoint(all)
	near := map[string][]graph.Point{}
	for _, e := range s.Edges {
		for _, end := range [2][2]string{{e.From, e.To}, {e.To, e.From}} {
			id, nb := end[0], end[1]
			if _, known := prev[id]; known {
				continue
			}
			if d, ok := delta[nb]; ok {
				near[id] = append(near[id], d)
			}
		}
	}
	sort.Strings(newIDs)
	var placed []box
	size := map[string]graph.Point{}
	for _, n := range s.Nodes {
		w, h := NodeSize(n)
		size[n.ID] = graph.Point{X: w, Y: h}
		if p, ok := pos[n.ID]; ok {
			placed = append(placed, boxAt(p, w, h))
		}
	}
	for _, id := range newIDs {
		off := global
		if d := near[id]; len(d) > 0 {
			off = medianPoint(d)
		}
		f := fresh.nodes[id].pos
		p := clearSpot(graph.Point{X: f.X + off.X, Y: f.Y + off.Y}, size[id], placed, eng)
		pos[id] = p
		placed = append(placed, boxAt(p, size[id].X, size[id].Y))
	}
	return pos
}

// box is a node's rectangle, widened by pinSep on every side.
type box struct{ x0, y0, x1, y1 float64 }

func boxAt(c graph.Point, w, h float64) box {
	return box{c.X - w/2 - pinSep, c.Y - h/2 - pinSep, c.X + w/2 + pinSep, c.Y + h/2 + pinSep}
}

func (a box) overlaps(b box) bool {
	return a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1
}

// clearSpot returns the point nearest to p, stepping across the flow (down
// and up for left-to-right maps, right and left for top-to-bottom ones), at
// which a node of size sz overlaps none of placed.
func clearSpot(p, sz graph.Point, placed []box, eng Engine) graph.Point {
	step := graph.Point{Y: sz.Y + pinSep}
	if eng == DotTB {
		step = graph.Point{X: sz.X + pinSep}
	}
	free := func(c graph.Point) bool {
		b := boxAt(c, sz.X, sz.Y)
		b = box{b.x0 + pinSep/2, b.y0 + pinSep/2, b.x1 - pinSep/2, b.y1 - pinSep/2}
		for _, o := range placed {
			if b.overlaps(o) {
				return false
			}
		}
		return true
	}
	for i := 0; i <= len(placed)+1; i++ {
		for _, sign := range []float64{1, -1} {
			c := graph.Point{X: p.X + sign*float64(i)*step.X, Y: p.Y + sign*float64(i)*step.Y}
			if (c.X-sz.X/2 >= 0 && c.Y-sz.Y/2 >= 0 || sign > 0) && free(c) {
				return c
			}
		}
	}
	return p // unreachable: len(placed)+1 steps one way clear every box
}

// medianPoint returns the coordinate-wise median of ps, the origin for none.
func medianPoint(ps []graph.Point) graph.Point {
	if len(ps) == 0 {
		return graph.Point{}
	}
	xs := make([]float64, len(ps))
	ys := make([]float64, len(ps))
	for i, p := range ps {
		xs[i], ys[i] = p.X, p.Y
	}
	return graph.Point{X: medianOf(xs), Y: medianOf(ys)}
}

// medianOf returns the median of v, which it sorts.
func medianOf(v []float64) float64 {
	sort.Float64s(v)
	n := len(v)
	if n%2 == 1 {
		return v[n/2]
	}
	return (v[n/2-1] + v[n/2]) / 2
}
