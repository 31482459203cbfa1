// Package derive turns spans into service-graph calls (Observations).
//
// A Deriver keeps a pairing store of recent spans keyed by trace ID and span
// ID. Spans arrive in any order, in any number of Add calls; a child whose
// parent has not arrived yet waits in an index and is resolved the moment the
// parent comes. A client span and its server child become one paired call as
// soon as both are present. Everything that depends on a span being absent
// (calls to uninstrumented peers, calls from the virtual user node, calls
// whose caller is found by walking up through internal spans) is settled when
// the span leaves the store: on TTL expiry (Expire), when the store is full
// and the oldest span is evicted, or at the end of the input (Flush).
//
// The store holds compact, pointer-free records in a chunked ring in insertion
// order, so the oldest record is always the head; two open-addressing tables
// index records by (trace, span, shared half) and waiting children by (trace,
// parent). Strings are interned to small integers.
//
// The derivation rules, and where they differ from Zipkin's dependency linker,
// the OpenTelemetry Collector servicegraph connector and Jaeger, are described
// in the project's ARCHITECTURE.md ("Deriving the topology").
package derive
