package app

import (
	"math"

	"github.com/spanmap/spanmap/graph"
)

// Edge stroke widths in points, before zoom.
const (
	// MinEdgeWidth is the stroke width of an edge without traffic.
	MinEdgeWidth = 1.25
	// MaxEdgeWidth is the stroke width at or above EdgeWidthFullRate.
	MaxEdgeWidth = 10.0
	// EdgeWidthFullRate is the rate in calls/s that gets MaxEdgeWidth.
	EdgeWidthFullRate = 10000.0
)

// EdgeWidth maps a rate in calls/s to a stroke width on a log scale, so
// that 1, 10, 100 and 1000 calls/s stay distinguishable. The scale is
// absolute (not relative to the busiest edge) so widths do not jump when
// other edges change.
func EdgeWidth(rate float64) float64 {
	if rate <= 0 || math.IsNaN(rate) {
		return MinEdgeWidth
	}
	f := math.Log10(1+rate) / math.Log10(1+EdgeWidthFullRate)
	if f > 1 {
		f = 1
	}
	return MinEdgeWidth + (MaxEdgeWidth-MinEdgeWidth)*f
}

// HealthStyle is how a health state is drawn. The colour comes from the
// CSS class (an Okabe-Ito palette that stays distinct for the common forms
// of colour blindness); the dash pattern, extra width and symbol carry the
// same information without hue.
type HealthStyle struct {
	// Class is the CSS class, "health-ok", "health-degraded", ...
	Class string
	// Dash is the SVG stroke-dasharray, "" for a solid line.
	Dash string
	// ExtraWidth is added to the traffic width of edges in this state.
	ExtraWidth float64
	// Symbol is drawn on nodes in this state, "" for none.
	Symbol string
	// Label names the state in the legend.
	Label string
}

// HealthStyleOf returns the drawing style of h.
func HealthStyleOf(h graph.Health) HealthStyle {
	switch h {
	case graph.HealthOK:
		return HealthStyle{Class: "health-ok", Label: "healthy"}
	case graph.HealthDegraded:
		return HealthStyle{Class: "health-degraded", Dash: "8 4", ExtraWidth: 0.5, Symbol: "!", Label: "degraded"}
	case graph.HealthFailing:
		return HealthStyle{Class: "health-failing", Dash: "14 3 3 3", ExtraWidth: 2, Symbol: "✕", Label: "failing"}
	default:
		return HealthStyle{Class: "health-unknown", Dash: "2 4", Label: "no data"}
	}
}

// LegendHealths lists the health states in legend order.
func LegendHealths() []graph.Health {
	return []graph.Health{graph.HealthOK, graph.HealthDegraded, graph.HealthFailing, graph.HealthUnknown}
}

// worseHealth returns the worse of a and b.
func worseHealth(a, b graph.Health) graph.Health {
	if graph.HealthRank(b) > graph.HealthRank(a) {
		return b
	}
	return a
}
