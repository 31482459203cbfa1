package server

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	grpcgzip "google.golang.org/grpc/encoding/gzip"
	"google.golang.org/grpc/status"

	coltrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"

	"github.com/spanmap/spanmap/graph"
	"github.com/spanmap/spanmap/graph/render"
	"github.com/spanmap/spanmap/internal/svgtest"
	"github.com/spanmap/spanmap/internal/zipkintest"
	"github.com/spanmap/spanmap/server/source/rawpb"
)

// flakyZipkin is a Zipkin query API on a fixed loopback address that can
// answer, fail with 500s, send truncated JSON, answer too slowly, or be
// down altogether (nothing listening).
type flakyZipkin struct {
	t    *testing.T
	addr string

	mu   sync.Mutex
	mode string // "ok", "500", "truncated", "slow"
	srv  *http.Server
}

func newFlakyZipkin(t *testing.T) *flakyZipkin {
	f := &flakyZipkin{t: t, mode: "ok"}
	f.up("127.0.0.1:0")
	t.Cleanup(f.down)
	return f
}

func (f *flakyZipkin) url() string { return "http://" + f.addr }

func (f *flakyZipkin) set(mode string) {
	f.mu.Lock()
	f.mode = mode
	f.mu.Unlock()
}

// up starts serving on addr (the same address after a down).
func (f *flakyZipkin) up(addr string) {
	var ln net.Listener
	var err error
	for range 50 { // the address was just released; retry briefly
		if ln, err = net.Listen("tcp", addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		f.t.Fatal(err)
	}
	f.addr = ln.Addr().String()
	srv := &http.Server{Handler: http.HandlerFunc(f.serve)}
	f.mu.Lock()
	f.srv = srv
	f.mu.Unlock()
	go srv.Serve(ln)
}

// down closes the listener and every connection.
func (f *flakyZipkin) down() {
	f.mu.Lock()
	srv := f.srv
	f.srv = nil
	f.mu.Unlock()
	if srv != nil {
		srv.Close()
	}
}

func (f *flakyZipkin) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	mode := f.mode
	f.mu.Unlock()
	switch mode {
	case "500":
		http.Error(w, "storage exploded", http.StatusInternalServerError)
		return
	case "truncated":
		fmt.Fprint(w, `["backend","fron`)
		return
	case "slow":
		select {
		case <-time.After(5 * time.Second):
		case <-r.Context().Done():
			return
		}
	}
	zipkintest.Serve(w, r)
}

// metricValue returns the value of the sample whose name and labels start
// with series in a Prometheus text exposition.
func metricValue(t *testing.T, body, series string) float64 {
	t.Helper()
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(series) + ` (\S+)$`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no sample %s in /metrics", series)
	}
	v, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestServer_sourceFailures runs a pulled source through every failure a
// backend can have (down at start, 500s, truncated JSON, an answer slower
// than the timeout, down mid-run) and checks, for each, the state and error
// in GET /api/v1/sources and /metrics, that the process keeps serving and
// that the map keeps the last edge it had; then the source recovers. Down
// for longer than stale_after, the source is stale (and its edge keeps
// being served); answering again, it is fresh.
func TestServer_sourceFailures(t *testing.T) {
	zb := newFlakyZipkin(t)
	addr := zb.addr
	zb.down() // down at start
	cfg := testConfig()
	c := connTo(zb.url())
	c.Timeout = 300 * time.Millisecond
	cfg.Sources = []SourceConfig{{Kind: "zipkin", Name: "zk", Conn: c, Interval: 50 * time.Millisecond, Settle: time.Second}}
	cfg.StaleAfter = 1500 * time.Millisecond
	s := start(t, cfg)
	base := "http://" + s.Addr("--http-addr")

	// waitState polls the sources API until zk is in state with an error
	// containing errText ("" when it must have none).
	waitState := func(state graph.SourceState, errText string) graph.SourceStatus {
		t.Helper()
		deadline := time.Now().Add(15 * time.Second)
		for {
			st := sourcesOf(t, base)["zk"]
			if st.State == state && strings.Contains(st.LastError, errText) && (errText != "" || st.LastError == "") {
				return st
			}
			if time.Now().After(deadline) {
				t.Fatalf("zk status = %+v, want %s with an error containing %q", st, state, errText)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	// serving checks that the process answers and the map keeps its edge.
	serving := func(wantEdge bool) {
		t.Helper()
		if code, _ := get(t, base+"/healthz"); code != http.StatusOK {
			t.Fatalf("/healthz = %d", code)
		}
		if e := hasEdge(fetchGraph(t, base, "window=5m"), "frontend", "backend"); (e != nil) != wantEdge {
			t.Fatalf("edge frontend->backend present = %v, want %v", e != nil, wantEdge)
		}
	}

	st := waitState(graph.SourceDown, "dial tcp "+addr) // connection refused, or reset while the port closes
	if !strings.Contains(st.LastError, "list services of zk") {
		t.Fatalf("error %q does not name the source", st.LastError)
	}
	serving(false)
	_, metrics := get(t, base+"/metrics")
	if metricValue(t, metrics, `spanmap_source_state{kind="zipkin",source="zk",state="down"}`) != 1 ||
		metricValue(t, metrics, `spanmap_source_failing{kind="zipkin",source="zk"}`) != 1 ||
		metricValue(t, metrics, `spanmap_source_last_success_timestamp_seconds{kind="zipkin",source="zk"}`) != 0 {
		t.Fatalf("metrics of a source down at start:\n%s", grepLines(metrics, `source="zk"`))
	}

	zb.up(addr)
	waitState(graph.SourceOK, "")
	deadline := time.Now().Add(10 * time.Second)
	for hasEdge(fetchGraph(t, base, "window=5m"), "frontend", "backend") == nil {
		if time.Now().After(deadline) {
			t.Fatal("edge never appeared after the backend came up")
		}
		time.Sleep(50 * time.Millisecond)
	}
	_, metrics = get(t, base+"/metrics")
	if metricValue(t, metrics, `spanmap_source_traces_fetched_total{kind="zipkin",source="zk"}`) != 1 ||
		metricValue(t, metrics, `spanmap_source_last_success_timestamp_seconds{kind="zipkin",source="zk"}`) < float64(time.Now().Add(-time.Minute).Unix()) {
		t.Fatalf("metrics of a source that answers:\n%s", grepLines(metrics, `source="zk"`))
	}

	for _, tc := range []struct{ mode, errText string }{
		{"500", "500 Internal Server Error: storage exploded"},
		{"truncated", "malformed response"},
		{"slow", "exceeded"}, // Client.Timeout exceeded
	} {
		zb.set(tc.mode)
		waitState(graph.SourceDown, tc.errText)
		serving(true)
		zb.set("ok")
		waitState(graph.SourceOK, "")
	}
	st = sourcesOf(t, base)["zk"]
	_, metrics = get(t, base+"/metrics")
	if st.Malformed == 0 || metricValue(t, metrics, `spanmap_source_malformed_total{kind="zipkin",source="zk"}`) != float64(st.Malformed) {
		t.Fatalf("malformed: status %d, metrics:\n%s", st.Malformed, grepLines(metrics, `source="zk"`))
	}

	if st := sourcesOf(t, base)["zk"]; st.Stale {
		t.Fatalf("zk is stale while answering: %+v", st)
	}
	// svgExport returns the live SVG export, its ETag, and whether the
	// edge zk saw is drawn stale.
	svgExport := func(query string) (etag string, stale bool) {
		t.Helper()
		resp, err := http.Get(base + "/api/v1/graph.svg?" + query)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("graph.svg: %d %s", resp.StatusCode, b)
		}
		_, groups := svgtest.Parse(t, b)
		g := groups[render.EdgeElementID("frontend->backend")]
		if g == nil {
			t.Fatalf("graph.svg lacks the edge:\n%s", b)
		}
		return resp.Header.Get("ETag"), strings.Contains(g.Attr("class"), "stale")
	}
	freshTag, stale := svgExport("window=5m")
	if stale {
		t.Fatal("the export fades the edge of a fresh source")
	}

	// Down mid-run: connection refused (or reset while the port closes).
	zb.down()
	waitState(graph.SourceDown, "dial tcp "+addr)
	serving(true)
	// Past stale_after without data, the source is stale, in the API and
	// in /metrics, and the map keeps its edge.
	deadline = time.Now().Add(10 * time.Second)
	for !sourcesOf(t, base)["zk"].Stale {
		if time.Now().After(deadline) {
			t.Fatalf("zk down for 10 s is not stale: %+v", sourcesOf(t, base)["zk"])
		}
		time.Sleep(50 * time.Millisecond)
	}
	serving(true)
	if _, metrics := get(t, base+"/metrics"); metricValue(t, metrics, `spanmap_source_stale{kind="zipkin",source="zk"}`) != 1 {
		t.Fatalf("metrics of a stale source:\n%s", grepLines(metrics, `source="zk"`))
	}
	// The live export fades the edge under a new ETag; a past range keeps
	// its figures unmarked.
	if tag, stale := svgExport("window=5m"); !stale || tag == freshTag {
		t.Fatalf("export while zk is stale: edge stale %v, ETag %s (fresh: %s)", stale, tag, freshTag)
	}
	now := time.Now().UTC()
	if _, stale := svgExport("from=" + now.Add(-5*time.Minute).Format(time.RFC3339) + "&to=" + now.Format(time.RFC3339)); stale {
		t.Fatal("a past range's export fades the edge")
	}
	if _, mmd := get(t, base+"/api/v1/graph.mmd?window=5m"); !strings.Contains(mmd, "classDef stale") {
		t.Fatalf("Mermaid export while zk is stale:\n%s", mmd)
	}
	zb.up(addr)
	waitState(graph.SourceOK, "")
	if st := sourcesOf(t, base)["zk"]; st.Stale {
		t.Fatalf("zk is still stale after answering again: %+v", st)
	}
	if _, stale := svgExport("window=5m"); stale {
		t.Fatal("the export still fades the edge after zk answers again")
	}
	if _, metrics := get(t, base+"/metrics"); metricValue(t, metrics, `spanmap_source_stale{kind="zipkin",source="zk"}`) != 0 {
		t.Fatalf("metrics of a fresh source:\n%s", grepLines(metrics, `source="zk"`))
	}
	if st := sourcesOf(t, base)["zk"]; st.TracesFetched != 1 {
		t.Fatalf("traces fetched = %d, want the one trace once", st.TracesFetched)
	}
}

func grepLines(s, substr string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, substr) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// TestServer_receiverLimits sends the receivers of a running server bodies
// over the limit, a gzip bomb and malformed requests, over real sockets,
// and checks each status and that the server keeps taking spans.
func TestServer_receiverLimits(t *testing.T) {
	cfg := testConfig()
	cfg.MaxBodyBytes = 64 << 10
	s := start(t, cfg)
	base := "http://" + s.Addr("--http-addr")
	otlpURL := "http://" + s.Addr("--otlp-http-addr") + "/v1/traces"
	zipkinURL := "http://" + s.Addr("--zipkin-addr") + "/api/v2/spans"

	var bomb bytes.Buffer
	zw := gzip.NewWriter(&bomb)
	zw.Write(make([]byte, 32<<20)) // 32 MiB of zeros in about 32 KiB
	zw.Close()
	post := func(url, ctype, enc string, body []byte) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
		req.Header.Set("Content-Type", ctype)
		if enc != "" {
			req.Header.Set("Content-Encoding", enc)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var b bytes.Buffer
		b.ReadFrom(resp.Body)
		return resp.StatusCode, b.String()
	}
	for _, tc := range []struct {
		name, url, ctype, enc string
		body                  []byte
		want                  int
		wantMsg               string
	}{
		{"otlp over the limit", otlpURL, "application/x-protobuf", "", make([]byte, 65<<10), 413, "too large"},
		{"otlp gzip bomb", otlpURL, "application/x-protobuf", "gzip", bomb.Bytes(), 413, "too large"},
		{"otlp truncated json", otlpURL, "application/json", "", []byte(`{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"5b8e`), 400, "otlp-json"},
		{"otlp wrong type", otlpURL, "text/plain", "", []byte("hi"), 415, "unsupported content type"},
		{"zipkin over the limit", zipkinURL, "application/json", "", bytes.Repeat([]byte(" "), 65<<10), 413, "too large"},
		{"zipkin gzip bomb", zipkinURL, "application/json", "gzip", bomb.Bytes(), 413, "too large"},
		{"zipkin truncated json", zipkinURL, "application/json", "", []byte(`[{"traceId":"86154a4ba6e91385","id":"4d1e`), 400, "zipkin"},
	} {
		code, body := post(tc.url, tc.ctype, tc.enc, tc.body)
		if code != tc.want || !strings.Contains(body, tc.wantMsg) {
			t.Errorf("%s: %d %q, want %d mentioning %q", tc.name, code, body, tc.want, tc.wantMsg)
		}
	}

	// OTLP/gRPC: a message over the limit (also when gzip-compressed, which
	// gRPC checks after decompression, so a bomb is cut off) is
	// RESOURCE_EXHAUSTED, a malformed one INVALID_ARGUMENT.
	cc, err := grpc.NewClient(s.Addr("--otlp-grpc-addr"), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	client := coltrace.NewTraceServiceClient(cc)
	big := &coltrace.ExportTraceServiceRequest{ResourceSpans: []*tracepb.ResourceSpans{{ScopeSpans: []*tracepb.ScopeSpans{{
		Spans: []*tracepb.Span{{TraceId: []byte{15: 1}, SpanId: []byte{7: 1}, Name: strings.Repeat("x", 65<<10)}},
	}}}}}
	for _, tc := range []struct {
		name string
		opts []grpc.CallOption
	}{{"plain", nil}, {"gzip", []grpc.CallOption{grpc.UseCompressor(grpcgzip.Name)}}} {
		_, err := client.Export(context.Background(), big, tc.opts...)
		if status.Code(err) != codes.ResourceExhausted {
			t.Errorf("gRPC export over the limit (%s): %v, want ResourceExhausted", tc.name, err)
		}
	}
	var out rawpb.Message
	err = cc.Invoke(context.Background(), "/opentelemetry.proto.collector.trace.v1.TraceService/Export",
		&rawpb.Message{B: []byte{0x0a, 0xff, 0x01}}, &out, grpc.ForceCodec(rawpb.Codec{}))
	if status.Code(err) != codes.InvalidArgument || !strings.Contains(err.Error(), "otlp-proto") {
		t.Errorf("malformed gRPC export: %v, want InvalidArgument naming the decoder", err)
	}

	// The server still takes spans and serves the map.
	sendPair(t, s.Addr("--otlp-http-addr"), "checkout", "payment")
	deadline := time.Now().Add(10 * time.Second)
	for hasEdge(fetchGraph(t, base, "window=5m"), "checkout", "payment") == nil {
		if time.Now().After(deadline) {
			t.Fatal("no edge after the refused requests")
		}
		time.Sleep(50 * time.Millisecond)
	}
	srcs := sourcesOf(t, base)
	if srcs["otlp"].Malformed != 2 || srcs["zipkin-receiver"].Malformed != 1 {
		t.Fatalf("malformed counts: otlp %d, zipkin %d; want 2 and 1", srcs["otlp"].Malformed, srcs["zipkin-receiver"].Malformed)
	}
}

// TestRegistry_freshness checks the rule behind the stale flags: a pushed
// source is fresh for staleAfter after its last data, a pulled one for two
// poll intervals (at least staleAfter), so a source polled once a minute
// does not turn stale between its polls, and one that stopped answering
// does. A source that never delivered is not stale: nothing shows its data.
func TestRegistry_freshness(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	named := func(name string, ago time.Duration) func() graph.SourceStatus {
		return func() graph.SourceStatus {
			return graph.SourceStatus{Name: name, LastSuccess: now.Add(-ago).UnixMilli()}
		}
	}
	at := func(ago time.Duration) func() graph.SourceStatus { return named("s", ago) }
	never := func() graph.SourceStatus { return graph.SourceStatus{Name: "s"} }
	for _, tc := range []struct {
		name       string
		staleAfter time.Duration
		status     func() graph.SourceStatus
		interval   time.Duration // 0: pushed
		fresh      bool
	}{
		{"pushed, 10 s ago", DefaultStaleAfter, at(10 * time.Second), 0, true},
		{"pushed, 31 s ago", DefaultStaleAfter, at(31 * time.Second), 0, false},
		{"pushed, 31 s ago, stale after 1m", time.Minute, at(31 * time.Second), 0, true},
		{"pushed, 3 s ago, stale after 2s", 2 * time.Second, at(3 * time.Second), 0, false},
		{"polled every 15 s, 25 s ago", DefaultStaleAfter, at(25 * time.Second), 15 * time.Second, true},
		{"polled every 15 s, 40 s ago", DefaultStaleAfter, at(40 * time.Second), 15 * time.Second, false},
		{"polled every minute, 90 s ago", DefaultStaleAfter, at(90 * time.Second), time.Minute, true},
		{"polled every minute, 3 min ago", DefaultStaleAfter, at(3 * time.Minute), time.Minute, false},
		{"polled every second, 3 s ago, stale after 2s", 2 * time.Second, at(3 * time.Second), time.Second, false},
		{"never", DefaultStaleAfter, never, time.Minute, false},
	} {
		r := newRegistry(tc.staleAfter)
		r.addPulled("s", tc.status, tc.interval)
		srcs, fresh := r.list(now)
		if fresh != tc.fresh {
			t.Errorf("%s: fresh = %v, want %v", tc.name, fresh, tc.fresh)
		}
		if wantStale := !tc.fresh && srcs[0].LastSuccess != 0; srcs[0].Stale != wantStale {
			t.Errorf("%s: source stale = %v, want %v", tc.name, srcs[0].Stale, wantStale)
		}
	}
	// One fresh source is enough: the map is not stale, the other source is.
	r := newRegistry(DefaultStaleAfter)
	r.add("otlp", named("otlp", time.Second))
	r.addPulled("jaeger", named("jaeger", time.Hour), 15*time.Second)
	srcs, fresh := r.list(now)
	if !fresh || len(srcs) != 2 {
		t.Fatalf("fresh = %v with %d sources, want true with 2", fresh, len(srcs))
	}
	if srcs[0].Name != "jaeger" || !srcs[0].Stale || srcs[1].Stale {
		t.Fatalf("sources %+v: want jaeger stale and otlp not", srcs)
	}
}

// TestServer_status_stale checks the stream's stale flag: a map fed by a
// puller that stops answering turns stale two intervals after its last
// success (and stays stale while it is down), not between two polls.
func TestServer_status_stale(t *testing.T) {
	cfg := testConfig()
	cfg.OTLPHTTPAddr, cfg.OTLPGRPCAddr, cfg.ZipkinAddr = "", "", ""
	s, err := New(cfg, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		s.closeListeners()
		for _, c := range s.closers {
			c()
		}
	})
	t0 := time.Unix(1_700_000_000, 0)
	var now time.Time
	s.now = func() time.Time { return now }
	state := graph.SourceOK
	s.sources.addPulled("jaeger", func() graph.SourceStatus {
		return graph.SourceStatus{Name: "jaeger", Kind: "jaeger", State: state, LastSuccess: t0.UnixMilli()}
	}, time.Minute)
	for _, tc := range []struct {
		after time.Duration
		state graph.SourceState
		stale bool
	}{
		{59 * time.Second, graph.SourceOK, false},        // between two polls
		{110 * time.Second, graph.SourceDegraded, false}, // a poll failed
		{121 * time.Second, graph.SourceDown, true},      // two intervals without data
		{time.Hour, graph.SourceDown, true},
	} {
		now, state = t0.Add(tc.after), tc.state
		if st := s.status(); st.Stale != tc.stale || len(st.Sources) != 1 || st.Sources[0].State != tc.state || st.Sources[0].Stale != tc.stale {
			t.Errorf("%v after the last success, source %s: stale %v, want %v (%+v)", tc.after, tc.state, st.Stale, tc.stale, st)
		}
	}
}

// TestServer_jaegerDependenciesMode reads Jaeger's own /api/dependencies
// (the fallback topology): call counts without latency; a truncated answer
// is counted as malformed in the source's status, and the map keeps the
// edge.
func TestServer_jaegerDependenciesMode(t *testing.T) {
	var mu sync.Mutex
	truncated := false
	jb := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		tr := truncated
		mu.Unlock()
		if r.URL.Path != "/api/dependencies" || r.URL.Query().Get("endTs") == "" || r.URL.Query().Get("lookback") == "" {
			http.NotFound(w, r)
			return
		}
		if tr {
			fmt.Fprint(w, `{"data":[{"parent":"frontend","chi`)
			return
		}
		fmt.Fprint(w, `{"data":[{"parent":"frontend","child":"driver","callCount":5},{"parent":"driver","child":"redis-manual","callCount":68}],"total":0,"limit":0,"offset":0,"errors":null}`)
	}))
	defer jb.Close()
	cfg := testConfig()
	cfg.Sources = []SourceConfig{{Kind: "jaeger", Name: "j-deps", Mode: "dependencies", Conn: connTo(jb.URL), Interval: 100 * time.Millisecond}}
	s := start(t, cfg)
	base := "http://" + s.Addr("--http-addr")
	deadline := time.Now().Add(10 * time.Second)
	for {
		snap := fetchGraph(t, base, "window=5m")
		if e := hasEdge(snap, "driver", "redis-manual"); e != nil && hasEdge(snap, "frontend", "driver") != nil {
			if e.Calls < 68 || e.Errors != 0 || !e.Latency.IsZero() || e.Sources[0] != "j-deps" {
				t.Fatalf("edge = %+v, want at least 68 calls, no errors or latency", e)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no edges from Jaeger's dependency links: %+v", snap.Edges)
		}
		time.Sleep(50 * time.Millisecond)
	}
	mu.Lock()
	truncated = true
	mu.Unlock()
	deadline = time.Now().Add(15 * time.Second)
	for {
		st := sourcesOf(t, base)["j-deps"]
		if st.State == graph.SourceDown && st.Malformed >= 3 && strings.Contains(st.LastError, "jaeger /api/dependencies: malformed response") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("status = %+v, want down with malformed responses counted", st)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if hasEdge(fetchGraph(t, base, "window=5m"), "frontend", "driver") == nil {
		t.Fatal("the map lost its edge while the source is down")
	}
}

// TestServer_receiversQueueFull fills the real ingest queue (its worker
// not yet running) and checks that every receiver refuses the next request
// with a retryable status (HTTP 503 with Retry-After, gRPC UNAVAILABLE
// with RetryInfo) without taking its spans, and that what was accepted is
// derived once the worker runs.
func TestServer_receiversQueueFull(t *testing.T) {
	cfg := testConfig()
	cfg.OTLPHTTPAddr, cfg.OTLPGRPCAddr, cfg.ZipkinAddr = "", "", ""
	cfg.Ingest.QueueSize = 1
	s, err := New(cfg, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		s.closeListeners()
		for _, c := range s.closers {
			c()
		}
	})
	otlpSrv := httptest.NewServer(s.otlp.HTTPHandler())
	defer otlpSrv.Close()
	zipkinSrv := httptest.NewServer(s.zipkin.Handler())
	defer zipkinSrv.Close()
	const otlpBody = `{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"frontend"}}]},
"scopeSpans":[{"spans":[{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174","name":"GET /","kind":2,"startTimeUnixNano":"1544712660000000000","endTimeUnixNano":"1544712661000000000"}]}]}]}`
	const zipkinBody = `[{"traceId":"86154a4ba6e91385","id":"4d1e00c0db9010db","kind":"SERVER","name":"get","timestamp":1472470996199000,"duration":207000,"localEndpoint":{"serviceName":"frontend"}}]`
	post := func(url, body string) *http.Response {
		t.Helper()
		resp, err := http.Post(url, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	if resp := post(otlpSrv.URL+"/v1/traces", otlpBody); resp.StatusCode != http.StatusOK {
		t.Fatalf("first export into an empty queue: %s", resp.Status)
	}
	for _, tc := range []struct{ name, url, body string }{
		{"otlp/http", otlpSrv.URL + "/v1/traces", otlpBody},
		{"zipkin", zipkinSrv.URL + "/api/v2/spans", zipkinBody},
	} {
		resp := post(tc.url, tc.body)
		if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
			t.Errorf("%s into a full queue: %s, Retry-After %q; want 503 with Retry-After", tc.name, resp.Status, resp.Header.Get("Retry-After"))
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	gs := s.otlp.GRPCServer()
	go gs.Serve(ln)
	defer gs.Stop()
	cc, err := grpc.NewClient(ln.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	req := &coltrace.ExportTraceServiceRequest{ResourceSpans: []*tracepb.ResourceSpans{{ScopeSpans: []*tracepb.ScopeSpans{{
		Spans: []*tracepb.Span{{TraceId: []byte{15: 2}, SpanId: []byte{7: 2}, Name: "GET /"}},
	}}}}}
	_, err = coltrace.NewTraceServiceClient(cc).Export(context.Background(), req)
	st, _ := status.FromError(err)
	retry := false
	for _, d := range st.Details() {
		_, retry = d.(*errdetails.RetryInfo)
	}
	if st.Code() != codes.Unavailable || !retry {
		t.Errorf("otlp/grpc into a full queue: %v (details %v), want UNAVAILABLE with RetryInfo", err, st.Details())
	}
	if ps := s.pipeline.Stats(); ps.Spans != 1 || ps.RejectedSpans != 3 {
		t.Fatalf("pipeline stats = %+v, want 1 span accepted and 3 refused", ps)
	}

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.pipeline.Run(ctx) }()
	defer func() { cancel(); <-done }()
	deadline := time.Now().Add(10 * time.Second)
	for s.pipeline.Stats().Derive.Added != 1 {
		if time.Now().After(deadline) {
			t.Fatalf("the accepted span was not derived: %+v", s.pipeline.Stats())
		}
		time.Sleep(10 * time.Millisecond)
	}
	if resp := post(zipkinSrv.URL+"/api/v2/spans", zipkinBody); resp.StatusCode != http.StatusAccepted {
		t.Fatalf("zipkin after the queue drained: %s", resp.Status)
	}
}
