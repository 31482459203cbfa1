package browser

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"slices"
	"sort"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/instrumentation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/spanmap/spanmap/graph"
	"github.com/spanmap/spanmap/server"
)

// serverConfig listens on ephemeral loopback ports for the UI/API and
// OTLP/HTTP only, with a short pairing TTL so unpaired spans settle fast.
// The hub keeps its production tick of one second: the tests check the
// promised update delays.
func serverConfig() server.Config {
	cfg := server.DefaultConfig()
	cfg.HTTPAddr = "127.0.0.1:0"
	cfg.OTLPHTTPAddr = "127.0.0.1:0"
	cfg.OTLPGRPCAddr = ""
	cfg.ZipkinAddr = ""
	cfg.Ingest.Derive.TTL = 300 * time.Millisecond
	cfg.Ingest.ExpireInterval = 100 * time.Millisecond
	cfg.ShutdownTimeout = 2 * time.Second
	return cfg
}

// liveServer is a spanmap server running in-process.
type liveServer struct {
	srv    *server.Server
	cancel context.CancelFunc
	done   chan error
	// base is the UI/API root, "http://127.0.0.1:port".
	base string
	// otlp is the OTLP/HTTP receiver's host:port.
	otlp string
	// bearer, when set, is the token graph sends (a server that requires
	// sign-in).
	bearer  string
	stopped bool
}

// startServer runs a server with cfg and the test UI handler until stop or
// the end of the test.
func startServer(t testing.TB, cfg server.Config) *liveServer {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() && os.Getenv(envServerLog) == "1" {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	srv, err := server.New(cfg, log, uiHandler())
	if err != nil {
		t.Fatalf("server.New: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &liveServer{srv: srv, cancel: cancel, done: make(chan error, 1)}
	go func() { s.done <- srv.Run(ctx) }()
	s.base = "http://" + srv.Addr("--http-addr") // waits until listening
	if s.base == "http://" {
		cancel()
		t.Fatalf("server did not start: %v", <-s.done)
	}
	s.otlp = srv.Addr("--otlp-http-addr")
	t.Cleanup(func() { s.stop(t) })
	return s
}

// stop shuts the server down and waits for it; a second call does nothing.
func (s *liveServer) stop(t testing.TB) {
	t.Helper()
	if s.stopped {
		return
	}
	s.stopped = true
	s.cancel()
	select {
	case err := <-s.done:
		if err != nil {
			t.Errorf("server Run: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Errorf("server at %s did not stop within 15 s", s.base)
	}
}

// graph fetches GET /api/v1/graph?query.
func (s *liveServer) graph(t testing.TB, query string) graph.Snapshot {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, s.base+"/api/v1/graph?"+query, nil)
	if err != nil {
		t.Fatal(err)
	}
	if s.bearer != "" {
		req.Header.Set("Authorization", "Bearer "+s.bearer)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET /api/v1/graph?%s: %v", query, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET /api/v1/graph?%s: %v", query, err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /api/v1/graph?%s = %s: %s", query, resp.Status, body)
	}
	var snap graph.Snapshot
	if err := json.Unmarshal(body, &snap); err != nil {
		t.Fatalf("decode /api/v1/graph?%s: %v", query, err)
	}
	return snap
}

// waitGraph polls the API until ok accepts the graph of query, failing
// after timeout with the last graph's IDs.
func (s *liveServer) waitGraph(t testing.TB, query string, timeout time.Duration, what string, ok func(graph.Snapshot) bool) graph.Snapshot {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		snap := s.graph(t, query)
		if ok(snap) {
			return snap
		}
		if time.Now().After(deadline) {
			n, e := snapshotIDs(snap)
			t.Fatalf("API graph ?%s: %s not reached within %s; nodes %v, edges %v", query, what, timeout, n, e)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// snapshotIDs returns the sorted node and edge IDs of snap.
func snapshotIDs(snap graph.Snapshot) (nodes, edges []string) {
	nodes, edges = []string{}, []string{}
	for _, n := range snap.Nodes {
		nodes = append(nodes, n.ID)
	}
	for _, e := range snap.Edges {
		edges = append(edges, e.ID)
	}
	sort.Strings(nodes)
	sort.Strings(edges)
	return nodes, edges
}

// hasEdges reports whether snap has every edge ID in ids.
func hasEdges(snap graph.Snapshot, ids ...string) bool {
	_, edges := snapshotIDs(snap)
	for _, id := range ids {
		if _, found := slices.BinarySearch(edges, id); !found {
			return false
		}
	}
	return true
}

// call describes one service-to-service call to export as spans.
type call struct {
	// from and to are the caller and callee services. With a db set, to
	// is ignored: the call goes to a database no instrumented service
	// answers for.
	from, to string
	// fromNS and toNS are the services' namespaces (service.namespace).
	fromNS, toNS string
	// db is the db.system of a database call ("postgresql").
	db string
	// root adds a root server span in the caller, so the user node calls
	// it.
	root bool
	// fail marks the callee's server span (or the database client span)
	// failed.
	fail bool
	// dur is the call's duration (default 20 ms).
	dur time.Duration
	// end is when the call ended (default now).
	end time.Time
	// traceID is set by export to the trace's ID, hex.
	traceID string
}

// feeder exports calls to a server's OTLP/HTTP receiver with the
// OpenTelemetry SDK exporter, as instrumented services would.
type feeder struct {
	exp *otlptrace.Exporter
}

// newFeeder returns a feeder for the OTLP/HTTP receiver at endpoint
// (host:port), shut down at the end of the test.
func newFeeder(t testing.TB, endpoint string) *feeder {
	t.Helper()
	exp, err := otlptracehttp.New(context.Background(),
		otlptracehttp.WithEndpoint(endpoint), otlptracehttp.WithInsecure(),
		otlptracehttp.WithRetry(otlptracehttp.RetryConfig{Enabled: false}))
	if err != nil {
		t.Fatalf("OTLP exporter: %v", err)
	}
	t.Cleanup(func() { exp.Shutdown(context.Background()) })
	return &feeder{exp: exp}
}

// send exports calls in batches of at most 2,000 spans and sets each
// call's traceID.
func (f *feeder) send(t testing.TB, calls []call) {
	t.Helper()
	var stubs tracetest.SpanStubs
	flush := func() {
		if len(stubs) == 0 {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := f.exp.ExportSpans(ctx, stubs.Snapshots()); err != nil {
			t.Fatalf("export %d spans: %v", len(stubs), err)
		}
		stubs = stubs[:0]
	}
	resources := map[[2]string]*resource.Resource{}
	res := func(svc, ns string) *resource.Resource {
		k := [2]string{svc, ns}
		if r, ok := resources[k]; ok {
			return r
		}
		attrs := []attribute.KeyValue{attribute.String("service.name", svc)}
		if ns != "" {
			attrs = append(attrs, attribute.String("service.namespace", ns))
		}
		r := resource.NewSchemaless(attrs...)
		resources[k] = r
		return r
	}
	for i := range calls {
		stubs = append(stubs, calls[i].spans(res)...)
		if len(stubs) >= 2000 {
			flush()
		}
	}
	flush()
}

// spans returns the spans of c: an optional root server span in the
// caller, the caller's client span and the callee's server span (or only
// the client span for a database call). It sets c.traceID.
func (c *call) spans(res func(svc, ns string) *resource.Resource) []tracetest.SpanStub {
	dur := c.dur
	if dur <= 0 {
		dur = 20 * time.Millisecond
	}
	end := c.end
	if end.IsZero() {
		end = time.Now()
	}
	tid := newTraceID()
	c.traceID = tid.String()
	scope := instrumentation.Scope{Name: "spanmap/e2e/browser"}
	var out []tracetest.SpanStub
	var parent trace.SpanContext
	if c.root {
		root := spanContext(tid)
		out = append(out, tracetest.SpanStub{
			Name: "GET /", SpanContext: root, SpanKind: trace.SpanKindServer,
			StartTime: end.Add(-dur - 2*time.Millisecond), EndTime: end,
			Resource: res(c.from, c.fromNS), InstrumentationScope: scope,
		})
		parent = root
	}
	client := spanContext(tid)
	cs := tracetest.SpanStub{
		Name: "call " + c.to, SpanContext: client, Parent: parent, SpanKind: trace.SpanKindClient,
		StartTime: end.Add(-dur - time.Millisecond), EndTime: end.Add(-time.Millisecond),
		Resource: res(c.from, c.fromNS), InstrumentationScope: scope,
	}
	if c.db != "" {
		cs.Name = "SELECT"
		cs.Attributes = []attribute.KeyValue{attribute.String("db.system", c.db)}
		if c.fail {
			cs.Status = sdktrace.Status{Code: codes.Error, Description: "query failed"}
		}
		return append(out, cs)
	}
	status := 200
	if c.fail {
		status = 500
	}
	ss := tracetest.SpanStub{
		Name: "handle", SpanContext: spanContext(tid), Parent: client, SpanKind: trace.SpanKindServer,
		StartTime: end.Add(-dur), EndTime: end.Add(-2 * time.Millisecond),
		Attributes: []attribute.KeyValue{attribute.Int("http.response.status_code", status)},
		Resource:   res(c.to, c.toNS), InstrumentationScope: scope,
	}
	if c.fail {
		ss.Status = sdktrace.Status{Code: codes.Error, Description: "internal error"}
	}
	return append(out, cs, ss)
}

func newTraceID() trace.TraceID {
	var id trace.TraceID
	rand.Read(id[:])
	return id
}

func spanContext(tid trace.TraceID) trace.SpanContext {
	var sid trace.SpanID
	rand.Read(sid[:])
	return trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: sid, TraceFlags: trace.FlagsSampled})
}

// edgeID is the ID of the edge from -> to.
func edgeID(from, to string) string { return fmt.Sprintf("%s->%s", from, to) }
