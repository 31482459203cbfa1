package render

import "github.com/spanmap/spanmap/graph"

// Style is how one health state is drawn. Colours are #rrggbb. Colour is
// never the only cue: Dash and StrokeWidth tell the states apart in grey
// scale and for colour-blind readers too.
type Style struct {
	// Name is the legend text.
	Name string `json:"name"`
	// Stroke is the outline and edge colour.
	Stroke string `json:"stroke"`
	// Fill is the node background.
	Fill string `json:"fill"`
	// Text is the label colour.
	Text string `json:"text"`
	// Dash is the SVG stroke-dasharray ("" for a solid line).
	Dash string `json:"dash,omitempty"`
	// StrokeWidth is the node outline width in points; edges add it to
	// their rate-based width.
	StrokeWidth float64 `json:"stroke_width"`
	// Graphviz is the graphviz style keyword: "solid", "dashed", "bold" or
	// "dotted".
	Graphviz string `json:"graphviz"`
}

// Palette maps each health state to a Style.
type Palette struct {
	// OK is healthy traffic.
	OK Style `json:"ok"`
	// Degraded is traffic above the warning thresholds.
	Degraded Style `json:"degraded"`
	// Failing is traffic above the failure thresholds.
	Failing Style `json:"failing"`
	// Unknown is a node or edge without data.
	Unknown Style `json:"unknown"`
}

// DefaultPalette returns the spanmap palette. The colours are from the
// Okabe-Ito set, chosen to stay apart under the common colour-vision
// deficiencies: blue for ok, orange for degraded, vermillion for failing and
// grey for no data. Degraded is also dashed, failing is also bold, and no
// data is dotted.
func DefaultPalette() Palette {
	return Palette{
		OK:       Style{Name: "ok", Stroke: "#0072B2", Fill: "#E8F1F9", Text: "#1A1A1A", StrokeWidth: 1.5, Graphviz: "solid"},
		Degraded: Style{Name: "degraded (dashed)", Stroke: "#E69F00", Fill: "#FFF5DF", Text: "#1A1A1A", Dash: "6 3", StrokeWidth: 2, Graphviz: "dashed"},
		Failing:  Style{Name: "failing (bold)", Stroke: "#D55E00", Fill: "#FBE3D6", Text: "#1A1A1A", StrokeWidth: 3.5, Graphviz: "bold"},
		Unknown:  Style{Name: "no data (dotted)", Stroke: "#8C8C8C", Fill: "#F4F4F4", Text: "#4D4D4D", Dash: "2 3", StrokeWidth: 1, Graphviz: "dotted"},
	}
}

// For returns the style of health h.
func (p Palette) For(h graph.Health) Style {
	switch h {
	case graph.HealthOK:
		return p.OK
	case graph.HealthDegraded:
		return p.Degraded
	case graph.HealthFailing:
		return p.Failing
	}
	return p.Unknown
}

// states lists the health states in legend order.
func states() []graph.Health {
	return []graph.Health{graph.HealthOK, graph.HealthDegraded, graph.HealthFailing, graph.HealthUnknown}
}

// className is the CSS/Mermaid class of health h.
func className(h graph.Health) string {
	if h == graph.HealthUnknown {
		return "unknown"
	}
	return string(h)
}
