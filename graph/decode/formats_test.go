package decode

import (
	"testing"
	"time"

	jaeger "github.com/jaegertracing/jaeger-idl/model/v1"
	"github.com/jaegertracing/jaeger-idl/proto-gen/api_v2"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/encoding/protowire"

	"github.com/spanmap/spanmap/graph/span"
)

const ms = int64(time.Millisecond)

func TestBytes_Bytes_testdata(t *testing.T) {
	zipkinTrace := mustTraceID("86154a4ba6e91385")
	hotrod := mustTraceID("a1b2c3d4e5f60718")
	driver := mustTraceID("00000000000000ff00000000000000ee")
	otlpA := mustTraceID("0af7651916cd43dd8448eb211c80319c")
	otlpB := mustTraceID("4bf92f3577b34da6a3ce929d0e0e4736")
	tests := []struct {
		file   string
		format Format
		want   []span.Span
	}{
		{"zipkin_shared.json", Zipkin, []span.Span{
			{TraceID: zipkinTrace, SpanID: mustSpanID("86154a4ba6e91385"), Service: "frontend", Kind: span.KindServer,
				Name: "get /", Start: 1472470996199000000, Duration: 207 * ms, HTTPStatus: 200, Peer: span.Peer{NetPeerName: "::1"}},
			{TraceID: zipkinTrace, SpanID: mustSpanID("4d1e00c0db9010db"), ParentID: mustSpanID("86154a4ba6e91385"), Service: "frontend",
				Kind: span.KindClient, Name: "get /api", Start: 1472470996238000000, Duration: 91 * ms,
				Peer: span.Peer{RemoteService: "backend", NetPeerName: "172.17.0.9"}},
			{TraceID: zipkinTrace, SpanID: mustSpanID("4d1e00c0db9010db"), ParentID: mustSpanID("86154a4ba6e91385"), Shared: true,
				Service: "backend", Kind: span.KindServer, Name: "get /api", Start: 1472470996250000000, Duration: 80 * ms, ErrorTag: true,
				Peer: span.Peer{NetPeerName: "172.17.0.13"}},
			{TraceID: zipkinTrace, SpanID: mustSpanID("b5e1d9e2c0a10f4e"), ParentID: mustSpanID("4d1e00c0db9010db"), Service: "backend",
				Kind: span.KindClient, Name: "query", Start: 1472470996260000000, Duration: 20 * ms,
				Peer: span.Peer{RemoteService: "mysql", NetPeerName: "172.17.0.2"}},
			{TraceID: mustTraceID("0abc"), SpanID: mustSpanID("0000000000000001"), Service: "scheduler", Name: "tick",
				Start: 1472470997000000000, Duration: 5000},
		}},
		{"jaeger_capture.json", JaegerJSON, []span.Span{
			{TraceID: hotrod, SpanID: mustSpanID("a1b2c3d4e5f60718"), Service: "frontend", Kind: span.KindServer, Name: "HTTP GET /dispatch",
				Start: 1712345678901234000, Duration: 720345000, HTTPStatus: 200, SamplingProbability: 0.25},
			{TraceID: hotrod, SpanID: mustSpanID("0b1c2d3e4f506172"), ParentID: mustSpanID("a1b2c3d4e5f60718"), Service: "frontend",
				Kind: span.KindClient, Name: "HTTP GET", Start: 1712345678902000000, Duration: 300 * ms, HTTPStatus: 500, ErrorTag: true,
				Peer: span.Peer{ServerAddress: "0.0.0.0"}},
			{TraceID: hotrod, SpanID: mustSpanID("1c2d3e4f50617283"), ParentID: mustSpanID("0b1c2d3e4f506172"), Service: "mysql-client",
				Namespace: "hotrod", Kind: span.KindClient, Name: "SQL SELECT", Start: 1712345678903000000, Duration: 250 * ms,
				Links: []span.Link{{TraceID: mustTraceID("77"), SpanID: mustSpanID("0000000000000077")}, {TraceID: hotrod, SpanID: mustSpanID("a1b2c3d4e5f60718")}},
				Peer:  span.Peer{Service: "mysql", DBSystem: "mysql"}},
			{TraceID: hotrod, SpanID: mustSpanID("2d3e4f5061728394"), ParentID: mustSpanID("a1b2c3d4e5f60718"), Service: UnknownService,
				Name: "async audit", Start: 1712345679500000000},
			{TraceID: driver, SpanID: mustSpanID("00000000000000ee"), Service: "driver", Kind: span.KindServer,
				Name: "/driver.DriverService/FindNearest", Start: 1712345680000000000, Duration: 55 * ms, GRPCStatus: 5, SamplingProbability: 1},
			{TraceID: driver, SpanID: mustSpanID("00000000000000ef"), ParentID: mustSpanID("00000000000000ee"), Service: "redis",
				Kind: span.KindClient, Name: "FindDriverIDs", Start: 1712345680001000000, Duration: 1 * ms,
				Peer: span.Peer{DBSystem: "redis", NetPeerName: "redis-0.redis"}},
		}},
		{"otlp_fileexporter.jsonl", OTLPJSON, []span.Span{
			{TraceID: otlpA, SpanID: mustSpanID("b7ad6b7169203331"), Service: "checkout", Namespace: "shop", Kind: span.KindServer,
				Name: "PlaceOrder", Start: 1712000000000000000, Duration: 100 * ms, SamplingProbability: 0.25},
			{TraceID: otlpA, SpanID: mustSpanID("00f067aa0ba902b7"), ParentID: mustSpanID("b7ad6b7169203331"), Service: "checkout",
				Namespace: "shop", Kind: span.KindProducer, Name: "orders send", Start: 1712000000050000000, StatusError: true,
				Links: []span.Link{{TraceID: otlpB, SpanID: mustSpanID("53995c3f42cd8ad8")}},
				Peer:  span.Peer{MessagingSystem: "rabbitmq", Destination: "orders", ServerAddress: "rabbit.internal"}},
			{TraceID: otlpB, SpanID: mustSpanID("53995c3f42cd8ad8"), Service: UnknownService, Kind: span.KindInternal, Name: "batch job",
				Start: 1712000001000000000, Duration: 500 * ms, HTTPStatus: 502, StatusError: true,
				Peer: span.Peer{ServerAddress: "api.example.com"}},
		}},
		{"tempo_trace.json", OTLPJSON, []span.Span{
			{TraceID: mustTraceID("0123456789abcdef"), SpanID: mustSpanID("0000000000001234"), Service: "shell script",
				Kind: span.KindClient, Name: "span from bash!", Start: 1608239395286533000, Duration: 100 * ms,
				Peer: span.Peer{Service: "api"}},
		}},
	}
	for _, tc := range tests {
		for _, f := range []Format{tc.format, Auto} {
			t.Run(tc.file+"/"+string(f), func(t *testing.T) {
				got, err := Bytes(readTestdata(t, tc.file), f)
				if err != nil {
					t.Fatalf("Bytes: %v", err)
				}
				if d := diffSpans(got, tc.want); d != "" {
					t.Errorf("spans differ:\n%s", d)
				}
			})
		}
	}
}

// appendMsg appends a length-delimited field.
func appendMsg(b []byte, num protowire.Number, msg []byte) []byte {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendBytes(b, msg)
}

func TestBytes_OTLPProto_cases(t *testing.T) {
	tid := hexBytes("0af7651916cd43dd8448eb211c80319c")
	str := func(k, v string) *commonpb.KeyValue {
		return &commonpb.KeyValue{Key: k, Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: v}}}
	}
	base := func() *tracepb.Span {
		return &tracepb.Span{TraceId: tid, SpanId: hexBytes("00f067aa0ba902b7"), Name: "op", Kind: tracepb.Span_SPAN_KIND_CLIENT,
			StartTimeUnixNano: 1000, EndTimeUnixNano: 3000}
	}
	wantBase := span.Span{TraceID: mustTraceID("0af7651916cd43dd8448eb211c80319c"), SpanID: mustSpanID("00f067aa0ba902b7"),
		Service: "svc", Kind: span.KindClient, Name: "op", Start: 1000, Duration: 2000}
	one := func(s *tracepb.Span) *tracepb.TracesData {
		return &tracepb.TracesData{ResourceSpans: []*tracepb.ResourceSpans{{
			Resource:   &resourcepb.Resource{Attributes: []*commonpb.KeyValue{str("service.name", "svc")}},
			ScopeSpans: []*tracepb.ScopeSpans{{Spans: []*tracepb.Span{s}}},
		}}}
	}
	tests := []struct {
		name string
		span func(*tracepb.Span)
		want func(*span.Span)
	}{
		{"tracestate threshold", func(s *tracepb.Span) { s.TraceState = "vendor=x, ot=rv:abc;th:8" }, func(s *span.Span) { s.SamplingProbability = 0.5 }},
		{"tracestate th zero is always sampled", func(s *tracepb.Span) { s.TraceState = "ot=th:0" }, func(s *span.Span) { s.SamplingProbability = 1 }},
		{"tracestate bad th ignored", func(s *tracepb.Span) { s.TraceState = "ot=th:xyz" }, func(*span.Span) {}},
		{"links kept, zero links dropped", func(s *tracepb.Span) {
			s.Links = []*tracepb.Span_Link{{TraceId: tid, SpanId: hexBytes("1111111111111111")}, {}}
		}, func(s *span.Span) {
			s.Links = []span.Link{{TraceID: s.TraceID, SpanID: mustSpanID("1111111111111111")}}
		}},
		{"status error", func(s *tracepb.Span) { s.Status = &tracepb.Status{Code: tracepb.Status_STATUS_CODE_ERROR} }, func(s *span.Span) { s.StatusError = true }},
		{"status ok", func(s *tracepb.Span) { s.Status = &tracepb.Status{Code: tracepb.Status_STATUS_CODE_OK} }, func(*span.Span) {}},
		{"end before start clamps", func(s *tracepb.Span) { s.EndTimeUnixNano = 10 }, func(s *span.Span) { s.Duration = 0 }},
		{"unknown kind", func(s *tracepb.Span) { s.Kind = 42 }, func(s *span.Span) { s.Kind = span.KindUnspecified }},
		{"new conventions win", func(s *tracepb.Span) {
			s.Attributes = []*commonpb.KeyValue{str("db.system", "old"), str("db.system.name", "new"), str("db.namespace", "ns"),
				str("db.name", "oldname"), str("url.full", "https://[2001:db8::1]:443/x"), str("http.status_code", "404"),
				{Key: "http.response.status_code", Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_DoubleValue{DoubleValue: 503}}}}
		}, func(s *span.Span) {
			s.Peer.DBSystem, s.Peer.DBName, s.Peer.ServerAddress, s.HTTPStatus = "new", "ns", "2001:db8::1", 503
		}},
		{"nested values skipped", func(s *tracepb.Span) {
			s.Attributes = []*commonpb.KeyValue{{Key: "peer.service", Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_ArrayValue{
				ArrayValue: &commonpb.ArrayValue{Values: []*commonpb.AnyValue{{Value: &commonpb.AnyValue_StringValue{StringValue: "x"}}}}}}},
				{Key: "error", Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_KvlistValue{KvlistValue: &commonpb.KeyValueList{}}}}}
		}, func(*span.Span) {}},
		{"error attribute", func(s *tracepb.Span) {
			s.Attributes = []*commonpb.KeyValue{{Key: "error", Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_BoolValue{BoolValue: true}}}}
		}, func(s *span.Span) { s.ErrorTag = true }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := base()
			tc.span(s)
			want := wantBase
			tc.want(&want)
			got, err := Bytes(marshalOTLP(t, one(s)), OTLPProto)
			if err != nil {
				t.Fatal(err)
			}
			if d := diffSpans(got, []span.Span{want}); d != "" {
				t.Error(d)
			}
		})
	}

	t.Run("resource after scope spans", func(t *testing.T) {
		res := marshalAny(t, &resourcepb.Resource{Attributes: []*commonpb.KeyValue{str("service.name", "late"), str("service.namespace", "ns")}})
		ss := marshalAny(t, &tracepb.ScopeSpans{Spans: []*tracepb.Span{base()}})
		var rs []byte
		rs = appendMsg(rs, 2, ss)
		rs = appendMsg(rs, 1, res)
		in := appendMsg(nil, 1, rs)
		got, err := Bytes(in, OTLPProto)
		if err != nil {
			t.Fatal(err)
		}
		want := wantBase
		want.Service, want.Namespace = "late", "ns"
		if d := diffSpans(got, []span.Span{want}); d != "" {
			t.Error(d)
		}
	})
	t.Run("no resource is unknown_service", func(t *testing.T) {
		td := &tracepb.TracesData{ResourceSpans: []*tracepb.ResourceSpans{{ScopeSpans: []*tracepb.ScopeSpans{{Spans: []*tracepb.Span{base()}}}}}}
		got, err := Bytes(marshalOTLP(t, td), OTLPProto)
		if err != nil || len(got) != 1 || got[0].Service != UnknownService {
			t.Fatalf("got %+v, %v; want one span of %s", got, err, UnknownService)
		}
	})
}

func TestBytes_JaegerProto_cases(t *testing.T) {
	tid := jaegerTraceID("a1b2c3d4e5f60718")
	other := jaegerTraceID("77")
	mk := func() *jaeger.Span {
		return &jaeger.Span{TraceID: tid, SpanID: 2, OperationName: "op", StartTime: time.Unix(1700000000, 5).UTC(),
			Duration: 3 * time.Millisecond, Process: &jaeger.Process{ServiceName: "svc"}}
	}
	wantBase := span.Span{TraceID: mustTraceID("a1b2c3d4e5f60718"), SpanID: mustSpanID("0000000000000002"), Service: "svc",
		Name: "op", Start: 1700000000000000005, Duration: 3 * ms}
	tests := []struct {
		name string
		span func(*jaeger.Span)
		want func(*span.Span)
	}{
		{"child of is parent", func(s *jaeger.Span) {
			s.References = []jaeger.SpanRef{jaeger.NewFollowsFromRef(other, 9), jaeger.NewChildOfRef(tid, 1)}
		}, func(s *span.Span) {
			s.ParentID = mustSpanID("0000000000000001")
			s.Links = []span.Link{{TraceID: mustTraceID("77"), SpanID: mustSpanID("0000000000000009")}}
		}},
		{"follows from in trace is parent", func(s *jaeger.Span) {
			s.References = []jaeger.SpanRef{jaeger.NewChildOfRef(other, 9), jaeger.NewFollowsFromRef(tid, 3)}
		}, func(s *span.Span) {
			s.ParentID = mustSpanID("0000000000000003")
			s.Links = []span.Link{{TraceID: mustTraceID("77"), SpanID: mustSpanID("0000000000000009")}}
		}},
		{"sampler tags", func(s *jaeger.Span) {
			s.Tags = []jaeger.KeyValue{jaeger.String("sampler.type", "probabilistic"), jaeger.Float64("sampler.param", 0.001)}
		}, func(s *span.Span) { s.SamplingProbability = 0.001 }},
		{"sampler ratelimiting unknown", func(s *jaeger.Span) {
			s.Tags = []jaeger.KeyValue{jaeger.String("sampler.type", "ratelimiting"), jaeger.Float64("sampler.param", 2)}
		}, func(*span.Span) {}},
		{"kind error peer status tags", func(s *jaeger.Span) {
			s.Tags = []jaeger.KeyValue{jaeger.String("span.kind", "producer"), jaeger.Bool("error", true), jaeger.String("peer.service", "kafka"),
				jaeger.Int64("http.status_code", 502), jaeger.Binary("messaging.system", []byte("x")), jaeger.Int64("rpc.grpc.status_code", 2)}
		}, func(s *span.Span) {
			s.Kind, s.ErrorTag, s.Peer.Service, s.HTTPStatus, s.GRPCStatus = span.KindProducer, true, "kafka", 502, 2
		}},
		{"negative duration clamps", func(s *jaeger.Span) { s.Duration = -time.Second }, func(s *span.Span) { s.Duration = 0 }},
		{"no process", func(s *jaeger.Span) { s.Process = nil }, func(s *span.Span) { s.Service = UnknownService }},
		{"process namespace tag", func(s *jaeger.Span) {
			s.Process.Tags = []jaeger.KeyValue{jaeger.String("service.namespace", "team-a")}
		}, func(s *span.Span) { s.Namespace = "team-a" }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := mk()
			tc.span(s)
			want := wantBase
			tc.want(&want)
			b, err := (&jaeger.Trace{Spans: []*jaeger.Span{s}}).Marshal()
			if err != nil {
				t.Fatal(err)
			}
			got, err := Bytes(b, JaegerProto)
			if err != nil {
				t.Fatal(err)
			}
			if d := diffSpans(got, []span.Span{want}); d != "" {
				t.Error(d)
			}
		})
	}
}

func TestBytes_JaegerProto_spansResponseChunk(t *testing.T) {
	tr := jaegerSpans(refTrace(), true)
	chunk := &api_v2.SpansResponseChunk{}
	for _, s := range tr.Spans {
		chunk.Spans = append(chunk.Spans, *s)
	}
	b, err := chunk.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []Format{JaegerProto, Auto} {
		got, err := Bytes(b, f)
		if err != nil {
			t.Fatal(err)
		}
		if d := diffSpans(sortSpans(got), sortSpans(refSpans())); d != "" {
			t.Errorf("%s: spans differ:\n%s", f, d)
		}
	}
}
