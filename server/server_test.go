package server

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.26.0"
	"go.opentelemetry.io/otel/trace"
	"golang.org/x/crypto/bcrypt"

	"github.com/spanmap/spanmap/graph"
)

// testConfig listens on ephemeral loopback ports.
func testConfig() Config {
	cfg := DefaultConfig()
	cfg.HTTPAddr = "127.0.0.1:0"
	cfg.OTLPHTTPAddr = "127.0.0.1:0"
	cfg.OTLPGRPCAddr = "127.0.0.1:0"
	cfg.ZipkinAddr = "127.0.0.1:0"
	cfg.Ingest.Derive.TTL = 300 * time.Millisecond
	cfg.Ingest.ExpireInterval = 100 * time.Millisecond
	cfg.Hub.Tick = 100 * time.Millisecond
	cfg.ShutdownTimeout = 2 * time.Second
	return cfg
}

// start runs a server until the test ends, with a browser app that
// answers 404.
func start(t *testing.T, cfg Config) *Server {
	t.Helper()
	s, _ := startUI(t, cfg, http.NotFoundHandler())
	return s
}

func get(t *testing.T, url string, hdr ...string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// sendPair exports a client span in caller and a server span in callee over
// OTLP/HTTP, as an instrumented service would.
func sendPair(t *testing.T, endpoint, caller, callee string) {
	t.Helper()
	ctx := context.Background()
	exp, err := otlptracehttp.New(ctx, otlptracehttp.WithEndpoint(endpoint), otlptracehttp.WithInsecure())
	if err != nil {
		t.Fatal(err)
	}
	defer exp.Shutdown(ctx)
	tpA := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp), sdktrace.WithResource(resource.NewSchemaless(semconv.ServiceName(caller))))
	tpB := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp), sdktrace.WithResource(resource.NewSchemaless(semconv.ServiceName(callee))))
	rctx, root := tpA.Tracer("t").Start(ctx, "GET /", trace.WithSpanKind(trace.SpanKindServer))
	cctx, client := tpA.Tracer("t").Start(rctx, "call "+callee, trace.WithSpanKind(trace.SpanKindClient))
	_, srv := tpB.Tracer("t").Start(cctx, "handle", trace.WithSpanKind(trace.SpanKindServer),
		trace.WithAttributes(attribute.Int("http.response.status_code", 500)))
	srv.End()
	client.End()
	root.End()
}

func fetchGraph(t *testing.T, base, query string) graph.Snapshot {
	t.Helper()
	code, body := get(t, base+"/api/v1/graph?"+query)
	if code != 200 {
		t.Fatalf("GET /api/v1/graph?%s = %d: %s", query, code, body)
	}
	var s graph.Snapshot
	if err := json.Unmarshal([]byte(body), &s); err != nil {
		t.Fatal(err)
	}
	return s
}

func hasEdge(s graph.Snapshot, from, to string) *graph.Edge {
	for i, e := range s.Edges {
		if e.From == from && e.To == to {
			return &s.Edges[i]
		}
	}
	return nil
}

func TestServer_OTLPToGraph(t *testing.T) {
	s := start(t, testConfig())
	base := "http://" + s.Addr("--http-addr")
	sendPair(t, s.Addr("--otlp-http-addr"), "checkout", "payment")
	deadline := time.Now().Add(10 * time.Second)
	for {
		snap := fetchGraph(t, base, "window=5m")
		if e := hasEdge(snap, "checkout", "payment"); e != nil && hasEdge(snap, "user", "checkout") != nil {
			if e.Calls != 1 || e.Errors != 1 || e.Trust.Paired != 1 {
				t.Fatalf("edge = %+v, want 1 paired call with 1 error", e)
			}
			if snap.Nodes[0].Pos == nil {
				t.Fatalf("node %s has no layout position", snap.Nodes[0].ID)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("edges user->checkout and checkout->payment never appeared: %+v", snap.Edges)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if code, body := get(t, base+"/api/v1/services"); code != 200 || !strings.Contains(body, `"payment"`) {
		t.Fatalf("services = %d %s", code, body)
	}
	if code, body := get(t, base+"/api/v1/sources"); code != 200 || !strings.Contains(body, `"otlp"`) {
		t.Fatalf("sources = %d %s", code, body)
	}
	code, body := get(t, base+"/metrics")
	for _, want := range []string{"spanmap_spans_received_total{source=\"otlp\"} 3", "spanmap_stream_subscribers", "spanmap_layout_seconds_total", "spanmap_hub_read_errors_total 0"} {
		if code != 200 || !strings.Contains(body, want) {
			t.Fatalf("metrics missing %q (status %d)", want, code)
		}
	}
}

func TestServer_API_badView(t *testing.T) {
	s := start(t, testConfig())
	base := "http://" + s.Addr("--http-addr")
	// Every documented View parameter with a bad value, and an unknown one:
	// a 400 naming the parameter.
	for _, tc := range []struct{ query, param string }{
		{"window=forever", "window"},
		{"window=0s", "window"},
		{"from=yesterday&to=2025-01-01T00:00:00Z", "from"},
		{"from=2025-01-01T00:00:00Z&to=soon", "to"},
		{"from=2025-01-01T00:00:00Z", "to"},
		{"from=2025-01-02T00:00:00Z&to=2025-01-01T00:00:00Z", "to"},
		{"up=99&focus=a", "up"},
		{"down=-1&focus=a", "down"},
		{"group=team", "group"},
		{"virtual=maybe", "virtual"},
		{"min_rate=-1", "min_rate"},
		{"min_rate=lots", "min_rate"},
		{"ops=sometimes", "ops"},
		{"errors_only=2", "errors_only"},
		{"layout=circo", "layout"},
		{"bogus=1", "bogus"},
		{"window=5m&window=1m", "window"},
	} {
		code, body := get(t, base+"/api/v1/graph?"+tc.query)
		if code != 400 || !strings.Contains(body, "view parameter "+tc.param+":") {
			t.Errorf("GET ?%s = %d %s, want 400 naming %q", tc.query, code, body, tc.param)
		}
	}
	// Every parameter at once, with good values.
	q := "window=15m&focus=a&up=2&down=3&group=namespace&virtual=hide&min_rate=0.5&ops=true&errors_only=false&layout=neato"
	if code, body := get(t, base+"/api/v1/graph?"+q); code != 200 {
		t.Errorf("GET ?%s = %d %s, want 200", q, code, body)
	}
}

func TestServer_health(t *testing.T) {
	s := start(t, testConfig())
	base := "http://" + s.Addr("--http-addr")
	for _, p := range []string{"/healthz", "/readyz"} {
		if code, _ := get(t, base+p); code != 200 {
			t.Errorf("%s = %d", p, code)
		}
	}
}

func TestServer_auth(t *testing.T) {
	hash, err := bcrypt.GenerateFromPassword([]byte("pw"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	cfg := testConfig()
	cfg.Auth = AuthConfig{Tokens: []string{"tok"}, Users: []User{{Name: "ann", PasswordHash: string(hash)}}, ProxyUserHeader: "X-Forwarded-User"}
	_, base := startUI(t, cfg, fakeUI)
	basic := "Basic YW5uOnB3" // ann:pw
	for _, tc := range []struct {
		path string
		hdr  []string
		want int
	}{
		{"/api/v1/graph", nil, 401},
		{"/api/v1/graph", []string{"Authorization", "Bearer tok"}, 200},
		{"/api/v1/graph", []string{"Authorization", "Bearer nope"}, 401},
		{"/api/v1/graph?access_token=tok", nil, 200},
		{"/api/v1/graph", []string{"Authorization", basic}, 200},
		{"/api/v1/graph", []string{"Authorization", "Basic YW5uOng="}, 401},
		{"/api/v1/graph", []string{"X-Forwarded-User", "ann"}, 200},
		{"/api/v1/sources", nil, 401},
		{"/api/v1/services", nil, 401},
		{"/api/v1/stream", nil, 401},
		{"/api/v1/graph.svg", nil, 401},
		{"/api/v1/graph.svg", []string{"Authorization", "Bearer tok"}, 200},
		{"/api/v1/events", nil, 401},
		{"/api/v1/diff", nil, 401},
		{"/api/v1/sparkline?node=a", nil, 401},
		{"/", nil, 401},
		{"/embed", nil, 401},
		{"/web/spanmap.css", nil, 401},
		// A page opened as /?access_token=... loads the app's files with
		// the page as Referer; the token there opens those files only.
		{"/web/spanmap.css", []string{"Referer", base + "/?access_token=tok"}, 200},
		{"/app.js", []string{"Referer", base + "/embed?access_token=tok&focus=a"}, 200},
		{"/web/spanmap.css", []string{"Referer", base + "/?access_token=nope"}, 401},
		{"/web/spanmap.css", []string{"Referer", "http://elsewhere.example/?access_token=tok"}, 401},
		{"/api/v1/sources", []string{"Referer", base + "/?access_token=tok"}, 401},
		{"/healthz", nil, 200},
		{"/readyz", nil, 200},
		{"/metrics", nil, 200},
	} {
		if code, body := get(t, base+tc.path, tc.hdr...); code != tc.want {
			t.Errorf("GET %s %v = %d (%s), want %d", tc.path, tc.hdr, code, body, tc.want)
		}
	}

	// The stream opens with credentials only.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	wsURL := "ws" + strings.TrimPrefix(base, "http") + "/api/v1/stream"
	if _, resp, err := websocket.Dial(ctx, wsURL, nil); err == nil || resp == nil || resp.StatusCode != 401 {
		t.Errorf("stream without credentials: %v (%v), want 401", err, resp)
	}
	conn, _, err := websocket.Dial(ctx, wsURL, &websocket.DialOptions{HTTPHeader: http.Header{"Authorization": {"Bearer tok"}}})
	if err != nil {
		t.Fatalf("stream with a token: %v", err)
	}
	conn.CloseNow()
}

func TestServer_auth_protectMetrics(t *testing.T) {
	cfg := testConfig()
	cfg.Auth = AuthConfig{Tokens: []string{"tok"}, ProtectMetrics: true}
	_, base := startUI(t, cfg, fakeUI)
	for _, tc := range []struct {
		path string
		hdr  []string
		want int
	}{
		{"/metrics", nil, 401},
		{"/metrics", []string{"Authorization", "Bearer tok"}, 200},
		{"/healthz", nil, 200},
		{"/readyz", nil, 200},
	} {
		if code, body := get(t, base+tc.path, tc.hdr...); code != tc.want {
			t.Errorf("GET %s %v = %d (%s), want %d", tc.path, tc.hdr, code, body, tc.want)
		}
	}
}

func TestServer_portInUse(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	cfg := testConfig()
	cfg.OTLPHTTPAddr = ln.Addr().String()
	s, err := New(cfg, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = s.Run(context.Background())
	if !IsListenError(err) || !strings.Contains(err.Error(), "--otlp-http-addr "+ln.Addr().String()) {
		t.Fatalf("Run error = %v, want a listen error naming --otlp-http-addr", err)
	}
}

func TestConfig_Validate(t *testing.T) {
	for _, tc := range []struct {
		name string
		mod  func(*Config)
		want string
	}{
		{"public without auth", func(c *Config) { c.HTTPAddr = "0.0.0.0:7700" }, "--insecure-public"},
		{"public with flag", func(c *Config) { c.HTTPAddr = "0.0.0.0:7700"; c.InsecurePublic = true }, ""},
		{"public with tokens", func(c *Config) { c.HTTPAddr = ":7700"; c.Auth.Tokens = []string{"x"} }, ""},
		{"localhost", func(c *Config) { c.HTTPAddr = "localhost:7700" }, ""},
		{"bad addr", func(c *Config) { c.ZipkinAddr = "9411" }, "--zipkin-addr"},
		{"user without hash", func(c *Config) { c.Auth.Users = []User{{Name: "a", PasswordHash: "plain"}} }, "bcrypt"},
		{"receiver off", func(c *Config) { c.OTLPGRPCAddr = "" }, ""},
		{"stale after zero", func(c *Config) { c.StaleAfter = 0 }, "--stale-after: must be from 1s to 24h, got 0s"},
		{"stale after a week", func(c *Config) { c.StaleAfter = 7 * 24 * time.Hour }, "--stale-after"},
		{"stale after 2m", func(c *Config) { c.StaleAfter = 2 * time.Minute }, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := DefaultConfig()
			tc.mod(&c)
			err := c.Validate()
			if (err == nil) != (tc.want == "") || (err != nil && !strings.Contains(err.Error(), tc.want)) {
				t.Fatalf("Validate() = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestConfig_LoadFile(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := dir + "/" + name
		if err := writeFile(p, body); err != nil {
			t.Fatal(err)
		}
		return p
	}
	c := DefaultConfig()
	if err := c.LoadFile(write("ok.yaml", "http_addr: 127.0.0.1:9000\nstale_after: 2m\nauth:\n  tokens: [a, b]\n")); err != nil {
		t.Fatal(err)
	}
	if c.HTTPAddr != "127.0.0.1:9000" || len(c.Auth.Tokens) != 2 || c.OTLPHTTPAddr != "127.0.0.1:4318" || c.StaleAfter != 2*time.Minute {
		t.Fatalf("loaded %+v", c)
	}
	if err := c.LoadFile(write("bad.yaml", "htp_addr: x\n")); err == nil || !strings.Contains(err.Error(), "htp_addr") {
		t.Fatalf("unknown key error = %v", err)
	}
	if err := c.LoadFile(write("empty.yaml", "")); err != nil {
		t.Fatalf("empty file: %v", err)
	}
	_ = fmt.Sprint()
}

func TestServer_sparkline(t *testing.T) {
	s := start(t, testConfig())
	base := "http://" + s.Addr("--http-addr")
	sendPair(t, s.Addr("--otlp-http-addr"), "checkout", "payment")
	deadline := time.Now().Add(10 * time.Second)
	for {
		code, body := get(t, base+"/api/v1/sparkline?from=checkout&to=payment&minutes=5")
		if code == 200 {
			var resp struct {
				StepMs int64 `json:"step_ms"`
				Points []struct{ Calls, Errors int64 }
			}
			if err := json.Unmarshal([]byte(body), &resp); err != nil {
				t.Fatal(err)
			}
			var calls, errs int64
			for _, p := range resp.Points {
				calls, errs = calls+p.Calls, errs+p.Errors
			}
			if len(resp.Points) != 30 || resp.StepMs != 10000 || calls != 1 || errs != 1 {
				t.Fatalf("%d points of %d ms, %d calls, %d errors; want 30 x 10s, 1 call, 1 error", len(resp.Points), resp.StepMs, calls, errs)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("sparkline = %d %s", code, body)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if code, body := get(t, base+"/api/v1/sparkline?node=payment"); code != 200 || !strings.Contains(body, `"node":"payment"`) {
		t.Fatalf("node sparkline = %d %s", code, body)
	}
	for q, want := range map[string]int{"node=nobody": 404, "minutes=0&node=payment": 400, "from=a": 400, "color=red&node=a": 400} {
		if code, body := get(t, base+"/api/v1/sparkline?"+q); code != want {
			t.Errorf("?%s = %d %s, want %d", q, code, body, want)
		}
	}
}
