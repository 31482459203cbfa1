// Package compare answers "what changed": it compares the snapshot of one
// View over two time ranges and reports added and removed nodes and edges,
// and those whose errors, latency or traffic changed beyond thresholds,
// ranked by significance.
//
// It imports only the standard library and graph, so the browser app can
// decode the API's JSON (Result) into these types.
package compare
