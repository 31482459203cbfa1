package ingest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"sync"
	"sync/atomic"
	"time"

	"github.com/spanmap/spanmap/graph/agg"
	"github.com/spanmap/spanmap/graph/derive"
	"github.com/spanmap/spanmap/graph/span"
)

// ErrQueueFull is returned by Submit when the ingest queue is full. Receivers
// answer it with 429/503 and Retry-After so exporters retry; nothing already
// accepted is lost.
var ErrQueueFull = errors.New("ingest queue is full")

// ErrStopped is returned by Submit after the pipeline stopped.
var ErrStopped = errors.New("ingest pipeline stopped")

// Config configures the pipeline.
type Config struct {
	// QueueSize is the number of batches that may wait for derivation.
	QueueSize int
	// MaxQueuedSpans bounds the spans waiting in the queue across batches.
	MaxQueuedSpans int
	// ExpireInterval is how often pending spans are checked against the TTL
	// and old aggregate buckets are pruned.
	ExpireInterval time.Duration
	// Derive configures each source's pairing store.
	Derive derive.Config
	// Agg configures the shared aggregator.
	Agg agg.Config
}

// DefaultConfig returns the defaults used by `spanmap serve`.
func DefaultConfig() Config {
	return Config{
		QueueSize:      1024,
		MaxQueuedSpans: 1_000_000,
		ExpireInterval: time.Second,
		Derive:         derive.DefaultConfig(),
		Agg:            agg.DefaultConfig(),
	}
}

// Validate reports the first invalid field.
func (c Config) Validate() error {
	switch {
	case c.QueueSize <= 0:
		return fmt.Errorf("ingest: queue size must be positive, got %d", c.QueueSize)
	case c.MaxQueuedSpans <= 0:
		return fmt.Errorf("ingest: max queued spans must be positive, got %d", c.MaxQueuedSpans)
	case c.ExpireInterval <= 0:
		return fmt.Errorf("ingest: expire interval must be positive, got %s", c.ExpireInterval)
	}
	if err := c.Derive.Validate(); err != nil {
		return fmt.Errorf("ingest: %w", err)
	}
	if err := c.Agg.Validate(); err != nil {
		return fmt.Errorf("ingest: %w", err)
	}
	return nil
}

type batch struct {
	source string
	spans  []span.Span
}

// Stats are the pipeline's counters.
type Stats struct {
	// Batches and Spans count what was accepted into the queue.
	Batches, Spans int64
	// RejectedBatches and RejectedSpans count what Submit refused because
	// the queue was full.
	RejectedBatches, RejectedSpans int64
	// QueuedSpans is what waits in the queue now.
	QueuedSpans int64
	// Derive sums the derivation counters of every source.
	Derive derive.Stats
	// Sources lists each source's derivation counters.
	Sources map[string]derive.Stats
}

// Pipeline derives and aggregates spans from every source.
type Pipeline struct {
	cfg Config
	log *slog.Logger
	now func() time.Time
	agg *agg.Aggregator

	q      chan batch
	queued atomic.Int64
	done   chan struct{}

	batches, spans       atomic.Int64
	rejBatches, rejSpans atomic.Int64
	stopOnce             sync.Once

	// mu guards dstats, and derivers against other goroutines: only the
	// worker adds to derivers (under mu) and it reads the map without it.
	mu       sync.Mutex
	derivers map[string]*derive.Deriver
	dstats   map[string]derive.Stats
}

// New returns a pipeline; call Run to start its worker.
func New(cfg Config, log *slog.Logger, now func() time.Time) (*Pipeline, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if now == nil {
		now = time.Now
	}
	return &Pipeline{
		cfg:      cfg,
		log:      log,
		now:      now,
		agg:      agg.New(cfg.Agg),
		q:        make(chan batch, cfg.QueueSize),
		done:     make(chan struct{}),
		derivers: map[string]*derive.Deriver{},
		dstats:   map[string]derive.Stats{},
	}, nil
}

// Aggregator returns the shared aggregate the views read.
func (p *Pipeline) Aggregator() *agg.Aggregator { return p.agg }

// Submit enqueues spans from source without blocking. The pipeline takes
// ownership of spans. It returns ErrQueueFull when the queue is full.
func (p *Pipeline) Submit(source string, spans []span.Span) error {
	if len(spans) == 0 {
		return nil
	}
	select {
	case <-p.done:
		return ErrStopped
	default:
	}
	n := int64(len(spans))
	// A batch larger than the whole limit is still accepted into an empty
	// queue, so one big request cannot be refused forever.
	if total := p.queued.Add(n); total > int64(p.cfg.MaxQueuedSpans) && total-n > 0 {
		p.queued.Add(-n)
		p.reject(n)
		return ErrQueueFull
	}
	select {
	case p.q <- batch{source: source, spans: spans}:
		p.batches.Add(1)
		p.spans.Add(n)
		return nil
	default:
		p.queued.Add(-n)
		p.reject(n)
		return ErrQueueFull
	}
}

func (p *Pipeline) reject(n int64) {
	p.rejBatches.Add(1)
	p.rejSpans.Add(n)
}

// Run derives queued batches until ctx is done, then drains what was
// accepted, settles nothing early and returns nil.
func (p *Pipeline) Run(ctx context.Context) error {
	ticker := time.NewTicker(p.cfg.ExpireInterval)
	defer ticker.Stop()
	var obs []derive.Observation
	for {
		select {
		case <-ctx.Done():
			p.stopOnce.Do(func() { close(p.done) })
			p.drain(&obs)
			return nil
		case b := <-p.q:
			p.queued.Add(-int64(len(b.spans)))
			obs = p.process(b, obs)
		case <-ticker.C:
			obs = p.expire(obs)
		}
	}
}

// drain processes batches accepted before the stop.
func (p *Pipeline) drain(obs *[]derive.Observation) {
	for {
		select {
		case b := <-p.q:
			p.queued.Add(-int64(len(b.spans)))
			*obs = p.process(b, *obs)
		default:
			return
		}
	}
}

func (p *Pipeline) deriver(source string) *derive.Deriver {
	d, ok := p.derivers[source]
	if !ok {
		d = derive.New(p.cfg.Derive, p.now)
		p.mu.Lock()
		p.derivers[source] = d
		p.mu.Unlock()
	}
	return d
}

func (p *Pipeline) process(b batch, obs []derive.Observation) []derive.Observation {
	d := p.deriver(b.source)
	obs = d.Add(b.spans, obs[:0])
	p.agg.Add(b.source, obs)
	p.recordStats(b.source, d)
	return obs
}

func (p *Pipeline) expire(obs []derive.Observation) []derive.Observation {
	for source, d := range p.derivers {
		obs = d.Expire(obs[:0])
		p.agg.Add(source, obs)
		p.recordStats(source, d)
	}
	p.agg.Prune(p.now())
	return obs
}

func (p *Pipeline) recordStats(source string, d *derive.Deriver) {
	st := d.Stats()
	p.mu.Lock()
	p.dstats[source] = st
	p.mu.Unlock()
}

// PendingTraces returns, per source, how many distinct traces have spans
// waiting in its pairing store. It scans the stores, so it is for scrapes,
// not hot paths.
func (p *Pipeline) PendingTraces() map[string]int {
	p.mu.Lock()
	ds := maps.Clone(p.derivers)
	p.mu.Unlock()
	out := make(map[string]int, len(ds))
	for src, d := range ds {
		out[src] = d.PendingTraces()
	}
	return out
}

// Stats returns the pipeline's counters.
func (p *Pipeline) Stats() Stats {
	s := Stats{
		Batches:         p.batches.Load(),
		Spans:           p.spans.Load(),
		RejectedBatches: p.rejBatches.Load(),
		RejectedSpans:   p.rejSpans.Load(),
		QueuedSpans:     p.queued.Load(),
		Sources:         map[string]derive.Stats{},
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for src, st := range p.dstats {
		s.Sources[src] = st
		s.Derive = sumStats(s.Derive, st)
	}
	return s
}

// sumStats adds b's counters to a's.
func sumStats(a, b derive.Stats) derive.Stats {
	a.Added += b.Added
	a.Invalid += b.Invalid
	a.Duplicates += b.Duplicates
	a.Completed += b.Completed
	a.Unpaired += b.Unpaired
	a.NoPeer += b.NoPeer
	a.NoCaller += b.NoCaller
	a.NoService += b.NoService
	a.Nested += b.Nested
	a.MissingParent += b.MissingParent
	a.NegativeQueueLag += b.NegativeQueueLag
	a.Expired += b.Expired
	a.Dropped += b.Dropped
	a.Flushed += b.Flushed
	a.Pending += b.Pending
	return a
}
