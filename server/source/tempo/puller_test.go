package tempo

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spanmap/spanmap/graph/span"
	"github.com/spanmap/spanmap/server/poll"
	"github.com/spanmap/spanmap/server/source/conn"
)

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

func TestPuller_Services_v2AndFallback(t *testing.T) {
	for _, tc := range []struct {
		name      string
		noV2      bool
		wantPaths []string
	}{
		{"v2", false, []string{"/api/v2/search/tag/resource.service.name/values", "/api/v2/search/tag/resource.service.name/values"}},
		{"v1 after 404", true, []string{"/api/v2/search/tag/resource.service.name/values", "/api/search/tag/service.name/values", "/api/search/tag/service.name/values"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ft := &fakeTempo{noV2: tc.noV2}
			ft.addCall(0, time.Now())
			p := newTestPuller(t, ft.serve(t).URL, nil)
			for range 2 {
				got, err := p.Services(context.Background())
				if err != nil {
					t.Fatal(err)
				}
				if strings.Join(got, ",") != "backend,frontend" {
					t.Fatalf("services = %v", got)
				}
			}
			if got := ft.pathLog(); strings.Join(got, " ") != strings.Join(tc.wantPaths, " ") {
				t.Fatalf("paths = %v, want %v (the 404 must be remembered)", got, tc.wantPaths)
			}
		})
	}
}

func TestPuller_Services_dedupesAndDropsEmpty(t *testing.T) {
	ft := &fakeTempo{body: `{"tagValues":[{"type":"string","value":"b"},{"type":"string","value":""},{"type":"string","value":"a"},{"type":"string","value":"b"}]}`}
	got, err := newTestPuller(t, ft.serve(t).URL, nil).Services(context.Background())
	if err != nil || strings.Join(got, ",") != "a,b" {
		t.Fatalf("Services() = %v, %v; want [a b]", got, err)
	}
}

func TestPuller_Traces_protocols(t *testing.T) {
	for _, api := range []TraceAPI{TraceAPIv1, TraceAPIv2} {
		t.Run(string(api), func(t *testing.T) {
			ft := &fakeTempo{noV2: api == TraceAPIv1}
			at := time.Unix(1_700_000_100, 250e6)
			want := []*fakeTrace{ft.addCall(0, at), ft.addCall(1, at.Add(2*time.Second))}
			ft.addCall(2, at.Add(time.Hour)) // outside the window
			p := newTestPuller(t, ft.serve(t).URL, func(c *Config) { c.TraceAPI = api })
			w := poll.Window{From: time.Unix(1_700_000_100, 0), To: time.Unix(1_700_000_110, 500e6)}
			got, err := p.Traces(context.Background(), "backend", w, 20)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 2 {
				t.Fatalf("got %d traces, want 2", len(got))
			}
			// Tempo lists newest first; the puller keeps its order.
			for i, tr := range got {
				w := want[len(want)-1-i]
				if tr.ID != span.TraceID(w.id) {
					t.Fatalf("trace %d ID = %v, want %x", i, tr.ID, w.id)
				}
				if len(tr.Spans) != 3 {
					t.Fatalf("trace %d has %d spans, want 3", i, len(tr.Spans))
				}
				kinds := map[string]span.Kind{}
				for _, s := range tr.Spans {
					if s.TraceID != tr.ID {
						t.Fatalf("span of trace %v carries %v", tr.ID, s.TraceID)
					}
					kinds[s.Service+" "+s.Name] = s.Kind
				}
				if kinds["backend GET /api"] != span.KindServer || kinds["frontend GET /api"] != span.KindClient {
					t.Fatalf("span kinds = %v", kinds)
				}
			}
			q, _ := url.ParseQuery(ft.queries[0])
			if q.Get("q") != `{ resource.service.name = "backend" }` || q.Get("start") != "1700000100" ||
				q.Get("end") != "1700000111" || q.Get("limit") != "20" || q.Get("spss") != "1" {
				t.Fatalf("search query = %v", q)
			}
			if p.Partial() != 0 || p.Missing() != 0 || p.Malformed() != 0 {
				t.Fatalf("counters partial=%d missing=%d malformed=%d", p.Partial(), p.Missing(), p.Malformed())
			}
		})
	}
}

func TestPuller_Trace_partial(t *testing.T) {
	ft := &fakeTempo{partial: true}
	tr := ft.addCall(0, time.Now())
	p := newTestPuller(t, ft.serve(t).URL, nil)
	got, err := p.Trace(context.Background(), tr.hexID())
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Spans) != 3 || p.Partial() != 1 {
		t.Fatalf("spans = %d, partial = %d; want 3 and 1", len(got.Spans), p.Partial())
	}
}

func TestPuller_tenant(t *testing.T) {
	for _, tc := range []struct {
		name string
		mod  func(*Config)
		want string // "" for success
	}{
		{"tenant field", func(c *Config) { c.Tenant = "team-a" }, ""},
		{"header", func(c *Config) { c.Conn.Headers = map[string]string{"x-scope-orgid": "team-a"} }, ""},
		{"tenant overrides header", func(c *Config) {
			c.Conn.Headers = map[string]string{"X-Scope-OrgID": "team-b"}
			c.Tenant = "team-a"
		}, ""},
		{"missing", nil, "401"},
		{"other tenant", func(c *Config) { c.Tenant = "team-b" }, "401"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ft := &fakeTempo{tenant: "team-a"}
			tr := ft.addCall(0, time.Now())
			p := newTestPuller(t, ft.serve(t).URL, tc.mod)
			w := poll.Window{From: tr.start.Add(-time.Second), To: tr.start.Add(time.Second)}
			_, err1 := p.Services(context.Background())
			got, err2 := p.Traces(context.Background(), "frontend", w, 5)
			for _, err := range []error{err1, err2} {
				if (err == nil) != (tc.want == "") || (err != nil && !strings.Contains(err.Error(), tc.want)) {
					t.Fatalf("error = %v, want %q", err, tc.want)
				}
			}
			if tc.want == "" && len(got) != 1 {
				t.Fatalf("got %d traces, want 1", len(got))
			}
		})
	}
}

func TestPuller_failures(t *testing.T) {
	at := time.Unix(1_700_000_000, 0)
	w := poll.Window{From: at.Add(-time.Minute), To: at.Add(time.Minute)}
	for _, tc := range []struct {
		name      string
		set       func(f *fakeTempo)
		want      string
		is        error
		malformed int64
	}{
		{"500", func(f *fakeTempo) { f.status = 500 }, "500 Internal Server Error: querier exploded", nil, 0},
		{"truncated search", func(f *fakeTempo) { f.body = `{"traces":[{"traceID":"ab` }, "/api/search: malformed", ErrMalformed, 1},
		{"bad trace ID", func(f *fakeTempo) { f.body = `{"traces":[{"traceID":"xyz"}]}` }, "trace 0: trace ID", ErrMalformed, 1},
		{"truncated trace body", func(f *fakeTempo) { f.truncate = true }, "/api/v2/traces/", ErrMalformed, 1},
		{"slow past timeout", func(f *fakeTempo) { f.delay = time.Second }, "exceeded", nil, 0}, // "Client.Timeout exceeded" or "context deadline exceeded"
	} {
		t.Run(tc.name, func(t *testing.T) {
			ft := &fakeTempo{}
			ft.addCall(0, at)
			ft.set(tc.set)
			p := newTestPuller(t, ft.serve(t).URL, func(c *Config) { c.Conn.Timeout = 200 * time.Millisecond })
			_, err := p.Traces(context.Background(), "frontend", w, 10)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Traces() error = %v, want it to contain %q", err, tc.want)
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Fatalf("error %v does not wrap %v", err, tc.is)
			}
			if p.Malformed() != tc.malformed {
				t.Fatalf("malformed = %d, want %d", p.Malformed(), tc.malformed)
			}
		})
	}
}

func TestPuller_Traces_tooLarge(t *testing.T) {
	ft := &fakeTempo{}
	at := time.Unix(1_700_000_000, 0)
	ft.addCall(0, at)
	p := newTestPuller(t, ft.serve(t).URL, func(c *Config) { c.MaxResponseBytes = 100 })
	_, err := p.Traces(context.Background(), "frontend", poll.Window{From: at, To: at.Add(time.Second)}, 10)
	if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "more than 100 bytes") {
		t.Fatalf("error = %v, want ErrTooLarge", err)
	}
}

func TestPuller_notFound(t *testing.T) {
	ft := &fakeTempo{}
	at := time.Unix(1_700_000_000, 0)
	gone := ft.addCall(0, at)
	ft.addCall(1, at)
	ft.set(func(f *fakeTempo) { f.gone = map[string]bool{gone.hexID(): true} })
	p := newTestPuller(t, ft.serve(t).URL, nil)

	_, err := p.Trace(context.Background(), gone.hexID())
	if !errors.Is(err, ErrTraceNotFound) || !strings.Contains(err.Error(), "/api/v2/traces/"+gone.hexID()+": trace not found") {
		t.Fatalf("Trace() error = %v, want it to name the trace and wrap ErrTraceNotFound", err)
	}
	got, err := p.Traces(context.Background(), "frontend", poll.Window{From: at, To: at.Add(time.Second)}, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || p.Missing() != 1 {
		t.Fatalf("got %d traces, missing %d; want 1 and 1 (the listed trace that is gone is skipped)", len(got), p.Missing())
	}
}

func TestPuller_Traces_boundedConcurrency(t *testing.T) {
	ft := &fakeTempo{delay: 20 * time.Millisecond}
	at := time.Unix(1_700_000_000, 0)
	for i := range 24 {
		ft.addCall(i, at)
	}
	p := newTestPuller(t, ft.serve(t).URL, func(c *Config) { c.Concurrency = 3 })
	got, err := p.Traces(context.Background(), "frontend", poll.Window{From: at, To: at.Add(time.Second)}, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 24 {
		t.Fatalf("got %d traces, want 24", len(got))
	}
	if m := ft.maxFlight.Load(); m != 3 {
		t.Fatalf("at most %d trace requests ran at once, want exactly 3", m)
	}
}

func TestPuller_Traces_firstErrorStopsTheRest(t *testing.T) {
	ft := &fakeTempo{}
	at := time.Unix(1_700_000_000, 0)
	for i := range 40 {
		ft.addCall(i, at)
	}
	ft.set(func(f *fakeTempo) { f.truncate = true })
	p := newTestPuller(t, ft.serve(t).URL, func(c *Config) { c.Concurrency = 2 })
	if _, err := p.Traces(context.Background(), "frontend", poll.Window{From: at, To: at.Add(time.Second)}, 100); err == nil {
		t.Fatal("truncated bodies accepted")
	}
	var fetched int
	for _, path := range ft.pathLog() {
		if strings.HasPrefix(path, "/api/v2/traces/") {
			fetched++
		}
	}
	if fetched > 4 {
		t.Fatalf("%d trace requests after the first failure with concurrency 2, want at most 4", fetched)
	}
}

func TestPuller_Traces_contextCanceled(t *testing.T) {
	ft := &fakeTempo{delay: time.Second}
	p := newTestPuller(t, ft.serve(t).URL, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := p.Traces(ctx, "frontend", poll.Window{From: time.Now().Add(-time.Minute), To: time.Now()}, 10)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("error = %v, want context.DeadlineExceeded", err)
	}
}

func TestPuller_withPoller_pullsEveryTraceOnce(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	clock := now
	ft := &fakeTempo{tenant: "acme"}
	for i := range 30 {
		ft.addCall(i, now.Add(-time.Duration(70-2*i)*time.Second))
	}
	// At the end of the first window: Tempo's whole-second search lists it
	// in both polls.
	ft.addCall(30, now.Add(-time.Second))
	p := newTestPuller(t, ft.serve(t).URL, func(c *Config) { c.Tenant = "acme" })
	cfg := poll.DefaultConfig()
	cfg.Name, cfg.Kind, cfg.Lookback, cfg.Settle, cfg.Limit = "tempo", "tempo", 2*time.Minute, time.Second, 10
	s := &sink{}
	pl, err := poll.New(cfg, p, s, nil, func() time.Time { return clock })
	if err != nil {
		t.Fatal(err)
	}
	if err := pl.Poll(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := s.traces(); got != 31 {
		t.Fatalf("pulled %d traces, want 31 (window narrowing should beat the limit of 10)", got)
	}
	st := pl.Status()
	if st.State != poll.StateOK || st.TracesFetched != 31 || st.CapsHit != 0 {
		t.Fatalf("status = %+v", st)
	}
	// Both services list every trace: the poller keeps one copy of each.
	if len(s.spans) != 93 {
		t.Fatalf("sink got %d spans, want 93", len(s.spans))
	}
	// The next poll adds the new trace; the one on the boundary second is
	// listed again, under both services, and dropped as a duplicate each
	// time.
	ft.addCall(99, now.Add(5*time.Second))
	clock = now.Add(15 * time.Second)
	if err := pl.Poll(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := s.traces(); got != 32 {
		t.Fatalf("after a second poll %d traces, want 32", got)
	}
	if st := pl.Status(); st.TracesFetched != 32 || st.Duplicates != 2 {
		t.Fatalf("status after the second poll = %+v, want 32 fetched and 2 duplicates", st)
	}
}

func TestPuller_withPoller_backendDown(t *testing.T) {
	ft := &fakeTempo{status: 503}
	p := newTestPuller(t, ft.serve(t).URL, nil)
	cfg := poll.DefaultConfig()
	cfg.Name, cfg.Kind, cfg.DownAfter = "tempo", "tempo", 2
	pl, err := poll.New(cfg, p, &sink{}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := pl.Poll(context.Background()); err == nil {
			t.Fatal("poll of a failing Tempo succeeded")
		}
	}
	st := pl.Status()
	if st.State != poll.StateDown || !strings.Contains(st.LastError, "list services of tempo: tempo /api/v2/search/tag/resource.service.name/values: 503") {
		t.Fatalf("status = %+v", st)
	}
}

func TestQuery_escapes(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"frontend", `{ resource.service.name = "frontend" }`},
		{`we"ird\svc`, `{ resource.service.name = "we\"ird\\svc" }`},
	} {
		if got := Query(tc.in); got != tc.want {
			t.Errorf("Query(%q) = %s, want %s", tc.in, got, tc.want)
		}
		if m := traceQL.FindStringSubmatch(Query(tc.in)); m == nil {
			t.Errorf("Query(%q) is not the TraceQL the fake accepts", tc.in)
		}
	}
}

func TestParseTraceID(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		ok       bool
	}{
		{"2f3e0cee77ae5dc9c17ade3689eb2e54", "2f3e0cee77ae5dc9c17ade3689eb2e54", true},
		{"d6e9329d67b6146a", "0000000000000000d6e9329d67b6146a", true},
		{"abc", "00000000000000000000000000000abc", true},
		{"", "", false},
		{"0", "", false},
		{"xyz", "", false},
		{strings.Repeat("a", 33), "", false},
	} {
		got, err := parseTraceID(tc.in)
		if (err == nil) != tc.ok || (tc.ok && got.String() != tc.want) {
			t.Errorf("parseTraceID(%q) = %v, %v", tc.in, got, err)
		}
	}
}

func TestConfig_Validate(t *testing.T) {
	ok := DefaultConfig()
	ok.Conn.URL = "http://tempo:3200"
	for _, tc := range []struct {
		name string
		mod  func(*Config)
		want string
	}{
		{"ok", nil, ""},
		{"grpc url", func(c *Config) { c.Conn.URL = "grpc://tempo:9095" }, "HTTP"},
		{"bad api", func(c *Config) { c.TraceAPI = "v3" }, "trace api"},
		{"concurrency", func(c *Config) { c.Concurrency = 0 }, "concurrency"},
		{"max bytes", func(c *Config) { c.MaxResponseBytes = -1 }, "max response bytes"},
		{"tenant newline", func(c *Config) { c.Tenant = "a\nb" }, "line breaks"},
		{"no url", func(c *Config) { c.Conn.URL = "" }, "scheme"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := ok
			if tc.mod != nil {
				tc.mod(&c)
			}
			err := c.Validate()
			if (err == nil) != (tc.want == "") || (err != nil && !strings.Contains(err.Error(), tc.want)) {
				t.Fatalf("Validate() = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestNewPuller_defaults(t *testing.T) {
	p, err := NewPuller(Config{Conn: conn.Config{URL: "http://tempo:3200/"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if p.cfg.TraceAPI != TraceAPIv2 || p.cfg.Concurrency != 8 || p.cfg.MaxResponseBytes != 64<<20 || p.base != "http://tempo:3200" {
		t.Fatalf("config = %+v, base %q", p.cfg, p.base)
	}
}
