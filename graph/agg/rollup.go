package agg

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/spanmap/spanmap/graph"
	"github.com/spanmap/spanmap/graph/derive"
	"github.com/spanmap/spanmap/graph/span"
)

// Rollups are buckets exported from an Aggregator, merged to a coarser width
// (for instance one minute), for storage. They keep everything a bucket
// holds, latency sketches and exemplar candidates included, so importing
// them gives the same snapshots as the original data at their width.
type Rollups struct {
	// Width is the time each rollup covers.
	Width time.Duration
	// Edges are the edge-operation rollups, sorted by Start, From.ID, To.ID,
	// Kind and Operation.
	Edges []EdgeRollup
	// Drops are the dropped-span counts per service, sorted by Start and
	// Service.
	Drops []DropRollup
	// accuracy is the relative accuracy of the sketches, 0 when unknown.
	accuracy float64
}

// EdgeRollup is one edge operation over one rollup period.
type EdgeRollup struct {
	// Start is the period start.
	Start time.Time
	// From and To describe the edge's nodes as the registry knows them.
	From, To derive.Endpoint
	// Kind is the edge kind.
	Kind graph.EdgeKind
	// Operation is the operation, OtherOperation for overflowed ones.
	Operation string
	// Errors, Paired and Unpaired count calls.
	Errors, Paired, Unpaired int64
	// LastSeen is the latest call start, Unix nanoseconds.
	LastSeen int64
	// SamplingSum sums the sampling probabilities of the SamplingCount calls
	// that carried one, in billionths (1e9 is a probability of 1).
	SamplingSum   int64
	SamplingCount int64
	// Sources name the sources that reported calls, sorted.
	Sources []string
	// Slowest and LatestError are the exemplar candidates of those roles.
	Slowest, LatestError *Candidate
	// Typical are the candidates for the typical exemplar.
	Typical []Candidate

	client, servPaired, servOnly sketch
	lag                          *sketch
}

// Calls returns the number of calls.
func (r *EdgeRollup) Calls() int64 { return r.Paired + r.Unpaired }

// Candidate is a call kept as a possible exemplar.
type Candidate struct {
	// TraceID is the call's trace.
	TraceID span.TraceID
	// Source names the source that reported the call.
	Source string
	// Duration is the call's latency in nanoseconds.
	Duration int64
	// Time is the call's start, Unix nanoseconds.
	Time int64
	// Error reports a failed call.
	Error bool
}

// DropRollup counts the dropped spans of one service over one period.
type DropRollup struct {
	// Start is the period start.
	Start time.Time
	// Service is the service the dropped spans belonged to.
	Service string
	// Count is the number of dropped spans.
	Count int64
}

// Errors returned by Export and Import.
var (
	// ErrRollupWidth reports a rollup width that is not a positive multiple
	// of the bucket width.
	ErrRollupWidth = errors.New("rollup width must be a positive multiple of the bucket width")
	// ErrAccuracyMismatch reports rollups whose sketches use another relative
	// accuracy than the importing Aggregator.
	ErrAccuracyMismatch = errors.New("rollup sketch accuracy differs from the aggregator's")
	// ErrBadRollup reports a rollup that cannot be imported.
	ErrBadRollup = errors.New("invalid rollup")
)

// Export merges the buckets overlapping [from, to) into rollups of the given
// width, aligned to multiples of width since the Unix epoch.
func (a *Aggregator) Export(from, to time.Time, width time.Duration) (Rollups, error) {
	out := Rollups{Width: width, accuracy: a.cfg.RelativeAccuracy}
	if width <= 0 || int64(width)%a.width != 0 {
		return out, fmt.Errorf("export %v rollups from %v buckets: %w", width, a.cfg.BucketWidth, ErrRollupWidth)
	}
	if !to.After(from) {
		return out, nil
	}
	lo, hi := a.bucketRange(from, to)
	per := int64(width) / a.width
	a.mu.RLock()
	defer a.mu.RUnlock()
	for _, e := range a.edges {
		for _, s := range e.ops {
			var acc *bucket
			slot := int64(0)
			flush := func() {
				if acc != nil {
					out.Edges = append(out.Edges, a.rollup(e, s.op, time.Unix(0, slot*int64(width)), acc))
				}
			}
			s.each(lo, hi, func(idx int64, b *bucket, p *packedBucket) {
				if acc == nil || floorDiv(idx, per) != slot {
					flush()
					// A sparse accumulator: a rollup merges a few buckets,
					// whose bins it keeps compact, turning dense only by
					// the usual rule.
					acc, slot = &bucket{}, floorDiv(idx, per)
				}
				a.mergeInto(acc, idx, b, p, a.cfg.ExemplarCandidates, true)
			})
			flush()
		}
	}
	for id, n := range a.nodes {
		var cur *DropRollup
		for _, d := range n.drops {
			if d.idx < lo || d.idx >= hi {
				continue
			}
			start := time.Unix(0, floorDiv(d.idx, per)*int64(width))
			if cur == nil || !cur.Start.Equal(start) {
				out.Drops = append(out.Drops, DropRollup{Start: start, Service: id})
				cur = &out.Drops[len(out.Drops)-1]
			}
			cur.Count += d.n
		}
	}
	out.sort()
	return out, nil
}

// rollup converts a private accumulator. Must be called holding the lock.
func (a *Aggregator) rollup(e *edge, op string, start time.Time, b *bucket) EdgeRollup {
	r := EdgeRollup{
		Start: start, From: endpointOf(e.from), To: endpointOf(e.to), Kind: e.key.kind, Operation: op,
		Errors: b.errors, Paired: b.paired, Unpaired: b.unpaired, LastSeen: b.lastSeen,
		SamplingSum: b.sampSum, SamplingCount: b.sampN,
		Sources: sourceNames(&b.srcs, a.sources),
		client:  b.client, servPaired: b.servPaired, servOnly: b.servOnly, lag: b.lag,
	}
	conv := func(c *candidate) Candidate {
		return Candidate{TraceID: c.trace, Source: a.sources[c.src], Duration: c.dur, Time: c.t, Error: c.err}
	}
	// One allocation holds all candidates.
	x := &b.ex
	n := len(x.typ)
	if x.hasSlow {
		n++
	}
	if x.hasErr {
		n++
	}
	if n == 0 {
		return r
	}
	cands := make([]Candidate, 0, n)
	if x.hasSlow {
		cands = append(cands, conv(&x.slow))
		r.Slowest = &cands[len(cands)-1]
	}
	if x.hasErr {
		cands = append(cands, conv(&x.lastErr))
		r.LatestError = &cands[len(cands)-1]
	}
	for i := range x.typ {
		cands = append(cands, conv(&x.typ[i]))
	}
	if len(x.typ) > 0 {
		r.Typical = cands[n-len(x.typ) : n : n]
	}
	return r
}

func endpointOf(n *node) derive.Endpoint {
	return derive.Endpoint{ID: n.id, Name: n.name, Kind: n.nodeKind(), Namespace: n.namespace}
}

func (r *Rollups) sort() {
	sort.Slice(r.Edges, func(i, j int) bool {
		x, y := &r.Edges[i], &r.Edges[j]
		switch {
		case !x.Start.Equal(y.Start):
			return x.Start.Before(y.Start)
		case x.From.ID != y.From.ID:
			return x.From.ID < y.From.ID
		case x.To.ID != y.To.ID:
			return x.To.ID < y.To.ID
		case x.Kind != y.Kind:
			return x.Kind < y.Kind
		}
		return x.Operation < y.Operation
	})
	sort.Slice(r.Drops, func(i, j int) bool {
		x, y := &r.Drops[i], &r.Drops[j]
		if !x.Start.Equal(y.Start) {
			return x.Start.Before(y.Start)
		}
		return x.Service < y.Service
	})
}

// Import adds rollups: each lands whole in the bucket holding its Start, so
// an Aggregator whose bucket width equals the rollup width reproduces the
// exported data exactly. Operations beyond MaxOperationsPerEdge go to
// OtherOperation. Nothing is imported when an error is returned. When
// CompactAfter is set, a rollup that starts a new bucket is stored packed
// (see Prune); the rollups are not retained.
func (a *Aggregator) Import(r Rollups) error {
	if r.accuracy != 0 && math.Abs(r.accuracy-a.cfg.RelativeAccuracy) > 1e-12 {
		return fmt.Errorf("import rollups of accuracy %v into %v: %w", r.accuracy, a.cfg.RelativeAccuracy, ErrAccuracyMismatch)
	}
	maxIdx := int32(a.m.Index(math.MaxInt64))
	for i := range r.Edges {
		if err := r.Edges[i].check(maxIdx); err != nil {
			return fmt.Errorf("import rollup %d: %w", i, err)
		}
	}
	for i, d := range r.Drops {
		if d.Service == "" || d.Count < 0 {
			return fmt.Errorf("import drop rollup %d: %w: empty service or negative count", i, ErrBadRollup)
		}
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	for i := range r.Edges {
		a.importEdge(&r.Edges[i])
	}
	for _, d := range r.Drops {
		nd := a.node(d.Service)
		nd.drops = addDrop(nd.drops, floorDiv(d.Start.UnixNano(), a.width), d.Count)
	}
	a.flushPendingDrops()
	return nil
}

// check validates what Import relies on.
func (r *EdgeRollup) check(maxIdx int32) error {
	if r.From.ID == "" || r.To.ID == "" {
		return fmt.Errorf("%w: empty node ID", ErrBadRollup)
	}
	if r.Errors < 0 || r.Paired < 0 || r.Unpaired < 0 || r.SamplingCount < 0 || r.SamplingSum < 0 {
		return fmt.Errorf("%w: negative count", ErrBadRollup)
	}
	for _, s := range []*sketch{&r.client, &r.servPaired, &r.servOnly, r.lag} {
		if s == nil {
			continue
		}
		for _, b := range []*bins{&s.pos, s.neg} {
			if b == nil {
				continue
			}
			if lo, hi, ok := b.bounds(); ok && (lo < 0 || hi > maxIdx) {
				return fmt.Errorf("%w: sketch index out of range", ErrBadRollup)
			}
		}
	}
	return nil
}

// importEdge must be called holding the write lock.
func (a *Aggregator) importEdge(r *EdgeRollup) {
	e := a.edge(r.From.ID, r.To.ID, r.Kind)
	e.from.update(&r.From)
	e.to.update(&r.To)
	k := a.cfg.ExemplarCandidates
	s := a.series(e, r.Operation)
	idx := floorDiv(r.Start.UnixNano(), a.width)
	in := bucket{
		errors: r.Errors, paired: r.Paired, unpaired: r.Unpaired, lastSeen: r.LastSeen,
		sampSum: r.SamplingSum, sampN: r.SamplingCount,
		client: r.client, servPaired: r.servPaired, servOnly: r.servOnly, lag: r.lag,
	}
	for _, s := range r.Sources {
		in.srcs.add(a.source(s))
	}
	conv := func(c *Candidate) candidate {
		return candidate{trace: c.TraceID, dur: c.Duration, t: c.Time, src: int32(a.source(c.Source)), err: c.Error}
	}
	packable := len(r.Typical) <= k
	if r.Slowest != nil {
		in.ex.slow, in.ex.hasSlow = conv(r.Slowest), true
		packable = packable && r.Slowest.Duration >= 0
	}
	if r.LatestError != nil {
		in.ex.lastErr, in.ex.hasErr = conv(r.LatestError), true
		packable = packable && r.LatestError.Duration >= 0
	}
	in.ex.typ = a.typBuf[:0]
	for i := range r.Typical {
		in.ex.typ = append(in.ex.typ, conv(&r.Typical[i]))
		packable = packable && r.Typical[i].Duration >= 0
	}
	a.typBuf = in.ex.typ[:0]
	if packable && a.cfg.CompactAfter > 0 && !s.holds(idx) {
		// A new bucket is stored packed, as Prune stores old buckets: a
		// fraction of the memory of a live one, and no pointers for the
		// collector to chase. A late Add or Import into it unpacks it.
		a.packBuf = in.pack(a.packBuf[:0], idx*a.width)
		s.insertPacked(packedBucket{idx: idx, data: a.packedCopy(a.packBuf)})
	} else {
		s.bucket(idx, a.width, k).merge(&in, k, true)
	}
	if in.calls() > 0 && (!a.clockSet || r.LastSeen > a.clock) {
		a.clock, a.clockSet = r.LastSeen, true
	}
}

// packedChunk is the size of the chunks imported packed buckets are copied
// into.
const packedChunk = 64 << 10

// packedCopy copies a packed bucket into the current chunk: buckets
// imported together share chunks (one allocation for hundreds of buckets),
// and as they also age together, retention frees whole chunks. Must be
// called holding the write lock.
func (a *Aggregator) packedCopy(p []byte) []byte {
	if len(p) > packedChunk/8 {
		return append([]byte(nil), p...)
	}
	if cap(a.packArena)-len(a.packArena) < len(p) {
		a.packArena = make([]byte, 0, packedChunk)
	}
	n := len(a.packArena)
	a.packArena = append(a.packArena, p...)
	return a.packArena[n : n+len(p) : n+len(p)]
}
