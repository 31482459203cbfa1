package layout

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/spanmap/spanmap/graph"
)

// result is a finished layout, keyed by node and edge ID, in top-left
// coordinates. It is what the cache keeps.
type result struct {
	width, height float64
	nodes         map[string]placedNode
	edges         map[string][]graph.Point
}

type placedNode struct {
	pos           graph.Point
	width, height float64
}

// gvJSON is the part of graphviz's "json0" output that layout reads.
type gvJSON struct {
	BB      string     `json:"bb"`
	Objects []gvObject `json:"objects"`
	Edges   []gvEdge   `json:"edges"`
}

type gvObject struct {
	Name  string `json:"name"`
	Pos   string `json:"pos"`
	Nodes []int  `json:"nodes"` // set on subgraphs only
}

type gvEdge struct {
	ID  string `json:"id"`
	Pos string `json:"pos"`
}

// parseOutput reads graphviz's json0 rendering of in and converts it to
// top-left coordinates.
func parseOutput(data []byte, s *graph.Snapshot, in *input) (*result, error) {
	var out gvJSON
	if err := json.Unmarshal(data, &out); err != nil {
		return nil, fmt.Errorf("%w: json: %v", ErrOutput, err)
	}
	bb, err := parseFloats(out.BB, 4)
	if err != nil {
		return nil, fmt.Errorf("%w: bb %q: %v", ErrOutput, out.BB, err)
	}
	minX, maxY := bb[0], bb[3]
	conv := func(x, y float64) graph.Point { return graph.Point{X: x - minX, Y: maxY - y} }
	res := &result{
		width:  bb[2] - bb[0],
		height: bb[3] - bb[1],
		nodes:  make(map[string]placedNode, len(in.nodes)),
		edges:  make(map[string][]graph.Point, len(in.edges)),
	}
	for _, o := range out.Objects {
		if o.Nodes != nil || !strings.HasPrefix(o.Name, "n") {
			continue // a cluster
		}
		k, err := strconv.Atoi(o.Name[1:])
		if err != nil || k < 0 || k >= len(in.nodes) {
			return nil, fmt.Errorf("%w: unexpected node %q", ErrOutput, o.Name)
		}
		xy, err := parseFloats(o.Pos, 2)
		if err != nil {
			return nil, fmt.Errorf("%w: node %q pos %q: %v", ErrOutput, o.Name, o.Pos, err)
		}
		// Sizes are fixed by the input; graphviz echoes them rounded.
		n := &s.Nodes[in.nodes[k]]
		w, h := NodeSize(*n)
		res.nodes[n.ID] = placedNode{pos: conv(xy[0], xy[1]), width: w, height: h}
	}
	if len(res.nodes) != len(in.nodes) {
		return nil, fmt.Errorf("%w: %d of %d nodes placed", ErrOutput, len(res.nodes), len(in.nodes))
	}
	for _, e := range out.Edges {
		k, err := strconv.Atoi(strings.TrimPrefix(e.ID, "e"))
		if err != nil || !strings.HasPrefix(e.ID, "e") || k < 0 || k >= len(in.edges) {
			return nil, fmt.Errorf("%w: unexpected edge %q", ErrOutput, e.ID)
		}
		pts, err := parseSpline(e.Pos)
		if err != nil {
			return nil, fmt.Errorf("%w: edge %q pos: %v", ErrOutput, e.ID, err)
		}
		path := make([]graph.Point, len(pts))
		for i, p := range pts {
			path[i] = conv(p.X, p.Y)
		}
		res.edges[s.Edges[in.edges[k]].ID] = path
	}
	return res, nil
}

// parseSpline reads a graphviz edge pos: optional "s,x,y" and "e,x,y" arrow
// points followed by 3n+1 Bezier control points. Only the control points are
// returned; several splines (separated by ';') are joined with straight
// segments so that the result stays one 3n+1 path.
func parseSpline(pos string) ([]graph.Point, error) {
	var out []graph.Point
	for _, part := range strings.Split(pos, ";") {
		var pts []graph.Point
		for _, f := range strings.Fields(part) {
			if strings.HasPrefix(f, "e,") || strings.HasPrefix(f, "s,") {
				continue
			}
			xy, err := parseFloats(f, 2)
			if err != nil {
				return nil, err
			}
			pts = append(pts, graph.Point{X: xy[0], Y: xy[1]})
		}
		if len(pts) == 0 {
			continue
		}
		if len(pts)%3 != 1 {
			return nil, fmt.Errorf("%d control points, want 3n+1", len(pts))
		}
		if len(out) > 0 {
			a, b := out[len(out)-1], pts[0]
			out = append(out, lerp(a, b, 1.0/3), lerp(a, b, 2.0/3))
		}
		out = append(out, pts...)
	}
	return out, nil
}

func lerp(a, b graph.Point, t float64) graph.Point {
	return graph.Point{X: a.X + (b.X-a.X)*t, Y: a.Y + (b.Y-a.Y)*t}
}

// parseFloats reads want comma-separated numbers, ignoring a trailing "!".
func parseFloats(s string, want int) ([]float64, error) {
	parts := strings.Split(strings.TrimSuffix(s, "!"), ",")
	if len(parts) != want {
		return nil, fmt.Errorf("want %d numbers, got %d", want, len(parts))
	}
	out := make([]float64, want)
	for i, p := range parts {
		v, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}

// apply copies res into s.
func (res *result) apply(s *graph.Snapshot) {
	s.Width, s.Height = res.width, res.height
	for i := range s.Nodes {
		n := &s.Nodes[i]
		if p, ok := res.nodes[n.ID]; ok {
			pos := p.pos
			n.Pos, n.Width, n.Height = &pos, p.width, p.height
		}
	}
	for i := range s.Edges {
		e := &s.Edges[i]
		e.Path = append([]graph.Point(nil), res.edges[e.ID]...)
	}
}

// maxMargin is the largest empty band, as a fraction of the drawing size,
// that align leaves at the top or left to avoid moving everything.
const maxMargin = 0.25

// align moves the whole layout so that the nodes also found in prev move as
// little as possible on average (a pure translation, which never creates
// overlaps), then shifts it back into the positive quadrant only as far as
// needed. Graphviz always puts its bounding box at the origin, so without
// this a node added on the left would shift every other node.
func (res *result) align(prev map[string]graph.Point) {
	var dx, dy float64
	n := 0
	for id, p := range res.nodes {
		if q, ok := prev[id]; ok {
			dx += q.X - p.pos.X
			dy += q.Y - p.pos.Y
			n++
		}
	}
	if n == 0 {
		return
	}
	dx, dy = dx/float64(n), dy/float64(n)
	// The drawing spans [dx, dx+width] after the move; keep it at x >= 0
	// and leave no more than maxMargin of empty space before it.
	dx = clampShift(dx, res.width)
	dy = clampShift(dy, res.height)
	if dx == 0 && dy == 0 {
		return
	}
	res.translate(dx, dy)
	res.width += dx
	res.height += dy
}

func clampShift(d, size float64) float64 {
	if d < 0 || d > maxMargin*size {
		return 0
	}
	return d
}

// translate moves every node and edge path of res by (dx, dy).
func (res *result) translate(dx, dy float64) {
	for id, p := range res.nodes {
		p.pos.X += dx
		p.pos.Y += dy
		res.nodes[id] = p
	}
	for _, path := range res.edges {
		for i := range path {
			path[i].X += dx
			path[i].Y += dy
		}
	}
}
