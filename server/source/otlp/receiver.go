package otlp

import (
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/spanmap/spanmap/graph/span"
)

// Sink accepts decoded spans. Submit must not block; an error means "busy,
// retry later" and the spans were not taken.
type Sink interface {
	Submit(source string, spans []span.Span) error
}

// Config configures both OTLP receivers.
type Config struct {
	// Source is the source name recorded on edges ("otlp").
	Source string
	// MaxBodyBytes limits a request's decompressed size.
	MaxBodyBytes int64
	// MaxSpansPerTrace limits the spans of one trace in one request; spans
	// beyond it are rejected and reported as a partial success.
	MaxSpansPerTrace int
	// RetryAfter is the delay suggested to exporters when the sink is full.
	RetryAfter time.Duration
}

// DefaultConfig returns the receiver defaults.
func DefaultConfig() Config {
	return Config{Source: "otlp", MaxBodyBytes: 16 << 20, MaxSpansPerTrace: 100_000, RetryAfter: 2 * time.Second}
}

// Validate reports the first invalid field.
func (c Config) Validate() error {
	switch {
	case c.Source == "":
		return fmt.Errorf("otlp: source name must not be empty")
	case c.MaxBodyBytes <= 0:
		return fmt.Errorf("otlp: max body bytes must be positive, got %d", c.MaxBodyBytes)
	case c.MaxSpansPerTrace <= 0:
		return fmt.Errorf("otlp: max spans per trace must be positive, got %d", c.MaxSpansPerTrace)
	case c.RetryAfter <= 0:
		return fmt.Errorf("otlp: retry-after must be positive, got %s", c.RetryAfter)
	}
	return nil
}

// Stats are the receivers' counters.
type Stats struct {
	// Requests counts export requests received.
	Requests int64
	// Spans counts spans handed to the sink.
	Spans int64
	// Malformed counts requests refused as undecodable.
	Malformed int64
	// TooLarge counts requests over the body limit.
	TooLarge int64
	// Throttled counts requests refused because the sink was full.
	Throttled int64
	// RejectedSpans counts spans refused by the per-trace limit.
	RejectedSpans int64
}

// Receiver holds the state shared by the HTTP and gRPC receivers.
type Receiver struct {
	cfg  Config
	sink Sink
	log  *slog.Logger

	requests, spans, malformed, tooLarge, throttled, rejected atomic.Int64
}

// New returns a receiver feeding sink.
func New(cfg Config, sink Sink, log *slog.Logger) (*Receiver, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Receiver{cfg: cfg, sink: sink, log: log}, nil
}

// Stats returns the counters.
func (r *Receiver) Stats() Stats {
	return Stats{
		Requests: r.requests.Load(), Spans: r.spans.Load(), Malformed: r.malformed.Load(),
		TooLarge: r.tooLarge.Load(), Throttled: r.throttled.Load(), RejectedSpans: r.rejected.Load(),
	}
}

// limitPerTrace drops spans beyond the per-trace limit, in place, and
// returns the kept spans and how many were rejected.
func limitPerTrace(spans []span.Span, limit int) ([]span.Span, int) {
	if len(spans) <= limit {
		return spans, 0
	}
	counts := make(map[span.TraceID]int)
	kept := spans[:0]
	for _, s := range spans {
		counts[s.TraceID]++
		if counts[s.TraceID] <= limit {
			kept = append(kept, s)
		}
	}
	return kept, len(spans) - len(kept)
}

// accept hands spans to the sink after the per-trace limit, returning the
// number rejected by the limit, or the sink's error.
func (r *Receiver) accept(spans []span.Span) (rejected int, err error) {
	spans, rejected = limitPerTrace(spans, r.cfg.MaxSpansPerTrace)
	if err := r.sink.Submit(r.cfg.Source, spans); err != nil {
		r.throttled.Add(1)
		return 0, err
	}
	r.spans.Add(int64(len(spans)))
	r.rejected.Add(int64(rejected))
	return rejected, nil
}
