package decode

import (
	"encoding/hex"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	jaeger "github.com/jaegertracing/jaeger-idl/model/v1"
	zipkinpb "github.com/openzipkin/zipkin-go/proto/zipkin_proto3"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/spanmap/spanmap/graph/span"
)

// kv is a test attribute; val is a string, int64, bool or float64.
type kv struct {
	key string
	val any
}

// lspan is a span of a test trace, written once and encoded into every
// binary format with that format's official Go types.
type lspan struct {
	service, namespace string
	name               string
	kind               span.Kind
	traceID            string // 32 hex digits
	id, parent         string // 16 hex digits
	startUs, durUs     int64
	attrs              []kv
	statusError        bool
}

// t0 is the start of the reference trace, in microseconds.
const t0 = 1700000000000000

// refTrace is the logical trace that testdata/trace.*.json spell out by hand.
func refTrace() []lspan {
	const tid = "5b8efff798038103d269b633813fc60c"
	return []lspan{
		{service: "frontend", name: "GET /checkout", kind: span.KindServer, traceID: tid, id: "1111111111111111",
			startUs: t0, durUs: 250000, attrs: []kv{{"http.method", "GET"}, {"http.response.status_code", int64(200)}}},
		{service: "frontend", name: "POST /pay", kind: span.KindClient, traceID: tid, id: "2222222222222222", parent: "1111111111111111",
			startUs: t0 + 10000, durUs: 120000, statusError: true,
			attrs: []kv{{"peer.service", "payment"}, {"http.status_code", int64(503)}, {"http.url", "http://payment:8080/pay?x=1"}}},
		{service: "payment", namespace: "shop", name: "POST /pay", kind: span.KindServer, traceID: tid, id: "3333333333333333", parent: "2222222222222222",
			startUs: t0 + 12000, durUs: 110000, attrs: []kv{{"http.status_code", int64(503)}, {"error", true}}},
		{service: "payment", namespace: "shop", name: "SELECT orders", kind: span.KindClient, traceID: tid, id: "4444444444444444", parent: "3333333333333333",
			startUs: t0 + 20000, durUs: 30000, attrs: []kv{{"db.system", "postgresql"}, {"db.name", "orders"}, {"server.address", "db.internal"}}},
		{service: "frontend", name: "orders publish", kind: span.KindProducer, traceID: tid, id: "5555555555555555", parent: "1111111111111111",
			startUs: t0 + 150000, durUs: 2000, attrs: []kv{{"messaging.system", "kafka"}, {"messaging.destination.name", "orders"}}},
		{service: "worker", name: "orders process", kind: span.KindConsumer, traceID: tid, id: "6666666666666666", parent: "5555555555555555",
			startUs: t0 + 180000, durUs: 40000, attrs: []kv{{"messaging.system", "kafka"}, {"messaging.destination", "orders"}, {"net.peer.name", "kafka-0"}}},
		{service: "worker", name: "inventory.Reserve", kind: span.KindClient, traceID: tid, id: "7777777777777777", parent: "6666666666666666",
			startUs: t0 + 190000, durUs: 15000, attrs: []kv{{"rpc.grpc.status_code", int64(14)}, {"peer.service", "inventory"}}},
	}
}

// refSpans is what every format must decode refTrace to, written by hand.
func refSpans() []span.Span {
	tid := mustTraceID("5b8efff798038103d269b633813fc60c")
	ms := int64(time.Millisecond)
	start := int64(t0) * 1000
	return []span.Span{
		{TraceID: tid, SpanID: mustSpanID("1111111111111111"), Service: "frontend", Kind: span.KindServer,
			Name: "GET /checkout", Start: start, Duration: 250 * ms, HTTPStatus: 200},
		{TraceID: tid, SpanID: mustSpanID("2222222222222222"), ParentID: mustSpanID("1111111111111111"), Service: "frontend",
			Kind: span.KindClient, Name: "POST /pay", Start: start + 10*ms, Duration: 120 * ms, StatusError: true, HTTPStatus: 503,
			Peer: span.Peer{Service: "payment", ServerAddress: "payment"}},
		{TraceID: tid, SpanID: mustSpanID("3333333333333333"), ParentID: mustSpanID("2222222222222222"), Service: "payment",
			Namespace: "shop", Kind: span.KindServer, Name: "POST /pay", Start: start + 12*ms, Duration: 110 * ms, ErrorTag: true, HTTPStatus: 503},
		{TraceID: tid, SpanID: mustSpanID("4444444444444444"), ParentID: mustSpanID("3333333333333333"), Service: "payment",
			Namespace: "shop", Kind: span.KindClient, Name: "SELECT orders", Start: start + 20*ms, Duration: 30 * ms,
			Peer: span.Peer{DBSystem: "postgresql", DBName: "orders", ServerAddress: "db.internal"}},
		{TraceID: tid, SpanID: mustSpanID("5555555555555555"), ParentID: mustSpanID("1111111111111111"), Service: "frontend",
			Kind: span.KindProducer, Name: "orders publish", Start: start + 150*ms, Duration: 2 * ms,
			Peer: span.Peer{MessagingSystem: "kafka", Destination: "orders"}},
		{TraceID: tid, SpanID: mustSpanID("6666666666666666"), ParentID: mustSpanID("5555555555555555"), Service: "worker",
			Kind: span.KindConsumer, Name: "orders process", Start: start + 180*ms, Duration: 40 * ms,
			Peer: span.Peer{MessagingSystem: "kafka", Destination: "orders", NetPeerName: "kafka-0"}},
		{TraceID: tid, SpanID: mustSpanID("7777777777777777"), ParentID: mustSpanID("6666666666666666"), Service: "worker",
			Kind: span.KindClient, Name: "inventory.Reserve", Start: start + 190*ms, Duration: 15 * ms, GRPCStatus: 14,
			Peer: span.Peer{Service: "inventory"}},
	}
}

func mustTraceID(s string) span.TraceID {
	var t span.TraceID
	b, err := hex.DecodeString(s)
	if err != nil || len(b) > 16 {
		panic("bad trace id " + s)
	}
	copy(t[16-len(b):], b)
	return t
}

func mustSpanID(s string) span.SpanID {
	var id span.SpanID
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != 8 {
		panic("bad span id " + s)
	}
	copy(id[:], b)
	return id
}

func hexBytes(s string) []byte {
	if s == "" {
		return nil
	}
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

// otlpAnyValue converts a test value with OTLP's official types.
func otlpAnyValue(v any) *commonpb.AnyValue {
	switch x := v.(type) {
	case string:
		return &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: x}}
	case int64:
		return &commonpb.AnyValue{Value: &commonpb.AnyValue_IntValue{IntValue: x}}
	case bool:
		return &commonpb.AnyValue{Value: &commonpb.AnyValue_BoolValue{BoolValue: x}}
	case float64:
		return &commonpb.AnyValue{Value: &commonpb.AnyValue_DoubleValue{DoubleValue: x}}
	}
	panic("unsupported value")
}

func otlpAttrs(kvs []kv) []*commonpb.KeyValue {
	var out []*commonpb.KeyValue
	for _, a := range kvs {
		out = append(out, &commonpb.KeyValue{Key: a.key, Value: otlpAnyValue(a.val)})
	}
	return out
}

// otlpTraces encodes spans as an OTLP TracesData, one ResourceSpans per run
// of spans with the same service.
func otlpTraces(spans []lspan) *tracepb.TracesData {
	td := &tracepb.TracesData{}
	var rs *tracepb.ResourceSpans
	for _, s := range spans {
		if rs == nil || rs.Resource.Attributes[0].Value.GetStringValue() != s.service {
			res := []kv{{"service.name", s.service}, {"host.name", "node-1"}}
			if s.namespace != "" {
				res = append(res, kv{"service.namespace", s.namespace})
			}
			rs = &tracepb.ResourceSpans{
				Resource:   &resourcepb.Resource{Attributes: otlpAttrs(res)},
				ScopeSpans: []*tracepb.ScopeSpans{{Scope: &commonpb.InstrumentationScope{Name: "test", Version: "1.0"}}},
				SchemaUrl:  "https://opentelemetry.io/schemas/1.26.0",
			}
			td.ResourceSpans = append(td.ResourceSpans, rs)
		}
		ps := &tracepb.Span{
			TraceId:           hexBytes(s.traceID),
			SpanId:            hexBytes(s.id),
			ParentSpanId:      hexBytes(s.parent),
			Name:              s.name,
			Kind:              tracepb.Span_SpanKind(s.kind),
			StartTimeUnixNano: uint64(s.startUs * 1000),
			EndTimeUnixNano:   uint64((s.startUs + s.durUs) * 1000),
			Attributes:        otlpAttrs(s.attrs),
			Events:            []*tracepb.Span_Event{{Name: "ev", TimeUnixNano: uint64(s.startUs * 1000), Attributes: otlpAttrs([]kv{{"error", true}})}},
			Flags:             0x101,
		}
		if s.statusError {
			ps.Status = &tracepb.Status{Code: tracepb.Status_STATUS_CODE_ERROR, Message: "failed"}
		}
		ss := rs.ScopeSpans[0]
		ss.Spans = append(ss.Spans, ps)
	}
	return td
}

func marshalOTLP(t testing.TB, td *tracepb.TracesData) []byte {
	t.Helper()
	b, err := proto.Marshal(td)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// jaegerKV converts a test value with Jaeger's official types.
func jaegerKV(a kv) jaeger.KeyValue {
	switch x := a.val.(type) {
	case string:
		return jaeger.String(a.key, x)
	case int64:
		return jaeger.Int64(a.key, x)
	case bool:
		return jaeger.Bool(a.key, x)
	case float64:
		return jaeger.Float64(a.key, x)
	}
	panic("unsupported value")
}

func jaegerTraceID(s string) jaeger.TraceID {
	t, err := jaeger.TraceIDFromString(s)
	if err != nil {
		panic(err)
	}
	return t
}

func jaegerSpanID(s string) jaeger.SpanID {
	id, err := jaeger.SpanIDFromString(s)
	if err != nil {
		panic(err)
	}
	return id
}

// jaegerSpans encodes spans with Jaeger's model: tags carry span.kind and
// otel.status_code as Jaeger's OTLP translation writes them.
func jaegerSpans(spans []lspan, inline bool) *jaeger.Trace {
	tr := &jaeger.Trace{}
	pids := map[string]string{}
	for _, s := range spans {
		pid, ok := pids[s.service]
		proc := &jaeger.Process{ServiceName: s.service, Tags: []jaeger.KeyValue{jaeger.String("hostname", "node-1")}}
		if s.namespace != "" {
			proc.Tags = append(proc.Tags, jaeger.String("service.namespace", s.namespace))
		}
		if !ok {
			pid = "p" + string(rune('1'+len(pids)))
			pids[s.service] = pid
			tr.ProcessMap = append(tr.ProcessMap, jaeger.Trace_ProcessMapping{ProcessID: pid, Process: *proc})
		}
		js := &jaeger.Span{
			TraceID:       jaegerTraceID(s.traceID),
			SpanID:        jaegerSpanID(s.id),
			OperationName: s.name,
			Flags:         1,
			StartTime:     time.UnixMicro(s.startUs).UTC(),
			Duration:      time.Duration(s.durUs) * time.Microsecond,
			Logs:          []jaeger.Log{{Timestamp: time.UnixMicro(s.startUs).UTC(), Fields: []jaeger.KeyValue{jaeger.String("event", "x")}}},
		}
		if s.parent != "" {
			js.References = []jaeger.SpanRef{jaeger.NewChildOfRef(js.TraceID, jaegerSpanID(s.parent))}
		}
		js.Tags = append(js.Tags, jaeger.String("span.kind", s.kind.String()))
		for _, a := range s.attrs {
			js.Tags = append(js.Tags, jaegerKV(a))
		}
		if s.statusError {
			js.Tags = append(js.Tags, jaeger.String("otel.status_code", "ERROR"))
		}
		if inline {
			js.Process = proc
		} else {
			js.ProcessID = pid
		}
		tr.Spans = append(tr.Spans, js)
	}
	if inline {
		tr.ProcessMap = nil
	}
	return tr
}

// zipkinSpans encodes spans with Zipkin's proto3 types; Zipkin tags are
// strings, and the namespace travels as a tag.
func zipkinSpans(spans []lspan) *zipkinpb.ListOfSpans {
	out := &zipkinpb.ListOfSpans{}
	kinds := map[span.Kind]zipkinpb.Span_Kind{span.KindClient: zipkinpb.Span_CLIENT, span.KindServer: zipkinpb.Span_SERVER,
		span.KindProducer: zipkinpb.Span_PRODUCER, span.KindConsumer: zipkinpb.Span_CONSUMER}
	for _, s := range spans {
		zs := &zipkinpb.Span{
			TraceId:       hexBytes(s.traceID),
			Id:            hexBytes(s.id),
			ParentId:      hexBytes(s.parent),
			Kind:          kinds[s.kind],
			Name:          s.name,
			Timestamp:     uint64(s.startUs),
			Duration:      uint64(s.durUs),
			LocalEndpoint: &zipkinpb.Endpoint{ServiceName: s.service, Ipv4: []byte{10, 0, 0, 1}},
			Tags:          map[string]string{},
			Annotations:   []*zipkinpb.Annotation{{Timestamp: uint64(s.startUs), Value: "ws"}},
		}
		for _, a := range s.attrs {
			zs.Tags[a.key] = tagString(a.val)
		}
		if s.namespace != "" {
			zs.Tags["service.namespace"] = s.namespace
		}
		if s.statusError {
			zs.Tags["otel.status_code"] = "ERROR"
		}
		out.Spans = append(out.Spans, zs)
	}
	return out
}

func tagString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case int64:
		return strconv.FormatInt(x, 10)
	case bool:
		return strconv.FormatBool(x)
	}
	panic("unsupported value")
}

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func marshalAny(t testing.TB, m proto.Message) []byte {
	t.Helper()
	b, err := proto.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
