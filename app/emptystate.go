package app

import (
	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

// emptyState fills the map area when there is nothing to draw, saying why
// and what to do.
type emptyState struct {
	app.Compo

	// State is why the map is empty.
	State pageState
	// Err is the connection error, for stateOffline.
	Err string
	// ResetURL is the link to the unfiltered map, for stateFiltered.
	ResetURL string
}

// newEmptyState returns the "connecting" state.
func newEmptyState() *emptyState { return &emptyState{State: stateConnecting} }

// Render draws the message.
func (s *emptyState) Render() app.UI {
	switch s.State {
	case stateNoData:
		return app.Div().Class("empty-state").Role("status").Body(
			app.H2().Text("No traffic yet"),
			app.P().Body(
				app.Text("no spans received yet: point an OTLP exporter at "),
				app.Code().Text("http://127.0.0.1:4318/v1/traces"),
				app.Text(" or run "),
				app.Code().Text("spanmap demo"),
			),
		)
	case stateFiltered:
		return app.Div().Class("empty-state").Role("status").Body(
			app.H2().Text("Nothing matches this view"),
			app.P().Text("The filters or the focus leave no service in this window."),
			app.A().Class("button").Href(s.ResetURL).Text("show the whole map"),
		)
	case stateOffline:
		return app.Div().Class("empty-state error").Role("alert").Body(
			app.H2().Text("Cannot reach the spanmap server"),
			app.P().Class("muted").Text(s.Err),
			app.P().Text("Retrying automatically."),
		)
	default:
		return app.Div().Class("empty-state").Role("status").Body(
			app.Div().Class("spinner").Aria("hidden", "true"),
			app.P().Text("connecting to the live map…"),
		)
	}
}
