package zipkin

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spanmap/spanmap/graph/span"
	"github.com/spanmap/spanmap/server/poll"
	"github.com/spanmap/spanmap/server/source/conn"
)

// zspan is a Zipkin v2 span as the API serves it.
type zspan struct {
	TraceID        string            `json:"traceId"`
	ID             string            `json:"id"`
	ParentID       string            `json:"parentId,omitempty"`
	Kind           string            `json:"kind,omitempty"`
	Name           string            `json:"name"`
	Timestamp      int64             `json:"timestamp"`
	Duration       int64             `json:"duration"`
	LocalEndpoint  map[string]string `json:"localEndpoint"`
	RemoteEndpoint map[string]string `json:"remoteEndpoint,omitempty"`
	Shared         bool              `json:"shared,omitempty"`
	Tags           map[string]string `json:"tags,omitempty"`
}

// fakeZipkin answers /api/v2/services and /api/v2/traces the way Zipkin's
// published API defines them: traces with a span of serviceName whose
// timestamp is in [endTs-lookback, endTs] ms, newest first, at most limit.
type fakeZipkin struct {
	mu     sync.Mutex
	spans  []zspan
	status int    // non-zero: answer every request with this status
	body   string // non-empty: answer with this body
	delay  time.Duration
	auth   string
}

func (f *fakeZipkin) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	status, body, delay, spans := f.status, f.body, f.delay, append([]zspan(nil), f.spans...)
	f.mu.Unlock()
	if delay > 0 {
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
			return
		}
	}
	if f.auth != "" && r.Header.Get("Authorization") != f.auth {
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	if status != 0 {
		http.Error(w, "backend exploded", status)
		return
	}
	if body != "" {
		fmt.Fprint(w, body)
		return
	}
	switch r.URL.Path {
	case "/api/v2/services":
		set := map[string]bool{}
		for _, s := range spans {
			set[s.LocalEndpoint["serviceName"]] = true
		}
		var out []string
		for s := range set {
			out = append(out, s)
		}
		sort.Strings(out)
		json.NewEncoder(w).Encode(out)
	case "/api/v2/traces":
		q := r.URL.Query()
		endTs, _ := strconv.ParseInt(q.Get("endTs"), 10, 64)
		lookback, _ := strconv.ParseInt(q.Get("lookback"), 10, 64)
		limit, _ := strconv.Atoi(q.Get("limit"))
		match := map[string]bool{}
		for _, s := range spans {
			ms := s.Timestamp / 1000
			if s.LocalEndpoint["serviceName"] == q.Get("serviceName") && ms >= endTs-lookback && ms <= endTs {
				match[s.TraceID] = true
			}
		}
		var ids []string
		for id := range match {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		if len(ids) > limit {
			ids = ids[:limit]
		}
		out := [][]zspan{}
		for _, id := range ids {
			var tr []zspan
			for _, s := range spans {
				if s.TraceID == id {
					tr = append(tr, s)
				}
			}
			out = append(out, tr)
		}
		json.NewEncoder(w).Encode(out)
	case "/api/v2/dependencies":
		fmt.Fprint(w, `[{"parent":"frontend","child":"backend","callCount":2,"errorCount":1}]`)
	default:
		http.NotFound(w, r)
	}
}

// addCall adds a trace: frontend server root, client to backend, backend
// shared server half.
func (f *fakeZipkin) addCall(n int, at time.Time) {
	us := at.UnixMicro()
	tid := fmt.Sprintf("%016x", n+1)
	f.spans = append(f.spans,
		zspan{TraceID: tid, ID: "00000000000000a1", Kind: "SERVER", Name: "get /", Timestamp: us, Duration: 5000,
			LocalEndpoint: map[string]string{"serviceName": "frontend"}},
		zspan{TraceID: tid, ID: "00000000000000b2", ParentID: "00000000000000a1", Kind: "CLIENT", Name: "get /api", Timestamp: us + 100, Duration: 4000,
			LocalEndpoint: map[string]string{"serviceName": "frontend"}, RemoteEndpoint: map[string]string{"serviceName": "backend"}},
		zspan{TraceID: tid, ID: "00000000000000b2", ParentID: "00000000000000a1", Kind: "SERVER", Name: "get /api", Timestamp: us + 200, Duration: 3000,
			LocalEndpoint: map[string]string{"serviceName": "backend"}, Shared: true},
	)
}

type sink struct {
	mu    sync.Mutex
	spans []span.Span
}

func (s *sink) Submit(_ string, spans []span.Span) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.spans = append(s.spans, spans...)
	return nil
}

func (s *sink) traces() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	ids := map[span.TraceID]bool{}
	for _, sp := range s.spans {
		ids[sp.TraceID] = true
	}
	return len(ids)
}

func newPuller(t *testing.T, url string, mod func(*conn.Config)) *Puller {
	t.Helper()
	c := conn.Config{URL: url, Timeout: 2 * time.Second}
	if mod != nil {
		mod(&c)
	}
	p, err := NewPuller(c, nil)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestPuller_withPoller_pullsEveryTraceOnce(t *testing.T) {
	now := time.Now()
	fz := &fakeZipkin{auth: "Bearer tok"}
	for i := range 30 {
		fz.addCall(i, now.Add(-time.Duration(60-i)*time.Second))
	}
	srv := httptest.NewServer(fz)
	defer srv.Close()
	p := newPuller(t, srv.URL, func(c *conn.Config) { c.BearerToken = "tok" })
	cfg := poll.DefaultConfig()
	cfg.Name, cfg.Kind, cfg.Lookback, cfg.Settle, cfg.Limit = "zipkin", "zipkin", 2*time.Minute, time.Second, 10
	s := &sink{}
	pl, err := poll.New(cfg, p, s, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := pl.Poll(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := s.traces(); got != 30 {
		t.Fatalf("pulled %d traces, want 30 (window narrowing should beat the limit of 10)", got)
	}
	st := pl.Status()
	if st.State != poll.StateOK || st.TracesFetched != 30 {
		t.Fatalf("status = %+v", st)
	}
	var shared int
	for _, sp := range s.spans {
		if sp.Shared {
			shared++
		}
	}
	if shared != 30 {
		t.Fatalf("shared server halves = %d, want 30", shared)
	}
}

func TestPuller_failures(t *testing.T) {
	for _, tc := range []struct {
		name string
		fz   *fakeZipkin
		want string
	}{
		{"500", &fakeZipkin{status: 500}, "500"},
		{"truncated json", &fakeZipkin{body: `["frontend","back`}, "malformed"},
		{"slow past timeout", &fakeZipkin{delay: 3 * time.Second}, "exceeded"}, // "Client.Timeout exceeded" or "context deadline exceeded", whichever fires first
		{"unauthorized", &fakeZipkin{auth: "Bearer other"}, "401"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(tc.fz)
			defer srv.Close()
			p := newPuller(t, srv.URL, func(c *conn.Config) { c.Timeout = 200 * time.Millisecond })
			_, err := p.Services(context.Background())
			if err == nil || !strings.Contains(strings.ToLower(err.Error()), tc.want) {
				t.Fatalf("Services() error = %v, want it to mention %q", err, tc.want)
			}
		})
	}
}

func TestPuller_Traces_malformedTrace(t *testing.T) {
	srv := httptest.NewServer(&fakeZipkin{body: `[[{"traceId":"xyz","id":"1"}]]`})
	defer srv.Close()
	p := newPuller(t, srv.URL, nil)
	_, err := p.Traces(context.Background(), "a", poll.Window{From: time.Now().Add(-time.Minute), To: time.Now()}, 10)
	if err == nil || !strings.Contains(err.Error(), "trace 0") {
		t.Fatalf("error = %v, want it to name trace 0", err)
	}
	if p.Malformed() != 1 {
		t.Fatalf("malformed = %d, want 1", p.Malformed())
	}
}

func TestPuller_Dependencies(t *testing.T) {
	srv := httptest.NewServer(&fakeZipkin{})
	defer srv.Close()
	deps, err := newPuller(t, srv.URL, nil).Dependencies(context.Background(), poll.Window{From: time.Now().Add(-time.Hour), To: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	if len(deps) != 1 || deps[0] != (Dependency{"frontend", "backend", 2, 1}) {
		t.Fatalf("deps = %+v", deps)
	}
}

func TestNewPuller_badConfig(t *testing.T) {
	if _, err := NewPuller(conn.Config{URL: "zipkin:9411"}, nil); err == nil {
		t.Fatal("URL without scheme accepted")
	}
}
