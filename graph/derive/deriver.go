package derive

import (
	"bytes"
	"slices"
	"sync"
	"time"

	"github.com/spanmap/spanmap/graph/span"
)

// Stats are the pairing store's counters since the Deriver was created.
type Stats struct {
	// Added counts spans accepted into the store.
	Added int64 `json:"added"`
	// Invalid counts spans dropped for a zero trace or span ID.
	Invalid int64 `json:"invalid"`
	// Duplicates counts spans dropped because a span with the same trace ID,
	// span ID and role was already stored.
	Duplicates int64 `json:"duplicates"`
	// Completed counts paired calls emitted (both sides seen).
	Completed int64 `json:"completed"`
	// Unpaired counts calls emitted from one side only.
	Unpaired int64 `json:"unpaired"`
	// NoPeer counts client and producer spans that no callee claimed and
	// that carry no peer attribute to name a virtual node: not drawn.
	NoPeer int64 `json:"no_peer"`
	// NoCaller counts server and consumer spans with no known caller that
	// were not drawn because the user node is off.
	NoCaller int64 `json:"no_caller"`
	// NoService counts spans without a service name of their own (Zipkin
	// spans without localEndpoint.serviceName) that found no ancestor to
	// take one from, and server and consumer spans without one: no call is
	// drawn to or from them.
	NoService int64 `json:"no_service"`
	// Nested counts server and consumer spans directly below another server
	// or consumer span of the same service: not a new call.
	Nested int64 `json:"nested"`
	// MissingParent counts spans whose parent had not arrived when they
	// settled.
	MissingParent int64 `json:"missing_parent"`
	// NegativeQueueLag counts messaging calls whose consumer started before
	// its producer (clock skew); their queue lag is reported as unknown.
	NegativeQueueLag int64 `json:"negative_queue_lag"`
	// Expired counts spans settled by TTL expiry.
	Expired int64 `json:"expired"`
	// Dropped counts spans settled before their TTL because the store was
	// full (MaxItems); their pairing may be incomplete.
	Dropped int64 `json:"dropped"`
	// Flushed counts spans settled by Flush.
	Flushed int64 `json:"flushed"`
	// Pending is the number of spans in the store now.
	Pending int `json:"pending"`
}

// Deriver turns spans into Observations. It is safe for concurrent use; all
// methods take one mutex and never call out while holding it.
type Deriver struct {
	mu  sync.Mutex
	cfg Config
	now func() time.Time

	peerOrder []uint8
	userID    uint32
	unknownID uint32 // interned unknownService

	ring    ring
	index   table // (trace, span, shared) -> record
	waiters table // (trace, parent) -> chain of waiting children
	in      interner
	cache   strCache

	// Span links (rare): per consumer slot, and consumers waiting per target.
	links    map[uint32][]span.Link
	linkWait map[linkKey][]uint32

	stack   []uint32
	sharedN int    // records that are shared server halves
	sink    uint32 // keeps cache-warming reads alive
	stats   Stats
}

type linkKey struct {
	trace span.TraceID
	id    span.SpanID
}

// New returns a Deriver. cfg must be valid (see Config.Validate); now is the
// clock used for TTLs (time.Now when nil).
func New(cfg Config, now func() time.Time) *Deriver {
	if now == nil {
		now = time.Now
	}
	order, err := compilePeerOrder(cfg.PeerOrder)
	if err != nil {
		order, _ = compilePeerOrder(DefaultPeerOrder())
	}
	if cfg.TTL <= 0 {
		cfg.TTL = defaultTTL
	}
	if cfg.MaxItems <= 0 || cfg.MaxItems > maxMaxItems {
		cfg.MaxItems = defaultMaxItems
	}
	if cfg.UserNodeName == "" {
		cfg.UserNodeName = defaultUserNodeName
	}
	d := &Deriver{
		cfg:       cfg,
		now:       now,
		peerOrder: order,
		ring:      newRing(cfg.MaxItems),
		index:     newTable(),
		waiters:   newTable(),
		in:        newInterner(),
		links:     map[uint32][]span.Link{},
		linkWait:  map[linkKey][]uint32{},
	}
	d.userID = d.in.id(cfg.UserNodeName)
	d.unknownID = d.in.id(unknownService)
	return d
}

// unknownService is the name the OTLP and Jaeger decoders (and OpenTelemetry
// SDKs, as "unknown_service:<process>") give spans without a service name.
const unknownService = "unknown_service"

// isUnknownService reports whether a service name is the OpenTelemetry
// default for spans whose service is not configured.
func isUnknownService(s string) bool {
	const n = len(unknownService)
	return len(s) >= n && s[:n] == unknownService && (len(s) == n || s[n] == ':')
}

// Add stores spans, pairs what can be paired now and appends the completed
// calls to dst. Spans may arrive in any order and across any number of calls.
// When the store is full the oldest spans are settled early (their calls are
// appended too) and counted in Stats.Dropped.
func (d *Deriver) Add(spans []span.Span, dst []Observation) []Observation {
	// The injected clock is read before the lock: no caller code runs under it.
	expire := d.now().UnixNano() + int64(d.cfg.TTL)
	d.mu.Lock()
	defer d.mu.Unlock()
	for i := 0; i < len(spans); i += touchAhead {
		end := min(i+touchAhead, len(spans))
		d.touchSpans(spans[i:end])
		for j := i; j < end; j++ {
			dst = d.add(&spans[j], expire, dst)
		}
	}
	d.maybeCompact()
	return dst
}

// touchAhead is how many spans or records are warmed at once.
const touchAhead = 256

// touchSpans reads the table cells a run of spans will probe, so the cache
// misses overlap instead of happening one after another.
func (d *Deriver) touchSpans(spans []span.Span) {
	var sum uint32
	im, wm := d.index.mask, d.waiters.mask
	for i := range spans {
		s := &spans[i]
		sum += d.index.e[hashKey(&s.TraceID, s.SpanID, false)&im].ref
		sum += d.waiters.e[hashKey(&s.TraceID, s.SpanID, false)&wm].ref
		if !s.ParentID.IsZero() {
			h := hashKey(&s.TraceID, s.ParentID, false)
			sum += d.index.e[h&im].ref + d.waiters.e[h&wm].ref
		}
	}
	d.sink += sum
}

// touchHead warms the table cells of the n oldest records.
func (d *Deriver) touchHead(n int) {
	var sum uint32
	n = min(n, d.ring.len())
	for seq := d.ring.head; seq != d.ring.head+uint32(n); seq++ {
		r := d.ring.at(seq & d.ring.mask)
		sum += d.index.e[hashKey(&r.trace, r.id, r.has(fShared))&d.index.mask].ref
	}
	d.sink += sum
}

// Expire settles the spans whose TTL has passed (by now()) and appends the
// calls they complete to dst.
func (d *Deriver) Expire(dst []Observation) []Observation {
	now := d.now().UnixNano()
	d.mu.Lock()
	defer d.mu.Unlock()
	for i := 0; d.ring.len() > 0 && d.ring.at(d.ring.headSlot()).expire <= now; i++ {
		if i%touchAhead == 0 {
			d.touchHead(touchAhead)
		}
		dst = d.popHead(dst, false)
		d.stats.Expired++
	}
	d.maybeCompact()
	return dst
}

// Flush settles every span in the store, as at the end of an input file, and
// appends the resulting calls to dst.
func (d *Deriver) Flush(dst []Observation) []Observation {
	d.mu.Lock()
	defer d.mu.Unlock()
	for d.ring.len() > 0 {
		dst = d.popHead(dst, false)
		d.stats.Flushed++
	}
	d.maybeCompact()
	return dst
}

// Stats returns the store's counters.
func (d *Deriver) Stats() Stats {
	d.mu.Lock()
	defer d.mu.Unlock()
	s := d.stats
	s.Pending = d.ring.len()
	return s
}

// PendingTraces returns how many distinct traces have spans in the store.
// It copies the pending spans' trace IDs under the lock and counts them
// outside it, so it costs O(n log n) in pending spans: call it at scrape
// time, not per span.
func (d *Deriver) PendingTraces() int {
	d.mu.Lock()
	ids := make([]span.TraceID, 0, d.ring.len())
	for seq := d.ring.head; seq != d.ring.tail; seq++ {
		ids = append(ids, d.ring.at(seq&d.ring.mask).trace)
	}
	d.mu.Unlock()
	slices.SortFunc(ids, func(a, b span.TraceID) int { return bytes.Compare(a[:], b[:]) })
	return len(slices.Compact(ids))
}

// ref converts a slot to a table reference and back.
func ref(slot uint32) uint32   { return slot + 1 }
func slotOf(ref uint32) uint32 { return ref - 1 }

// lookup returns the slot of the record with the given key.
func (d *Deriver) lookup(t *span.TraceID, id span.SpanID, shared bool) (uint32, bool) {
	h := hashKey(t, id, shared)
	i := d.index.find(h, func(r uint32) bool {
		x := d.ring.at(slotOf(r))
		return x.id == id && x.trace == *t && x.has(fShared) == shared
	})
	if i < 0 {
		return 0, false
	}
	return slotOf(d.index.e[i].ref), true
}

// add stores one span. Must be called holding d.mu.
func (d *Deriver) add(s *span.Span, expire int64, dst []Observation) []Observation {
	if s.TraceID.IsZero() || s.SpanID.IsZero() {
		d.stats.Invalid++
		return dst
	}
	kind := s.Kind
	if kind == span.KindUnspecified && s.Service != "" && s.Peer.RemoteService != "" {
		kind = span.KindClient // Zipkin: a kind-less span naming both sides acts as a client
	}
	shared, keep := d.admit(s, kind)
	if !keep {
		d.stats.Duplicates++
		return dst
	}
	if d.ring.len() >= d.cfg.MaxItems {
		dst = d.popHead(dst, true)
		d.stats.Dropped++
	}
	slot := d.ring.push()
	r := d.ring.at(slot)
	d.fill(r, s, kind, shared, expire)
	d.index.insert(hashKey(&r.trace, r.id, shared), ref(slot))
	if len(s.Links) > 0 && kind == span.KindConsumer {
		r.flags |= fLinks
		d.links[slot] = append([]span.Link(nil), s.Links...)
	}
	d.stats.Added++
	return d.place(slot, dst)
}

// admit decides whether a span is new and whether it is the server half of a
// Zipkin shared span.
func (d *Deriver) admit(s *span.Span, kind span.Kind) (shared, keep bool) {
	if s.Shared && isCallee(kind) {
		if _, ok := d.lookup(&s.TraceID, s.SpanID, true); ok {
			return false, false
		}
		if other, ok := d.lookup(&s.TraceID, s.SpanID, false); ok && isCallee(d.ring.at(other).kind) {
			return false, false // the same server span, once with the flag
		}
		return true, true
	}
	if other, ok := d.lookup(&s.TraceID, s.SpanID, false); ok {
		return d.collide(other, kind)
	}
	if isCallee(kind) && d.sharedN > 0 {
		if _, ok := d.lookup(&s.TraceID, s.SpanID, true); ok {
			return false, false
		}
	}
	return false, true
}

// collide decides what to do with a span whose (trace, span ID) is already
// stored as a non-shared span: a client/server pair sharing one ID is a Zipkin
// shared span even without the flag (the server is the shared half);
// anything else is a duplicate. It reports whether the new span is the shared
// half and whether to keep it.
func (d *Deriver) collide(otherSlot uint32, kind span.Kind) (shared, keep bool) {
	other := d.ring.at(otherSlot)
	if _, taken := d.lookup(&other.trace, other.id, true); taken {
		return false, false
	}
	switch {
	case isCaller(other.kind) && isCallee(kind):
		return true, true
	case isCallee(other.kind) && isCaller(kind):
		// The stored server becomes the shared half; the new client takes
		// the plain key.
		i := d.index.find(hashKey(&other.trace, other.id, false), func(r uint32) bool { return slotOf(r) == otherSlot })
		d.index.remove(i)
		other.flags |= fShared
		d.sharedN++
		d.index.insert(hashKey(&other.trace, other.id, true), ref(otherSlot))
		return false, true
	}
	return false, false
}

// fill initialises a record from a span.
func (d *Deriver) fill(r *rec, s *span.Span, kind span.Kind, shared bool, expire int64) {
	r.trace = s.TraceID
	r.id = s.SpanID
	r.parent = s.ParentID
	r.start = s.Start
	r.dur = s.Duration
	r.upDur = -1
	r.expire = expire
	switch {
	case s.Service == "":
		// No local service (Zipkin): svc stays 0 until the span takes its
		// nearest ancestor's service (attach); a server or consumer span
		// never does.
	case isUnknownService(s.Service) && (isCaller(kind) || isCallee(kind)):
		r.svc = d.unknownID // a call endpoint keeps its own (unknown) name
	case isUnknownService(s.Service):
		r.flags |= fUnknownSvc // takes its parent's service once known
	default:
		r.svc = d.cache.get(&d.in, s.Service)
		d.in.setNamespace(r.svc, d.cache.get(&d.in, s.Namespace))
	}
	r.op = d.cache.get(&d.in, s.Name)
	r.prob = float32(s.SamplingProbability)
	r.kind = kind
	if shared {
		r.flags |= fShared
		d.sharedN++
	}
	if s.IsError() {
		r.flags |= fErr
	}
	switch {
	case kind == span.KindServer:
		d.fillServerPeer(r, &s.Peer)
	case isCaller(kind) || kind == span.KindConsumer:
		d.fillPeer(r, &s.Peer)
	}
}

// fillServerPeer keeps the caller name a server span may carry (Zipkin's
// remoteEndpoint, peer.service), used when the span has no parent.
func (d *Deriver) fillServerPeer(r *rec, p *span.Peer) {
	if p.Service == "" && p.RemoteService == "" {
		return
	}
	for _, i := range d.peerOrder {
		switch {
		case i == 0 && p.Service != "":
			r.peer = d.cache.get(&d.in, p.Service)
			return
		case i == 1 && p.RemoteService != "":
			r.peer = d.cache.get(&d.in, p.RemoteService)
			return
		}
	}
}

// fillPeer picks the virtual peer name and its node kind.
func (d *Deriver) fillPeer(r *rec, p *span.Peer) {
	if p.IsZero() {
		return
	}
	fields := [peerFieldCount]string{
		p.Service, p.RemoteService, p.DBName, p.DBSystem,
		p.Destination, p.MessagingSystem, p.ServerAddress, p.NetPeerName,
	}
	for _, i := range d.peerOrder {
		if fields[i] != "" {
			r.peer = d.cache.get(&d.in, fields[i])
			break
		}
	}
	switch {
	case p.DBSystem != "" || p.DBName != "":
		r.flags |= fPeerDB
	case p.MessagingSystem != "" || p.Destination != "":
		r.flags |= fPeerMsg
	}
}

// popHead removes the oldest record and settles it. Must be called holding
// d.mu.
func (d *Deriver) popHead(dst []Observation, evicted bool) []Observation {
	slot := d.ring.headSlot()
	r := d.ring.at(slot)
	if r.has(fWaiting) {
		d.unwait(slot, r)
	}
	i := d.index.find(hashKey(&r.trace, r.id, r.has(fShared)), func(x uint32) bool { return slotOf(x) == slot })
	if i >= 0 {
		d.index.remove(i)
	}
	dst = d.settle(slot, r, evicted, dst)
	if r.has(fLinks) {
		d.dropLinks(slot)
	}
	d.ring.pop()
	return dst
}

// unwait removes the head of a waiter chain (the oldest waiting record).
func (d *Deriver) unwait(slot uint32, r *rec) {
	h := hashKey(&r.trace, r.parent, false)
	i := d.waiters.find(h, func(x uint32) bool { return slotOf(x) == slot })
	if i < 0 {
		return
	}
	if r.wnext == 0 {
		d.waiters.remove(i)
		return
	}
	next := d.ring.at(slotOf(r.wnext))
	next.upSvc = r.upSvc // carry the chain tail
	d.waiters.e[i].ref = r.wnext
}

// dropLinks forgets a consumer's span links.
func (d *Deriver) dropLinks(slot uint32) {
	for _, l := range d.links[slot] {
		k := linkKey{l.TraceID, l.SpanID}
		w := d.linkWait[k]
		for j, s := range w {
			if s == slot {
				w = append(w[:j], w[j+1:]...)
				break
			}
		}
		if len(w) == 0 {
			delete(d.linkWait, k)
		} else {
			d.linkWait[k] = w
		}
	}
	delete(d.links, slot)
}

// maybeCompact rebuilds the interner when it has grown far beyond what the
// live records use (high-cardinality operation names over a long run, or
// a whole file read on a standing clock, where nothing expires). Add,
// Expire and Flush call it.
func (d *Deriver) maybeCompact() {
	if d.in.len() < 1<<16 || d.in.len() < 4*d.ring.len()+1024 {
		return
	}
	old := d.in
	d.in = newInterner()
	remap := func(id uint32) uint32 { return d.in.id(old.str(id)) }
	for seq := d.ring.head; seq != d.ring.tail; seq++ {
		r := d.ring.at(seq & d.ring.mask)
		if r.svc != 0 {
			ns := old.namespace(r.svc)
			r.svc = remap(r.svc)
			d.in.setNamespace(r.svc, d.in.id(ns))
		}
		r.op = remap(r.op)
		r.peer = remap(r.peer)
		if r.up == upCaller && r.has(fResolved) {
			r.upSvc = remap(r.upSvc)
		}
	}
	d.userID = d.in.id(d.cfg.UserNodeName)
	d.unknownID = d.in.id(unknownService)
	d.cache = strCache{}
}
