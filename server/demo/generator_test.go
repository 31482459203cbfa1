package demo

import (
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
)

// t0 is a cycle start for the default three-minute period.
var t0 = time.Unix(1_700_000_000-80, 0).UTC()

func newTestGenerator(t *testing.T, mod func(*Config)) *Generator {
	t.Helper()
	cfg := DefaultConfig()
	if mod != nil {
		mod(&cfg)
	}
	g, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func TestNew_invalidConfig(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Rate = 0
	if _, err := New(cfg); err == nil || !strings.Contains(err.Error(), "rate") {
		t.Fatalf("New with zero rate: err = %v, want a rate error", err)
	}
}

// isPeerCall reports whether a client span calls an uninstrumented peer.
func isPeerCall(s flat) bool {
	if s.has("rpc.system") {
		return false
	}
	return !strings.Contains(s.str("url.full"), ".svc.cluster.local")
}

// TestGenerator_Batch_fullCycle checks one full incident cycle of traffic,
// so every phase shows up.
func TestGenerator_Batch_fullCycle(t *testing.T) {
	const skew = 2 * time.Millisecond
	g := newTestGenerator(t, func(c *Config) { c.MaxClockSkew = skew })
	if t0.Unix()%180 != 0 {
		t.Fatalf("t0 %v is not a cycle start", t0)
	}
	spans := generate(t, g, t0, 180, 8)
	ix := newIndex(spans)
	t.Run("structure", func(t *testing.T) { checkStructure(t, spans, ix, skew) })
	t.Run("coverage", func(t *testing.T) { checkCoverage(t, g, spans, ix) })
	t.Run("retries", func(t *testing.T) { checkRetries(t, spans, ix) })
}

// checkStructure checks IDs, parents, kinds, timing and roots.
func checkStructure(t *testing.T, spans []flat, ix index, skew time.Duration) {
	tol := int64(2 * skew)

	seenSpan := map[string]bool{}
	for _, s := range spans {
		if len(s.sp.TraceId) != 16 || len(s.sp.SpanId) != 8 || s.id() == "0000000000000000" {
			t.Fatalf("%s %q: bad IDs trace=%x span=%x", s.svc, s.sp.Name, s.sp.TraceId, s.sp.SpanId)
		}
		if seenSpan[s.id()] {
			t.Fatalf("span ID %s used twice", s.id())
		}
		seenSpan[s.id()] = true
		if s.end() < s.start() {
			t.Errorf("%s %q ends before it starts", s.svc, s.sp.Name)
		}
		if s.sp.Kind == tracepb.Span_SPAN_KIND_UNSPECIFIED {
			t.Errorf("%s %q has no kind", s.svc, s.sp.Name)
		}
		if code := s.num("http.response.status_code"); code >= 500 && !s.failed() {
			t.Errorf("%s %q: status %d without ERROR status", s.svc, s.sp.Name, code)
		}
		if s.num("rpc.grpc.status_code") != 0 && !s.failed() {
			t.Errorf("%s %q: gRPC code %d without ERROR status", s.svc, s.sp.Name, s.num("rpc.grpc.status_code"))
		}
		checkParent(t, ix, s, tol)
		checkChildren(t, ix, s)
	}
	for tid, trace := range ix.traces {
		var roots []flat
		for _, s := range trace {
			if len(s.sp.ParentSpanId) == 0 {
				roots = append(roots, s)
			}
		}
		if len(roots) != 1 {
			t.Fatalf("trace %s has %d roots", tid, len(roots))
		}
		r := roots[0]
		switch {
		case r.svc == "web-frontend" && r.sp.Kind == tracepb.Span_SPAN_KIND_SERVER:
			if !r.has("client.address") || !r.has("http.route") {
				t.Errorf("root %q lacks client.address or http.route", r.sp.Name)
			}
		case r.sp.Kind == tracepb.Span_SPAN_KIND_CONSUMER && len(r.sp.Links) == 1:
		default:
			t.Errorf("trace %s starts with %s %s %q", tid, r.svc, r.sp.Kind, r.sp.Name)
		}
	}
}

// checkParent checks that s's parent exists, is a sensible kind and
// encloses s in time.
func checkParent(t *testing.T, ix index, s flat, tol int64) {
	t.Helper()
	if len(s.sp.ParentSpanId) == 0 {
		return
	}
	p, ok := ix.parentOf(s)
	if !ok {
		t.Fatalf("%s %q: parent %s not in trace", s.svc, s.sp.Name, s.parent())
	}
	switch s.sp.Kind {
	case tracepb.Span_SPAN_KIND_SERVER:
		if p.sp.Kind != tracepb.Span_SPAN_KIND_CLIENT || p.svc == s.svc {
			t.Errorf("server %s %q has parent %s %s", s.svc, s.sp.Name, p.svc, p.sp.Kind)
		}
	case tracepb.Span_SPAN_KIND_CONSUMER:
		if p.sp.Kind != tracepb.Span_SPAN_KIND_PRODUCER || p.svc == s.svc {
			t.Errorf("consumer %s %q has parent %s %s", s.svc, s.sp.Name, p.svc, p.sp.Kind)
		}
		if s.start() < p.end()-tol {
			t.Errorf("consumer %s starts %dns before its producer ended", s.svc, p.end()-s.start())
		}
		return // consumers outlive their producer
	default:
		if p.svc != s.svc || p.instance != s.instance {
			t.Errorf("%s %s %q has parent in %s", s.svc, s.sp.Kind, s.sp.Name, p.instance)
		}
	}
	if s.start() < p.start()-tol || s.end() > p.end()+tol {
		t.Errorf("%s %q [%d, %d] is not within parent %s %q [%d, %d]",
			s.svc, s.sp.Name, s.start(), s.end(), p.svc, p.sp.Name, p.start(), p.end())
	}
}

// checkChildren checks that client spans to services have exactly one
// server child and that peer calls have none.
func checkChildren(t *testing.T, ix index, s flat) {
	t.Helper()
	kids := ix.children(s)
	switch s.sp.Kind {
	case tracepb.Span_SPAN_KIND_CLIENT:
		if isPeerCall(s) {
			if len(kids) != 0 {
				t.Errorf("peer call %s %q has %d children", s.svc, s.sp.Name, len(kids))
			}
			if !s.has("server.address") {
				t.Errorf("peer call %s %q has no server.address", s.svc, s.sp.Name)
			}
			return
		}
		if len(kids) != 1 || kids[0].sp.Kind != tracepb.Span_SPAN_KIND_SERVER {
			t.Errorf("client %s %q has children %v, want one server span", s.svc, s.sp.Name, kids)
		}
	case tracepb.Span_SPAN_KIND_PRODUCER:
		for _, k := range kids {
			if k.sp.Kind != tracepb.Span_SPAN_KIND_CONSUMER {
				t.Errorf("producer %s has a %s child", s.svc, k.sp.Kind)
			}
		}
	}
}

// checkCoverage checks that every service, namespace and kind of peer
// and messaging shows up.
func checkCoverage(t *testing.T, g *Generator, spans []flat, ix index) {

	services := map[string]string{}
	for _, s := range spans {
		services[s.svc] = s.ns
	}
	if len(services) < 15 {
		t.Errorf("%d services, want >= 15: %v", len(services), services)
	}
	for _, name := range g.Services() {
		if _, ok := services[name]; !ok {
			t.Errorf("service %s never emitted a span", name)
		}
	}
	namespaces := map[string]int{}
	for _, ns := range services {
		namespaces[ns]++
	}
	if namespaces[NamespaceShop] == 0 || namespaces[NamespacePlatform] == 0 || len(namespaces) != 2 {
		t.Errorf("namespaces = %v, want shop and platform", namespaces)
	}

	var postgres, redis, stripe, grpcCalls, httpCalls, retries int
	producers := map[string]flat{}
	var parentedConsumers, linkedConsumers int
	for _, s := range spans {
		switch {
		case s.str("db.system") == "postgresql":
			postgres++
			if s.str("db.name") == "" || s.str("server.address") == "" {
				t.Errorf("postgres span %q lacks db.name or server.address", s.sp.Name)
			}
		case s.str("db.system") == "redis":
			redis++
		case s.str("server.address") == PaymentProviderAddress:
			stripe++
			if s.has("peer.service") || s.svc != "payment" || s.str("http.request.method") != "POST" {
				t.Errorf("payment provider span %s %q has wrong attributes %v", s.svc, s.sp.Name, s.sp.Attributes)
			}
		case s.str("rpc.system") == "grpc" && s.sp.Kind == tracepb.Span_SPAN_KIND_CLIENT:
			grpcCalls++
		case s.has("http.request.method") && s.sp.Kind == tracepb.Span_SPAN_KIND_CLIENT:
			httpCalls++
		}
		if s.num("http.request.resend_count") > 0 {
			retries++
		}
		switch s.sp.Kind {
		case tracepb.Span_SPAN_KIND_PRODUCER:
			if s.str("messaging.system") != "kafka" {
				t.Errorf("producer %q: messaging.system = %q", s.sp.Name, s.str("messaging.system"))
			}
			producers[s.trace()+s.id()] = s
		case tracepb.Span_SPAN_KIND_CONSUMER:
			if len(s.sp.ParentSpanId) > 0 {
				parentedConsumers++
			}
			for _, l := range s.sp.Links {
				if _, ok := ix.byID[hexs(l.TraceId)+hexs(l.SpanId)]; !ok {
					t.Errorf("consumer %s links to a span not generated", s.svc)
				}
				linkedConsumers++
			}
		}
	}
	orders := 0
	for _, p := range producers {
		if p.str("messaging.destination.name") == OrdersTopic && p.svc == "checkout" {
			orders++
		}
	}
	for name, n := range map[string]int{
		"postgres": postgres, "redis": redis, "payment provider": stripe, "gRPC calls": grpcCalls,
		"HTTP calls": httpCalls, "retries": retries, "orders producers": orders,
		"parented consumers": parentedConsumers, "linked consumers": linkedConsumers,
	} {
		if n == 0 {
			t.Errorf("no %s generated", name)
		}
	}
}

func hexs(b []byte) string { return hex.EncodeToString(b) }

// checkRetries checks that every retry follows a failed attempt.
func checkRetries(t *testing.T, spans []flat, ix index) {
	checked := 0
	for _, s := range spans {
		n := s.num("http.request.resend_count")
		if n == 0 {
			continue
		}
		// The attempt before it: same parent, same name, failed, ended first.
		var prev *flat
		for _, o := range ix.traces[s.trace()] {
			if o.parent() == s.parent() && o.sp.Name == s.sp.Name && o.num("http.request.resend_count") == n-1 && o.id() != s.id() {
				prev = &o
			}
		}
		if prev == nil {
			t.Fatalf("retry %d of %s %q has no earlier attempt", n, s.svc, s.sp.Name)
		}
		if !prev.failed() || prev.num("http.response.status_code") != 503 || prev.end() > s.start() {
			t.Errorf("retry of %q follows attempt failed=%v status=%d end=%d start=%d",
				s.sp.Name, prev.failed(), prev.num("http.response.status_code"), prev.end(), s.start())
		}
		checked++
	}
	if checked == 0 {
		t.Fatal("no retries to check")
	}
}

func TestGenerator_Batch_window(t *testing.T) {
	g := newTestGenerator(t, nil)
	now := t0.Add(5 * time.Second)
	req := g.Batch(now, 50)
	spans := flatten(t, req)
	// A request ends with its last span, including the traces its
	// messages started (linked consumers).
	last := map[string]int64{}
	for _, s := range spans {
		last[s.trace()] = max(last[s.trace()], s.end())
	}
	for _, s := range spans {
		for _, l := range s.sp.Links {
			linked := hexs(l.TraceId)
			last[linked] = max(last[linked], last[s.trace()])
		}
	}
	roots := 0
	for _, s := range spans {
		if s.end() > now.UnixNano() {
			t.Errorf("%s %q ends %v after now", s.svc, s.sp.Name, time.Duration(s.end()-now.UnixNano()))
		}
		if len(s.sp.ParentSpanId) > 0 || s.svc != "web-frontend" {
			continue
		}
		roots++
		if end := last[s.trace()]; end <= now.Add(-time.Second).UnixNano() {
			t.Errorf("request %s ended %v before now, outside the 1s interval", s.trace(), now.Sub(time.Unix(0, end)))
		}
	}
	if roots != 50 {
		t.Errorf("%d user requests, want 50", roots)
	}
	if st := g.Stats(); st.Batches != 1 || st.Traces != 50 || st.Spans != int64(len(spans)) {
		t.Errorf("stats = %+v, want 1 batch, 50 traces, %d spans", st, len(spans))
	}
}

func TestGenerator_Batch_deterministic(t *testing.T) {
	mk := func(seed uint64) []byte {
		g := newTestGenerator(t, func(c *Config) { c.Seed = seed })
		var out []byte
		for i := range 3 {
			b, err := proto.MarshalOptions{Deterministic: true}.Marshal(g.Batch(t0.Add(time.Duration(i)*time.Second), 20))
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, b...)
		}
		return out
	}
	a, b, c := mk(7), mk(7), mk(8)
	if string(a) != string(b) {
		t.Error("same seed gave different batches")
	}
	if string(a) == string(c) {
		t.Error("different seeds gave the same batches")
	}
}

func TestGenerator_Batch_latencyTail(t *testing.T) {
	g := newTestGenerator(t, func(c *Config) { c.IncidentPeriod = 0 })
	spans := generate(t, g, t0, 60, 20)
	var provider []int64
	for _, s := range spans {
		if s.str("server.address") == PaymentProviderAddress {
			provider = append(provider, s.end()-s.start())
		}
	}
	if len(provider) < 50 {
		t.Fatalf("only %d payment provider calls", len(provider))
	}
	p50, p99 := quantile(provider, 0.5), quantile(provider, 0.99)
	if p50 < int64(120*time.Millisecond) || p50 > int64(260*time.Millisecond) {
		t.Errorf("payment provider median = %v, want about 180ms", time.Duration(p50))
	}
	if p99 < 2*p50 {
		t.Errorf("payment provider p99 %v is not a long tail over median %v", time.Duration(p99), time.Duration(p50))
	}
}
