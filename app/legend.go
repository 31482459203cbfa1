package app

import (
	"github.com/maxence-charriere/go-app/v10/pkg/app"
	"github.com/spanmap/spanmap/graph"
)

// legend explains the map's encodings: health (colour, dash pattern and
// symbol), traffic (edge width) and node shapes. It can be folded.
type legend struct {
	app.Compo

	// Rules are the server's health thresholds, stated next to the
	// health rows when known.
	Rules *graph.HealthRules
	// Stale shows the row of stale elements, when the map has some.
	Stale bool

	folded bool
}

// newLegend returns an unfolded legend.
func newLegend() *legend { return &legend{} }

func (l *legend) onToggle(ctx app.Context, e app.Event) { l.folded = !l.folded }

// Render draws the legend.
func (l *legend) Render() app.UI {
	if l.folded {
		return app.Div().Class("legend folded").Body(
			app.Button().Class("link-button").OnClick(l.onToggle).Aria("expanded", "false").Text("legend ▸"),
		)
	}
	return app.Div().Class("legend").Body(
		app.Button().Class("link-button").OnClick(l.onToggle).Aria("expanded", "true").Text("legend ▾"),
		app.Div().Class("legend-section").Body(legendHealthRows(l.Rules)...),
		app.If(l.Stale, legendStaleRow),
		app.Div().Class("legend-section").Body(legendWidthRows()...),
		app.Div().Class("legend-section legend-kinds").Body(legendKindRows()...),
	)
}

// legendSample is a small SVG swatch.
func legendSample(w, h float64, body ...app.UI) app.UI {
	return svgElem("svg").Class("legend-sample").
		Attr("width", fmtNum(w)).Attr("height", fmtNum(h)).
		Attr("viewBox", "0 0 "+fmtNum(w)+" "+fmtNum(h)).
		Attr("aria-hidden", "true").
		Body(body...)
}

func legendHealthRows(rules *graph.HealthRules) []app.UI {
	var rows []app.UI
	for _, h := range LegendHealths() {
		st := HealthStyleOf(h)
		line := svgElem("line").Class("edge-line").
			Attr("x1", "2").Attr("y1", "8").Attr("x2", "40").Attr("y2", "8").
			Attr("stroke-width", fmtNum(3+st.ExtraWidth))
		if st.Dash != "" {
			line = line.Attr("stroke-dasharray", st.Dash)
		}
		label := st.Label
		if st.Symbol != "" {
			label += " " + st.Symbol
		}
		if r := HealthRuleText(rules, h); r != "" {
			label += " (" + r + ")"
		}
		rows = append(rows, app.Div().Class("legend-row", st.Class).Body(
			legendSample(42, 16, svgElem("g").Class("edge", st.Class).Body(line)),
			app.Span().Text(label),
		))
	}
	return rows
}

// legendStaleRow explains faded elements: their sources went quiet.
func legendStaleRow() app.UI {
	st := HealthStyleOf(graph.HealthOK)
	line := svgElem("line").Class("edge-line").
		Attr("x1", "2").Attr("y1", "8").Attr("x2", "40").Attr("y2", "8").Attr("stroke-width", "3")
	return app.Div().Class("legend-section").Body(app.Div().Class("legend-row legend-stale").Body(
		legendSample(42, 16, svgElem("g").Class("edge", st.Class, classStale).Body(line)),
		app.Span().Text("stale: its sources sent nothing lately"),
	))
}

func legendWidthRows() []app.UI {
	var rows []app.UI
	for _, r := range []float64{1, 100, 10000} {
		rows = append(rows, app.Div().Class("legend-row").Body(
			legendSample(42, 16, svgElem("line").Class("legend-width").
				Attr("x1", "2").Attr("y1", "8").Attr("x2", "40").Attr("y2", "8").
				Attr("stroke-width", fmtNum(EdgeWidth(r)))),
			app.Span().Text(FormatRate(r)),
		))
	}
	return rows
}

func legendKindRows() []app.UI {
	kinds := []graph.NodeKind{graph.NodeService, graph.NodeDatabase, graph.NodeMessaging, graph.NodeExternal, graph.NodeUser}
	var rows []app.UI
	for _, k := range kinds {
		outline, detail := NodeShape(k, 34, 18)
		shape := []app.UI{svgElem("path").Class("node-shape").Attr("d", outline)}
		if detail != "" {
			shape = append(shape, svgElem("path").Class("node-detail").Attr("d", detail))
		}
		cls := "node health-unknown kind-" + string(k)
		if k.IsVirtual() {
			cls += " virtual"
		}
		rows = append(rows, app.Div().Class("legend-row").Body(
			legendSample(42, 22, svgElem("g").Class(cls).Attr("transform", "translate(21,11)").Body(shape...)),
			app.Span().Text(string(k)),
		))
	}
	return rows
}

// HealthRuleText says from when an element has health h under rules:
// "errors ≥ 1% or p99 ≥ 250ms"; "" for the other states or unknown rules.
func HealthRuleText(rules *graph.HealthRules, h graph.Health) string {
	if rules == nil {
		return ""
	}
	rate, p99 := rules.ErrorRateDegraded, rules.P99DegradedMs
	switch h {
	case graph.HealthDegraded:
	case graph.HealthFailing:
		rate, p99 = rules.ErrorRateFailing, rules.P99FailingMs
	default:
		return ""
	}
	s := "errors ≥ " + FormatPercent(rate)
	if p99 > 0 {
		s += " or p99 ≥ " + FormatMillis(p99)
	}
	return s
}
