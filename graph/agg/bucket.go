package agg

import (
	"bytes"
	"math"
	"math/bits"

	"github.com/DataDog/sketches-go/ddsketch/mapping"
	"github.com/spanmap/spanmap/graph"
	"github.com/spanmap/spanmap/graph/derive"
	"github.com/spanmap/spanmap/graph/span"
)

// bucket holds what one series saw in one time bucket (or, as a window
// accumulator, in several).
type bucket struct {
	// idx is the bucket number: start time / bucket width.
	idx int64
	// errors, paired and unpaired count calls; calls = paired + unpaired.
	errors, paired, unpaired int64
	// lastSeen is the latest call start, Unix ns.
	lastSeen int64
	// sampSum sums the known sampling probabilities of sampN calls, in
	// billionths: integers keep merges exact whatever their order.
	sampSum int64
	sampN   int64
	// srcs are the sources (indexes into Aggregator.sources) that reported calls.
	srcs srcSet
	// client holds client latency; servPaired the server latency of paired
	// calls; servOnly the server latency of calls without a client span.
	client, servPaired, servOnly sketch
	// spare is unused room for sketch bins allocated with the bucket.
	spare []uint32
	// lag holds queue lag, nil unless a messaging call carried one.
	lag *sketch
	// ex holds the exemplar candidates.
	ex exemplars
}

// samplingUnit is the fixed-point scale of summed sampling probabilities.
const samplingUnit = 1e9

func (b *bucket) calls() int64 { return b.paired + b.unpaired }

// srcSet is a set of small integers.
type srcSet struct {
	lo uint64
	hi []uint64 // bits 64 and up
}

func (s *srcSet) add(i int) {
	if i < 64 {
		s.lo |= 1 << uint(i)
		return
	}
	w := i/64 - 1
	for len(s.hi) <= w {
		s.hi = append(s.hi, 0)
	}
	s.hi[w] |= 1 << uint(i%64)
}

func (s *srcSet) union(o *srcSet) {
	s.lo |= o.lo
	for w, v := range o.hi {
		for len(s.hi) <= w {
			s.hi = append(s.hi, 0)
		}
		s.hi[w] |= v
	}
}

// each calls f for every member in increasing order.
func (s *srcSet) each(f func(i int)) {
	for w, v := range append([]uint64{s.lo}, s.hi...) {
		for v != 0 {
			t := bits.TrailingZeros64(v)
			f(w*64 + t)
			v &^= 1 << uint(t)
		}
	}
}

// candidate is one call kept as a possible exemplar.
type candidate struct {
	trace span.TraceID
	dur   int64 // latency in ns
	t     int64 // start, Unix ns
	src   int32 // source index
	err   bool
}

// exemplars keeps the candidates of a bucket: the slowest call, the latest
// error and a sample of calls for the typical exemplar. The sample keeps the
// k calls of lowest priority, a hash of trace ID and start time (bottom-k
// sampling): trace IDs are random, so it is a uniform sample, and the result
// does not depend on the order of calls or merges, so merged windows are
// reproducible.
type exemplars struct {
	slow, lastErr   candidate
	hasSlow, hasErr bool
	// top is the index in typ of the highest priority, topPrio its value.
	top     int32
	topPrio uint64
	typ     []candidate
}

// priority is the sampling priority of c.
func (c *candidate) priority() uint64 { return mix(c.trace, c.t) }

// slower reports whether c beats o for the slowest role.
func (c *candidate) slower(o *candidate) bool {
	if c.dur != o.dur {
		return c.dur > o.dur
	}
	if c.t != o.t {
		return c.t > o.t
	}
	return bytes.Compare(c.trace[:], o.trace[:]) > 0
}

// later reports whether c beats o for the latest-error role.
func (c *candidate) later(o *candidate) bool {
	if c.t != o.t {
		return c.t > o.t
	}
	if c.dur != o.dur {
		return c.dur > o.dur
	}
	return bytes.Compare(c.trace[:], o.trace[:]) > 0
}

// offer considers c for every role; k bounds the sample.
func (e *exemplars) offer(c *candidate, k int) {
	if !e.hasSlow || c.slower(&e.slow) {
		e.slow, e.hasSlow = *c, true
	}
	if c.err && (!e.hasErr || c.later(&e.lastErr)) {
		e.lastErr, e.hasErr = *c, true
	}
	e.sample(c, k)
}

// sample offers c to the bottom-k sample.
func (e *exemplars) sample(c *candidate, k int) {
	if k == 0 {
		return
	}
	if len(e.typ) < k {
		if e.typ == nil {
			e.typ = make([]candidate, 0, k)
		}
		e.typ = append(e.typ, *c)
		if len(e.typ) == k {
			e.findTop()
		}
		return
	}
	if p := c.priority(); p < e.topPrio {
		e.typ[e.top] = *c
		e.findTop()
	}
}

// findTop locates the highest priority of a full sample.
func (e *exemplars) findTop() {
	e.top, e.topPrio = 0, 0
	for i := range e.typ {
		if p := e.typ[i].priority(); i == 0 || p > e.topPrio {
			e.top, e.topPrio = int32(i), p
		}
	}
}

// merge folds o into e; the sample keeps at most k candidates.
func (e *exemplars) merge(o *exemplars, k int) {
	if o.hasSlow && (!e.hasSlow || o.slow.slower(&e.slow)) {
		e.slow, e.hasSlow = o.slow, true
	}
	if o.hasErr && (!e.hasErr || o.lastErr.later(&e.lastErr)) {
		e.lastErr, e.hasErr = o.lastErr, true
	}
	for i := range o.typ {
		e.sample(&o.typ[i], k)
	}
}

// mix hashes the random low half of a trace ID with n (splitmix64 finaliser).
func mix(t span.TraceID, n int64) uint64 {
	x := uint64(t[8])<<56 | uint64(t[9])<<48 | uint64(t[10])<<40 | uint64(t[11])<<32 |
		uint64(t[12])<<24 | uint64(t[13])<<16 | uint64(t[14])<<8 | uint64(t[15])
	x ^= uint64(n) * 0x9e3779b97f4a7c15
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

// observe counts one call. k is the sample size for typical exemplars.
func (b *bucket) observe(m *mapping.CubicallyInterpolatedMapping, o *derive.Observation, src int, k int) {
	if o.Paired {
		b.paired++
	} else {
		b.unpaired++
	}
	if o.Error {
		b.errors++
	}
	if o.Time > b.lastSeen || b.calls() == 1 {
		b.lastSeen = o.Time
	}
	if o.SamplingProbability > 0 && o.SamplingProbability <= 1 {
		b.sampSum += int64(math.Round(o.SamplingProbability * samplingUnit))
		b.sampN++
	}
	b.srcs.add(src)
	switch {
	case o.ClientDuration >= 0:
		b.prepare(&b.client.pos)
		b.client.add(m, o.ClientDuration)
		if o.ServerDuration >= 0 {
			b.prepare(&b.servPaired.pos)
			b.servPaired.add(m, o.ServerDuration)
		}
	case o.ServerDuration >= 0:
		b.prepare(&b.servOnly.pos)
		b.servOnly.add(m, o.ServerDuration)
	}
	if o.Kind == graph.EdgeMessaging && o.QueueLag != -1 {
		if b.lag == nil {
			b.lag = &sketch{}
		}
		b.lag.add(m, o.QueueLag)
	}
	c := candidate{trace: o.TraceID, dur: max(o.Latency(), 0), t: o.Time, src: int32(src), err: o.Error}
	b.ex.offer(&c, k)
}

// inlineCandidates is the sample size whose storage is allocated with the
// bucket (the default ExemplarCandidates).
const inlineCandidates = 3

// inlineBins is the room for first sketch bins allocated with a bucket: two
// stores of four (index, count) pairs.
const inlineBins = 2 * sparseInitialCap

// bucketAlloc allocates a live bucket with its exemplar sample and the first
// bins of two sketches: one allocation instead of four.
type bucketAlloc struct {
	b    bucket
	typ  [inlineCandidates]candidate
	bins [inlineBins]uint32
}

// newBucket returns an empty live bucket for a sample of k candidates.
func newBucket(idx int64, k int) *bucket {
	x := &bucketAlloc{b: bucket{idx: idx}}
	if k > 0 && k <= inlineCandidates {
		x.b.ex.typ = x.typ[:0:k]
	}
	x.b.spare = x.bins[:]
	return &x.b
}

// prepare gives an unused sparse store room from the bucket's spare bins.
func (b *bucket) prepare(x *bins) {
	if x.data == nil && len(b.spare) >= sparseInitialCap {
		x.data = b.spare[:0:sparseInitialCap]
		b.spare = b.spare[sparseInitialCap:]
	}
}

// initAcc makes the sketches of an empty accumulator dense.
func (b *bucket) initAcc() {
	b.client.setDense()
	b.servPaired.setDense()
	b.servOnly.setDense()
	b.lag = &sketch{}
	b.lag.setDense()
}

// merge folds o into b (b.idx is kept). k bounds the typical sample;
// withExemplars false skips exemplars (node accumulators).
func (b *bucket) merge(o *bucket, k int, withExemplars bool) {
	if o.lastSeen > b.lastSeen || b.calls() == 0 {
		b.lastSeen = o.lastSeen
	}
	b.errors += o.errors
	b.paired += o.paired
	b.unpaired += o.unpaired
	b.sampSum += o.sampSum
	b.sampN += o.sampN
	b.srcs.union(&o.srcs)
	b.client.merge(&o.client)
	b.servPaired.merge(&o.servPaired)
	b.servOnly.merge(&o.servOnly)
	if o.lag != nil {
		if b.lag == nil {
			b.lag = &sketch{}
		}
		b.lag.merge(o.lag)
	}
	if withExemplars {
		b.ex.merge(&o.ex, k)
	}
}
