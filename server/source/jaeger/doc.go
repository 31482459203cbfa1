// Package jaeger pulls traces from a Jaeger query service for the generic
// poller (server/poll). A Puller speaks one of three query APIs, chosen by
// Config.Protocol:
//
//   - api_v3, the HTTP gateway of Jaeger's v3 query API:
//     GET /api/v3/services answers {"services":[...]} and
//     GET /api/v3/traces?query.service_name=&query.start_time_min=&query.start_time_max=&query.num_traces=
//     answers OTLP/JSON TracesData wrapped as {"result":{"resourceSpans":[...]}}.
//     Jaeger 2.13 sends every matching trace in one such object; a stream of
//     several objects is read the same way. When nothing matches it answers
//     404 with the gateway error object
//     {"error":{"httpCode":404,"message":"No traces found"}}, which is an
//     empty result, not a failure; other errors use the same object with
//     their status (400 for a bad parameter, 500 for a storage error).
//   - api_v2_grpc, Jaeger's api_v2 QueryService over gRPC (jaeger-idl):
//     GetServices, and FindTraces, which streams SpansResponseChunks of at
//     most ten spans each, every span carrying its process. The chunks are
//     re-encoded and decoded by graph/decode's Jaeger protobuf decoder, the
//     one conversion path from Jaeger's model to spans.
//   - legacy, the HTTP API the Jaeger UI uses: GET /api/services and
//     GET /api/traces?service=&start=&end=&limit= (microseconds), answering
//     {"data":[trace...],"errors":null}; errors come as
//     {"data":null,"errors":[{"code":500,"msg":"..."}]}.
//
// With auto (the default), a grpc:// or grpcs:// URL selects api_v2 gRPC; an
// http(s) URL probes /api/v3/services once and falls back to the legacy API
// when that answers 404 or something that is not the v3 services object
// (Jaeger's UI answers unknown paths with its HTML page and status 200).
// Until a probe gets an answer, every poll probes again.
//
// Query windows are half-open [From, To). The v3 and gRPC queries carry
// nanoseconds, so To is sent as To-1ns (Jaeger's bounds are inclusive). The
// legacy API takes whole microseconds; its window is widened to whole
// microseconds so no span falls between two polls, and a trace at the shared
// microsecond is counted once by the poller's de-duplication.
//
// Jaeger returns whole traces, whatever service was asked for, after its
// query adjusters (clock-skew correction, Zipkin client/server halves that
// share a span ID given distinct IDs); Traces splits the spans by trace ID. Dependencies reads Jaeger's own /api/dependencies
// (or GetDependencies over gRPC): a fallback topology with call counts and
// no latency.
//
// # Errors
//
// Every error names the API path or gRPC method it came from, and the poller
// adds the source's name and the service ("fetch traces of frontend from
// jaeger: ..."):
//
//   - a backend that is down: "jaeger /api/v3/services: Get ...: connect:
//     connection refused", or over gRPC "jaeger
//     /jaeger.api_v2.QueryService/GetServices: rpc error: code = Unavailable
//     ...";
//   - an error answer: "jaeger /api/traces: 500 Internal Server Error:
//     <Jaeger's message>", the message taken from Jaeger's error object, or
//     the gRPC status ("code = Internal desc = ...");
//   - no answer within Config.Conn.Timeout: "jaeger <path>: timed out: ...";
//   - a response that cannot be decoded (truncated JSON, a span without a
//     trace ID): "jaeger <path>: malformed response: <decoder error>",
//     wrapping ErrMalformed, and counted by Malformed;
//   - a response over Config.MaxResponseBytes: wrapping ErrTooLarge.
//
// None of them stops the poller: it reports the source degraded, then down
// after repeated failures, backs off, and resumes from the same window once
// Jaeger answers again. A grpc connection reconnects within seconds
// (backoff capped at 5 s).
//
// Responses are bounded by Config.MaxResponseBytes (for gRPC: the sum of
// one stream's chunks), each request by the connection timeout and the
// caller's context.
package jaeger
