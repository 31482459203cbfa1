package agg

import "time"

// maxSparkPoints bounds the points of one sparkline; longer ranges merge
// several buckets per point.
const maxSparkPoints = 4096

// SparkPoint is the inbound traffic of a node over one step of a sparkline.
type SparkPoint struct {
	// Time is the step start, Unix milliseconds.
	Time int64 `json:"t"`
	// Calls and Errors count the node's inbound calls in the step.
	Calls  int64 `json:"calls"`
	Errors int64 `json:"errors"`
}

// Sparkline returns the node's inbound calls and errors over [from, to), one
// point per bucket (per several buckets when the range holds more than 4096),
// zeros included. It returns nil for an unknown node or an empty range.
func (a *Aggregator) Sparkline(nodeID string, from, to time.Time) []SparkPoint {
	if !to.After(from) {
		return nil
	}
	lo, hi := a.bucketRange(from, to)
	a.mu.RLock()
	defer a.mu.RUnlock()
	n := a.nodes[nodeID]
	if n == nil {
		return nil
	}
	pts, stride := a.sparkAxis(lo, hi)
	a.sparkFill(n, pts, lo, hi, stride)
	return pts
}

// Sparklines returns Sparkline for every node that has data or edges,
// keyed by node ID.
func (a *Aggregator) Sparklines(from, to time.Time) map[string][]SparkPoint {
	out := map[string][]SparkPoint{}
	if !to.After(from) {
		return out
	}
	lo, hi := a.bucketRange(from, to)
	a.mu.RLock()
	defer a.mu.RUnlock()
	for id, n := range a.nodes {
		pts, stride := a.sparkAxis(lo, hi)
		a.sparkFill(n, pts, lo, hi, stride)
		out[id] = pts
	}
	return out
}

// sparkAxis returns zeroed points covering buckets [lo, hi) and the number
// of buckets per point.
func (a *Aggregator) sparkAxis(lo, hi int64) ([]SparkPoint, int64) {
	stride := (hi - lo + maxSparkPoints - 1) / maxSparkPoints
	n := (hi - lo + stride - 1) / stride
	pts := make([]SparkPoint, n)
	for i := range pts {
		pts[i].Time = time.Unix(0, (lo+int64(i)*stride)*a.width).UnixMilli()
	}
	return pts, stride
}

// sparkFill adds the inbound buckets of n. Must be called holding the lock.
func (a *Aggregator) sparkFill(n *node, pts []SparkPoint, lo, hi, stride int64) {
	for _, e := range n.in {
		a.sparkEdge(e, pts, lo, hi, stride)
	}
}
