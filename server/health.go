package server

import (
	"fmt"

	"github.com/spanmap/spanmap/graph"
	"github.com/spanmap/spanmap/graph/agg"
)

// HealthConfig is when a node or edge is degraded or failing, judged over
// the window of the View that shows it: its error rate, and optionally its
// p99 latency. The map colours, the hotspots, the events and every export
// follow it, and the map's legend states it.
type HealthConfig struct {
	// ErrorRateDegraded is the error rate (0..1) from which a node or edge
	// is degraded. Default 0.01.
	ErrorRateDegraded float64 `yaml:"error_rate_degraded"`
	// ErrorRateFailing is the error rate from which it is failing, at
	// least ErrorRateDegraded. Default 0.05.
	ErrorRateFailing float64 `yaml:"error_rate_failing"`
	// P99DegradedMs and P99FailingMs are the p99 latencies, in
	// milliseconds, from which it is degraded and failing; 0 (the
	// default) judges by errors alone.
	P99DegradedMs float64 `yaml:"p99_degraded_ms"`
	P99FailingMs  float64 `yaml:"p99_failing_ms"`
}

// DefaultHealthConfig returns the default health rules.
func DefaultHealthConfig() HealthConfig {
	a := agg.DefaultConfig()
	return HealthConfig{
		ErrorRateDegraded: a.ErrorRateDegraded, ErrorRateFailing: a.ErrorRateFailing,
		P99DegradedMs: a.LatencyDegradedMs, P99FailingMs: a.LatencyFailingMs,
	}
}

// Validate reports the first invalid rule, naming it.
func (h HealthConfig) Validate() error {
	switch {
	case !(h.ErrorRateDegraded > 0 && h.ErrorRateDegraded <= 1):
		return fmt.Errorf("health.error_rate_degraded: must be above 0 and at most 1, got %g", h.ErrorRateDegraded)
	case !(h.ErrorRateFailing >= h.ErrorRateDegraded && h.ErrorRateFailing <= 1):
		return fmt.Errorf("health.error_rate_failing: must be from health.error_rate_degraded (%g) to 1, got %g", h.ErrorRateDegraded, h.ErrorRateFailing)
	case !(h.P99DegradedMs >= 0):
		return fmt.Errorf("health.p99_degraded_ms: must be 0 (off) or positive, got %g", h.P99DegradedMs)
	case !(h.P99FailingMs >= 0):
		return fmt.Errorf("health.p99_failing_ms: must be 0 (off) or positive, got %g", h.P99FailingMs)
	case h.P99DegradedMs > 0 && h.P99FailingMs > 0 && h.P99FailingMs < h.P99DegradedMs:
		return fmt.Errorf("health.p99_failing_ms: must be at least health.p99_degraded_ms (%g), got %g", h.P99DegradedMs, h.P99FailingMs)
	}
	return nil
}

// applyTo returns a with these rules.
func (h HealthConfig) applyTo(a agg.Config) agg.Config {
	a.ErrorRateDegraded, a.ErrorRateFailing = h.ErrorRateDegraded, h.ErrorRateFailing
	a.LatencyDegradedMs, a.LatencyFailingMs = h.P99DegradedMs, h.P99FailingMs
	return a
}

// rules returns the rules as the stream's status states them.
func (h HealthConfig) rules() *graph.HealthRules {
	return &graph.HealthRules{
		ErrorRateDegraded: h.ErrorRateDegraded, ErrorRateFailing: h.ErrorRateFailing,
		P99DegradedMs: h.P99DegradedMs, P99FailingMs: h.P99FailingMs,
	}
}
