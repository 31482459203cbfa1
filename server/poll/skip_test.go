package poll

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"
)

// malformedErr is what a backend package returns for a response it could
// not decode.
func malformedErr(svc string) error {
	return fmt.Errorf("jaeger /api/traces?service=%s: %w: unexpected end of JSON input", svc, ErrMalformed)
}

// TestPoller_Poll_skipsRepeatedMalformedWindow: service "bad" answers
// malformed for a window, "good" answers fine. The first N-1 polls fail and
// retry the window (good's traces are not lost); poll N skips bad's window,
// submits good's traces and advances; the skip is counted, logged and the
// source is degraded. A later window that bad answers makes it ok again.
func TestPoller_Poll_skipsRepeatedMalformedWindow(t *testing.T) {
	const n = 3
	c := &clock{t0}
	b := &fakeBackend{services: []string{"bad", "good"},
		traces: map[string][]fakeTrace{"good": {{1, t0.Add(-30 * time.Second)}}, "bad": {{2, t0.Add(-20 * time.Second)}}},
		errs:   map[string]error{"bad": malformedErr("bad")}}
	s := &sink{}
	var logs bytes.Buffer
	cfg := DefaultConfig()
	cfg.Name, cfg.Kind = "jaeger-eu", "jaeger"
	cfg.Interval, cfg.Lookback, cfg.Settle, cfg.MaxWindow = 10*time.Second, time.Minute, 5*time.Second, 10*time.Minute
	cfg.SkipMalformedAfter = n
	p, err := New(cfg, b, s, slog.New(slog.NewTextHandler(&logs, nil)), c.now)
	if err != nil {
		t.Fatal(err)
	}
	p.rand = func() float64 { return 1 }
	from := t0.Add(-65 * time.Second)

	for i := 1; i < n; i++ {
		err := p.Poll(context.Background())
		if !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), "fetch traces of bad from jaeger-eu") {
			t.Fatalf("poll %d = %v, want the malformed answer of bad", i, err)
		}
		st := p.Status()
		if st.State == StateOK || st.SkippedWindows != 0 || !strings.Contains(st.LastError, "malformed response") {
			t.Fatalf("after poll %d status = %+v, want failing, nothing skipped yet", i, st)
		}
		if len(s.spans) != 0 {
			t.Fatalf("poll %d submitted %v from a failed poll", i, s.ids())
		}
		if last := b.queries[len(b.queries)-1]; !last.From.Equal(from) {
			t.Fatalf("poll %d queried from %v, want the same window from %v", i, last.From, from)
		}
		c.t = c.t.Add(time.Second) // the retry comes a little later
	}
	if got := len(b.queries); got != 2*(n-1) {
		t.Fatalf("%d trace queries in %d failed polls, want both services queried each time", got, n-1)
	}

	// Poll N gives up on bad's window and goes on.
	if err := p.Poll(context.Background()); err != nil {
		t.Fatalf("poll %d = %v, want bad's window skipped", n, err)
	}
	skippedTo := c.t.Add(-5 * time.Second)
	if got := s.ids(); len(got) != 1 || got[0] != 1 {
		t.Fatalf("traces after the skip = %v, want good's [1]", got)
	}
	st := p.Status()
	if st.SkippedWindows != 1 || st.State != StateDegraded || st.LastSuccess.IsZero() || st.Lag != 5*time.Second {
		t.Fatalf("status after the skip = %+v, want one skipped window, degraded, window advanced", st)
	}
	for _, want := range []string{"skipped the traces of bad", from.Format(time.RFC3339), skippedTo.Format(time.RFC3339),
		fmt.Sprintf("after %d malformed responses in a row", n), "malformed response: unexpected end of JSON input"} {
		if !strings.Contains(st.LastError, want) {
			t.Fatalf("last error %q lacks %q", st.LastError, want)
		}
	}
	var warn string
	for _, l := range strings.Split(logs.String(), "\n") {
		if strings.Contains(l, "skipped a window of malformed responses") {
			warn = l
		}
	}
	for _, want := range []string{"level=WARN", "source=jaeger-eu", "service=bad", "from=" + from.Format(time.DateOnly+"T"+time.TimeOnly),
		"to=" + skippedTo.Format(time.DateOnly+"T"+time.TimeOnly), fmt.Sprintf("attempts=%d", n), "unexpected end of JSON input"} {
		if !strings.Contains(warn, want) {
			t.Fatalf("skip warning %q lacks %q; log:\n%s", warn, want, logs.String())
		}
	}

	// The next window: bad answers again, with a trace of its own.
	delete(b.errs, "bad")
	b.traces["bad"] = append(b.traces["bad"], fakeTrace{3, c.t.Add(-4 * time.Second)})
	c.t = c.t.Add(10 * time.Second)
	if err := p.Poll(context.Background()); err != nil {
		t.Fatal(err)
	}
	if last := b.queries[len(b.queries)-1]; !last.From.Equal(skippedTo) {
		t.Fatalf("next window starts at %v, want where the skipped one ended (%v)", last.From, skippedTo)
	}
	if got := s.ids(); len(got) != 2 || got[1] != 3 {
		t.Fatalf("traces = %v, want [1 3]: bad's trace of the skipped window is lost, the new one is in", got)
	}
	if st := p.Status(); st.State != StateOK || st.LastError != "" || st.SkippedWindows != 1 {
		t.Fatalf("status after a good window = %+v, want ok with the one skip still counted", st)
	}
}

// TestPoller_Poll_skipsEveryMalformedServiceTogether: two services that
// answer malformed are both skipped on the same poll, not one after the
// other.
func TestPoller_Poll_skipsEveryMalformedServiceTogether(t *testing.T) {
	c := &clock{t0}
	b := &fakeBackend{services: []string{"bad", "good", "worse"},
		traces: map[string][]fakeTrace{"good": {{1, t0.Add(-30 * time.Second)}}},
		errs:   map[string]error{"bad": malformedErr("bad"), "worse": malformedErr("worse")}}
	s := &sink{}
	p := newPoller(t, b, s, c, func(c *Config) { c.SkipMalformedAfter = 2 })
	err := p.Poll(context.Background())
	if !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), "and 1 more services answered malformed") {
		t.Fatalf("first poll = %v, want both malformed services reported", err)
	}
	if err := p.Poll(context.Background()); err != nil {
		t.Fatalf("second poll = %v, want both windows skipped", err)
	}
	st := p.Status()
	if st.SkippedWindows != 2 || !strings.Contains(st.LastError, "traces of bad") || !strings.Contains(st.LastError, "traces of worse") {
		t.Fatalf("status = %+v, want bad's and worse's windows skipped", st)
	}
	if got := s.ids(); len(got) != 1 || got[0] != 1 {
		t.Fatalf("traces = %v, want good's [1]", got)
	}
}

// TestPoller_Poll_neverSkipsTransportErrors: a backend that is down, slow
// or failing with server errors for one service is retried however often,
// even with SkipMalformedAfter 1, and once it answers nothing is lost.
func TestPoller_Poll_neverSkipsTransportErrors(t *testing.T) {
	c := &clock{t0}
	b := &fakeBackend{services: []string{"good", "bad"},
		traces: map[string][]fakeTrace{"good": {{1, t0.Add(-30 * time.Second)}}, "bad": {{2, t0.Add(-20 * time.Second)}}},
		errs:   map[string]error{}}
	s := &sink{}
	p := newPoller(t, b, s, c, func(c *Config) { c.SkipMalformedAfter = 1 })
	transport := []error{
		errors.New("jaeger /api/traces: dial tcp 127.0.0.1:16686: connect: connection refused"),
		fmt.Errorf("jaeger /api/traces: timed out: %w", context.DeadlineExceeded),
		errors.New("jaeger /api/traces: 503 Service Unavailable: storage exploded"),
	}
	for i := range 12 {
		b.errs["bad"] = transport[i%len(transport)]
		err := p.Poll(context.Background())
		if err == nil || errors.Is(err, ErrMalformed) {
			t.Fatalf("poll %d = %v, want the transport error", i+1, err)
		}
		if st := p.Status(); st.SkippedWindows != 0 || st.State != map[bool]State{true: StateDegraded, false: StateDown}[i < 2] {
			t.Fatalf("after %d failed polls status = %+v", i+1, st)
		}
		c.t = c.t.Add(time.Second)
	}
	if len(s.spans) != 0 {
		t.Fatalf("failed polls submitted %v", s.ids())
	}
	delete(b.errs, "bad")
	if err := p.Poll(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := s.ids(); len(got) != 2 {
		t.Fatalf("traces after recovery = %v, want both: the window was kept", got)
	}
	if st := p.Status(); st.State != StateOK || st.SkippedWindows != 0 {
		t.Fatalf("status after recovery = %+v", st)
	}
}

// TestPoller_Poll_malformedRunMustBeConsecutive: a transport error or a
// good answer between malformed answers starts the count again.
func TestPoller_Poll_malformedRunMustBeConsecutive(t *testing.T) {
	c := &clock{t0}
	b := &fakeBackend{services: []string{"bad"}, traces: map[string][]fakeTrace{}, errs: map[string]error{}}
	p := newPoller(t, b, &sink{}, c, func(c *Config) { c.SkipMalformedAfter = 3 })
	for i, e := range []error{malformedErr("bad"), malformedErr("bad"), errors.New("connection reset by peer"),
		malformedErr("bad"), malformedErr("bad")} {
		b.errs["bad"] = e
		if err := p.Poll(context.Background()); err == nil {
			t.Fatalf("poll %d succeeded, want it to fail: no run of 3 malformed answers yet", i+1)
		}
	}
	if err := p.Poll(context.Background()); err != nil {
		t.Fatalf("third malformed answer in a row: %v, want the window skipped", err)
	}
	if st := p.Status(); st.SkippedWindows != 1 {
		t.Fatalf("status = %+v", st)
	}
}

// TestPoller_Poll_skipSurvivesBusySink: when the poll that skips a window
// cannot submit (the sink is busy), the retry skips it again without
// waiting for another run of malformed answers, and counts it once.
func TestPoller_Poll_skipSurvivesBusySink(t *testing.T) {
	c := &clock{t0}
	b := &fakeBackend{services: []string{"bad", "good"},
		traces: map[string][]fakeTrace{"good": {{1, t0.Add(-30 * time.Second)}}},
		errs:   map[string]error{"bad": malformedErr("bad")}}
	s := &sink{}
	p := newPoller(t, b, s, c, func(c *Config) { c.SkipMalformedAfter = 2 })
	if err := p.Poll(context.Background()); !errors.Is(err, ErrMalformed) {
		t.Fatalf("first poll = %v", err)
	}
	s.busy = 1
	if err := p.Poll(context.Background()); err == nil || !strings.Contains(err.Error(), "ingest queue is full") {
		t.Fatalf("poll with a busy sink = %v", err)
	}
	if st := p.Status(); st.SkippedWindows != 0 {
		t.Fatalf("a skip counted by a failed poll: %+v", st)
	}
	if err := p.Poll(context.Background()); err != nil {
		t.Fatalf("retry = %v, want the window skipped again", err)
	}
	if st := p.Status(); st.SkippedWindows != 1 || st.State != StateDegraded || len(s.ids()) != 1 {
		t.Fatalf("status = %+v, traces %v", st, s.ids())
	}
	// A new window starts a new run: bad's first malformed answer to it
	// fails the poll again.
	c.t = c.t.Add(10 * time.Second)
	if err := p.Poll(context.Background()); !errors.Is(err, ErrMalformed) {
		t.Fatalf("first poll of the next window = %v, want it to fail", err)
	}
}

// TestPoller_Poll_negativeSkipMalformedAfterNeverSkips: a negative
// SkipMalformedAfter keeps retrying a malformed window, as for any error.
func TestPoller_Poll_negativeSkipMalformedAfterNeverSkips(t *testing.T) {
	c := &clock{t0}
	b := &fakeBackend{services: []string{"bad"}, traces: map[string][]fakeTrace{}, errs: map[string]error{"bad": malformedErr("bad")}}
	p := newPoller(t, b, &sink{}, c, func(c *Config) { c.SkipMalformedAfter = -1 })
	for i := range 10 {
		if err := p.Poll(context.Background()); !errors.Is(err, ErrMalformed) {
			t.Fatalf("poll %d = %v, want the malformed answer", i+1, err)
		}
	}
	if st := p.Status(); st.SkippedWindows != 0 || st.State != StateDown {
		t.Fatalf("status = %+v, want down, nothing skipped", st)
	}
}
