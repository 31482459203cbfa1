// Package browser holds spanmap's end-to-end tests of the web UI in a real
// browser. Each test starts a spanmap server in-process on loopback ports,
// feeds it spans over OTLP/HTTP with the OpenTelemetry SDK exporter, opens
// the page in headless Chromium through the DevTools protocol (chromedp)
// and checks what the WebAssembly app draws against the server's REST API.
//
// The package has only tests. TestMain compiles the browser app
// (GOOS=js GOARCH=wasm) from the working tree into a temporary web
// directory, so the tests always run the current app code.
//
// Environment:
//
//	SPANMAP_BROWSER_TESTS=1   fail, instead of skipping, when Chromium is missing
//	SPANMAP_CHROMIUM=PATH     the browser to run (default: chromium on PATH)
//	SPANMAP_E2E_ARTIFACTS=DIR where failure screenshots go (default: the test's temp dir)
//	SPANMAP_SCREENSHOTS=1     regenerate the README images under docs/img/
//	SPANMAP_BROWSER_BENCH=1   measure first render and diff application, logged as figures
//	SPANMAP_E2E_SERVER_LOG=1  with -v, print the in-process server's log
//
// Run them with `go test -count=1 -v ./e2e/browser/`.
package browser
