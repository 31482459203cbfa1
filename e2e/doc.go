// Package e2e holds spanmap's integration tests against real backends. They
// build only with the e2e tag and expect the backends build/e2e.sh starts
// (`make e2e`): a real Jaeger v2 with in-memory storage, its addresses and
// the HotROD binary passed in E2E_* environment variables.
//
// The Jaeger test sends traces to Jaeger three ways (OTLP/gRPC and
// OTLP/HTTP through the OpenTelemetry SDK, Zipkin v2 JSON through zipkin-go's
// reporter, and HotROD's own instrumentation), pulls them back with
// spanmap's Jaeger puller over each query API (api_v3, api_v2 gRPC, legacy)
// through the poller, the ingest pipeline and the aggregator, the path
// `spanmap serve` uses, and checks the service-to-service edges against
// Jaeger's own /api/dependencies.
package e2e
