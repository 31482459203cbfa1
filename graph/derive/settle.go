package derive

import (
	"github.com/spanmap/spanmap/graph"
	"github.com/spanmap/spanmap/graph/span"
)

// settle emits what a record leaving the store still owes: the inbound call
// of a server or consumer span that no client claimed, the call into a
// service entered through a non-server span, and the call from an unclaimed
// client or producer span to a virtual peer. Must be called holding d.mu.
func (d *Deriver) settle(slot uint32, r *rec, evicted bool, dst []Observation) []Observation {
	if r.has(fShared) {
		d.sharedN--
	}
	if r.has(fEntry) && d.sharedN > 0 {
		dst = d.recheckHalf(slot, r, dst)
	}
	if !r.has(fResolved) {
		d.stats.MissingParent++
		d.nameUnknown(r)
	}
	if r.svc == 0 {
		// No service of its own and none taken from an ancestor (or a
		// server or consumer span without one): as in Zipkin's dependency
		// linker, a call needs both service names.
		d.stats.NoService++
		return dst
	}
	if isCallee(r.kind) {
		return d.settleCallee(r, evicted, dst)
	}
	dst = d.settleEntry(r, evicted, dst)
	if isCaller(r.kind) && !r.has(fClaimed) {
		dst = d.settlePeer(r, evicted, dst)
	}
	return dst
}

// recheckHalf re-attaches a span that entered its service from its parent's
// span ID when the other half of a Zipkin shared span with that ID, in the
// span's own service, arrived after it: the span belongs to that half.
func (d *Deriver) recheckHalf(slot uint32, r *rec, dst []Observation) []Observation {
	ps, ok := d.findParent(r)
	if !ok || d.ring.at(ps).svc != r.svc {
		return dst
	}
	r.flags &^= fEntry | fParentClient | fParentErr | fResolved
	r.up, r.upDur = upUnknown, -1
	_, dst = d.attach(slot, ps, dst)
	return dst
}

// settleCallee emits the inbound call of a server or consumer span that was
// not paired with a client or producer span.
func (d *Deriver) settleCallee(r *rec, evicted bool, dst []Observation) []Observation {
	if r.has(fEmitted) {
		return dst
	}
	up := r.up
	if !r.has(fResolved) {
		up = upUnknown
	}
	var from Endpoint
	kind := graph.EdgeRPC
	if r.kind == span.KindConsumer {
		kind = graph.EdgeMessaging
	}
	switch {
	case up == upCaller:
		from = d.service(r.upSvc)
	case up == upNested:
		d.stats.Nested++
		return dst
	case r.peer != 0:
		// A root (or orphaned) callee that names its caller: Zipkin's
		// remoteEndpoint, peer.service, or a consumer's messaging system.
		from = d.virtual(r.peer, nodeKindOf(r))
	case d.cfg.UserNode:
		name := d.in.str(d.userID)
		from = Endpoint{ID: name, Name: name, Kind: graph.NodeUser}
	default:
		d.stats.NoCaller++
		return dst
	}
	d.stats.Unpaired++
	return append(dst, Observation{
		From:                from,
		To:                  d.service(r.svc),
		Kind:                kind,
		Operation:           d.in.str(r.op),
		Time:                r.start,
		ClientDuration:      -1,
		ServerDuration:      r.dur,
		QueueLag:            -1,
		Error:               r.has(fErr),
		TraceID:             r.trace,
		SamplingProbability: float64(r.prob),
		Evicted:             evicted,
	})
}

// settleEntry emits the call into a service entered through a span that is
// not a server or consumer span (its server span is missing): the caller is
// the parent's service. A child of a Zipkin shared span whose server half
// arrived after it belongs to that half and is no entry.
func (d *Deriver) settleEntry(r *rec, evicted bool, dst []Observation) []Observation {
	if !r.has(fEntry) || !r.has(fResolved) {
		return dst
	}
	if r.has(fParentClient) && d.sharedN > 0 {
		if ss, ok := d.lookup(&r.trace, r.parent, true); ok && d.ring.at(ss).svc == r.svc {
			return dst
		}
	}
	// The entry span's own error belongs to the call it makes, unless that
	// call is not drawn (no callee, no peer name): then it shows here.
	ownCall := isCaller(r.kind) && (r.has(fClaimed) || r.peer != 0 && r.peer != r.svc)
	d.stats.Unpaired++
	return append(dst, Observation{
		From:                d.service(r.upSvc),
		To:                  d.service(r.svc),
		Kind:                graph.EdgeRPC,
		Operation:           d.in.str(r.op),
		Time:                r.start,
		ClientDuration:      r.upDur,
		ServerDuration:      r.dur,
		QueueLag:            -1,
		Error:               r.has(fParentErr) || r.has(fErr) && !ownCall,
		TraceID:             r.trace,
		SamplingProbability: float64(r.prob),
		Evicted:             evicted,
	})
}

// settlePeer emits the call from a client or producer span that no callee
// claimed to the virtual node its peer attributes name.
func (d *Deriver) settlePeer(r *rec, evicted bool, dst []Observation) []Observation {
	if r.peer == 0 {
		d.stats.NoPeer++
		return dst
	}
	if r.peer == r.svc && r.has(fEntry) {
		// The span stands for the call into its own service (a client span
		// recorded under the callee's name), already counted as the entry.
		return dst
	}
	nk := nodeKindOf(r)
	d.stats.Unpaired++
	return append(dst, Observation{
		From:                d.service(r.svc),
		To:                  d.virtual(r.peer, nk),
		Kind:                edgeKindOf(nk),
		Operation:           d.in.str(r.op),
		Time:                r.start,
		ClientDuration:      r.dur,
		ServerDuration:      -1,
		QueueLag:            -1,
		Error:               r.has(fErr),
		TraceID:             r.trace,
		SamplingProbability: float64(r.prob),
		Evicted:             evicted,
	})
}

// virtual returns the endpoint of a virtual node. Its ID is the plain name,
// so a name equal to an instrumented service merges with that service.
func (d *Deriver) virtual(name uint32, kind graph.NodeKind) Endpoint {
	s := d.in.str(name)
	return Endpoint{ID: s, Name: s, Kind: kind}
}

// nodeKindOf classifies the virtual peer of a record.
func nodeKindOf(r *rec) graph.NodeKind {
	switch {
	case r.has(fPeerDB):
		return graph.NodeDatabase
	case r.has(fPeerMsg), r.kind == span.KindProducer, r.kind == span.KindConsumer:
		return graph.NodeMessaging
	}
	return graph.NodeExternal
}

// edgeKindOf is the kind of a call into a virtual node of kind k.
func edgeKindOf(k graph.NodeKind) graph.EdgeKind {
	switch k {
	case graph.NodeDatabase:
		return graph.EdgeDatabase
	case graph.NodeMessaging:
		return graph.EdgeMessaging
	}
	return graph.EdgeExternal
}
