package demo

import (
	"encoding/binary"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
)

// fault is how a call or operation failed.
type fault uint8

const (
	faultNone        fault = iota
	faultInternal          // a bug or a database error: not retried
	faultUnavailable       // overload or outage: retried when the call allows
)

// rec is a span being built. Times are relative to the trace's own origin
// and on the true clock; finish shifts them and adds the instance's skew.
type rec struct {
	inst       *instance
	scope      scopeKind
	span       *tracepb.Span
	start, end int64
}

// builder generates the traces of one batch. It is not safe for concurrent
// use; the Generator serialises access.
type builder struct {
	cfg     *Config
	sys     *system
	r       *rand.Rand
	offsets map[string]int64 // next Kafka offset per topic
	inc     Incident         // incident of the trace being built
	recs    []rec
	out     [][nScopes][]*tracepb.Span // finished spans per instance and scope
	spans   int
	traces  int
}

func newBuilder(cfg *Config, sys *system, r *rand.Rand, offsets map[string]int64) *builder {
	return &builder{cfg: cfg, sys: sys, r: r, offsets: offsets,
		out: make([][nScopes][]*tracepb.Span, len(sys.instances))}
}

// trace generates one user request to root e that completes at end (Unix
// ns, before clock skew), including any traces its messages start.
func (b *builder) trace(e *endpoint, end int64) {
	b.inc = b.cfg.IncidentAt(time.Unix(0, end))
	b.recs = b.recs[:0]
	b.serve(e, b.traceID(), nil, nil, 0, b.fillPath(e.route))
	var last int64
	for _, rc := range b.recs {
		last = max(last, rc.end)
	}
	shift := end - last
	for _, rc := range b.recs {
		start := rc.start + shift + rc.inst.skew
		rc.span.StartTimeUnixNano = uint64(start)
		rc.span.EndTimeUnixNano = uint64(start + rc.end - rc.start)
		for _, ev := range rc.span.Events {
			ev.TimeUnixNano = rc.span.EndTimeUnixNano
		}
		b.out[rc.inst.index][rc.scope] = append(b.out[rc.inst.index][rc.scope], rc.span)
	}
	b.spans += len(b.recs)
	b.traces++
}

// add records a span of inst covering [start, end).
func (b *builder) add(inst *instance, sc scopeKind, sp *tracepb.Span, start, end int64) {
	b.recs = append(b.recs, rec{inst: inst, scope: sc, span: sp, start: start, end: end})
}

// serve runs endpoint e on one of its instances, starting at start, as a
// child of parent (nil for a root) or linked to link. path is the HTTP
// request path. It returns the end of the server span and how it failed.
func (b *builder) serve(e *endpoint, tid, parent []byte, link *tracepb.Span_Link, start int64, path string) (int64, fault) {
	inst := e.svc.pick(b.r)
	sid := b.spanID()
	work := e.work.sample(b.r)
	pre := int64(float64(work) * (0.2 + 0.6*b.r.Float64()))
	t := start + pre
	callParent := sid
	var iid []byte
	if e.internal != "" {
		iid = b.spanID()
		callParent = iid
	}
	callsStart := t
	t, f := b.calls(e.calls, inst, tid, callParent, t)
	if iid != nil {
		t += b.gap()
		b.add(inst, scopeApp, internalSpan(e, tid, iid, sid, f), callsStart, t)
	}
	t += work - pre
	own := false
	if f == faultNone && b.chance(e.errRate) {
		f, own = faultInternal, true
	}
	sp := b.serverSpan(e, tid, sid, parent, link, path, f, own)
	b.add(inst, e.proto.scope(), sp, start, t)
	return t, f
}

// calls makes an endpoint's outgoing calls from t on, as inst, and returns
// when the last one ended and the first critical failure. After a critical
// failure no further call group is started.
func (b *builder) calls(cs []call, inst *instance, tid, parent []byte, t int64) (int64, fault) {
	groupStart, end := t, t
	var f fault
	for i := range cs {
		c := &cs[i]
		if !c.concurrent {
			if f != faultNone {
				break
			}
			groupStart = end
		}
		if !b.makes(c) {
			continue
		}
		n := c.minN + b.r.IntN(c.maxN-c.minN+1)
		at := groupStart + b.gap()
		for range n {
			e, cf := b.call(c, inst, tid, parent, at)
			at = e + b.gap()
			if cf != faultNone && c.critical {
				f = cf
				break
			}
		}
		end = max(end, at)
	}
	return end, f
}

// makes decides whether call c happens in this trace.
func (b *builder) makes(c *call) bool {
	if c.incident == IncidentNewDependency && b.inc != IncidentNewDependency {
		return false
	}
	return c.p >= 1 || b.r.Float64() < c.p
}

// call makes c, retrying unavailable responses as c allows; every attempt
// is its own client span.
func (b *builder) call(c *call, inst *instance, tid, parent []byte, at int64) (int64, fault) {
	for attempt := 0; ; attempt++ {
		end, f := b.attempt(c, inst, tid, parent, at, attempt)
		if f != faultUnavailable || attempt >= c.retries {
			return end, f
		}
		backoff := float64(25*time.Millisecond<<attempt) * (0.5 + b.r.Float64())
		at = end + int64(backoff)
	}
}

// attempt makes one attempt of c.
func (b *builder) attempt(c *call, inst *instance, tid, parent []byte, at int64, attempt int) (int64, fault) {
	switch {
	case c.to != nil:
		return b.rpc(c, inst, tid, parent, at, attempt)
	case c.peer.kind == peerKafka:
		return b.produce(c, inst, tid, parent, at)
	}
	return b.peerCall(c, inst, tid, parent, at, attempt)
}

// rpc calls an instrumented endpoint: a client span with the callee's
// server span as its child.
func (b *builder) rpc(c *call, inst *instance, tid, parent []byte, at int64, attempt int) (int64, fault) {
	sid := b.spanID()
	net := c.lat.sample(b.r)
	out := net / 2
	path := b.fillPath(c.to.route)
	end, f := b.serve(c.to, tid, sid, nil, at+out, path)
	end += net - out
	b.add(inst, c.to.proto.scope(), b.rpcClientSpan(c, inst, tid, sid, parent, path, f, attempt), at, end)
	return end, f
}

// peerCall calls an uninstrumented database, cache or external API.
func (b *builder) peerCall(c *call, inst *instance, tid, parent []byte, at int64, attempt int) (int64, fault) {
	sid := b.spanID()
	d := c.lat.sample(b.r)
	fail := b.chance(c.errRate)
	if c.incident != IncidentNone && c.incident == b.inc {
		switch c.incident {
		case IncidentLatencySpike:
			d = int64(float64(d) * b.cfg.SpikeFactor)
		case IncidentErrorBurst:
			fail = b.r.Float64() < b.cfg.BurstErrorRate
		}
	}
	f := faultNone
	if fail {
		f = faultUnavailable
		if c.peer.kind == peerPostgres {
			f = faultInternal
		}
	}
	b.add(inst, c.peer.kind.scope(), peerSpan(c, inst, tid, sid, parent, f, attempt), at, at+d)
	return at + d, f
}

// produce publishes a Kafka message and runs its consumers: a child of the
// producer span, or the root of a new trace linked to it.
func (b *builder) produce(c *call, inst *instance, tid, parent []byte, at int64) (int64, fault) {
	sid := b.spanID()
	d := c.lat.sample(b.r)
	f := faultNone
	if b.chance(c.errRate) {
		f = faultInternal
	}
	topic := c.dbName
	partition := b.r.Int64N(12)
	key := "order-" + strconv.FormatUint(b.r.Uint64()%1e8, 10)
	b.add(inst, scopeKafka, producerSpan(c, tid, sid, parent, partition, key, f), at, at+d)
	if f != faultNone {
		return at + d, f
	}
	offset := b.offsets[topic]
	b.offsets[topic] = offset + 1
	for _, cs := range c.consumers {
		start := at + d + cs.lag.sample(b.r)
		msg := message{topic: topic, partition: partition, offset: offset, key: key}
		if cs.linked {
			link := &tracepb.Span_Link{TraceId: tid, SpanId: sid, Flags: flagsSampled | flagHasRemote | flagRemote}
			b.consume(cs.ep, b.traceID(), nil, link, start, msg)
		} else {
			b.consume(cs.ep, tid, sid, nil, start, msg)
		}
	}
	return at + d, f
}

// message identifies a consumed Kafka record.
type message struct {
	topic     string
	partition int64
	offset    int64
	key       string
}

// consume runs a consumer endpoint for msg.
func (b *builder) consume(e *endpoint, tid, parent []byte, link *tracepb.Span_Link, start int64, msg message) {
	b.serve(e, tid, parent, link, start, "")
	// The consumer span is the last one serve added.
	setMessage(b.recs[len(b.recs)-1].span, msg)
}

// chance reports a baseline failure with probability p*ErrorScale.
func (b *builder) chance(p float64) bool {
	return p > 0 && b.r.Float64() < p*b.cfg.ErrorScale
}

// gap is the small pause between consecutive steps of a service.
func (b *builder) gap() int64 {
	return int64(10*time.Microsecond) + b.r.Int64N(int64(70*time.Microsecond))
}

// fillPath replaces route parameters with values.
func (b *builder) fillPath(route string) string {
	if !strings.Contains(route, "{id}") {
		return route
	}
	return strings.ReplaceAll(route, "{id}", strconv.Itoa(1000+b.r.IntN(9000)))
}

// traceID returns a new random, non-zero trace ID.
func (b *builder) traceID() []byte {
	id := make([]byte, 16)
	binary.BigEndian.PutUint64(id, b.r.Uint64())
	binary.BigEndian.PutUint64(id[8:], b.r.Uint64()|1)
	return id
}

// spanID returns a new random, non-zero span ID.
func (b *builder) spanID() []byte {
	id := make([]byte, 8)
	binary.BigEndian.PutUint64(id, b.r.Uint64()|1)
	return id
}

// request groups the finished spans by instance and instrumentation scope.
func (b *builder) request() *coltracepb.ExportTraceServiceRequest {
	req := &coltracepb.ExportTraceServiceRequest{}
	for i, in := range b.sys.instances {
		var scopes []*tracepb.ScopeSpans
		for sc := range nScopes {
			if spans := b.out[i][sc]; len(spans) > 0 {
				scopes = append(scopes, &tracepb.ScopeSpans{Scope: sc.scope(in.svc), Spans: spans})
			}
		}
		if len(scopes) > 0 {
			req.ResourceSpans = append(req.ResourceSpans, &tracepb.ResourceSpans{
				Resource:   resourceOf(in),
				ScopeSpans: scopes,
				SchemaUrl:  schemaURL,
			})
		}
	}
	return req
}
