// Package span defines the normalised span model that every decoder (OTLP,
// Zipkin, Jaeger) produces and that derivation turns into service-graph edges.
// It is standard-library only.
package span
