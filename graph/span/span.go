package span

import (
	"encoding/hex"
)

// TraceID is a 128-bit trace identifier. 64-bit IDs (Zipkin, old Jaeger) are
// stored right-aligned, with the high 8 bytes zero.
type TraceID [16]byte

// SpanID is a 64-bit span identifier; the zero value means "none".
type SpanID [8]byte

// IsZero reports whether the trace ID is all zeros (invalid).
func (t TraceID) IsZero() bool { return t == TraceID{} }

// String returns the trace ID as 32 lowercase hex digits.
func (t TraceID) String() string { return hex.EncodeToString(t[:]) }

// IsZero reports whether the span ID is all zeros (no span).
func (s SpanID) IsZero() bool { return s == SpanID{} }

// String returns the span ID as 16 lowercase hex digits.
func (s SpanID) String() string { return hex.EncodeToString(s[:]) }

// Kind is the role a span plays in a call, as in OpenTelemetry's SpanKind.
type Kind uint8

// Span kinds. KindUnspecified is what a decoder sets when the source has no
// kind (Zipkin spans without "kind", Jaeger spans without span.kind).
const (
	KindUnspecified Kind = iota
	KindInternal
	KindServer
	KindClient
	KindProducer
	KindConsumer
)

var kindNames = [...]string{"unspecified", "internal", "server", "client", "producer", "consumer"}

// String returns the lowercase kind name.
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "unknown"
}

// Link is a reference to a span, usually in another trace (OTLP links,
// Jaeger FOLLOWS_FROM references).
type Link struct {
	TraceID TraceID
	SpanID  SpanID
}

// Peer holds the attributes that name the remote side of a client or producer
// span. Empty strings mean "not set". Derivation picks a virtual node name from
// these in a configurable order.
type Peer struct {
	// Service is peer.service (OTel, Jaeger).
	Service string
	// RemoteService is Zipkin's remoteEndpoint.serviceName.
	RemoteService string
	// DBSystem is db.system / db.system.name (e.g. "postgresql", "redis").
	DBSystem string
	// DBName is db.name / db.namespace.
	DBName string
	// MessagingSystem is messaging.system (e.g. "kafka").
	MessagingSystem string
	// Destination is messaging.destination.name / messaging.destination.
	Destination string
	// ServerAddress is server.address (or http.host / host from http.url).
	ServerAddress string
	// NetPeerName is net.peer.name (older semantic conventions), or Zipkin
	// remoteEndpoint ipv4/ipv6 when no name is present.
	NetPeerName string
}

// IsZero reports whether no peer attribute is set.
func (p Peer) IsZero() bool { return p == Peer{} }

// Span is the normalised form every decoder produces and derivation consumes.
// Strings may share memory with the decoder's input buffers only if the
// decoder documents it; derivation interns what it keeps.
type Span struct {
	TraceID  TraceID
	SpanID   SpanID
	ParentID SpanID // zero when the span is a root
	// Shared marks the server half of a Zipkin RPC whose client and server
	// record the same span ID ("shared": true). Its parent is the client half
	// with the same SpanID.
	Shared bool
	// Links are span links (OTLP) and FOLLOWS_FROM references (Jaeger) other
	// than the one chosen as parent.
	Links []Link

	// Service is service.name / localEndpoint.serviceName /
	// process.serviceName. It is empty when the span has no local service of
	// its own (a Zipkin span without localEndpoint.serviceName); derivation
	// then attributes it to its nearest ancestor's service. Sources whose
	// convention names such spans (OTLP, Jaeger: "unknown_service") keep that
	// name.
	Service   string
	Namespace string // service.namespace, empty when absent
	Kind      Kind
	Name      string // operation name

	Start    int64 // start time, Unix nanoseconds
	Duration int64 // nanoseconds, >= 0

	// Error signals, filled by decoders; IsError combines them.
	StatusError bool  // OTLP status code ERROR
	ErrorTag    bool  // "error" tag/attribute present and not "false"
	HTTPStatus  int32 // http.status_code / http.response.status_code, 0 if absent
	GRPCStatus  int32 // rpc.grpc.status_code, 0 if absent or OK

	Peer Peer

	// SamplingProbability is the probability with which this span was
	// sampled, when the source carries it (OTel tracestate th, Jaeger
	// sampler.type=probabilistic + sampler.param); 0 means unknown.
	SamplingProbability float64
}

// IsError reports whether the span recorded a failure: OTLP status ERROR, an
// "error" tag, an HTTP status >= 500, or a non-OK gRPC status on a server span.
func (s *Span) IsError() bool {
	if s.StatusError || s.ErrorTag || s.HTTPStatus >= 500 {
		return true
	}
	return s.GRPCStatus != 0 && s.Kind == KindServer
}
