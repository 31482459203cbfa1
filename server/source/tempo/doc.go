// Package tempo pulls traces from Grafana Tempo over its HTTP query API.
//
// A Puller implements poll.Backend: Services lists the values of
// resource.service.name (GET /api/v2/search/tag/resource.service.name/values,
// or /api/search/tag/service.name/values on Tempo versions without the v2
// tag API); Traces runs the TraceQL search
// { resource.service.name = "<service>" } over the poll window
// (GET /api/search?q=&start=&end=&limit=&spss=) and then fetches every trace
// found by ID as OTLP protobuf (GET /api/v2/traces/<id>, or /api/traces/<id>
// with Config.TraceAPI v1), a bounded number at a time. The tenant is sent
// as X-Scope-OrgID.
//
// Tempo's search takes whole seconds, so a window is widened to the seconds
// around it; the poller's de-duplication drops traces fetched twice. Traces
// listed by the search but no longer found by ID are skipped and counted
// (Missing); traces Tempo returns partially (larger than its per-trace
// limit) are used as they are and counted (Partial).
package tempo
