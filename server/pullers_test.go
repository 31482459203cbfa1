package server

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/spanmap/spanmap/graph"
)

// zipkinBackend answers Zipkin's v2 query API with one trace (frontend ->
// backend, shared span) that started 30 s ago.
func zipkinBackend(t *testing.T) *httptest.Server {
	t.Helper()
	ts := time.Now().Add(-30 * time.Second).UnixMicro()
	trace := fmt.Sprintf(`[[
{"traceId":"00000000000000a1","id":"00000000000000a1","kind":"SERVER","name":"get /","timestamp":%d,"duration":9000,"localEndpoint":{"serviceName":"frontend"}},
{"traceId":"00000000000000a1","parentId":"00000000000000a1","id":"00000000000000b2","kind":"CLIENT","name":"get /api","timestamp":%d,"duration":7000,"localEndpoint":{"serviceName":"frontend"}},
{"traceId":"00000000000000a1","parentId":"00000000000000a1","id":"00000000000000b2","kind":"SERVER","shared":true,"name":"get /api","timestamp":%d,"duration":5000,"localEndpoint":{"serviceName":"backend"},"tags":{"error":"boom"}}]]`, ts, ts+100, ts+200)
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/api/v2/services":
			fmt.Fprint(w, `["backend","frontend"]`)
		case "/api/v2/traces":
			fmt.Fprint(w, trace)
		default:
			http.NotFound(w, r)
		}
	}))
}

func sourcesOf(t *testing.T, base string) map[string]graph.SourceStatus {
	t.Helper()
	_, body := get(t, base+"/api/v1/sources")
	var resp struct{ Sources []graph.SourceStatus }
	if err := json.Unmarshal([]byte(body), &resp); err != nil {
		t.Fatal(err)
	}
	out := map[string]graph.SourceStatus{}
	for _, s := range resp.Sources {
		out[s.Name] = s
	}
	return out
}

func TestServer_zipkinSource(t *testing.T) {
	zb := zipkinBackend(t)
	defer zb.Close()
	cfg := testConfig()
	sc, err := ParseSourceFlag("zipkin=" + zb.URL)
	if err != nil {
		t.Fatal(err)
	}
	sc.Settle = time.Second
	cfg.Sources = []SourceConfig{sc}
	s := start(t, cfg)
	base := "http://" + s.Addr("--http-addr")
	deadline := time.Now().Add(10 * time.Second)
	for {
		snap := fetchGraph(t, base, "window=5m")
		if e := hasEdge(snap, "frontend", "backend"); e != nil {
			if e.Calls != 1 || e.Errors != 1 || e.Trust.Paired != 1 || len(e.Sources) != 1 || e.Sources[0] != "zipkin" {
				t.Fatalf("edge = %+v", e)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("edge frontend->backend never appeared: %+v", snap.Edges)
		}
		time.Sleep(100 * time.Millisecond)
	}
	st := sourcesOf(t, base)["zipkin"]
	if st.State != graph.SourceOK || st.UIURL != zb.URL || st.TracesFetched != 1 || st.LastSuccess == 0 {
		t.Fatalf("zipkin status = %+v", st)
	}
}

func TestServer_sourceDownKeepsServing(t *testing.T) {
	zb := zipkinBackend(t)
	url := zb.URL
	zb.Close() // the backend is down from the start
	cfg := testConfig()
	cfg.Sources = []SourceConfig{{Kind: "zipkin", Name: "zk", Conn: connTo(url), Interval: 50 * time.Millisecond}}
	s := start(t, cfg)
	base := "http://" + s.Addr("--http-addr")
	deadline := time.Now().Add(10 * time.Second)
	for {
		st := sourcesOf(t, base)["zk"]
		if st.State == graph.SourceDown && strings.Contains(st.LastError, "connection refused") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("status = %+v, want down with the connection error", st)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if code, _ := get(t, base+"/api/v1/graph"); code != 200 {
		t.Fatalf("graph API = %d while a source is down", code)
	}
	if _, body := get(t, base+"/metrics"); !strings.Contains(body, `spanmap_source_up{kind="zipkin",source="zk"} 0`) {
		t.Fatal("metrics do not report the source down")
	}
}

func TestParseSourceFlag(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"zipkin=http://z:9411", ""},
		{"zipkin", "KIND=URL"},
		{"=http://x", "KIND=URL"},
		{"splunk=http://x", `source kind "splunk"`},
	} {
		_, err := ParseSourceFlag(tc.in)
		if (err == nil) != (tc.want == "") || (err != nil && !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("ParseSourceFlag(%q) = %v, want %q", tc.in, err, tc.want)
		}
	}
	cfg := DefaultConfig()
	cfg.Sources = []SourceConfig{{Kind: "zipkin", Conn: connTo("ftp://x")}}
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "scheme") {
		t.Fatalf("bad source URL: %v", err)
	}
	cfg.Sources = []SourceConfig{{Kind: "zipkin", Name: "a", Conn: connTo("http://x")}, {Kind: "zipkin", Name: "a", Conn: connTo("http://y")}}
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "used twice") {
		t.Fatalf("duplicate names: %v", err)
	}
}

func TestServer_dependenciesMode(t *testing.T) {
	zb := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/v2/dependencies" || r.URL.Query().Get("endTs") == "" || r.URL.Query().Get("lookback") == "" {
			http.NotFound(w, r)
			return
		}
		fmt.Fprint(w, `[{"parent":"frontend","child":"backend","callCount":30,"errorCount":3}]`)
	}))
	defer zb.Close()
	cfg := testConfig()
	cfg.Sources = []SourceConfig{{Kind: "zipkin", Name: "zk-deps", Mode: "dependencies", Conn: connTo(zb.URL), Interval: time.Minute}}
	s := start(t, cfg)
	base := "http://" + s.Addr("--http-addr")
	deadline := time.Now().Add(10 * time.Second)
	for {
		snap := fetchGraph(t, base, "window=5m")
		if e := hasEdge(snap, "frontend", "backend"); e != nil {
			if e.Calls != 30 || e.Errors != 3 || !e.Latency.IsZero() || len(e.Exemplars) != 0 || e.Sources[0] != "zk-deps" {
				t.Fatalf("edge = %+v, want 30 calls, 3 errors, no latency or exemplars", e)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no edge from the dependency links: %+v", snap.Edges)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if st := sourcesOf(t, base)["zk-deps"]; st.State != graph.SourceOK {
		t.Fatalf("status = %+v", st)
	}
	bad := testConfig()
	bad.Sources = []SourceConfig{{Kind: "tempo", Mode: "dependencies", Conn: connTo("http://t")}}
	if err := bad.Validate(); err == nil || !strings.Contains(err.Error(), "mode dependencies") {
		t.Fatalf("tempo in dependencies mode: %v", err)
	}
}
