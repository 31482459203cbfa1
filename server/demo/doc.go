// Package demo is spanmap's built-in demo system: a synthetic online shop of
// sixteen instrumented services (in the "shop" and "platform" namespaces)
// plus PostgreSQL, Redis, Kafka and external HTTP/SMTP peers, that emits
// realistic OpenTelemetry traces as OTLP protobuf.
//
// Users arrive at web-frontend as root server spans; calls go through
// api-gateway over HTTP and on to the backends over gRPC, with log-normal
// latencies and long tails, retries of unavailable upstreams, baseline
// errors, client/server clock skew, and Kafka messaging where one consumer is
// a child of the producer span and another starts a new trace linked to it;
// the payment-events topic has no traced consumer, so it shows on the map as
// an uninstrumented messaging node, as PostgreSQL, Redis and the external
// APIs do.
//
// A scripted incident cycle (Config.IncidentPeriod) gives every overlay
// something to show: an error burst on payment -> api.stripe-like.example, a
// latency spike on inventory -> PostgreSQL, and a new dependency
// recommendation -> ml-scoring that appears and goes away again. Each trace
// follows the incident active at its end time (Config.IncidentAt).
//
// Generation is deterministic for a given Config.Seed and sequence of Batch
// calls. Run ticks with Config.Interval, reads the clock through Config.Now,
// and hands each batch to a Sink: HTTPSink (OTLP/HTTP protobuf), GRPCSink
// (OTLP/gRPC) or any in-process SinkFunc.
package demo
