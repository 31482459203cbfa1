// Package decode turns tracing data files and payloads into normalised
// spans (span.Span): OTLP protobuf and OTLP/JSON, Zipkin v2 JSON and proto3,
// Jaeger query JSON and Jaeger's api_v2 protobuf model.
//
// # Streaming
//
// Stream reads any size of input with memory bounded by one unit: one OTLP
// ResourceSpans (read as a length-prefixed field of the top-level message,
// never more than Config.MaxMessageBytes), one Jaeger trace, one Zipkin span.
// Spans go to the caller in batches of Config.BatchSpans. Strings (service
// and operation names, kept attribute values) are copied out of the input and
// shared through a per-stream table, so decoding allocates little per span
// and the caller may keep the spans. Bytes decodes an in-memory payload the
// same way.
//
// # Formats
//
//   - otlp-proto: ExportTraceServiceRequest or TracesData (same layout).
//   - otlp-json: the same messages as the OTLP specification encodes them in
//     JSON: hex trace and span IDs, lowerCamelCase or proto field names,
//     64-bit integers as strings or numbers, enums as numbers or names. A file
//     may hold several objects, concatenated or one per line as the
//     Collector's file exporter writes them. Grafana Tempo's trace JSON is
//     accepted too: "batches" for resourceSpans, base64 IDs (told from hex by
//     their length) and the older instrumentationLibrarySpans.
//   - zipkin: Zipkin v2 JSON, an array of spans (or an array of such arrays,
//     as GET /api/v2/traces returns, or bare span objects). IDs of up to 32
//     (trace) or 16 (span) hex digits are left-padded, as Zipkin does.
//   - zipkin-proto: Zipkin's proto3 ListOfSpans.
//   - jaeger-json: Jaeger query responses {"data":[trace...]} or bare trace
//     objects, with spans naming processes from the trace's "processes" map.
//   - jaeger-proto: a Jaeger model.Trace or an api_v2 SpansResponseChunk.
//
// # Detection
//
// Detect and Stream with Auto look at the first bytes (after a UTF-8 byte
// order mark and white space); Stream and Bytes try the first 512 bytes, then
// four times more until they can tell, up to 64 KiB:
//
//   - '[' is Zipkin JSON.
//   - '{' is JSON; the first top-level name decides: resourceSpans,
//     resource_spans or batches is OTLP/JSON; data, traceID, spans, processes (and the
//     other Jaeger response names total, limit, offset, errors) are Jaeger
//     JSON; traceId, id, parentId, localEndpoint, remoteEndpoint, annotations
//     are a bare Zipkin span. Other names are skipped.
//   - gzip magic bytes: Stream decompresses, then looks again.
//   - Anything else is protobuf. It must start with field 1 (length-
//     delimited), which all four protobuf formats use for their items. The
//     fields of that first item are checked against three shapes: a Jaeger
//     Span (field 1 of 8 or 16 bytes, field 2 of 8 bytes, fields 3-12 with
//     Jaeger's wire types: field 5 varint, 6 and 7 messages), a Zipkin Span
//     (field 6 fixed64 timestamp, fields 4, 7, 12, 13 varints, IDs of 8 or 16
//     bytes) and an OTLP ResourceSpans (fields 1-3 only, all messages, field 1
//     shaped like a Resource). Real spans always differ somewhere: a Jaeger
//     span carries start_time as a message in field 6 where Zipkin has a
//     fixed64, and an OTLP resource is rarely exactly 16 bytes long followed by
//     an 8-byte scope. When several shapes fit the bytes seen, Jaeger wins over
//     OTLP, which wins over Zipkin.
//
// # Mapping
//
// All formats share one attribute mapping (OTLP attributes, Jaeger and
// Zipkin tags use the same keys); newer semantic-convention names win:
//
//	service.name, localEndpoint, process    Span.Service ("unknown_service" if absent;
//	                                        empty for Zipkin without a serviceName)
//	service.namespace                       Span.Namespace (resource, process or span)
//	peer.service                            Peer.Service
//	remoteEndpoint.serviceName (Zipkin)     Peer.RemoteService
//	db.system.name, db.system               Peer.DBSystem
//	db.namespace, db.name                   Peer.DBName
//	messaging.system                        Peer.MessagingSystem
//	messaging.destination.name, .destination Peer.Destination
//	server.address, http.host, host of url.full / http.url  Peer.ServerAddress
//	net.peer.name, peer.hostname, then the peer's address when no name
//	is present: network.peer.address, net.sock.peer.addr, net.peer.ip,
//	Zipkin remote ipv4/ipv6                 Peer.NetPeerName
//	http.response.status_code, http.status_code              HTTPStatus
//	rpc.grpc.status_code                    GRPCStatus
//	error (true, non-zero, or a string other than "false")   ErrorTag
//	OTLP status ERROR, otel.status_code=ERROR                StatusError
//	span.kind (when the format has no kind field of its own) Kind
//	OTel tracestate ot=th:<hex>             SamplingProbability = 1 - th/2^56
//	sampler.type=probabilistic + sampler.param             SamplingProbability
//	sampler.type=const with a true param    SamplingProbability = 1
//
// Jaeger references: the parent is the first CHILD_OF reference in the
// span's own trace, else its first other reference in that trace, as Jaeger's
// model does; every other reference becomes a Link. 64-bit trace IDs are
// stored right-aligned. Durations are clamped at zero.
//
// # Errors
//
// Malformed input yields an *Error naming the format, the byte offset and the
// span's index in the input, for example
//
//	zipkin: span 3 at byte 1042: traceId: invalid hex "xyz"
//
// A missing, malformed or all-zero trace ID or span ID is an error
// (ErrInvalidID). Decoders never panic, whatever the input.
package decode
