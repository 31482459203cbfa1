// Package zipkin talks to Zipkin: it receives spans posted to
// POST /api/v2/spans in Zipkin's v2 JSON (and proto3) encoding, as Zipkin
// reporters send them, and pulls traces from a Zipkin server's v2 API.
package zipkin
