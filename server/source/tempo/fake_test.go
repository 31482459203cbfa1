package tempo

import (
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

// fakeTrace is one stored trace.
type fakeTrace struct {
	id    [16]byte
	start time.Time
	rs    []*tracepb.ResourceSpans
	// bodies caches the encoded answers by (v2, partial).
	once   sync.Once
	bodies [4][]byte
}

// encoded returns the trace-by-ID body.
func (t *fakeTrace) encoded(v2, partial bool) []byte {
	t.once.Do(func() {
		for k := range t.bodies {
			t.bodies[k] = encodeTrace(t, k&1 != 0, k&2 != 0)
		}
	})
	k := 0
	if v2 {
		k |= 1
	}
	if partial {
		k |= 2
	}
	return t.bodies[k]
}

// hexID is the trace ID as Tempo prints it: hex without leading zeros.
func (t *fakeTrace) hexID() string {
	s := strings.TrimLeft(hex.EncodeToString(t.id[:]), "0")
	if s == "" {
		return "0"
	}
	return s
}

// services lists the services with spans in the trace.
func (t *fakeTrace) services() []string {
	var out []string
	for _, rs := range t.rs {
		out = append(out, serviceOf(rs))
	}
	return out
}

func serviceOf(rs *tracepb.ResourceSpans) string {
	for _, kv := range rs.GetResource().GetAttributes() {
		if kv.GetKey() == "service.name" {
			return kv.GetValue().GetStringValue()
		}
	}
	return ""
}

// fakeTempo answers the query endpoints of Tempo's HTTP API as documented:
// tag values (v2 and v1), TraceQL search and trace by ID (v1 and v2, OTLP
// protobuf). Switches inject failures.
type fakeTempo struct {
	mu     sync.Mutex
	traces []*fakeTrace

	tenant    string        // non-empty: requests must carry it in X-Scope-OrgID
	noV2      bool          // the v2 endpoints answer 404, as on old Tempo
	status    int           // non-zero: every request answers this status
	body      string        // non-empty: search and tag requests answer this body
	truncate  bool          // trace bodies are cut in half
	delay     time.Duration // every answer waits this long
	gone      map[string]bool
	byID      map[string]*fakeTrace
	partial   bool // v2 trace answers say PARTIAL
	paths     []string
	queries   []string
	inFlight  atomic.Int64
	maxFlight atomic.Int64
}

// traceQL matches the TraceQL query the puller sends.
var traceQL = regexp.MustCompile(`^\{ resource\.service\.name = ("(?:[^"\\]|\\.)*") \}$`)

func (f *fakeTempo) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.paths = append(f.paths, r.URL.Path)
	status, body, delay, tenant := f.status, f.body, f.delay, f.tenant
	f.mu.Unlock()
	if strings.Contains(r.URL.Path, "/traces/") {
		n := f.inFlight.Add(1)
		defer f.inFlight.Add(-1)
		for {
			m := f.maxFlight.Load()
			if n <= m || f.maxFlight.CompareAndSwap(m, n) {
				break
			}
		}
	}
	if delay > 0 {
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
			return
		}
	}
	if tenant != "" && r.Header.Get("X-Scope-OrgID") != tenant {
		http.Error(w, "no org id", http.StatusUnauthorized)
		return
	}
	if status != 0 {
		http.Error(w, "querier exploded", status)
		return
	}
	p := r.URL.Path
	switch {
	case p == "/api/v2/search/tag/resource.service.name/values" && !f.noV2:
		f.tagValues(w, body, true)
	case p == "/api/search/tag/service.name/values":
		f.tagValues(w, body, false)
	case p == "/api/search":
		f.search(w, r, body)
	case strings.HasPrefix(p, "/api/v2/traces/") && !f.noV2:
		f.trace(w, r, strings.TrimPrefix(p, "/api/v2/traces/"), true)
	case strings.HasPrefix(p, "/api/traces/"):
		f.trace(w, r, strings.TrimPrefix(p, "/api/traces/"), false)
	default:
		http.Error(w, "404 page not found", http.StatusNotFound)
	}
}

func (f *fakeTempo) tagValues(w http.ResponseWriter, body string, v2 bool) {
	if body != "" {
		fmt.Fprint(w, body)
		return
	}
	f.mu.Lock()
	set := map[string]bool{}
	for _, t := range f.traces {
		for _, s := range t.services() {
			set[s] = true
		}
	}
	f.mu.Unlock()
	names := make([]string, 0, len(set))
	for s := range set {
		names = append(names, s)
	}
	sort.Strings(names)
	w.Header().Set("Content-Type", "application/json")
	if !v2 {
		json.NewEncoder(w).Encode(map[string]any{"tagValues": names})
		return
	}
	type tv struct {
		Type  string `json:"type"`
		Value string `json:"value"`
	}
	out := []tv{}
	for _, s := range names {
		out = append(out, tv{"string", s})
	}
	json.NewEncoder(w).Encode(map[string]any{"tagValues": out, "metrics": map[string]any{"inspectedBytes": "1024"}})
}

// search answers a TraceQL search: traces with a span of the service whose
// trace start is in [start, end] seconds, newest first, at most limit.
func (f *fakeTempo) search(w http.ResponseWriter, r *http.Request, body string) {
	q := r.URL.Query()
	f.mu.Lock()
	f.queries = append(f.queries, r.URL.RawQuery)
	f.mu.Unlock()
	if body != "" {
		fmt.Fprint(w, body)
		return
	}
	m := traceQL.FindStringSubmatch(q.Get("q"))
	if m == nil {
		http.Error(w, "invalid TraceQL query: parse error at line 1", http.StatusBadRequest)
		return
	}
	svc, err := strconv.Unquote(m[1])
	start, err1 := strconv.ParseInt(q.Get("start"), 10, 64)
	end, err2 := strconv.ParseInt(q.Get("end"), 10, 64)
	limit, err3 := strconv.Atoi(q.Get("limit"))
	if err != nil || err1 != nil || err2 != nil || err3 != nil || q.Get("spss") == "" {
		http.Error(w, "bad search parameters", http.StatusBadRequest)
		return
	}
	type result struct {
		TraceID           string `json:"traceID"`
		RootServiceName   string `json:"rootServiceName"`
		RootTraceName     string `json:"rootTraceName"`
		StartTimeUnixNano string `json:"startTimeUnixNano"`
		DurationMs        int    `json:"durationMs"`
	}
	var out []result
	f.mu.Lock()
	for _, t := range f.traces {
		s := t.start.Unix()
		if s < start || s > end || !contains(t.services(), svc) {
			continue
		}
		root := t.rs[0]
		out = append(out, result{
			TraceID: t.hexID(), RootServiceName: serviceOf(root),
			RootTraceName: root.ScopeSpans[0].Spans[0].Name, StartTimeUnixNano: strconv.FormatInt(t.start.UnixNano(), 10),
			DurationMs: 5,
		})
	}
	f.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].StartTimeUnixNano > out[j].StartTimeUnixNano })
	if len(out) > limit {
		out = out[:limit]
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{
		"traces":  out,
		"metrics": map[string]any{"inspectedTraces": len(f.traces), "inspectedBytes": "4096", "totalBlocks": 1},
	})
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

func (f *fakeTempo) trace(w http.ResponseWriter, r *http.Request, id string, v2 bool) {
	if r.Header.Get("Accept") != "application/protobuf" {
		http.Error(w, "this fake only answers protobuf", http.StatusNotAcceptable)
		return
	}
	f.mu.Lock()
	if f.byID == nil {
		f.byID = map[string]*fakeTrace{}
	}
	if len(f.byID) != len(f.traces) {
		for _, t := range f.traces {
			f.byID[t.hexID()] = t
		}
	}
	found := f.byID[id]
	if f.gone[id] {
		found = nil
	}
	truncate, partial := f.truncate, f.partial
	f.mu.Unlock()
	if found == nil {
		http.Error(w, "trace not found", http.StatusNotFound)
		return
	}
	b := found.encoded(v2, partial)
	if truncate {
		b = b[:len(b)/2]
	}
	w.Header().Set("Content-Type", "application/protobuf")
	w.Write(b)
}

// encodeTrace marshals t as tempopb.Trace (v1) or TraceByIDResponse (v2).
func encodeTrace(t *fakeTrace, v2, partial bool) []byte {
	b, err := proto.Marshal(&tracepb.TracesData{ResourceSpans: t.rs})
	if err != nil {
		panic(err)
	}
	if !v2 {
		return b
	}
	var out []byte
	// metrics (field 2) first, as a real server may order fields freely.
	out = protowire.AppendTag(out, 2, protowire.BytesType)
	out = protowire.AppendBytes(out, protowire.AppendVarint(protowire.AppendTag(nil, 1, protowire.VarintType), 12345))
	out = protowire.AppendTag(out, 1, protowire.BytesType)
	out = protowire.AppendBytes(out, b)
	if partial {
		out = protowire.AppendTag(out, 3, protowire.VarintType)
		out = protowire.AppendVarint(out, 1)
		out = protowire.AppendTag(out, 4, protowire.BytesType)
		out = protowire.AppendString(out, "trace exceeds max size")
	}
	return out
}

func strAttr(k, v string) *commonpb.KeyValue {
	return &commonpb.KeyValue{Key: k, Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: v}}}
}

func resource(svc string, spans ...*tracepb.Span) *tracepb.ResourceSpans {
	return &tracepb.ResourceSpans{
		Resource:   &resourcepb.Resource{Attributes: []*commonpb.KeyValue{strAttr("service.name", svc)}},
		ScopeSpans: []*tracepb.ScopeSpans{{Spans: spans}},
	}
}

// addCall stores trace n: a frontend server root span, its client span to
// backend, and backend's server span. Small n give IDs with leading zeros.
func (f *fakeTempo) addCall(n int, at time.Time) *fakeTrace {
	var id [16]byte
	binary.BigEndian.PutUint64(id[8:], uint64(n+1)*0x1000193)
	sid := func(k int) []byte {
		var s [8]byte
		binary.BigEndian.PutUint64(s[:], uint64(n*16+k+1))
		return s[:]
	}
	ns := uint64(at.UnixNano())
	mk := func(k, parent int, kind tracepb.Span_SpanKind, name string, off, dur uint64) *tracepb.Span {
		s := &tracepb.Span{TraceId: id[:], SpanId: sid(k), Name: name, Kind: kind,
			StartTimeUnixNano: ns + off, EndTimeUnixNano: ns + off + dur}
		if parent >= 0 {
			s.ParentSpanId = sid(parent)
		}
		return s
	}
	t := &fakeTrace{id: id, start: at, rs: []*tracepb.ResourceSpans{
		resource("frontend",
			mk(0, -1, tracepb.Span_SPAN_KIND_SERVER, "GET /", 0, 5e6),
			mk(1, 0, tracepb.Span_SPAN_KIND_CLIENT, "GET /api", 1e5, 4e6)),
		resource("backend", mk(2, 1, tracepb.Span_SPAN_KIND_SERVER, "GET /api", 2e5, 3e6)),
	}}
	f.mu.Lock()
	f.traces = append(f.traces, t)
	f.mu.Unlock()
	return t
}

func (f *fakeTempo) set(fn func(f *fakeTempo)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn(f)
}

func (f *fakeTempo) pathLog() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.paths...)
}

func (f *fakeTempo) serve(t testing.TB) *httptest.Server {
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return srv
}

func newTestPuller(t testing.TB, url string, mod func(*Config)) *Puller {
	t.Helper()
	c := DefaultConfig()
	c.Conn.URL = url
	c.Conn.Timeout = 2 * time.Second
	if mod != nil {
		mod(&c)
	}
	p, err := NewPuller(c, nil)
	if err != nil {
		t.Fatal(err)
	}
	return p
}
