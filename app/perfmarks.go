package app

import "github.com/maxence-charriere/go-app/v10/pkg/app"

// User Timing entries of the steps between a stream message's arrival and
// the updated map, for browser profiles and the figures test. Each is a
// measure from the step's start to its end.
const (
	// measureDecode is decoding a stream message.
	measureDecode = "spanmap-decode"
	// measureApply is applying a message to the live state (graph.Apply
	// for a diff).
	measureApply = "spanmap-apply"
	// measureChanges is finding what changed for the highlights.
	measureChanges = "spanmap-changes"
	// measureRender is building the map page's tree (mapPage.Render and
	// the components it renders).
	measureRender = "spanmap-render"
)

// perfNow is performance.now() in a browser, 0 elsewhere.
func perfNow() float64 {
	if !app.IsClient {
		return 0
	}
	return app.Window().Get("performance").Call("now").Float()
}

// perfMeasure records a User Timing measure named name from start (a
// perfNow time) to now, in a browser.
func perfMeasure(name string, start float64) {
	if !app.IsClient {
		return
	}
	app.Window().Get("performance").Call("measure", name, map[string]any{"start": start})
}
