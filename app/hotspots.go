package app

import (
	"strconv"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
	"github.com/spanmap/spanmap/graph"
)

// hotspotsLimit is how many hotspots the panel lists.
const hotspotsLimit = 10

// hotspotsPanel lists the nodes and edges with the most failing traffic
// (RankHotspots); clicking one focuses the map on it.
type hotspotsPanel struct {
	app.Compo

	// Snapshot is the graph shown.
	Snapshot graph.Snapshot
	// Selected is the selected element, marked in the list.
	Selected Selection
	// Regressions are the edges whose p99 grew most against the previous
	// window (RankRegressions).
	Regressions []Regression
}

// newHotspotsPanel returns an empty hotspots panel.
func newHotspotsPanel() *hotspotsPanel { return &hotspotsPanel{} }

func (h *hotspotsPanel) onClick(ctx app.Context, e app.Event) {
	ds := ctx.JSSrc().Get("dataset")
	kind, id := ds.Get("kind"), ds.Get("id")
	if kind.Truthy() && id.Truthy() {
		ctx.NewActionWithValue(actionFocus, Selection{Kind: kind.String(), ID: id.String()})
	}
}

// Render draws the ranked list.
func (h *hotspotsPanel) Render() app.UI {
	spots := RankHotspots(h.Snapshot, hotspotsLimit)
	head := app.H2().Class("panel-title").Text("hotspots")
	if len(spots) == 0 {
		return app.Section().Class("panel hotspots").Body(head,
			app.P().Class("muted").Text("No failing calls in this window."),
			h.renderRegressions())
	}
	items := make([]app.UI, 0, len(spots))
	for i, s := range spots {
		st := HealthStyleOf(s.Health)
		cls := "hotspot clickable " + st.Class
		if h.Selected.Kind == s.Kind && h.Selected.ID == s.ID {
			cls += " selected"
		}
		items = append(items, app.Li().Class(cls).
			DataSet("kind", s.Kind).DataSet("id", s.ID).
			TabIndex(0).Aria("label", s.Label+", "+FormatPercent(s.ErrorRate)+" errors").
			OnClick(h.onClick).OnKeyDown(onEnter(h.onClick)).
			Body(
				app.Span().Class("rank").Text(strconv.Itoa(i+1)),
				app.Span().Class("hotspot-kind").Title(s.Kind).Text(map[string]string{KindNode: "●", KindEdge: "→"}[s.Kind]),
				app.Span().Class("hotspot-label").Title(s.Label).Text(s.Label),
				app.Span().Class("num err").Text(FormatPercent(s.ErrorRate)),
				app.Span().Class("num muted").Text(FormatRate(s.Rate)),
			))
	}
	return app.Section().Class("panel hotspots").Body(head,
		app.Ol().Class("plain-list hotspot-list").Body(items...),
		h.renderRegressions())
}

// renderRegressions lists the latency regressions against the previous
// window.
func (h *hotspotsPanel) renderRegressions() app.UI {
	head := app.H3().Text("slower than the previous window")
	if len(h.Regressions) == 0 {
		return app.Div().Class("regressions").Body(head,
			app.P().Class("muted").Text("No edge's p99 grew by half or more."))
	}
	items := make([]app.UI, 0, len(h.Regressions))
	for i, r := range h.Regressions {
		cls := "hotspot clickable regression"
		if h.Selected.Kind == KindEdge && h.Selected.ID == r.ID {
			cls += " selected"
		}
		items = append(items, app.Li().Class(cls).
			DataSet("kind", KindEdge).DataSet("id", r.ID).
			TabIndex(0).Aria("label", r.Label+", p99 "+FormatMillis(r.Before)+" to "+FormatMillis(r.After)).
			OnClick(h.onClick).OnKeyDown(onEnter(h.onClick)).
			Body(
				app.Span().Class("rank").Text(strconv.Itoa(i+1)),
				app.Span().Class("hotspot-kind").Title("p99 latency").Text("⏱"),
				app.Span().Class("hotspot-label").Title(r.Label).Text(r.Label),
				app.Span().Class("num err").Text("p99 ×"+strconv.FormatFloat(r.Ratio, 'f', 1, 64)),
				app.Span().Class("num muted").Text(FormatMillis(r.Before)+"→"+FormatMillis(r.After)),
			))
	}
	return app.Div().Class("regressions").Body(head, app.Ol().Class("plain-list hotspot-list").Body(items...))
}
