package demo

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
)

// runHarness drives Run with a fake clock and hand-made ticks.
type runHarness struct {
	t       *testing.T
	g       *Generator
	clock   *fakeClock
	mu      sync.Mutex // guards clock
	ticks   chan time.Time
	batches chan *coltracepb.ExportTraceServiceRequest
	cancel  context.CancelFunc
	done    chan error
}

// startRun starts Run on a generator whose sink fails while fail returns
// true for the batch number.
func startRun(t *testing.T, mod func(*Config), fail func(n int) bool) *runHarness {
	t.Helper()
	return startRunWith(t, mod, fail, nil)
}

// startRunWithSink starts Run exporting to next.
func startRunWithSink(t *testing.T, next Sink) *runHarness {
	t.Helper()
	return startRunWith(t, nil, nil, next)
}

func startRunWith(t *testing.T, mod func(*Config), fail func(n int) bool, next Sink) *runHarness {
	t.Helper()
	h := &runHarness{
		t:       t,
		clock:   &fakeClock{t: t0},
		ticks:   make(chan time.Time),
		batches: make(chan *coltracepb.ExportTraceServiceRequest, 1),
		done:    make(chan error, 1),
	}
	h.g = newTestGenerator(t, func(c *Config) {
		c.Now = h.now
		if mod != nil {
			mod(c)
		}
	})
	h.g.ticker = func(time.Duration) (<-chan time.Time, func()) { return h.ticks, func() {} }
	n := 0
	sink := SinkFunc(func(ctx context.Context, req *coltracepb.ExportTraceServiceRequest) error {
		n++
		var err error
		switch {
		case next != nil:
			err = next.Export(ctx, req)
		case fail != nil && fail(n):
			err = errors.New("receiver down")
		}
		h.batches <- req
		return err
	})
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	go func() { h.done <- h.g.Run(ctx, sink) }()
	t.Cleanup(h.stop)
	// A tick with the clock unchanged produces nothing, but once it is taken
	// Run has read its start time.
	h.ticks <- t0
	return h
}

func (h *runHarness) now() time.Time {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.clock.now()
}

// step advances the clock by d, ticks, and returns the batch Run exported.
func (h *runHarness) step(d time.Duration) *coltracepb.ExportTraceServiceRequest {
	h.t.Helper()
	h.mu.Lock()
	h.clock.advance(d)
	h.mu.Unlock()
	h.ticks <- h.now()
	select {
	case req := <-h.batches:
		return req
	case <-time.After(5 * time.Second):
		h.t.Fatal("no batch exported after a tick")
		return nil
	}
}

// stop cancels Run and waits for it to return.
func (h *runHarness) stop() {
	h.cancel()
	select {
	case err := <-h.done:
		if err != nil {
			h.t.Errorf("Run returned %v after cancel, want nil", err)
		}
		h.done <- nil
	case <-time.After(5 * time.Second):
		h.t.Error("Run did not return after cancel")
	}
}

func TestGenerator_Run_ratesAndClock(t *testing.T) {
	h := startRun(t, nil, nil)
	const steps = 30
	traces := 0
	prev := h.now()
	for range steps {
		req := h.step(time.Second)
		now := h.now()
		for _, s := range flatten(t, req) {
			if s.end() > now.UnixNano() {
				t.Fatalf("span ends after the clock: %v > %v", time.Unix(0, s.end()), now)
			}
			if len(s.sp.ParentSpanId) == 0 && s.svc == "web-frontend" {
				traces++
				if s.end() <= prev.Add(-time.Second).UnixNano() {
					t.Errorf("request ended at %v, long before the previous tick %v", time.Unix(0, s.end()), prev)
				}
			}
		}
		prev = now
	}
	// 20/s Poisson over 30s: mean 600, sd ~24.
	if traces < 500 || traces > 700 {
		t.Errorf("%d requests in %d seconds, want about %d", traces, steps, steps*20)
	}
	if st := h.g.Stats(); st.Traces != int64(traces) || st.Batches != steps || st.ExportErrors != 0 {
		t.Errorf("stats = %+v, want %d traces in %d batches", st, traces, steps)
	}
}

func TestGenerator_Run_catchUpCapped(t *testing.T) {
	h := startRun(t, nil, nil)
	h.step(time.Second)
	before := h.g.Stats().Traces
	h.step(time.Hour) // the process stalled
	got := h.g.Stats().Traces - before
	// Capped at 10 intervals (10s): about 200, not 72000.
	if got < 130 || got > 270 {
		t.Errorf("after a one hour stall Run generated %d requests, want about 200", got)
	}
}

func TestGenerator_Run_exportErrors(t *testing.T) {
	var logs bytes.Buffer
	var logMu sync.Mutex
	logger := slog.New(slog.NewTextHandler(&lockedWriter{w: &logs, mu: &logMu}, nil))
	h := startRun(t, func(c *Config) { c.Logger = logger }, func(n int) bool { return n <= 3 })
	for range 5 {
		h.step(time.Second)
	}
	h.stop()
	st := h.g.Stats()
	if st.ExportErrors != 3 || st.LastError != "receiver down" || st.Batches != 5 {
		t.Errorf("stats = %+v, want 3 export errors of 5 batches", st)
	}
	logMu.Lock()
	out := logs.String()
	logMu.Unlock()
	if strings.Count(out, "level=WARN") != 1 || strings.Count(out, "demo export recovered") != 1 {
		t.Errorf("want one warning and one recovery line, got:\n%s", out)
	}
}

type lockedWriter struct {
	w  *bytes.Buffer
	mu *sync.Mutex
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func TestGenerator_Run_nilSink(t *testing.T) {
	g := newTestGenerator(t, nil)
	if err := g.Run(context.Background(), nil); err == nil {
		t.Fatal("Run(nil sink) = nil, want an error")
	}
}

func TestGenerator_Run_realTicker(t *testing.T) {
	// With the real clock and ticker, Run exports at the configured pace.
	g := newTestGenerator(t, func(c *Config) { c.Interval = 10 * time.Millisecond; c.Rate = 2000 })
	ctx, cancel := context.WithCancel(context.Background())
	got := make(chan int, 100)
	done := make(chan error, 1)
	go func() {
		done <- g.Run(ctx, SinkFunc(func(_ context.Context, req *coltracepb.ExportTraceServiceRequest) error {
			select {
			case got <- len(req.ResourceSpans):
			default:
			}
			return nil
		}))
	}()
	for range 3 {
		select {
		case n := <-got:
			if n == 0 {
				t.Error("empty batch")
			}
		case <-time.After(5 * time.Second):
			t.Fatal("no batch within 5s")
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run = %v", err)
	}
}
