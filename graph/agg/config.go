package agg

import (
	"errors"
	"fmt"
	"time"

	"github.com/spanmap/spanmap/graph"
)

// OtherOperation names the series that collects the calls of operations past
// Config.MaxOperationsPerEdge on one edge.
const OtherOperation = "(other)"

// Config configures an Aggregator.
type Config struct {
	// BucketWidth is the width of one time bucket. Windows merge whole
	// buckets, so window bounds are best aligned to it. Default 10s.
	BucketWidth time.Duration
	// Retention is how far behind the time passed to Prune buckets are kept.
	// Zero keeps everything (the CLI aggregating a whole file). Default 65m:
	// the longest live window (1h) plus slack for late spans.
	Retention time.Duration
	// CompactAfter is the age (behind the time passed to Prune) from which
	// buckets are packed into a compact byte form: about a quarter of the
	// memory, at the price of decoding them for every window that reads them
	// and of unpacking one that receives a late call. Zero never packs.
	// When set, Import also stores the buckets it creates packed, whatever
	// their age. Default 5m, so the 1m and 5m windows read live buckets
	// only.
	CompactAfter time.Duration
	// MaxOperationsPerEdge bounds the distinct operations tracked per edge;
	// calls of further operations are counted under OtherOperation. An
	// operation frees its slot when Prune drops its last bucket. Default 50.
	MaxOperationsPerEdge int
	// ErrorRateDegraded is the error rate (0..1) from which a node or edge is
	// degraded. Default 0.01.
	ErrorRateDegraded float64
	// ErrorRateFailing is the error rate (0..1) from which a node or edge is
	// failing. Default 0.05.
	ErrorRateFailing float64
	// LatencyDegradedMs is the p99 latency in milliseconds from which a node
	// or edge is degraded; 0 disables the latency rule. Default 0.
	LatencyDegradedMs float64
	// LatencyFailingMs is the p99 latency in milliseconds from which a node
	// or edge is failing; 0 disables the latency rule. Default 0.
	LatencyFailingMs float64
	// ExemplarCandidates is how many calls each bucket keeps (a uniform,
	// order-independent sample: the lowest hashes of trace ID and time) as
	// candidates for the "typical" exemplar; the slowest call and the latest
	// error are always kept. 0 disables the typical exemplar. Default 3.
	ExemplarCandidates int
	// RelativeAccuracy is the DDSketch relative accuracy of latency
	// quantiles, between 0.0001 and 0.05. Default 0.01.
	RelativeAccuracy float64
}

// DefaultConfig returns the default configuration.
func DefaultConfig() Config {
	return Config{
		BucketWidth:          10 * time.Second,
		Retention:            65 * time.Minute,
		CompactAfter:         5 * time.Minute,
		MaxOperationsPerEdge: 50,
		ErrorRateDegraded:    0.01,
		ErrorRateFailing:     0.05,
		ExemplarCandidates:   3,
		RelativeAccuracy:     0.01,
	}
}

// ErrInvalidConfig is wrapped by every error Validate returns.
var ErrInvalidConfig = errors.New("invalid aggregation config")

// Validate reports the first invalid field.
func (c Config) Validate() error {
	switch {
	case c.BucketWidth <= 0:
		return fmt.Errorf("%w: bucket width %v must be positive", ErrInvalidConfig, c.BucketWidth)
	case c.Retention < 0:
		return fmt.Errorf("%w: retention %v must not be negative", ErrInvalidConfig, c.Retention)
	case c.Retention > 0 && c.Retention < c.BucketWidth:
		return fmt.Errorf("%w: retention %v is shorter than one bucket (%v)", ErrInvalidConfig, c.Retention, c.BucketWidth)
	case c.CompactAfter < 0:
		return fmt.Errorf("%w: compact-after %v must not be negative", ErrInvalidConfig, c.CompactAfter)
	case c.MaxOperationsPerEdge < 1:
		return fmt.Errorf("%w: max operations per edge %d must be at least 1", ErrInvalidConfig, c.MaxOperationsPerEdge)
	case c.ExemplarCandidates < 0 || c.ExemplarCandidates > maxCandidates:
		return fmt.Errorf("%w: exemplar candidates %d must be in [0, %d]", ErrInvalidConfig, c.ExemplarCandidates, maxCandidates)
	case !(c.RelativeAccuracy >= 0.0001 && c.RelativeAccuracy <= 0.05):
		return fmt.Errorf("%w: relative accuracy %v must be in [0.0001, 0.05]", ErrInvalidConfig, c.RelativeAccuracy)
	}
	if err := c.Health().Validate(); err != nil {
		return fmt.Errorf("%w: health %v", ErrInvalidConfig, err)
	}
	return nil
}

// Health returns the health thresholds of c.
func (c Config) Health() graph.HealthRules {
	return graph.HealthRules{
		ErrorRateDegraded: c.ErrorRateDegraded, ErrorRateFailing: c.ErrorRateFailing,
		P99DegradedMs: c.LatencyDegradedMs, P99FailingMs: c.LatencyFailingMs,
	}
}

// SetHealth sets the health thresholds of c to h.
func (c *Config) SetHealth(h graph.HealthRules) {
	c.ErrorRateDegraded, c.ErrorRateFailing = h.ErrorRateDegraded, h.ErrorRateFailing
	c.LatencyDegradedMs, c.LatencyFailingMs = h.P99DegradedMs, h.P99FailingMs
}

// maxCandidates bounds Config.ExemplarCandidates.
const maxCandidates = 64

// Options select the shape of a snapshot.
type Options struct {
	// Operations returns one edge per (from, to, operation), with IDs from
	// graph.EdgeID(from, to, operation), instead of one edge per (from, to).
	Operations bool
}
