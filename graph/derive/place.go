package derive

import (
	"github.com/spanmap/spanmap/graph"
	"github.com/spanmap/spanmap/graph/span"
)

// place pairs and resolves a newly stored record, then wakes the children
// that wait for it (and, transitively, for the records that resolves). Must be
// called holding d.mu.
func (d *Deriver) place(slot uint32, dst []Observation) []Observation {
	r := d.ring.at(slot)
	d.stack = d.stack[:0]
	named := r.svc != 0 // else attach may give it its ancestor's service
	if r.parent.IsZero() || r.parent == r.id {
		r.up = upRoot
		r.flags |= fResolved
		d.nameUnknown(r)
	} else if ps, ok := d.findParent(r); ok {
		var done bool
		if done, dst = d.attach(slot, ps, dst); !done {
			d.wait(slot)
		}
	} else {
		d.wait(slot)
	}
	switch {
	case r.has(fShared):
		if cs, ok := d.lookup(&r.trace, r.id, false); ok && isCaller(d.ring.at(cs).kind) {
			dst = d.pair(cs, slot, dst)
		}
	case isCaller(r.kind) && named:
		dst = d.pairCallees(slot, dst)
	}
	if r.has(fLinks) {
		dst = d.linkConsumer(slot, dst)
	}
	d.stack = append(d.stack, slot)
	for len(d.stack) > 0 {
		s := d.stack[len(d.stack)-1]
		d.stack = d.stack[:len(d.stack)-1]
		dst = d.wake(s, dst)
	}
	return dst
}

// pairCallees pairs a client or producer span, once it has a service, with
// the callees already waiting for it under its own span ID: the server half
// of a Zipkin shared span and consumers linking to it.
func (d *Deriver) pairCallees(slot uint32, dst []Observation) []Observation {
	r := d.ring.at(slot)
	if d.sharedN > 0 {
		if ss, ok := d.lookup(&r.trace, r.id, true); ok && !d.ring.at(ss).has(fEmitted) {
			dst = d.pair(slot, ss, dst)
		}
	}
	if len(d.linkWait) > 0 {
		dst = d.wakeLinks(slot, dst)
	}
	return dst
}

// findParent returns the slot of r's parent. When a span ID is shared by
// the two halves of a Zipkin RPC, a child in the server half's service
// belongs to the server half and any other child to the client half, as in
// Zipkin's span tree; such a child waits for the client half rather than
// attach to a server half of another service.
func (d *Deriver) findParent(r *rec) (uint32, bool) {
	if d.sharedN > 0 && r.svc != 0 {
		if ss, ok := d.lookup(&r.trace, r.parent, true); ok && d.ring.at(ss).svc == r.svc {
			return ss, true
		}
	}
	return d.lookup(&r.trace, r.parent, false)
}

// attach links child cs to its stored parent ps and decides the child's up
// state. It reports false when the child must keep waiting for the parent's
// own ancestry.
func (d *Deriver) attach(cs, ps uint32, dst []Observation) (bool, []Observation) {
	c, p := d.ring.at(cs), d.ring.at(ps)
	if p.svc == 0 {
		if !p.has(fResolved) && !isCallee(p.kind) {
			return false, dst // p may still take a service from its parent
		}
		c.up = upRoot // nothing named above
		c.flags |= fResolved
		d.nameUnknown(c)
		return true, dst
	}
	if c.svc == 0 && !isCallee(c.kind) {
		// A span without a service belongs to its nearest ancestor's (the
		// parent took its own the same way). Its children may now resolve
		// even if it does not, so retry them, and pair the callees that
		// waited for it to have a service.
		c.svc = p.svc
		d.stack = append(d.stack, cs)
		if isCaller(c.kind) {
			dst = d.pairCallees(cs, dst)
		}
	}
	switch {
	case isCallee(c.kind) && isCaller(p.kind) && !c.has(fShared):
		if !c.has(fParentPaired) {
			c.flags |= fParentPaired
			dst = d.pair(ps, cs, dst)
		}
		c.up, c.upSvc = upCaller, p.svc
	case p.svc != c.svc:
		c.up, c.upSvc = upCaller, p.svc
		c.flags |= fEntry
		if isCaller(p.kind) && !isCallee(c.kind) {
			c.flags |= fParentClient
			c.upDur = p.dur
			if p.has(fErr) {
				c.flags |= fParentErr
			}
			p.flags |= fClaimed
		}
	case isCallee(p.kind):
		c.up = upNested
	case p.has(fResolved):
		c.up, c.upSvc = p.up, p.upSvc
	default:
		return false, dst
	}
	c.flags |= fResolved
	return true, dst
}

// nameUnknown gives a span without a service, and without an ancestor to take
// one from, the unknown-service name.
func (d *Deriver) nameUnknown(r *rec) {
	if r.svc == 0 && r.has(fUnknownSvc) {
		r.svc = d.unknownID
	}
}

// wait appends record slot to the chain of children waiting for its parent.
// The chain head's upSvc holds the chain tail.
func (d *Deriver) wait(slot uint32) {
	r := d.ring.at(slot)
	r.flags |= fWaiting
	r.wnext = 0
	h := hashKey(&r.trace, r.parent, false)
	i := d.waiters.find(h, func(x uint32) bool {
		c := d.ring.at(slotOf(x))
		return c.parent == r.parent && c.trace == r.trace
	})
	if i < 0 {
		r.upSvc = ref(slot)
		d.waiters.insert(h, ref(slot))
		return
	}
	head := d.ring.at(slotOf(d.waiters.e[i].ref))
	d.ring.at(slotOf(head.upSvc)).wnext = ref(slot)
	head.upSvc = ref(slot)
}

// wake retries the children waiting for the record in slot. Children that
// resolve are pushed on d.stack so their own children are retried; the others
// stay in the chain, in order.
func (d *Deriver) wake(slot uint32, dst []Observation) []Observation {
	r := d.ring.at(slot)
	h := hashKey(&r.trace, r.id, false)
	i := d.waiters.find(h, func(x uint32) bool {
		c := d.ring.at(slotOf(x))
		return c.parent == r.id && c.trace == r.trace
	})
	if i < 0 {
		return dst
	}
	cur := d.waiters.e[i].ref
	d.waiters.remove(i)
	var keepHead, keepTail uint32
	for cur != 0 {
		cs := slotOf(cur)
		c := d.ring.at(cs)
		next := c.wnext
		c.flags &^= fWaiting
		c.wnext = 0
		done := false
		if ps, ok := d.findParent(c); ok {
			done, dst = d.attach(cs, ps, dst)
		}
		if done {
			d.stack = append(d.stack, cs)
		} else {
			c.flags |= fWaiting
			if keepHead == 0 {
				keepHead = cur
			} else {
				d.ring.at(slotOf(keepTail)).wnext = cur
			}
			keepTail = cur
		}
		cur = next
	}
	if keepHead != 0 {
		d.ring.at(slotOf(keepHead)).upSvc = keepTail
		d.waiters.insert(h, keepHead)
	}
	return dst
}

// linkConsumer pairs a consumer with the producers its span links point to,
// or waits for them.
func (d *Deriver) linkConsumer(slot uint32, dst []Observation) []Observation {
	c := d.ring.at(slot)
	for _, l := range d.links[slot] {
		if l.TraceID == c.trace && l.SpanID == c.parent {
			continue // the parent pairing covers it
		}
		if ps, ok := d.lookup(&l.TraceID, l.SpanID, false); ok && isCaller(d.ring.at(ps).kind) {
			if p := d.ring.at(ps); p.svc != 0 || p.has(fResolved) {
				dst = d.pair(ps, slot, dst)
				continue
			}
			// The producer has no service yet: wait until it takes one.
		}
		k := linkKey{l.TraceID, l.SpanID}
		d.linkWait[k] = append(d.linkWait[k], slot)
	}
	return dst
}

// wakeLinks pairs a newly stored producer with the consumers linking to it.
func (d *Deriver) wakeLinks(slot uint32, dst []Observation) []Observation {
	r := d.ring.at(slot)
	k := linkKey{r.trace, r.id}
	w, ok := d.linkWait[k]
	if !ok {
		return dst
	}
	delete(d.linkWait, k)
	for _, cs := range w {
		dst = d.pair(slot, cs, dst)
	}
	return dst
}

// pair emits the call from caller cs to callee ss, seen from both sides.
func (d *Deriver) pair(cs, ss uint32, dst []Observation) []Observation {
	c, s := d.ring.at(cs), d.ring.at(ss)
	if c.svc == 0 || s.svc == 0 {
		return dst
	}
	c.flags |= fClaimed
	s.flags |= fEmitted
	o := Observation{
		From:                d.service(c.svc),
		To:                  d.service(s.svc),
		Kind:                graph.EdgeRPC,
		Operation:           d.in.str(s.op),
		Time:                c.start,
		ClientDuration:      c.dur,
		ServerDuration:      s.dur,
		QueueLag:            -1,
		Error:               c.has(fErr) || s.has(fErr),
		Paired:              true,
		TraceID:             s.trace,
		SamplingProbability: sampling(s, c),
	}
	if s.kind == span.KindConsumer {
		o.Kind = graph.EdgeMessaging
		if lag := s.start - c.start; lag >= 0 {
			o.QueueLag = lag
		} else {
			d.stats.NegativeQueueLag++
		}
	}
	d.stats.Completed++
	return append(dst, o)
}

// service returns the endpoint of an instrumented service.
func (d *Deriver) service(svc uint32) Endpoint {
	name := d.in.str(svc)
	return Endpoint{ID: name, Name: name, Kind: graph.NodeService, Namespace: d.in.namespace(svc)}
}

// sampling returns the first known sampling probability of a and b.
func sampling(a, b *rec) float64 {
	if a.prob > 0 {
		return float64(a.prob)
	}
	return float64(b.prob)
}
