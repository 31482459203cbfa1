// Package otlp receives spans pushed over the OpenTelemetry protocol: OTLP/HTTP
// (POST /v1/traces, binary protobuf or JSON, optionally gzip) and OTLP/gRPC
// (TraceService/Export). Both decode with graph/decode and hand spans to a
// Sink; a full sink is answered with the retryable statuses the OTLP
// specification defines (HTTP 503 + Retry-After, gRPC UNAVAILABLE with
// RetryInfo), so exporters retry and nothing accepted is lost.
package otlp
