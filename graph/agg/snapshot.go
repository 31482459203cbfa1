package agg

import (
	"math"
	"sort"
	"time"

	"github.com/spanmap/spanmap/graph"
)

// windowCandidates bounds the typical-exemplar candidates a window keeps
// after merging its buckets (a bottom-k sample of the buckets' candidates).
const windowCandidates = 16

// outNode accumulates one node of a snapshot.
type outNode struct {
	id, name, namespace string
	kind                graph.NodeKind
	acc                 bucket
	ops                 map[string]struct{}
	srcs                srcSet
	drops               int64
}

// outEdge accumulates one edge of a snapshot.
type outEdge struct {
	id       string
	from, to *outNode
	op       string
	acc      bucket
	// kinds counts calls per edge kind: series of different kinds between
	// the same nodes share one edge ID and the busiest kind names the edge.
	kinds map[graph.EdgeKind]int64
}

// window is what Snapshot collects under the read lock.
type window struct {
	nodes   map[string]*outNode
	edges   map[string]*outEdge
	sources []string
}

// bucketRange returns the bucket numbers [lo, hi) overlapping [from, to).
func (a *Aggregator) bucketRange(from, to time.Time) (lo, hi int64) {
	lo = floorDiv(from.UnixNano(), a.width)
	hi = floorDiv(to.UnixNano()-1, a.width) + 1
	return lo, hi
}

// Snapshot merges the buckets overlapping [from, to) into nodes and edges,
// sorted by ID. Rates are per second over to-from; latencies are in ms. A
// node's stats are its inbound calls; its operations are the operations of
// its inbound edges; its sources are those of all edges touching it. Edges of
// different kinds between the same two nodes are reported as one edge named
// after the busiest kind. Version and View are left for the caller. Add may
// run between chunks of edges, so calls added during a snapshot may show on
// some edges only.
func (a *Aggregator) Snapshot(from, to time.Time, opt Options) graph.Snapshot {
	snap := graph.Snapshot{From: from.UnixMilli(), To: to.UnixMilli(), Nodes: []graph.Node{}, Edges: []graph.Edge{}}
	if !to.After(from) {
		return snap
	}
	lo, hi := a.bucketRange(from, to)
	w := a.collect(lo, hi, opt)
	secs := to.Sub(from).Seconds()

	for _, n := range w.nodes {
		snap.Nodes = append(snap.Nodes, a.graphNode(n, w.sources, secs))
	}
	for _, e := range w.edges {
		snap.Edges = append(snap.Edges, a.graphEdge(e, w.sources, secs))
	}
	sort.Slice(snap.Nodes, func(i, j int) bool { return snap.Nodes[i].ID < snap.Nodes[j].ID })
	sort.Slice(snap.Edges, func(i, j int) bool { return snap.Edges[i].ID < snap.Edges[j].ID })
	return snap
}

// collectChunk is how many edges collect merges per read-lock hold, so that
// a large snapshot lets Add in between chunks.
const collectChunk = 128

// collect merges the buckets [lo, hi) into private accumulators. It holds
// the read lock per chunk of edges: calls added meanwhile may show in the
// edges of later chunks only.
func (a *Aggregator) collect(lo, hi int64, opt Options) *window {
	w := &window{nodes: map[string]*outNode{}, edges: map[string]*outEdge{}}
	a.mu.RLock()
	edges := make([]*edge, 0, len(a.edges))
	for _, e := range a.edges {
		edges = append(edges, e)
	}
	a.mu.RUnlock()
	outNodeOf := func(n *node) *outNode {
		o := w.nodes[n.id]
		if o == nil {
			o = &outNode{id: n.id, name: n.name, namespace: n.namespace, kind: n.nodeKind(),
				ops: map[string]struct{}{}, drops: sumDrops(n.drops, lo, hi)}
			o.acc.initAcc()
			w.nodes[n.id] = o
		}
		return o
	}
	for i := 0; i == 0 || i < len(edges); i += collectChunk {
		a.mu.RLock()
		for _, e := range edges[i:min(i+collectChunk, len(edges))] {
			a.collectEdge(w, e, lo, hi, opt, outNodeOf)
		}
		// Candidates refer to sources by index: take the list last.
		w.sources = a.sources
		a.mu.RUnlock()
	}
	for _, oe := range w.edges {
		oe.to.acc.merge(&oe.acc, 0, false)
		oe.to.srcs.union(&oe.acc.srcs)
		oe.from.srcs.union(&oe.acc.srcs)
	}
	return w
}

// collectEdge merges the series of e. Must be called holding the read lock.
func (a *Aggregator) collectEdge(w *window, e *edge, lo, hi int64, opt Options, outNodeOf func(*node) *outNode) {
	for _, s := range e.ops {
		if !s.has(lo, hi) {
			continue
		}
		op := ""
		if opt.Operations {
			op = s.op
		}
		id := graph.EdgeID(e.key.from, e.key.to, op)
		oe := w.edges[id]
		if oe == nil {
			oe = &outEdge{id: id, from: outNodeOf(e.from), to: outNodeOf(e.to), op: op, kinds: map[graph.EdgeKind]int64{}}
			oe.acc.initAcc()
			w.edges[id] = oe
		}
		before := oe.acc.calls()
		s.each(lo, hi, func(idx int64, b *bucket, p *packedBucket) {
			a.mergeInto(&oe.acc, idx, b, p, windowCandidates, true)
		})
		oe.kinds[e.key.kind] += oe.acc.calls() - before
		oe.to.ops[s.op] = struct{}{}
	}
}

// mergeInto folds a live bucket b or a packed bucket p (bucket number idx)
// into acc.
func (a *Aggregator) mergeInto(acc *bucket, idx int64, b *bucket, p *packedBucket, k int, withExemplars bool) {
	if b != nil {
		acc.merge(b, k, withExemplars)
		return
	}
	acc.mergePacked(p.data, idx*a.width, k, withExemplars)
}

// graphNode converts a node accumulator.
func (a *Aggregator) graphNode(n *outNode, sources []string, secs float64) graph.Node {
	g := graph.Node{ID: n.id, Name: n.name, Kind: n.kind, Namespace: n.namespace}
	if g.Name == "" {
		g.Name = n.id
	}
	g.Stats = a.stats(&n.acc, secs)
	g.Health = a.health(&g.Stats)
	for op := range n.ops {
		g.Operations = append(g.Operations, op)
	}
	sort.Strings(g.Operations)
	g.Sources = sourceNames(&n.srcs, sources)
	return g
}

// graphEdge converts an edge accumulator.
func (a *Aggregator) graphEdge(e *outEdge, sources []string, secs float64) graph.Edge {
	g := graph.Edge{ID: e.id, From: e.from.id, To: e.to.id, Operation: e.op}
	var best int64 = -1
	for k, n := range e.kinds {
		if n > best || (n == best && k < g.Kind) {
			g.Kind, best = k, n
		}
	}
	g.Stats = a.stats(&e.acc, secs)
	g.Health = a.health(&g.Stats)
	g.Trust = graph.Trust{
		Paired:   e.acc.paired,
		Unpaired: e.acc.unpaired,
		Dropped:  e.from.drops,
		LastSeen: time.Unix(0, e.acc.lastSeen).UnixMilli(),
	}
	if e.to != e.from {
		g.Trust.Dropped += e.to.drops
	}
	if e.acc.sampN > 0 {
		g.Trust.SamplingRate = float64(e.acc.sampSum) / samplingUnit / float64(e.acc.sampN)
	}
	g.Exemplars = a.exemplars(&e.acc.ex, g.Stats.Latency.P50, sources)
	g.Sources = sourceNames(&e.acc.srcs, sources)
	return g
}

// stats converts an accumulator into graph stats.
func (a *Aggregator) stats(b *bucket, secs float64) graph.Stats {
	st := graph.Stats{Calls: b.calls(), Errors: b.errors}
	if st.Calls == 0 {
		return st
	}
	// Figures keep graph.FigureDigits significant digits.
	st.Rate = graph.RoundFigure(float64(st.Calls) / secs)
	st.ErrorRate = graph.RoundFigure(float64(st.Errors) / float64(st.Calls))
	switch {
	case b.servOnly.isEmpty():
		st.Latency = a.latency(&b.client)
	case b.client.isEmpty():
		st.Latency = a.latency(&b.servOnly)
	default:
		all := b.client.clone()
		all.merge(&b.servOnly)
		st.Latency = a.latency(&all)
	}
	if !b.client.isEmpty() {
		l := a.latency(&b.client)
		st.ClientLatency = &l
	}
	switch {
	case b.servPaired.isEmpty() && b.servOnly.isEmpty():
	case b.servOnly.isEmpty():
		l := a.latency(&b.servPaired)
		st.ServerLatency = &l
	case b.servPaired.isEmpty():
		l := a.latency(&b.servOnly)
		st.ServerLatency = &l
	default:
		srv := b.servPaired.clone()
		srv.merge(&b.servOnly)
		l := a.latency(&srv)
		st.ServerLatency = &l
	}
	if b.lag != nil && !b.lag.isEmpty() {
		l := a.latency(b.lag)
		st.QueueLag = &l
	}
	return st
}

// latency reads p50, p90, p95 and p99 in milliseconds.
func (a *Aggregator) latency(s *sketch) graph.Latency {
	n := s.count()
	if n == 0 {
		return graph.Latency{}
	}
	q := func(q float64) float64 { return s.quantile(a.m, q, n) / 1e6 }
	return graph.Latency{P50: q(0.50), P90: q(0.90), P95: q(0.95), P99: q(0.99)}.Round()
}

// health applies the thresholds: the worse of the error-rate rule and the
// p99 latency rule; unknown without calls. Thresholds are inclusive.
func (a *Aggregator) health(st *graph.Stats) graph.Health {
	if st.Calls == 0 {
		return graph.HealthUnknown
	}
	c := &a.cfg
	failing := st.ErrorRate >= c.ErrorRateFailing ||
		(c.LatencyFailingMs > 0 && st.Latency.P99 >= c.LatencyFailingMs)
	if failing {
		return graph.HealthFailing
	}
	degraded := st.ErrorRate >= c.ErrorRateDegraded ||
		(c.LatencyDegradedMs > 0 && st.Latency.P99 >= c.LatencyDegradedMs)
	if degraded {
		return graph.HealthDegraded
	}
	return graph.HealthOK
}

// exemplars picks the slowest call, the latest error and the candidate whose
// latency is nearest p50ms (successful calls preferred), in that order. Two
// roles may point at the same call.
func (a *Aggregator) exemplars(e *exemplars, p50ms float64, sources []string) []graph.Exemplar {
	var out []graph.Exemplar
	conv := func(role string, c *candidate) graph.Exemplar {
		x := graph.Exemplar{Role: role, TraceID: c.trace.String(), DurationMs: float64(c.dur) / 1e6,
			Time: time.Unix(0, c.t).UnixMilli()}
		if int(c.src) < len(sources) {
			x.Source = sources[c.src]
		}
		return x
	}
	if e.hasSlow {
		out = append(out, conv("slowest", &e.slow))
	}
	if e.hasErr {
		out = append(out, conv("error", &e.lastErr))
	}
	p50 := p50ms * 1e6
	var best *candidate
	bestDist := math.Inf(1)
	for i := range e.typ {
		c := &e.typ[i]
		d := math.Abs(float64(c.dur) - p50)
		better := best == nil ||
			(best.err && !c.err) ||
			(best.err == c.err && (d < bestDist || (d == bestDist && c.t > best.t)))
		if better {
			best, bestDist = c, d
		}
	}
	if best != nil {
		out = append(out, conv("typical", best))
	}
	return out
}

// sourceNames returns the names of the set's sources, sorted.
func sourceNames(s *srcSet, sources []string) []string {
	var out []string
	s.each(func(i int) {
		if i < len(sources) {
			out = append(out, sources[i])
		}
	})
	sort.Strings(out)
	return out
}
