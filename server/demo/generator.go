package demo

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
)

// maxCatchUp bounds, in intervals, the time one Run tick generates traffic
// for, so a stalled process does not send a flood when it wakes.
const maxCatchUp = 10

// Generator produces the demo system's traces. Its methods are safe for
// concurrent use.
type Generator struct {
	cfg Config
	sys *system
	log *slog.Logger

	mu      sync.Mutex // guards rng and offsets
	rng     *rand.Rand
	offsets map[string]int64

	// ticker starts Run's ticks; tests replace it to drive Run by hand.
	ticker func(d time.Duration) (<-chan time.Time, func())

	batches, traces, spans, exportErrors atomic.Int64
	lastErr                              atomic.Pointer[string]
}

// Stats counts what a Generator produced and how exporting went.
type Stats struct {
	// Batches is the number of batches generated.
	Batches int64
	// Traces is the number of user requests generated (root traces).
	Traces int64
	// Spans is the number of spans generated, including consumer traces.
	Spans int64
	// ExportErrors is the number of batches Run failed to export.
	ExportErrors int64
	// LastError is the latest export error, empty if none.
	LastError string
}

// New returns a Generator for cfg, or an error if cfg is invalid.
func New(cfg Config) (*Generator, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	rng := rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x5deece66d))
	return &Generator{
		cfg:     cfg,
		sys:     newSystem(rng, cfg.MaxClockSkew),
		log:     log,
		rng:     rng,
		offsets: map[string]int64{},
		ticker:  realTicker,
	}, nil
}

// realTicker ticks every d until stopped.
func realTicker(d time.Duration) (<-chan time.Time, func()) {
	t := time.NewTicker(d)
	return t.C, t.Stop
}

// Config returns the generator's configuration.
func (g *Generator) Config() Config { return g.cfg }

// Services returns the names of the instrumented services, in a fixed order.
func (g *Generator) Services() []string {
	names := make([]string, len(g.sys.services))
	for i, s := range g.sys.services {
		names[i] = s.name
	}
	return names
}

// Batch generates n user requests that complete within the interval ending
// at now, plus the traces their Kafka messages start, as one OTLP export
// request with one ResourceSpans per service instance.
func (g *Generator) Batch(now time.Time, n int) *coltracepb.ExportTraceServiceRequest {
	return g.batch(now, g.cfg.Interval, n)
}

// batch generates n user requests ending within (now-window, now], less the
// clock skew so no span ends after now.
func (g *Generator) batch(now time.Time, window time.Duration, n int) *coltracepb.ExportTraceServiceRequest {
	g.mu.Lock()
	defer g.mu.Unlock()
	b := newBuilder(&g.cfg, g.sys, g.rng, g.offsets)
	last := now.UnixNano() - int64(g.cfg.MaxClockSkew)
	for range n {
		end := last - g.rng.Int64N(int64(window))
		b.trace(g.sys.pickRoot(g.rng), end)
	}
	g.batches.Add(1)
	g.traces.Add(int64(n))
	g.spans.Add(int64(b.spans))
	return b.request()
}

// count draws the number of user requests arriving within elapsed.
func (g *Generator) count(elapsed time.Duration) int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return poisson(g.rng, g.cfg.Rate*elapsed.Seconds())
}

// Run generates traffic until ctx is done: every Interval it reads the clock,
// generates the requests that arrived since the previous tick and hands them
// to sink in one batch. A failed export is counted in Stats, logged, and the
// batch dropped; Run carries on. Run returns nil when ctx is done.
func (g *Generator) Run(ctx context.Context, sink Sink) error {
	if sink == nil {
		return errors.New("demo: run: nil sink")
	}
	ticks, stop := g.ticker(g.cfg.Interval)
	defer stop()
	last := g.cfg.Now()
	failing := false
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-ticks:
		}
		now := g.cfg.Now()
		elapsed := now.Sub(last)
		if elapsed <= 0 {
			continue
		}
		last = now
		elapsed = min(elapsed, maxCatchUp*g.cfg.Interval)
		n := g.count(elapsed)
		if n == 0 {
			continue
		}
		req := g.batch(now, elapsed, n)
		err := sink.Export(ctx, req)
		switch {
		case err != nil && ctx.Err() != nil:
			return nil
		case err != nil:
			g.exportErrors.Add(1)
			msg := err.Error()
			g.lastErr.Store(&msg)
			if !failing {
				g.log.Warn("demo export failed; dropping batches until it recovers", "error", err)
			}
			failing = true
		case failing:
			g.log.Info("demo export recovered", "failed_batches", g.exportErrors.Load())
			failing = false
		}
	}
}

// Stats returns the counters so far.
func (g *Generator) Stats() Stats {
	s := Stats{
		Batches:      g.batches.Load(),
		Traces:       g.traces.Load(),
		Spans:        g.spans.Load(),
		ExportErrors: g.exportErrors.Load(),
	}
	if p := g.lastErr.Load(); p != nil {
		s.LastError = *p
	}
	return s
}
