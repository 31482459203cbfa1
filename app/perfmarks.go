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
	// measureDispatch is the wait of a decoded message for the UI
	// goroutine.
	measureDispatch = "spanmap-dispatch"
	// measureFrameWait is the wait from a handled message to go-app's
	// next frame, which updates the page.
	measureFrameWait = "spanmap-frame-wait"
	// measureUpdate is go-app's update of the page (its Render, those of
	// the components whose fields changed, and the DOM changes), up to
	// the drawing of the map layers.
	measureUpdate = "spanmap-page-update"
	// measureDescribe, measureCompare and measureFlush are the parts of
	// drawing the map layers (layersMeasure): describing the elements,
	// comparing them with the drawn ones, and applying the DOM operations.
	measureDescribe = "spanmap-layers-describe"
	measureCompare  = "spanmap-layers-compare"
	measureFlush    = "spanmap-layers-flush"
)

// perfNow is performance.now() in a browser, 0 elsewhere.
func perfNow() float64 {
	if !app.IsClient {
		return 0
	}
	return perfJS()[0].Invoke().Float()
}

// perfMeasure records a User Timing measure named name from start (a
// perfNow time) to now, in a browser.
func perfMeasure(name string, start float64) {
	if !app.IsClient {
		return
	}
	perfJS()[1].Invoke(name, start)
}

// perfFuncs are performance.now and a performance.measure from a start
// time, as JavaScript functions of their own: a live update records a
// dozen measures, and going through window.performance and an options
// object made from Go each time costs several calls into JavaScript.
var perfFuncs [2]app.Value

func perfJS() [2]app.Value {
	if perfFuncs[0] == nil {
		fs := app.Window().Get("Function").New(`const p = performance;
return [() => p.now(), (name, start) => { p.measure(name, {start}); }];`).Invoke()
		perfFuncs = [2]app.Value{fs.Index(0), fs.Index(1)}
	}
	return perfFuncs
}

// handledAt is when the latest message that changed the map was handled,
// until the page renders; updateAt is when the page began rendering after
// such a message, until the map layers are drawn. Both are 0 when not
// pending.
var handledAt, updateAt float64

// pageRendering records the wait for the frame when a message is pending,
// and starts the page update measure.
func pageRendering() {
	if handledAt > 0 {
		perfMeasureSince(measureFrameWait, &handledAt)
		updateAt = perfNow()
	}
}

// perfMeasureSince records a measure named name from *start, when set,
// to now, and clears *start.
func perfMeasureSince(name string, start *float64) {
	if *start > 0 {
		perfMeasure(name, *start)
		*start = 0
	}
}
