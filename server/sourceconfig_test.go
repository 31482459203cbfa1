package server

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// readmeSources returns the `sources:` example of README.md: every key it
// documents must load into the configuration and validate.
func readmeSources(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(b), "```yaml\nsources:\n")
	block, _, closed := strings.Cut(rest, "```")
	if !ok || !closed {
		t.Fatal("README.md has no ```yaml block starting with sources:")
	}
	return "sources:\n" + block
}

func TestConfig_LoadFile_readmeSources(t *testing.T) {
	p := filepath.Join(t.TempDir(), "spanmap.yaml")
	if err := writeFile(p, readmeSources(t)); err != nil {
		t.Fatal(err)
	}
	c := DefaultConfig()
	if err := c.LoadFile(p); err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if len(c.Sources) != 4 {
		t.Fatalf("%d sources, want 4", len(c.Sources))
	}
	j, z, tp, pr := c.Sources[0], c.Sources[1], c.Sources[2], c.Sources[3]
	pc := j.pollConfig()
	if j.Kind != "jaeger" || j.Protocol != "auto" || pc.Interval != 15*time.Second || pc.Lookback != 5*time.Minute ||
		pc.Settle != 10*time.Second || pc.Limit != 500 || pc.SkipMalformedAfter != 3 || j.UIURL != "https://jaeger.example.com" {
		t.Errorf("jaeger source = %+v, poll %+v", j, pc)
	}
	if z.Mode != "traces" || z.Conn.BearerToken != "..." || z.Conn.Headers["X-Team"] != "payments" ||
		z.Conn.TLS.CAFile != "ca.pem" || z.Conn.TLS.CertFile != "client.pem" || z.Conn.TLS.KeyFile != "client-key.pem" ||
		z.Conn.TLS.InsecureSkipVerify || z.Conn.Timeout != 30*time.Second {
		t.Errorf("zipkin source = %+v", z)
	}
	if tp.Tenant != "team-a" || tp.TraceAPI != "v2" || tp.Concurrency != 8 {
		t.Errorf("tempo source = %+v", tp)
	}
	if pr.Interval != time.Minute || pr.Settle != 30*time.Second || pr.Selector != `cluster="prod"` ||
		pr.MetricPrefix != "traces_service_graph" || pr.QueueLag {
		t.Errorf("prometheus source = %+v", pr)
	}
	// basic auth, the other way to authenticate, and the TLS server name.
	if err := writeFile(p, "sources:\n  - {kind: jaeger, url: https://j, basic_user: ann, basic_password: pw, tls: {server_name: jaeger.internal}}\n"); err != nil {
		t.Fatal(err)
	}
	c = DefaultConfig()
	if err := c.LoadFile(p); err != nil {
		t.Fatal(err)
	}
	if sc := c.Sources[0].Conn; sc.BasicUser != "ann" || sc.BasicPassword != "pw" || sc.TLS.ServerName != "jaeger.internal" {
		t.Fatalf("conn = %+v", sc)
	}
}

// TestServer_newPuller_tenant: a source's tenant reaches the backend as
// X-Scope-OrgID next to its own headers, and the configuration's headers
// are left as they were.
func TestServer_newPuller_tenant(t *testing.T) {
	var got http.Header
	jb := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.Header.Clone()
		io.WriteString(w, `{"services":["frontend"]}`)
	}))
	defer jb.Close()
	cfg := testConfig()
	cfg.OTLPHTTPAddr, cfg.OTLPGRPCAddr, cfg.ZipkinAddr = "", "", ""
	sc := SourceConfig{Kind: "jaeger", Name: "j", Tenant: "team-a", Protocol: "api_v3", Conn: connTo(jb.URL)}
	sc.Conn.Headers = map[string]string{"X-Team": "payments"}
	cfg.Sources = []SourceConfig{sc}
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
	b, err := s.newPuller(s.cfg.Sources[0])
	if err != nil {
		t.Fatal(err)
	}
	if svcs, err := b.Services(context.Background()); err != nil || len(svcs) != 1 {
		t.Fatalf("Services = %v, %v", svcs, err)
	}
	if got.Get("X-Scope-OrgID") != "team-a" || got.Get("X-Team") != "payments" {
		t.Fatalf("backend saw headers %v", got)
	}
	if h := s.cfg.Sources[0].Conn.Headers; len(h) != 1 || h["X-Team"] != "payments" {
		t.Fatalf("configuration headers changed: %v", h)
	}
}

// TestServer_sourcesAtOnce runs a Zipkin puller and the OTLP receiver
// together: the service pair both report is one edge between two nodes,
// listing both sources.
func TestServer_sourcesAtOnce(t *testing.T) {
	zb := zipkinBackend(t)
	defer zb.Close()
	cfg := testConfig()
	cfg.Sources = []SourceConfig{{Kind: "zipkin", Name: "zipkin", Conn: connTo(zb.URL), Settle: time.Second}}
	s := start(t, cfg)
	base := "http://" + s.Addr("--http-addr")
	sendPair(t, s.Addr("--otlp-http-addr"), "frontend", "backend")
	deadline := time.Now().Add(10 * time.Second)
	for {
		snap := fetchGraph(t, base, "window=5m")
		if e := hasEdge(snap, "frontend", "backend"); e != nil && len(e.Sources) == 2 {
			if e.Sources[0] != "otlp" || e.Sources[1] != "zipkin" || e.Calls != 2 {
				t.Fatalf("edge = %+v, want 2 calls from otlp and zipkin", e)
			}
			seen := map[string]int{}
			for _, n := range snap.Nodes {
				seen[n.ID]++
			}
			if seen["frontend"] != 1 || seen["backend"] != 1 {
				t.Fatalf("nodes = %v, want frontend and backend once each", seen)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no edge seen by both sources: %+v", snap.Edges)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
