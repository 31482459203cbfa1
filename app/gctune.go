package app

import (
	"runtime/debug"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

// Garbage collection in the browser. WebAssembly runs the collector on the
// page's only thread, and a collection in the middle of a live update
// delays the map by tens of milliseconds on a large graph, so the browser
// build collects less often than the default (100), while a soft memory
// limit keeps the heap of a very large map in check.
const (
	browserGCPercent   = 400
	browserMemoryLimit = 768 << 20
)

func init() {
	if app.IsClient {
		debug.SetGCPercent(browserGCPercent)
		debug.SetMemoryLimit(browserMemoryLimit)
	}
}
