// Package zipkintest answers the two Zipkin v2 API calls a puller makes
// with one small trace, for tests of what spanmap does with a pulled
// source: frontend's root server span calls backend (a shared span).
package zipkintest

import (
	"fmt"
	"net/http"
	"time"
)

// Serve answers /api/v2/services and /api/v2/traces with the trace, its
// spans three seconds old (inside the window of a puller with a settle
// delay of a second or two); other paths are not found.
func Serve(w http.ResponseWriter, r *http.Request) {
	ts := time.Now().Add(-3 * time.Second).UnixMicro()
	switch r.URL.Path {
	case "/api/v2/services":
		fmt.Fprint(w, `["backend","frontend"]`)
	case "/api/v2/traces":
		fmt.Fprintf(w, `[[
{"traceId":"00000000000000a1","id":"00000000000000a1","kind":"SERVER","name":"get /","timestamp":%d,"duration":9000,"localEndpoint":{"serviceName":"frontend"}},
{"traceId":"00000000000000a1","parentId":"00000000000000a1","id":"00000000000000b2","kind":"CLIENT","name":"get /api","timestamp":%d,"duration":7000,"localEndpoint":{"serviceName":"frontend"}},
{"traceId":"00000000000000a1","parentId":"00000000000000a1","id":"00000000000000b2","kind":"SERVER","shared":true,"name":"get /api","timestamp":%d,"duration":5000,"localEndpoint":{"serviceName":"backend"}}]]`,
			ts, ts+100, ts+200)
	default:
		http.NotFound(w, r)
	}
}
