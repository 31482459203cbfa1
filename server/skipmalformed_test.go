package server

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spanmap/spanmap/graph"
	"github.com/spanmap/spanmap/server/poll"
	"github.com/spanmap/spanmap/server/source/jaeger"
	"github.com/spanmap/spanmap/server/source/prometheus"
	"github.com/spanmap/spanmap/server/source/tempo"
	"github.com/spanmap/spanmap/server/source/zipkin"
)

// TestSource_errMalformedIsOneValue: every source package's ErrMalformed is
// poll.ErrMalformed, which the poller tells from a backend that is down.
func TestSource_errMalformedIsOneValue(t *testing.T) {
	for name, err := range map[string]error{"jaeger": jaeger.ErrMalformed, "zipkin": zipkin.ErrMalformed,
		"tempo": tempo.ErrMalformed, "prometheus": prometheus.ErrMalformed} {
		if err != poll.ErrMalformed {
			t.Errorf("%s.ErrMalformed is not poll.ErrMalformed", name)
		}
	}
}

// brokenZipkin is a Zipkin query API where service "broken" answers its
// trace queries with truncated JSON while broken is set; frontend and
// backend share one trace that started 30 s ago.
type brokenZipkin struct {
	mu     sync.Mutex
	broken bool
	trace  string
}

func newBrokenZipkin() *brokenZipkin {
	ts := time.Now().Add(-30 * time.Second).UnixMicro()
	return &brokenZipkin{broken: true, trace: fmt.Sprintf(`[[
{"traceId":"00000000000000a1","id":"00000000000000a1","kind":"SERVER","name":"get /","timestamp":%d,"duration":9000,"localEndpoint":{"serviceName":"frontend"}},
{"traceId":"00000000000000a1","parentId":"00000000000000a1","id":"00000000000000b2","kind":"CLIENT","name":"get /api","timestamp":%d,"duration":7000,"localEndpoint":{"serviceName":"frontend"}},
{"traceId":"00000000000000a1","parentId":"00000000000000a1","id":"00000000000000b2","kind":"SERVER","shared":true,"name":"get /api","timestamp":%d,"duration":5000,"localEndpoint":{"serviceName":"backend"}}]]`, ts, ts+100, ts+200)}
}

func (z *brokenZipkin) set(broken bool) {
	z.mu.Lock()
	z.broken = broken
	z.mu.Unlock()
}

func (z *brokenZipkin) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	z.mu.Lock()
	broken := z.broken
	z.mu.Unlock()
	switch r.URL.Path {
	case "/api/v2/services":
		fmt.Fprint(w, `["backend","broken","frontend"]`)
	case "/api/v2/traces":
		switch svc := r.URL.Query().Get("serviceName"); {
		case svc == "broken" && broken:
			fmt.Fprint(w, `[[{"traceId":"00000000000000c3","id":"00000000000000c3","kind":"SERVER","name":"get /","timest`)
		case svc == "broken":
			fmt.Fprint(w, `[]`)
		default:
			fmt.Fprint(w, z.trace)
		}
	default:
		http.NotFound(w, r)
	}
}

// TestServer_skipsMalformedWindows: over real sockets, a Zipkin whose
// service "broken" answers truncated JSON forever no longer holds the
// source back: after skip_malformed_after polls its window is skipped, the
// other services' edge appears, GET /api/v1/sources and /metrics count the
// skipped windows and the source is degraded naming the service, not down.
// Once broken answers again the source is ok.
func TestServer_skipsMalformedWindows(t *testing.T) {
	zb := newBrokenZipkin()
	srv := httptest.NewServer(zb)
	defer srv.Close()
	cfg := testConfig()
	cfg.Sources = []SourceConfig{{Kind: "zipkin", Name: "zk", Conn: connTo(srv.URL), Interval: 50 * time.Millisecond,
		Settle: time.Second, SkipMalformedAfter: 2}}
	s := start(t, cfg)
	base := "http://" + s.Addr("--http-addr")

	deadline := time.Now().Add(20 * time.Second)
	for {
		// The edge first, the status after: an edge means a window was
		// skipped, as broken's answers never decode.
		e := hasEdge(fetchGraph(t, base, "window=5m"), "frontend", "backend")
		st := sourcesOf(t, base)["zk"]
		if st.State == graph.SourceDown || (e != nil && st.SkippedWindows == 0) {
			t.Fatalf("status = %+v with edge %v: want degraded, and the edge only after a skipped window", st, e != nil)
		}
		if e != nil {
			if e.Calls != 1 || len(e.Sources) != 1 || e.Sources[0] != "zk" {
				t.Fatalf("edge = %+v", e)
			}
			if st.State != graph.SourceDegraded || !strings.Contains(st.LastError, "broken") ||
				!strings.Contains(st.LastError, "malformed response") || st.Malformed < 2 {
				t.Fatalf("status while broken's windows are skipped = %+v", st)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("edge frontend->backend never appeared; status %+v", st)
		}
		time.Sleep(50 * time.Millisecond)
	}
	_, metrics := get(t, base+"/metrics")
	if metricValue(t, metrics, `spanmap_source_skipped_windows_total{kind="zipkin",source="zk"}`) < 1 {
		t.Fatalf("metrics:\n%s", grepLines(metrics, `source="zk"`))
	}

	zb.set(false)
	deadline = time.Now().Add(20 * time.Second)
	for {
		st := sourcesOf(t, base)["zk"]
		if st.State == graph.SourceOK && st.LastError == "" {
			if st.SkippedWindows < 1 || st.TracesFetched != 1 {
				t.Fatalf("status after broken recovered = %+v", st)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("status = %+v, want ok once broken answers", st)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if _, body := get(t, base+"/api/v1/sources"); !strings.Contains(body, `"skipped_windows":`) {
		t.Fatalf("GET /api/v1/sources lacks skipped_windows: %s", body)
	}
}

// TestConfig_skipMalformedAfter: the YAML key reaches the poller, defaults
// to 3, takes a negative value for never, and is refused where nothing
// pulls traces.
func TestConfig_skipMalformedAfter(t *testing.T) {
	load := func(yaml string) (Config, error) {
		t.Helper()
		p := filepath.Join(t.TempDir(), "spanmap.yaml")
		if err := writeFile(p, yaml); err != nil {
			t.Fatal(err)
		}
		c := DefaultConfig()
		if err := c.LoadFile(p); err != nil {
			return c, err
		}
		return c, c.Validate()
	}
	c, err := load("sources:\n  - {kind: jaeger, url: http://j:16686, skip_malformed_after: 5}\n" +
		"  - {kind: tempo, url: http://t:3200}\n  - {kind: zipkin, url: http://z:9411, skip_malformed_after: -1}\n")
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []int{5, 3, -1} {
		if got := c.Sources[i].pollConfig().SkipMalformedAfter; got != want {
			t.Errorf("source %d: skip after %d, want %d", i, got, want)
		}
	}
	for _, yaml := range []string{
		"sources:\n  - {kind: prometheus, url: http://p:9090, skip_malformed_after: 2}\n",
		"sources:\n  - {kind: jaeger, url: http://j:16686, mode: dependencies, skip_malformed_after: 2}\n",
	} {
		if _, err := load(yaml); err == nil || !strings.Contains(err.Error(), "skip_malformed_after") {
			t.Errorf("%q: error %v, want one naming skip_malformed_after", yaml, err)
		}
	}
}
