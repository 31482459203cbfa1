// Package poll pulls traces from tracing backends that only answer queries
// (Jaeger, Zipkin, Tempo). It owns the small Backend interface each backend
// package implements (list services, find traces of a service in a time
// window) and does everything generic: a moving window that trails "now" by a
// settle delay so late spans have arrived, de-duplication of traces across
// services and polls, narrowing the window when a result cap is hit, capped
// exponential backoff with jitter when the backend fails, and an honest
// status: state, last success and error, lag, traces fetched, caps hit and
// polls behind.
//
// A failed query fails the poll and the window is retried, so nothing is
// lost while a backend is down, slow or failing with server errors. The
// exception is an answer that arrived but cannot be decoded (an error
// wrapping ErrMalformed, such as a corrupt trace in the backend): it would
// come again on every retry, so after Config.SkipMalformedAfter such
// answers in a row for the same service and window, that service's window
// is skipped, the other services' traces are kept and the window advances;
// the skip is logged, counted in Status.SkippedWindows and leaves the
// source degraded until a poll without one.
package poll
