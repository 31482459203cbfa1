// Package poll pulls traces from tracing backends that only answer queries
// (Jaeger, Zipkin, Tempo). It owns the small Backend interface each backend
// package implements (list services, find traces of a service in a time
// window) and does everything generic: a moving window that trails "now" by a
// settle delay so late spans have arrived, de-duplication of traces across
// services and polls, narrowing the window when a result cap is hit, capped
// exponential backoff with jitter when the backend fails, and an honest
// status: state, last success and error, lag, traces fetched, caps hit and
// polls behind.
package poll
