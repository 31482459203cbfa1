package demo

import (
	"strconv"

	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
)

// schemaURL is the semantic conventions version the attributes follow.
const schemaURL = "https://opentelemetry.io/schemas/1.26.0"

// Span flags: W3C sampled, and whether the parent context was remote.
const (
	flagsSampled  = 0x01
	flagHasRemote = 0x100
	flagRemote    = 0x200
)

// Ports the demo services listen on.
const (
	httpPort = 8080
	grpcPort = 9090
)

// scopeKind is the instrumentation library that records a span.
type scopeKind uint8

const (
	scopeHTTP scopeKind = iota
	scopeGRPC
	scopeSQL
	scopeRedis
	scopeKafka
	scopeApp // manual instrumentation in the service itself
	nScopes
)

var scopeNames = [nScopes][2]string{
	scopeHTTP:  {"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp", "0.61.0"},
	scopeGRPC:  {"go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc", "0.61.0"},
	scopeSQL:   {"github.com/XSAM/otelsql", "0.38.0"},
	scopeRedis: {"github.com/redis/go-redis/extra/redisotel/v9", "9.7.0"},
	scopeKafka: {"github.com/IBM/sarama/otelsarama", "0.3.0"},
}

// scope returns the InstrumentationScope of kind sc for svc.
func (sc scopeKind) scope(svc *service) *commonpb.InstrumentationScope {
	if sc == scopeApp {
		return &commonpb.InstrumentationScope{Name: "shop/" + svc.name, Version: svc.version}
	}
	return &commonpb.InstrumentationScope{Name: scopeNames[sc][0], Version: scopeNames[sc][1]}
}

// scope returns the instrumentation that records an endpoint's spans.
func (p protocol) scope() scopeKind {
	switch p {
	case protoHTTP:
		return scopeHTTP
	case protoGRPC:
		return scopeGRPC
	}
	return scopeKafka
}

// scope returns the instrumentation that records calls to a peer kind.
func (k peerKind) scope() scopeKind {
	switch k {
	case peerPostgres:
		return scopeSQL
	case peerRedis:
		return scopeRedis
	case peerKafka:
		return scopeKafka
	case peerHTTPS:
		return scopeHTTP
	}
	return scopeApp
}

func str(k, v string) *commonpb.KeyValue {
	return &commonpb.KeyValue{Key: k, Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: v}}}
}

func num(k string, v int64) *commonpb.KeyValue {
	return &commonpb.KeyValue{Key: k, Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_IntValue{IntValue: v}}}
}

// resourceOf describes the process of an instance.
func resourceOf(in *instance) *resourcepb.Resource {
	return &resourcepb.Resource{Attributes: []*commonpb.KeyValue{
		str("service.name", in.svc.name),
		str("service.namespace", in.svc.namespace),
		str("service.version", in.svc.version),
		str("service.instance.id", in.id),
		str("host.name", in.id),
		str("k8s.namespace.name", in.svc.namespace),
		str("k8s.pod.name", in.id),
		str("deployment.environment.name", "demo"),
		str("telemetry.sdk.name", "opentelemetry"),
		str("telemetry.sdk.language", "go"),
		str("telemetry.sdk.version", "1.36.0"),
	}}
}

// spanFlags returns the OTLP flags of a span whose parent is remote or not.
func spanFlags(remoteParent bool) uint32 {
	if remoteParent {
		return flagsSampled | flagHasRemote | flagRemote
	}
	return flagsSampled | flagHasRemote
}

// httpStatus maps a fault to an HTTP response status.
func httpStatus(method string, f fault) int64 {
	switch f {
	case faultInternal:
		return 500
	case faultUnavailable:
		return 503
	}
	if method == "POST" {
		return 201
	}
	return 200
}

// grpcStatus maps a fault to a gRPC status code.
func grpcStatus(f fault) int64 {
	switch f {
	case faultInternal:
		return 13 // INTERNAL
	case faultUnavailable:
		return 14 // UNAVAILABLE
	}
	return 0
}

// setError marks sp as failed with message.
func setError(sp *tracepb.Span, message string) {
	sp.Status = &tracepb.Status{Code: tracepb.Status_STATUS_CODE_ERROR, Message: message}
}

// addException records an exception event; its time is set to the span's
// end when the trace is finished.
func addException(sp *tracepb.Span, typ, message string) {
	sp.Events = append(sp.Events, &tracepb.Span_Event{Name: "exception", Attributes: []*commonpb.KeyValue{
		str("exception.type", typ),
		str("exception.message", message),
	}})
}

// faultMessage describes a failed server operation.
func faultMessage(p protocol, f fault) string {
	switch {
	case f == faultUnavailable && p == protoGRPC:
		return "upstream unavailable"
	case f == faultUnavailable:
		return "503 Service Unavailable"
	case p == protoGRPC:
		return "internal error"
	}
	return "500 Internal Server Error"
}

var userAgents = [...]string{
	"Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
	"Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15",
	"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36",
	"Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148",
}

// serverSpan builds the server (or consumer) span of endpoint e.
func (b *builder) serverSpan(e *endpoint, tid, sid, parent []byte, link *tracepb.Span_Link, path string, f fault, own bool) *tracepb.Span {
	sp := &tracepb.Span{TraceId: tid, SpanId: sid, ParentSpanId: parent, Name: e.name(), Flags: spanFlags(parent != nil)}
	switch e.proto {
	case protoHTTP:
		sp.Kind = tracepb.Span_SPAN_KIND_SERVER
		host, scheme := e.svc.host(), "http"
		if parent == nil {
			host, scheme = "shop.example.com", "https"
		}
		sp.Attributes = []*commonpb.KeyValue{
			str("http.request.method", e.method),
			str("http.route", e.route),
			str("url.path", path),
			str("url.scheme", scheme),
			str("server.address", host),
			num("server.port", httpPort),
			str("network.protocol.version", "1.1"),
			num("http.response.status_code", httpStatus(e.method, f)),
		}
		if parent == nil {
			sp.Attributes = append(sp.Attributes,
				str("client.address", "203.0.113."+strconv.Itoa(1+b.r.IntN(254))),
				str("user_agent.original", userAgents[b.r.IntN(len(userAgents))]))
		}
	case protoGRPC:
		sp.Kind = tracepb.Span_SPAN_KIND_SERVER
		sp.Attributes = []*commonpb.KeyValue{
			str("rpc.system", "grpc"),
			str("rpc.service", e.route),
			str("rpc.method", e.method),
			num("rpc.grpc.status_code", grpcStatus(f)),
			str("server.address", e.svc.host()),
			num("server.port", grpcPort),
		}
	default:
		sp.Kind = tracepb.Span_SPAN_KIND_CONSUMER
		sp.Attributes = []*commonpb.KeyValue{
			str("messaging.system", "kafka"),
			str("messaging.destination.name", e.route),
			str("messaging.operation.type", "process"),
			str("messaging.operation.name", "process"),
			str("messaging.consumer.group.name", e.method),
		}
	}
	if link != nil {
		sp.Links = []*tracepb.Span_Link{link}
	}
	if f != faultNone {
		msg := faultMessage(e.proto, f)
		setError(sp, msg)
		if own {
			addException(sp, "*errors.errorString", msg)
		}
	}
	return sp
}

// setMessage adds the consumed record's coordinates to a consumer span.
func setMessage(sp *tracepb.Span, m message) {
	sp.Attributes = append(sp.Attributes,
		str("messaging.destination.partition.id", strconv.FormatInt(m.partition, 10)),
		num("messaging.kafka.offset", m.offset),
		str("messaging.kafka.message.key", m.key))
}

// internalSpan builds the internal span that wraps an endpoint's calls.
func internalSpan(e *endpoint, tid, sid, parent []byte, f fault) *tracepb.Span {
	sp := &tracepb.Span{TraceId: tid, SpanId: sid, ParentSpanId: parent, Name: e.internal,
		Kind: tracepb.Span_SPAN_KIND_INTERNAL, Flags: spanFlags(false)}
	if f != faultNone {
		setError(sp, "downstream call failed")
	}
	return sp
}

// rpcClientSpan builds the client span of a call to an instrumented service.
func (b *builder) rpcClientSpan(c *call, inst *instance, tid, sid, parent []byte, path string, f fault, attempt int) *tracepb.Span {
	callee := c.to
	sp := &tracepb.Span{TraceId: tid, SpanId: sid, ParentSpanId: parent, Kind: tracepb.Span_SPAN_KIND_CLIENT, Flags: spanFlags(false)}
	host := callee.svc.host()
	if callee.proto == protoHTTP {
		sp.Name = callee.method + " " + callee.route
		sp.Attributes = []*commonpb.KeyValue{
			str("http.request.method", callee.method),
			str("url.full", "http://"+host+":"+strconv.Itoa(httpPort)+path),
			str("url.template", callee.route),
			str("server.address", host),
			num("server.port", httpPort),
			num("http.response.status_code", httpStatus(callee.method, f)),
		}
		if attempt > 0 {
			sp.Attributes = append(sp.Attributes, num("http.request.resend_count", int64(attempt)))
		}
	} else {
		sp.Name = callee.name()
		sp.Attributes = []*commonpb.KeyValue{
			str("rpc.system", "grpc"),
			str("rpc.service", callee.route),
			str("rpc.method", callee.method),
			num("rpc.grpc.status_code", grpcStatus(f)),
			str("server.address", host),
			num("server.port", grpcPort),
		}
	}
	if inst.svc.peerAttr {
		sp.Attributes = append(sp.Attributes, str("peer.service", callee.svc.name))
	}
	if f != faultNone {
		setError(sp, faultMessage(callee.proto, f))
	}
	return sp
}

// peerSpan builds the client span of a call to an uninstrumented peer.
func peerSpan(c *call, inst *instance, tid, sid, parent []byte, f fault, attempt int) *tracepb.Span {
	p := c.peer
	sp := &tracepb.Span{TraceId: tid, SpanId: sid, ParentSpanId: parent, Kind: tracepb.Span_SPAN_KIND_CLIENT, Flags: spanFlags(false)}
	addr := []*commonpb.KeyValue{str("server.address", p.address), num("server.port", p.port)}
	if p.name != "" {
		addr = append(addr, str("peer.service", p.name))
	}
	switch p.kind {
	case peerPostgres:
		sp.Name = c.op + " " + c.target
		sp.Attributes = append([]*commonpb.KeyValue{
			str("db.system", p.system),
			str("db.name", c.dbName),
			str("db.operation.name", c.op),
			str("db.collection.name", c.target),
			str("db.query.text", c.query),
			str("db.user", inst.svc.name),
		}, addr...)
		if f != faultNone {
			sp.Attributes = append(sp.Attributes, str("error.type", "40P01"))
			setError(sp, "ERROR: deadlock detected (SQLSTATE 40P01)")
		}
	case peerRedis:
		sp.Name = c.op
		sp.Attributes = append([]*commonpb.KeyValue{
			str("db.system", p.system),
			str("db.operation.name", c.op),
			str("db.query.text", c.query),
		}, addr...)
		if f != faultNone {
			sp.Attributes = append(sp.Attributes, str("error.type", "i/o timeout"))
			setError(sp, "redis: i/o timeout")
		}
	case peerHTTPS:
		sp.Name = c.op + " " + c.target
		status := httpStatus(c.op, f)
		sp.Attributes = append([]*commonpb.KeyValue{
			str("http.request.method", c.op),
			str("url.full", "https://"+p.address+c.target),
			str("url.template", c.target),
			num("http.response.status_code", status),
		}, addr...)
		if attempt > 0 {
			sp.Attributes = append(sp.Attributes, num("http.request.resend_count", int64(attempt)))
		}
		if f != faultNone {
			sp.Attributes = append(sp.Attributes, str("error.type", strconv.FormatInt(status, 10)))
			setError(sp, "503 Service Unavailable")
		}
	default: // SMTP
		sp.Name = "smtp " + c.op
		sp.Attributes = append([]*commonpb.KeyValue{
			str("network.protocol.name", "smtp"),
			str("network.transport", "tcp"),
		}, addr...)
		if f != faultNone {
			sp.Attributes = append(sp.Attributes, str("error.type", "421"))
			setError(sp, "421 4.3.2 Service not available")
		}
	}
	return sp
}

// producerSpan builds the span of a Kafka publish.
func producerSpan(c *call, tid, sid, parent []byte, partition int64, key string, f fault) *tracepb.Span {
	sp := &tracepb.Span{TraceId: tid, SpanId: sid, ParentSpanId: parent, Kind: tracepb.Span_SPAN_KIND_PRODUCER,
		Name: "send " + c.dbName, Flags: spanFlags(false)}
	sp.Attributes = []*commonpb.KeyValue{
		str("messaging.system", c.peer.system),
		str("messaging.destination.name", c.dbName),
		str("messaging.operation.type", "send"),
		str("messaging.operation.name", "send"),
		str("messaging.destination.partition.id", strconv.FormatInt(partition, 10)),
		str("messaging.kafka.message.key", key),
		str("server.address", c.peer.address),
		num("server.port", c.peer.port),
	}
	if f != faultNone {
		sp.Attributes = append(sp.Attributes, str("error.type", "kafka.NotLeaderForPartition"))
		setError(sp, "kafka: NOT_LEADER_FOR_PARTITION")
	}
	return sp
}
