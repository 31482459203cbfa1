package poll

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spanmap/spanmap/graph/span"
)

// fakeBackend serves traces keyed by service, each with a start time.
type fakeBackend struct {
	mu       sync.Mutex
	traces   map[string][]fakeTrace
	down     bool
	queries  []Window
	services []string
	errs     map[string]error // per service: the error its trace queries fail with
}

type fakeTrace struct {
	id    byte
	start time.Time
}

func (f *fakeBackend) Services(context.Context) ([]string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.down {
		return nil, errors.New("connection refused")
	}
	return f.services, nil
}

func (f *fakeBackend) Traces(_ context.Context, svc string, w Window, limit int) ([]Trace, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.queries = append(f.queries, w)
	if err := f.errs[svc]; err != nil {
		return nil, err
	}
	var out []Trace
	for _, t := range f.traces[svc] {
		if !t.start.Before(w.From) && t.start.Before(w.To) && len(out) < limit {
			var id span.TraceID
			id[15] = t.id
			out = append(out, Trace{ID: id, Spans: []span.Span{{TraceID: id, Service: svc}}})
		}
	}
	return out, nil
}

type sink struct {
	busy  int
	spans []span.Span
}

func (s *sink) Submit(_ string, spans []span.Span) error {
	if s.busy > 0 {
		s.busy--
		return errors.New("ingest queue is full")
	}
	s.spans = append(s.spans, spans...)
	return nil
}

func (s *sink) ids() []int {
	var out []int
	for _, sp := range s.spans {
		out = append(out, int(sp.TraceID[15]))
	}
	sort.Ints(out)
	return out
}

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

var t0 = time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)

func newPoller(t *testing.T, b Backend, s Sink, c *clock, mod func(*Config)) *Poller {
	t.Helper()
	cfg := DefaultConfig()
	cfg.Name, cfg.Kind = "jaeger", "jaeger"
	cfg.Interval, cfg.Lookback, cfg.Settle, cfg.MaxWindow = 10*time.Second, time.Minute, 5*time.Second, 10*time.Minute
	if mod != nil {
		mod(&cfg)
	}
	p, err := New(cfg, b, s, nil, c.now)
	if err != nil {
		t.Fatal(err)
	}
	p.rand = func() float64 { return 1 }
	return p
}

func TestPoller_Poll_movingWindowWithSettle(t *testing.T) {
	c := &clock{t0}
	b := &fakeBackend{services: []string{"a"}, traces: map[string][]fakeTrace{"a": {
		{1, t0.Add(-90 * time.Second)}, // before the lookback
		{2, t0.Add(-30 * time.Second)},
		{3, t0.Add(-2 * time.Second)}, // inside the settle delay: next poll
		{4, t0.Add(3 * time.Second)},
	}}}
	s := &sink{}
	p := newPoller(t, b, s, c, nil)
	if err := p.Poll(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := s.ids(); len(got) != 1 || got[0] != 2 {
		t.Fatalf("first poll got traces %v, want [2]", got)
	}
	if w := b.queries[0]; !w.From.Equal(t0.Add(-65*time.Second)) || !w.To.Equal(t0.Add(-5*time.Second)) {
		t.Fatalf("first window = %v, want lookback 1m ending 5s before now", w)
	}
	c.t = t0.Add(10 * time.Second)
	if err := p.Poll(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := s.ids(); len(got) != 3 || got[1] != 3 || got[2] != 4 {
		t.Fatalf("after second poll got %v, want [2 3 4]", got)
	}
	st := p.Status()
	if st.State != StateOK || st.TracesFetched != 3 || st.Lag != 5*time.Second {
		t.Fatalf("status = %+v", st)
	}
}

func TestPoller_Poll_dedupesAcrossServicesAndPolls(t *testing.T) {
	c := &clock{t0}
	tr := fakeTrace{7, t0.Add(-20 * time.Second)}
	b := &fakeBackend{services: []string{"a", "b"}, traces: map[string][]fakeTrace{"a": {tr}, "b": {tr}}}
	s := &sink{}
	p := newPoller(t, b, s, c, nil)
	if err := p.Poll(context.Background()); err != nil {
		t.Fatal(err)
	}
	// The backend returns the same trace again in a later window (a trace
	// that spans the boundary).
	b.traces["a"] = append(b.traces["a"], fakeTrace{7, t0.Add(1 * time.Second)})
	c.t = t0.Add(10 * time.Second)
	if err := p.Poll(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := s.ids(); len(got) != 1 {
		t.Fatalf("trace submitted %d times, want once", len(got))
	}
	if st := p.Status(); st.Duplicates != 1 || st.TracesFetched != 1 {
		t.Fatalf("status = %+v, want 1 duplicate, 1 fetched", st)
	}
}

func TestPoller_Poll_narrowsWindowWhenCapped(t *testing.T) {
	c := &clock{t0}
	var trs []fakeTrace
	for i := range 8 {
		trs = append(trs, fakeTrace{byte(i + 1), t0.Add(-60*time.Second + time.Duration(i)*7*time.Second)})
	}
	b := &fakeBackend{services: []string{"a"}, traces: map[string][]fakeTrace{"a": trs}}
	s := &sink{}
	p := newPoller(t, b, s, c, func(c *Config) { c.Limit = 3 })
	if err := p.Poll(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := s.ids(); len(got) != 8 {
		t.Fatalf("got %d traces after narrowing, want all 8 (%v)", len(got), got)
	}
	if st := p.Status(); st.CapsHit != 0 || st.State != StateOK {
		t.Fatalf("status = %+v, want no cap left after narrowing", st)
	}

	// With no splits allowed the cap is reported, honestly.
	s2 := &sink{}
	p2 := newPoller(t, b, s2, &clock{t0}, func(c *Config) { c.Limit = 3; c.MaxSplits = 0 })
	if err := p2.Poll(context.Background()); err != nil {
		t.Fatal(err)
	}
	if st := p2.Status(); st.CapsHit != 1 || st.State != StateDegraded || st.LastError == "" {
		t.Fatalf("status = %+v, want one cap hit and degraded", st)
	}
}

func TestPoller_Poll_failuresBackoffAndRecovery(t *testing.T) {
	c := &clock{t0}
	b := &fakeBackend{services: []string{"a"}, down: true,
		traces: map[string][]fakeTrace{"a": {{1, t0.Add(-30 * time.Second)}}}}
	s := &sink{}
	p := newPoller(t, b, s, c, func(c *Config) { c.DownAfter = 2; c.MinBackoff = time.Second; c.MaxBackoff = 4 * time.Second })
	var delays []time.Duration
	for i := range 4 {
		err := p.Poll(context.Background())
		if err == nil {
			t.Fatal("poll of a down backend succeeded")
		}
		delays = append(delays, p.delay(err))
		want := StateDegraded
		if i >= 1 {
			want = StateDown
		}
		if st := p.Status(); st.State != want || st.LastError == "" {
			t.Fatalf("after %d failures status = %+v, want %s", i+1, st, want)
		}
	}
	if delays[0] != time.Second || delays[1] != 2*time.Second || delays[2] != 4*time.Second || delays[3] != 4*time.Second {
		t.Fatalf("backoff delays = %v, want 1s 2s 4s 4s (capped)", delays)
	}
	b.down = false
	c.t = t0.Add(time.Minute)
	if err := p.Poll(context.Background()); err != nil {
		t.Fatal(err)
	}
	if st := p.Status(); st.State != StateOK || st.LastError != "" || len(s.ids()) != 1 {
		t.Fatalf("after recovery status = %+v, traces %v", st, s.ids())
	}
}

func TestPoller_Poll_busySinkRetriesWindow(t *testing.T) {
	c := &clock{t0}
	b := &fakeBackend{services: []string{"a"}, traces: map[string][]fakeTrace{"a": {{1, t0.Add(-30 * time.Second)}}}}
	s := &sink{busy: 1}
	p := newPoller(t, b, s, c, nil)
	if err := p.Poll(context.Background()); err == nil {
		t.Fatal("want an error while the sink is busy")
	}
	if err := p.Poll(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := s.ids(); len(got) != 1 {
		t.Fatalf("trace lost or doubled after a busy sink: %v", got)
	}
}

func TestPoller_Poll_catchesUpInMaxWindowSteps(t *testing.T) {
	c := &clock{t0}
	b := &fakeBackend{services: []string{"a"}, traces: map[string][]fakeTrace{}}
	p := newPoller(t, b, &sink{}, c, func(c *Config) { c.Lookback = time.Hour; c.MaxWindow = 10 * time.Minute })
	if err := p.Poll(context.Background()); err != nil {
		t.Fatal(err)
	}
	st := p.Status()
	if st.PollsBehind != 300 { // 50 minutes left at 10s per interval
		t.Fatalf("polls behind = %d, want 300", st.PollsBehind)
	}
	if d := p.delay(nil); d != p.cfg.MinBackoff {
		t.Fatalf("delay while behind = %s, want the short catch-up delay", d)
	}
}

func TestPoller_Run_stopsOnCancel(t *testing.T) {
	b := &fakeBackend{services: []string{"a"}, traces: map[string][]fakeTrace{}}
	p := newPoller(t, b, &sink{}, &clock{t0}, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- p.Run(ctx) }()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
}

func TestConfig_Validate(t *testing.T) {
	for _, mod := range []func(*Config){
		func(c *Config) { c.Name = "" },
		func(c *Config) { c.Interval = 0 },
		func(c *Config) { c.Settle = -1 },
		func(c *Config) { c.Limit = 0 },
		func(c *Config) { c.MaxBackoff = c.MinBackoff / 2 },
		func(c *Config) { c.DownAfter = 0 },
		func(c *Config) { c.SkipMalformedAfter = 0 },
	} {
		c := DefaultConfig()
		c.Name = "x"
		mod(&c)
		if c.Validate() == nil {
			t.Errorf("Validate accepted %+v", c)
		}
	}
}

func TestBackoff_cappedWithJitter(t *testing.T) {
	for _, tc := range []struct {
		failures int
		r        float64
		want     time.Duration
	}{
		{1, 1, time.Second}, {2, 1, 2 * time.Second}, {3, 0, 2 * time.Second},
		{10, 1, 8 * time.Second}, {100, 1, 8 * time.Second}, {0, 1, time.Second},
	} {
		if got := Backoff(tc.failures, time.Second, 8*time.Second, tc.r); got != tc.want {
			t.Errorf("Backoff(%d, r=%v) = %s, want %s", tc.failures, tc.r, got, tc.want)
		}
	}
}

// TestPoller_Poll_logsFailuresWithTheSource: a failed poll (a malformed
// response here) is logged as a warning naming the source, the error and
// how many polls in a row failed.
func TestPoller_Poll_logsFailuresWithTheSource(t *testing.T) {
	var logs bytes.Buffer
	cfg := DefaultConfig()
	cfg.Name, cfg.Kind = "jaeger-eu", "jaeger"
	b := &malformedBackend{}
	p, err := New(cfg, b, &sink{}, slog.New(slog.NewTextHandler(&logs, nil)), (&clock{t0}).now)
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := p.Poll(context.Background()); err == nil {
			t.Fatal("poll of a malformed response succeeded")
		}
	}
	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d log lines, want one per failed poll:\n%s", len(lines), logs.String())
	}
	for i, l := range lines {
		for _, want := range []string{"level=WARN", "poll failed", "source=jaeger-eu", "malformed response: unexpected end of JSON input", fmt.Sprintf("consecutive=%d", i+1)} {
			if !strings.Contains(l, want) {
				t.Fatalf("log line %q lacks %q", l, want)
			}
		}
	}
}

// malformedBackend answers every query with a response it cannot decode.
type malformedBackend struct{}

func (malformedBackend) Services(context.Context) ([]string, error) { return []string{"a"}, nil }

func (malformedBackend) Traces(context.Context, string, Window, int) ([]Trace, error) {
	return nil, fmt.Errorf("jaeger /api/traces: %w: unexpected end of JSON input", ErrMalformed)
}

// slowBackend answers each query after a delay, or fails when the query's
// context ends first.
type slowBackend struct {
	services []string
	delay    map[string]time.Duration // per service; "" is the service list
}

func (b slowBackend) wait(ctx context.Context, d time.Duration) error {
	select {
	case <-time.After(d):
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (b slowBackend) Services(ctx context.Context) ([]string, error) {
	return b.services, b.wait(ctx, b.delay[""])
}

func (b slowBackend) Traces(ctx context.Context, svc string, _ Window, _ int) ([]Trace, error) {
	var id span.TraceID
	id[0] = svc[0]
	return []Trace{{ID: id, Spans: []span.Span{{TraceID: id, Service: svc}}}}, b.wait(ctx, b.delay[svc])
}

// TestPoller_Poll_timeoutPerQuery: Timeout bounds each query, not the
// whole poll, so a poll of many services that each answer in time
// succeeds however long it takes in all; one query past the timeout fails
// the poll, naming its service.
func TestPoller_Poll_timeoutPerQuery(t *testing.T) {
	svcs := []string{"a", "b", "c", "d", "e"}
	delay := map[string]time.Duration{"": 100 * time.Millisecond}
	for _, s := range svcs {
		delay[s] = 100 * time.Millisecond
	}
	mod := func(c *Config) { c.Timeout = 300 * time.Millisecond }
	s := &sink{}
	p := newPoller(t, slowBackend{svcs, delay}, s, &clock{t0}, mod)
	if err := p.Poll(context.Background()); err != nil {
		t.Fatalf("a poll of six queries of 100 ms each, 300 ms allowed per query: %v", err)
	}
	if st := p.Status(); st.TracesFetched != 5 {
		t.Fatalf("status = %+v, want 5 traces", st)
	}
	delay["c"] = 2 * time.Second
	p = newPoller(t, slowBackend{svcs, delay}, &sink{}, &clock{t0}, mod)
	err := p.Poll(context.Background())
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "fetch traces of c from jaeger") {
		t.Fatalf("poll with one query past the timeout: %v, want a deadline naming service c", err)
	}
}
