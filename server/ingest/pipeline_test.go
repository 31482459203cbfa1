package ingest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/spanmap/spanmap/graph/agg"
	"github.com/spanmap/spanmap/graph/span"
)

var t0 = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)

// pair returns a client span in caller and its server child in callee.
func pair(trace byte, caller, callee string) []span.Span {
	tid := span.TraceID{15: trace}
	start := t0.UnixNano()
	return []span.Span{
		{TraceID: tid, SpanID: span.SpanID{7: 1}, Service: caller, Kind: span.KindClient, Name: "call", Start: start, Duration: 2e6},
		{TraceID: tid, SpanID: span.SpanID{7: 2}, ParentID: span.SpanID{7: 1}, Service: callee, Kind: span.KindServer, Name: "serve", Start: start + 1e5, Duration: 1e6},
	}
}

func newPipeline(t *testing.T, mod func(*Config)) *Pipeline {
	t.Helper()
	cfg := DefaultConfig()
	if mod != nil {
		mod(&cfg)
	}
	p, err := New(cfg, nil, func() time.Time { return t0 })
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func edgeCalls(p *Pipeline, from, to string) int64 {
	s := p.Aggregator().Snapshot(t0.Add(-time.Minute), t0.Add(time.Minute), agg.Options{})
	for _, e := range s.Edges {
		if e.From == from && e.To == to {
			return e.Calls
		}
	}
	return 0
}

func TestPipeline_Submit_queueFull(t *testing.T) {
	p := newPipeline(t, func(c *Config) { c.QueueSize = 2; c.MaxQueuedSpans = 3 })
	if err := p.Submit("otlp", pair(1, "a", "b")); err != nil {
		t.Fatal(err)
	}
	// 2 queued + 2 more > 3 spans: refused, counted.
	if err := p.Submit("otlp", pair(2, "a", "b")); !errors.Is(err, ErrQueueFull) {
		t.Fatalf("err = %v, want ErrQueueFull", err)
	}
	st := p.Stats()
	if st.Spans != 2 || st.RejectedSpans != 2 || st.RejectedBatches != 1 || st.QueuedSpans != 2 {
		t.Fatalf("stats = %+v", st)
	}
}

func TestPipeline_Submit_oversizedBatchIntoEmptyQueue(t *testing.T) {
	p := newPipeline(t, func(c *Config) { c.MaxQueuedSpans = 1 })
	if err := p.Submit("otlp", pair(1, "a", "b")); err != nil {
		t.Fatalf("a batch larger than the limit must still enter an empty queue: %v", err)
	}
}

func TestPipeline_Run_derivesAndDrainsOnStop(t *testing.T) {
	p := newPipeline(t, nil)
	for i := range 5 {
		if err := p.Submit("otlp", pair(byte(i+1), "checkout", "payment")); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // stop at once: accepted batches must still be derived
	if err := p.Run(ctx); err != nil {
		t.Fatal(err)
	}
	if got := edgeCalls(p, "checkout", "payment"); got != 5 {
		t.Fatalf("calls = %d, want 5: accepted spans were lost", got)
	}
	if err := p.Submit("otlp", pair(9, "a", "b")); !errors.Is(err, ErrStopped) {
		t.Fatalf("submit after stop: %v, want ErrStopped", err)
	}
	st := p.Stats()
	if st.Derive.Completed != 5 || st.Sources["otlp"].Added != 10 {
		t.Fatalf("stats = %+v", st)
	}
}

func TestPipeline_Run_pairsWithinOneSourceOnly(t *testing.T) {
	p := newPipeline(t, nil)
	sp := pair(1, "checkout", "payment")
	// The same trace's halves arrive from two sources: each source pairs on
	// its own, so neither sees a complete call.
	p.Submit("jaeger", sp[:1])
	p.Submit("otlp", sp[1:])
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	p.Run(ctx)
	st := p.Stats()
	if st.Derive.Completed != 0 || len(st.Sources) != 2 {
		t.Fatalf("stats = %+v, want two sources and no cross-source pairing", st)
	}
}

func TestConfig_Validate(t *testing.T) {
	for _, mod := range []func(*Config){
		func(c *Config) { c.QueueSize = 0 },
		func(c *Config) { c.MaxQueuedSpans = 0 },
		func(c *Config) { c.ExpireInterval = 0 },
		func(c *Config) { c.Derive.MaxItems = -1 },
	} {
		c := DefaultConfig()
		mod(&c)
		if c.Validate() == nil {
			t.Errorf("Validate accepted %+v", c)
		}
	}
}
