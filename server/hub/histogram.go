package hub

import (
	"math"
	"sync/atomic"
)

// Histogram is a distribution of observations over fixed buckets, in the
// form Prometheus histograms take.
type Histogram struct {
	// Bounds are the buckets' upper bounds, ascending; a last bucket
	// without bound (+Inf) is implied.
	Bounds []float64
	// Cumulative[i] counts the observations <= Bounds[i].
	Cumulative []uint64
	// Count is the number of observations, Sum their total.
	Count uint64
	Sum   float64
}

// Buckets of the hub's histograms.
var (
	// diffSizeBounds are diff message sizes in bytes: 256 B to 4 MiB.
	diffSizeBounds = []float64{256, 1 << 10, 4 << 10, 16 << 10, 64 << 10, 256 << 10, 1 << 20, 4 << 20}
	// layoutBounds are layout durations in seconds: 10 ms to 2 min.
	layoutBounds = []float64{0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120}
)

// histogram counts observations into fixed buckets without locks.
type histogram struct {
	bounds  []float64
	buckets []atomic.Uint64 // per bucket, the last one for values above every bound
	count   atomic.Uint64
	sumBits atomic.Uint64 // math.Float64bits of the sum
}

func newHistogram(bounds []float64) *histogram {
	return &histogram{bounds: bounds, buckets: make([]atomic.Uint64, len(bounds)+1)}
}

// observe records one value.
func (h *histogram) observe(v float64) {
	i := 0
	for i < len(h.bounds) && v > h.bounds[i] {
		i++
	}
	h.buckets[i].Add(1)
	for {
		old := h.sumBits.Load()
		if h.sumBits.CompareAndSwap(old, math.Float64bits(math.Float64frombits(old)+v)) {
			break
		}
	}
	h.count.Add(1)
}

// snapshot returns the cumulative counts. Concurrent observations may be
// partly included; Count is read last, so it never falls behind the buckets
// by more than those.
func (h *histogram) snapshot() Histogram {
	out := Histogram{Bounds: h.bounds, Cumulative: make([]uint64, len(h.bounds))}
	var n uint64
	for i := range h.bounds {
		n += h.buckets[i].Load()
		out.Cumulative[i] = n
	}
	n += h.buckets[len(h.bounds)].Load()
	out.Sum = math.Float64frombits(h.sumBits.Load())
	out.Count = max(n, h.count.Load())
	return out
}
