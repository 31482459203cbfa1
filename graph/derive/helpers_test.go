package derive

import (
	"encoding/binary"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/spanmap/spanmap/graph/span"
)

// Span builders for tests. IDs are small integers; trace IDs one byte.

type opt func(*span.Span)

func tid(n uint64) span.TraceID {
	var t span.TraceID
	binary.BigEndian.PutUint64(t[8:], n)
	return t
}

func sid(n uint64) span.SpanID {
	var s span.SpanID
	binary.BigEndian.PutUint64(s[:], n)
	return s
}

// mk builds a span of trace 1 with start = id ms and duration 10 ms.
func mk(id, parent uint64, kind span.Kind, svc string, opts ...opt) span.Span {
	s := span.Span{
		TraceID:  tid(1),
		SpanID:   sid(id),
		Kind:     kind,
		Service:  svc,
		Name:     fmt.Sprintf("op%d", id),
		Start:    int64(id) * int64(time.Millisecond),
		Duration: 10 * int64(time.Millisecond),
	}
	if parent != 0 {
		s.ParentID = sid(parent)
	}
	for _, o := range opts {
		o(&s)
	}
	return s
}

func inTrace(n uint64) opt       { return func(s *span.Span) { s.TraceID = tid(n) } }
func failed() opt                { return func(s *span.Span) { s.ErrorTag = true } }
func shared() opt                { return func(s *span.Span) { s.Shared = true } }
func peerService(n string) opt   { return func(s *span.Span) { s.Peer.Service = n } }
func remote(n string) opt        { return func(s *span.Span) { s.Peer.RemoteService = n } }
func dbSystem(n string) opt      { return func(s *span.Span) { s.Peer.DBSystem = n } }
func dbName(n string) opt        { return func(s *span.Span) { s.Peer.DBName = n } }
func msgSystem(n string) opt     { return func(s *span.Span) { s.Peer.MessagingSystem = n } }
func destination(n string) opt   { return func(s *span.Span) { s.Peer.Destination = n } }
func serverAddress(n string) opt { return func(s *span.Span) { s.Peer.ServerAddress = n } }
func name(n string) opt          { return func(s *span.Span) { s.Name = n } }
func startMs(ms int64) opt       { return func(s *span.Span) { s.Start = ms * int64(time.Millisecond) } }
func durMs(ms int64) opt         { return func(s *span.Span) { s.Duration = ms * int64(time.Millisecond) } }
func namespace(n string) opt     { return func(s *span.Span) { s.Namespace = n } }
func prob(p float64) opt         { return func(s *span.Span) { s.SamplingProbability = p } }
func link(trace, id uint64) opt {
	return func(s *span.Span) { s.Links = append(s.Links, span.Link{TraceID: tid(trace), SpanID: sid(id)}) }
}

const (
	kServer   = span.KindServer
	kClient   = span.KindClient
	kInternal = span.KindInternal
	kProducer = span.KindProducer
	kConsumer = span.KindConsumer
	kNone     = span.KindUnspecified
)

// fakeClock is a settable clock.
type fakeClock struct{ t time.Time }

func newClock() *fakeClock               { return &fakeClock{t: time.Unix(1_700_000_000, 0)} }
func (c *fakeClock) now() time.Time      { return c.t }
func (c *fakeClock) add(d time.Duration) { c.t = c.t.Add(d) }
func derive(cfg Config, spans []span.Span) ([]Observation, Stats) {
	d := New(cfg, newClock().now)
	obs := d.Add(spans, nil)
	obs = d.Flush(obs)
	return obs, d.Stats()
}

// edgeSum aggregates observations per (from, to, kind).
type edgeSum struct {
	From, To     string
	FromKind     string
	ToKind       string
	Kind         string
	Calls        int64
	Errors       int64
	Paired       int64
	Unpaired     int64
	ClientSumMs  float64
	ClientMinMs  float64
	ClientMaxMs  float64
	ServerSumMs  float64
	ServerMinMs  float64
	ServerMaxMs  float64
	QueueLagMs   float64
	QueueLagN    int64
	Evicted      int64
	clientN      int64
	serverN      int64
	traceSamples map[span.TraceID]bool
}

func summarize(obs []Observation) []*edgeSum {
	m := map[string]*edgeSum{}
	for _, o := range obs {
		k := o.From.ID + "->" + o.To.ID + "|" + string(o.Kind)
		e := m[k]
		if e == nil {
			e = &edgeSum{From: o.From.ID, To: o.To.ID, FromKind: string(o.From.Kind), ToKind: string(o.To.Kind), Kind: string(o.Kind)}
			m[k] = e
		}
		e.Calls++
		if o.Error {
			e.Errors++
		}
		if o.Paired {
			e.Paired++
		} else {
			e.Unpaired++
		}
		if o.Evicted {
			e.Evicted++
		}
		addMs(&e.ClientSumMs, &e.ClientMinMs, &e.ClientMaxMs, &e.clientN, o.ClientDuration)
		addMs(&e.ServerSumMs, &e.ServerMinMs, &e.ServerMaxMs, &e.serverN, o.ServerDuration)
		if o.QueueLag >= 0 {
			e.QueueLagMs += float64(o.QueueLag) / 1e6
			e.QueueLagN++
		}
	}
	out := make([]*edgeSum, 0, len(m))
	for _, e := range m {
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].From != out[j].From {
			return out[i].From < out[j].From
		}
		if out[i].To != out[j].To {
			return out[i].To < out[j].To
		}
		return out[i].Kind < out[j].Kind
	})
	return out
}

func addMs(sum, lo, hi *float64, n *int64, ns int64) {
	if ns < 0 {
		return
	}
	v := float64(ns) / 1e6
	if *n == 0 || v < *lo {
		*lo = v
	}
	if *n == 0 || v > *hi {
		*hi = v
	}
	*sum += v
	*n++
}

// brief renders edges as "from->to kind n=C e=E p=P" lines, sorted.
func brief(obs []Observation) string {
	var b strings.Builder
	for _, e := range summarize(obs) {
		fmt.Fprintf(&b, "%s->%s %s n=%d e=%d p=%d\n", e.From, e.To, e.Kind, e.Calls, e.Errors, e.Paired)
	}
	return b.String()
}

func lines(s ...string) string {
	if len(s) == 0 {
		return ""
	}
	sort.Strings(s)
	return strings.Join(s, "\n") + "\n"
}
