package agg

import (
	"math"
	"math/bits"
	"time"

	"github.com/DataDog/sketches-go/ddsketch/mapping"
	"github.com/spanmap/spanmap/graph"
	"github.com/spanmap/spanmap/graph/derive"
)

// ExternalEdge is the traffic of one edge over an interval as a source other
// than spans reports it: counters and latency quantiles, for instance the
// service-graph metrics an OpenTelemetry Collector or Tempo computes.
type ExternalEdge struct {
	// From and To are the caller and callee, named and kinded as derived
	// calls name them, so a node seen in spans and in metrics is one node.
	From, To derive.Endpoint
	// Kind is the edge kind.
	Kind graph.EdgeKind
	// Operation names the operation series; empty when the source has no
	// operation.
	Operation string
	// Calls and Errors count the calls and failed calls in the interval;
	// Errors above Calls count as Calls.
	Calls, Errors int64
	// Paired reports that both sides were instrumented (counted in
	// Trust.Paired, otherwise Trust.Unpaired).
	Paired bool
	// Client and Server are the caller's and callee's latency quantiles in
	// milliseconds; a zero field is unknown.
	Client, Server graph.Latency
	// QueueLag holds the queue lag quantiles of messaging edges; zero
	// fields are unknown.
	QueueLag graph.Latency
}

// maxLatencyNs caps external latencies (about 292 years, the int64 range of
// nanoseconds used by calls from spans).
const maxLatencyNs = float64(math.MaxInt64)

// quantileLevels are the levels of graph.Latency, in field order.
var quantileLevels = [4]float64{0.50, 0.90, 0.95, 0.99}

// AddExternal counts edges reported by source for the interval [from, to).
// The calls of an edge are spread over the buckets the interval overlaps, in
// proportion to the overlap (whole calls; errors and latency weights follow
// the calls), so an interval longer than a bucket gives steady rates instead
// of one spike. When to is not after from, everything lands in the bucket of
// from. Each bucket's LastSeen is the start of its part of the interval,
// since the calls carry no time of their own. Edges without a From or To ID
// are skipped (see Counters.Skipped), as are edges without calls. External
// calls carry no trace, so they give no exemplars and no sampling rate.
//
// Latency is an approximation: the source keeps histograms, not calls, so
// each known quantile becomes one value weighted by the share of the
// interval's calls nearest to it: p50 stands for the calls up to the
// midpoint between 0.5 and 0.9 (70%), p90 for those up to 0.925, p95 up to
// 0.97 and p99 for the remaining 3%, the shares nudged so that the
// interval's four quantiles read back (within the sketch accuracy) from 22
// calls on; with fewer calls the lower quantiles win. Each weight is spread
// over the buckets with the calls, so a window covering the interval reads
// the interval's quantiles, and a window covering part of it reads a
// mixture with about the same shares. Merged with other intervals or with
// calls from spans the result is a mixture of discrete points, not the true
// distribution: quantiles between the known levels (and beyond p99) are not
// represented, and the values are only as exact as the source's histogram
// buckets (histogram_quantile interpolates linearly inside a bucket).
func (a *Aggregator) AddExternal(source string, from, to time.Time, edges []ExternalEdge) {
	if len(edges) == 0 {
		return
	}
	parts := a.parts(from, to)
	total := parts[len(parts)-1].cum
	a.mu.Lock()
	defer a.mu.Unlock()
	src := a.source(source)
	k := a.cfg.ExemplarCandidates
	var added int64
	for i := range edges {
		x := &edges[i]
		if x.From.ID == "" || x.To.ID == "" {
			a.skipped++
			continue
		}
		if x.Calls <= 0 {
			continue
		}
		e := a.edge(x.From.ID, x.To.ID, x.Kind)
		if x.From != e.fromEP {
			e.from.update(&x.From)
			e.fromEP = x.From
		}
		if x.To != e.toEP {
			e.to.update(&x.To)
			e.toEP = x.To
		}
		s := a.series(e, x.Operation)
		in := a.externalInput(x)
		var before int64
		for _, p := range parts {
			upto := share(x.Calls, p.cum, total)
			if upto == before {
				continue
			}
			a.external(s.bucket(p.idx, a.width, k), &in, before, upto, p.start, src)
			before = upto
		}
		added += x.Calls
	}
	a.perSource[src].Observations += added
	a.flushPendingDrops()
}

// externalInput is an ExternalEdge prepared for spreading over buckets.
type externalInput struct {
	x      *ExternalEdge
	errors int64
	// client, server and lag are the weighted quantile values.
	client, server, lag []weighted
}

// weighted is a sketch bin index and a weight. The weight is spread over
// the calls with a phase of its own, so that buckets holding few calls get
// different points rather than all the same one.
type weighted struct {
	idx   int32
	w     int64
	phase int64 // in [0, calls)
}

// externalInput prepares x.
func (a *Aggregator) externalInput(x *ExternalEdge) externalInput {
	in := externalInput{x: x, errors: min(max(x.Errors, 0), x.Calls)}
	in.client = quantilePoints(a.m, x.Client, x.Calls)
	in.server = quantilePoints(a.m, x.Server, x.Calls)
	if x.Kind == graph.EdgeMessaging {
		in.lag = quantilePoints(a.m, x.QueueLag, x.Calls)
	}
	return in
}

// part is one bucket's share of an external interval.
type part struct {
	idx int64
	// start is where the interval enters the bucket, Unix ns.
	start int64
	// cum is the interval's length up to the end of this part, ns.
	cum int64
}

// parts splits [from, to) by bucket.
func (a *Aggregator) parts(from, to time.Time) []part {
	f, t := from.UnixNano(), to.UnixNano()
	if t <= f {
		return []part{{idx: floorDiv(f, a.width), start: f, cum: 1}}
	}
	var out []part
	for idx := floorDiv(f, a.width); idx*a.width < t; idx++ {
		start := max(f, idx*a.width)
		end := min(t, (idx+1)*a.width)
		out = append(out, part{idx: idx, start: start, cum: end - f})
	}
	return out
}

// share returns floor(n * part / whole) for 0 <= part <= whole, 0 <= n,
// without overflow.
func share(n, part, whole int64) int64 {
	return phased(n, part, whole, 0)
}

// phased returns floor((n * part + phase) / whole) for 0 <= part <= whole,
// 0 <= n and 0 <= phase < whole, without overflow: 0 at part 0 and n at
// part whole, whatever the phase.
func phased(n, part, whole, phase int64) int64 {
	hi, lo := bits.Mul64(uint64(n), uint64(part))
	lo, carry := bits.Add64(lo, uint64(phase), 0)
	q, _ := bits.Div64(hi+carry, lo, uint64(whole))
	return int64(q)
}

// external adds to b the calls of in numbered [before, upto) of in.x.Calls,
// with their share of errors and latency weights. Must be called holding
// the write lock.
func (a *Aggregator) external(b *bucket, in *externalInput, before, upto, at int64, src int) {
	x := in.x
	n := upto - before
	if x.Paired {
		b.paired += n
	} else {
		b.unpaired += n
	}
	b.errors += share(in.errors, upto, x.Calls) - share(in.errors, before, x.Calls)
	if at > b.lastSeen || b.calls() == n {
		b.lastSeen = at
	}
	b.srcs.add(src)
	switch {
	case in.client != nil:
		b.prepare(&b.client.pos)
		addWeighted(&b.client, in.client, before, upto, x.Calls)
		if in.server != nil {
			b.prepare(&b.servPaired.pos)
			addWeighted(&b.servPaired, in.server, before, upto, x.Calls)
		}
	case in.server != nil:
		b.prepare(&b.servOnly.pos)
		addWeighted(&b.servOnly, in.server, before, upto, x.Calls)
	}
	if in.lag != nil {
		if b.lag == nil {
			b.lag = &sketch{}
		}
		addWeighted(b.lag, in.lag, before, upto, x.Calls)
	}
	if !a.clockSet || at > a.clock {
		a.clock, a.clockSet = at, true
	}
}

// addWeighted adds to s the share of each point that belongs to the calls
// [before, upto) of n.
func addWeighted(s *sketch, pts []weighted, before, upto, n int64) {
	for _, p := range pts {
		if w := phased(p.w, upto, n, p.phase) - phased(p.w, before, n, p.phase); w > 0 {
			// Counts per bin saturate at 2^32-1, as for calls from spans.
			s.pos.add(p.idx, uint32(min(w, math.MaxUint32)))
		}
	}
}

// quantilePoints returns the known quantiles of l (ms) as sketch bins
// weighted to stand for n calls (see AddExternal), nil when none is known.
// Unknown (zero), negative and non-finite quantiles are left out and their
// share goes to the next known level; a quantile below a lower one is
// raised to it.
func quantilePoints(m *mapping.CubicallyInterpolatedMapping, l graph.Latency, n int64) []weighted {
	vals := [4]float64{l.P50, l.P90, l.P95, l.P99}
	var known []int
	for i, v := range vals {
		if v > 0 && !math.IsInf(v, 0) && !math.IsNaN(v) {
			known = append(known, i)
		}
	}
	if len(known) == 0 {
		return nil
	}
	out := make([]weighted, 0, len(known))
	var done int64
	var floor float64
	for j, i := range known {
		cum := n
		if j+1 < len(known) {
			cum = cumulative(n, quantileLevels[i], quantileLevels[known[j+1]])
		}
		cum = min(max(cum, done), n)
		w := cum - done
		done = cum
		ns := max(math.Round(min(vals[i]*1e6, maxLatencyNs)), floor, 1)
		floor = ns
		if w > 0 {
			out = append(out, weighted{idx: int32(m.Index(ns)), w: w})
		}
	}
	for j := range out {
		out[j].phase = share(n, int64(2*j+1), int64(2*len(out)))
	}
	return out
}

// cumulative returns how many of n values go up to the point of level q,
// when the next known level is next: the share up to the midpoint of the
// two levels, kept in the range where a sketch reads q at this point and
// next past it (the sketch reads level q at the 0-based nearest rank
// ceil(q*n)-1), so that both read back when n is large enough for that
// range to be non-empty.
func cumulative(n int64, q, next float64) int64 {
	c := int64(math.Round(float64(n) * (q + next) / 2))
	lo := int64(nearestRank(q, uint64(n))) + 1
	hi := max(lo, int64(nearestRank(next, uint64(n))))
	return min(max(c, lo), hi)
}
