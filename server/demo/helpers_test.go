package demo

import (
	"encoding/hex"
	"sort"
	"testing"
	"time"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
)

// flat is a span with the resource it came from.
type flat struct {
	svc, ns, instance string
	sp                *tracepb.Span
}

func (f flat) attr(k string) *commonpb.AnyValue {
	for _, kv := range f.sp.Attributes {
		if kv.Key == k {
			return kv.Value
		}
	}
	return nil
}

func (f flat) str(k string) string { return f.attr(k).GetStringValue() }
func (f flat) num(k string) int64  { return f.attr(k).GetIntValue() }
func (f flat) has(k string) bool   { return f.attr(k) != nil }
func (f flat) start() int64        { return int64(f.sp.StartTimeUnixNano) }
func (f flat) end() int64          { return int64(f.sp.EndTimeUnixNano) }
func (f flat) id() string          { return hex.EncodeToString(f.sp.SpanId) }
func (f flat) parent() string      { return hex.EncodeToString(f.sp.ParentSpanId) }
func (f flat) trace() string       { return hex.EncodeToString(f.sp.TraceId) }
func (f flat) failed() bool        { return f.sp.GetStatus().GetCode() == tracepb.Status_STATUS_CODE_ERROR }

// flatten lists the spans of a request with their resources.
func flatten(t *testing.T, req *coltracepb.ExportTraceServiceRequest) []flat {
	t.Helper()
	var out []flat
	for _, rs := range req.GetResourceSpans() {
		res := map[string]string{}
		for _, kv := range rs.GetResource().GetAttributes() {
			res[kv.Key] = kv.Value.GetStringValue()
		}
		if res["service.name"] == "" {
			t.Fatalf("resource without service.name: %v", rs.GetResource())
		}
		for _, ss := range rs.GetScopeSpans() {
			if ss.GetScope().GetName() == "" {
				t.Fatalf("%s: scope without name", res["service.name"])
			}
			for _, sp := range ss.GetSpans() {
				out = append(out, flat{svc: res["service.name"], ns: res["service.namespace"], instance: res["service.instance.id"], sp: sp})
			}
		}
	}
	return out
}

// index groups spans by trace and by span ID.
type index struct {
	traces map[string][]flat
	byID   map[string]flat   // trace+span ID
	kids   map[string][]flat // trace+parent span ID
}

func newIndex(spans []flat) index {
	ix := index{traces: map[string][]flat{}, byID: map[string]flat{}, kids: map[string][]flat{}}
	for _, s := range spans {
		ix.traces[s.trace()] = append(ix.traces[s.trace()], s)
		ix.byID[s.trace()+s.id()] = s
		if len(s.sp.ParentSpanId) > 0 {
			ix.kids[s.trace()+s.parent()] = append(ix.kids[s.trace()+s.parent()], s)
		}
	}
	return ix
}

func (ix index) parentOf(s flat) (flat, bool) {
	p, ok := ix.byID[s.trace()+s.parent()]
	return p, ok
}

// children returns the spans whose parent is s.
func (ix index) children(s flat) []flat { return ix.kids[s.trace()+s.id()] }

// fakeClock is a settable clock.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time          { return c.t }
func (c *fakeClock) advance(d time.Duration) { c.t = c.t.Add(d) }

// generate runs Batch once a second from start for the given number of
// seconds with n traces each and returns all spans.
func generate(t *testing.T, g *Generator, start time.Time, seconds, n int) []flat {
	t.Helper()
	var all []flat
	for i := range seconds {
		all = append(all, flatten(t, g.Batch(start.Add(time.Duration(i+1)*time.Second), n))...)
	}
	return all
}

// quantile returns the q-quantile of vs.
func quantile(vs []int64, q float64) int64 {
	s := append([]int64(nil), vs...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	if len(s) == 0 {
		return 0
	}
	return s[int(q*float64(len(s)-1))]
}
