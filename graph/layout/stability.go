package layout

import (
	"math"

	"github.com/spanmap/spanmap/graph"
)

// Positions returns the laid-out node centres of s by node ID, ready to pass
// as Options.Previous to the next layout. Nodes without a position are left
// out.
func Positions(s *graph.Snapshot) map[string]graph.Point {
	out := make(map[string]graph.Point, len(s.Nodes))
	for i := range s.Nodes {
		if p := s.Nodes[i].Pos; p != nil {
			out[s.Nodes[i].ID] = *p
		}
	}
	return out
}

// Displacement measures how far the nodes present in both prev and next
// moved, as fractions of width (the drawing width; 0.05 is 5%). It returns
// the median and the largest movement; both are 0 when no node is in both
// maps or width is not positive.
func Displacement(prev, next map[string]graph.Point, width float64) (median, max float64) {
	if width <= 0 {
		return 0, 0
	}
	d := make([]float64, 0, len(prev))
	for id, p := range prev {
		q, ok := next[id]
		if !ok {
			continue
		}
		d = append(d, math.Hypot(q.X-p.X, q.Y-p.Y)/width)
	}
	if len(d) == 0 {
		return 0, 0
	}
	median = medianOf(d) // sorts d
	return median, d[len(d)-1]
}
