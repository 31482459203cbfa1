package agg

import "time"

// EdgeSparkline returns the calls and errors of every edge from -> to (all
// kinds and operations) over [start, end), one point per bucket like
// Sparkline, zeros included. It returns nil when there is no such edge or
// the range is empty.
func (a *Aggregator) EdgeSparkline(from, to string, start, end time.Time) []SparkPoint {
	if !end.After(start) {
		return nil
	}
	lo, hi := a.bucketRange(start, end)
	a.mu.RLock()
	defer a.mu.RUnlock()
	n := a.nodes[to]
	if n == nil {
		return nil
	}
	var pts []SparkPoint
	var stride int64
	for _, e := range n.in {
		if e.key.from != from {
			continue
		}
		if pts == nil {
			pts, stride = a.sparkAxis(lo, hi)
		}
		a.sparkEdge(e, pts, lo, hi, stride)
	}
	return pts
}

// sparkEdge adds the buckets of e. Must be called holding the lock.
func (a *Aggregator) sparkEdge(e *edge, pts []SparkPoint, lo, hi, stride int64) {
	for _, s := range e.ops {
		s.each(lo, hi, func(idx int64, b *bucket, pb *packedBucket) {
			p := &pts[(idx-lo)/stride]
			if b != nil {
				p.Calls += b.calls()
				p.Errors += b.errors
				return
			}
			calls, errs := packedCounts(pb.data)
			p.Calls += calls
			p.Errors += errs
		})
	}
}
