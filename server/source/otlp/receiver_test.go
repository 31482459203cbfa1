package otlp

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.26.0"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	grpcstatus "google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	coltrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"

	"github.com/spanmap/spanmap/graph/span"
	"github.com/spanmap/spanmap/server/source/rawpb"
)

// fakeSink records what it accepts and refuses the first `busy` submits.
type fakeSink struct {
	mu    sync.Mutex
	busy  int
	spans []span.Span
}

func (f *fakeSink) Submit(source string, spans []span.Span) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.busy > 0 {
		f.busy--
		return errors.New("ingest queue is full")
	}
	f.spans = append(f.spans, spans...)
	return nil
}

func (f *fakeSink) services() map[string]int {
	f.mu.Lock()
	defer f.mu.Unlock()
	m := map[string]int{}
	for _, s := range f.spans {
		m[s.Service]++
	}
	return m
}

func newReceiver(t *testing.T, sink Sink, mod func(*Config)) *Receiver {
	t.Helper()
	cfg := DefaultConfig()
	cfg.RetryAfter = 10 * time.Millisecond
	if mod != nil {
		mod(&cfg)
	}
	r, err := New(cfg, sink, nil)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// emit records a client span in checkout and a server child in payment.
func emit(t *testing.T, exp sdktrace.SpanExporter) {
	t.Helper()
	ctx := context.Background()
	for _, svc := range []string{"checkout", "payment"} {
		res := resource.NewSchemaless(semconv.ServiceName(svc))
		tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp), sdktrace.WithResource(res))
		_, sp := tp.Tracer("test").Start(ctx, "op-"+svc, trace.WithSpanKind(trace.SpanKindServer),
			trace.WithAttributes(attribute.Int("http.response.status_code", 200)))
		sp.End()
		if err := tp.ForceFlush(ctx); err != nil {
			t.Fatalf("flush: %v", err)
		}
	}
}

func TestReceiver_HTTP_otelExporter(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts []otlptracehttp.Option
		busy int
	}{
		{name: "protobuf"},
		{name: "gzip", opts: []otlptracehttp.Option{otlptracehttp.WithCompression(otlptracehttp.GzipCompression)}},
		{name: "retries when busy", busy: 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sink := &fakeSink{busy: tc.busy}
			r := newReceiver(t, sink, nil)
			srv := httptest.NewServer(r.HTTPHandler())
			defer srv.Close()
			opts := append([]otlptracehttp.Option{
				otlptracehttp.WithEndpoint(strings.TrimPrefix(srv.URL, "http://")), otlptracehttp.WithInsecure(),
				otlptracehttp.WithRetry(otlptracehttp.RetryConfig{Enabled: true, InitialInterval: 5 * time.Millisecond, MaxInterval: 20 * time.Millisecond, MaxElapsedTime: 5 * time.Second}),
			}, tc.opts...)
			exp, err := otlptracehttp.New(context.Background(), opts...)
			if err != nil {
				t.Fatal(err)
			}
			defer exp.Shutdown(context.Background())
			emit(t, exp)
			got := sink.services()
			if got["checkout"] != 1 || got["payment"] != 1 {
				t.Fatalf("sink got %v, want one span each of checkout and payment", got)
			}
			if st := r.Stats(); st.Throttled != int64(tc.busy) || st.Spans != 2 {
				t.Fatalf("stats = %+v, want %d throttled and 2 spans", st, tc.busy)
			}
		})
	}
}

func TestReceiver_GRPC_otelExporter(t *testing.T) {
	sink := &fakeSink{busy: 1}
	r := newReceiver(t, sink, nil)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	gs := r.GRPCServer()
	go gs.Serve(ln)
	defer gs.Stop()
	exp, err := otlptracegrpc.New(context.Background(), otlptracegrpc.WithEndpoint(ln.Addr().String()),
		otlptracegrpc.WithInsecure(), otlptracegrpc.WithCompressor("gzip"),
		otlptracegrpc.WithRetry(otlptracegrpc.RetryConfig{Enabled: true, InitialInterval: 5 * time.Millisecond, MaxInterval: 20 * time.Millisecond, MaxElapsedTime: 5 * time.Second}))
	if err != nil {
		t.Fatal(err)
	}
	defer exp.Shutdown(context.Background())
	emit(t, exp)
	if got := sink.services(); got["checkout"] != 1 || got["payment"] != 1 {
		t.Fatalf("sink got %v", got)
	}
	if st := r.Stats(); st.Throttled != 1 {
		t.Fatalf("throttled = %d, want 1 (the exporter retried after UNAVAILABLE)", st.Throttled)
	}
}

const jsonBody = `{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"frontend"}}]},
"scopeSpans":[{"spans":[
 {"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174","name":"GET /","kind":2,"startTimeUnixNano":"1544712660000000000","endTimeUnixNano":"1544712661000000000"},
 {"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b175","parentSpanId":"eee19b7ec3c1b174","name":"call","kind":"SPAN_KIND_CLIENT","startTimeUnixNano":"1544712660100000000","endTimeUnixNano":"1544712660900000000"}
]}]}]}`

func gz(t *testing.T, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	zw.Close()
	return buf.Bytes()
}

func TestReceiver_HTTP_statuses(t *testing.T) {
	bomb := gz(t, make([]byte, 8<<20)) // 8 MiB of zeros in ~8 KiB: inflates far past the 1 MiB limit
	for _, tc := range []struct {
		name, ctype, enc string
		body             []byte
		busy, perTrace   int
		want             int
		wantMsg          string
		wantRejected     int64
	}{
		{name: "json accepted", ctype: "application/json", body: []byte(jsonBody), want: 200},
		{name: "json gzip accepted", ctype: "application/json; charset=utf-8", enc: "gzip", body: gz(t, []byte(jsonBody)), want: 200},
		{name: "partial success", ctype: "application/json", body: []byte(jsonBody), perTrace: 1, want: 200, wantRejected: 1},
		{name: "malformed json", ctype: "application/json", body: []byte(`{"resourceSpans":[{`), want: 400, wantMsg: "otlp-json"},
		{name: "malformed protobuf", ctype: "application/x-protobuf", body: []byte{0x0a, 0xff, 0x01}, want: 400, wantMsg: "otlp-proto"},
		{name: "wrong content type", ctype: "text/plain", body: []byte("hi"), want: 415, wantMsg: "unsupported content type"},
		{name: "unknown encoding", ctype: "application/json", enc: "br", body: []byte(jsonBody), want: 415, wantMsg: "unsupported content encoding"},
		{name: "too large", ctype: "application/json", body: bytes.Repeat([]byte(" "), 2<<20), want: 413, wantMsg: "too large"},
		{name: "gzip bomb", ctype: "application/x-protobuf", enc: "gzip", body: bomb, want: 413, wantMsg: "too large"},
		{name: "truncated gzip", ctype: "application/json", enc: "gzip", body: gz(t, []byte(jsonBody))[:40], want: 400, wantMsg: "malformed"},
		{name: "busy", ctype: "application/json", body: []byte(jsonBody), busy: 1, want: 503, wantMsg: "retry later"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sink := &fakeSink{busy: tc.busy}
			r := newReceiver(t, sink, func(c *Config) {
				c.MaxBodyBytes = 1 << 20
				if tc.perTrace > 0 {
					c.MaxSpansPerTrace = tc.perTrace
				}
			})
			srv := httptest.NewServer(r.HTTPHandler())
			defer srv.Close()
			req, _ := http.NewRequest(http.MethodPost, srv.URL+Path, bytes.NewReader(tc.body))
			req.Header.Set("Content-Type", tc.ctype)
			if tc.enc != "" {
				req.Header.Set("Content-Encoding", tc.enc)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tc.want {
				t.Fatalf("status = %d (%s), want %d", resp.StatusCode, body, tc.want)
			}
			if tc.want == 503 && resp.Header.Get("Retry-After") == "" {
				t.Error("503 without Retry-After")
			}
			if tc.want != 200 {
				var st status.Status
				if err := unmarshalAs(resp.Header.Get("Content-Type"), body, &st); err != nil {
					t.Fatalf("error body is not a google.rpc.Status: %v (%q)", err, body)
				}
				if !strings.Contains(st.Message, tc.wantMsg) {
					t.Fatalf("message %q does not mention %q", st.Message, tc.wantMsg)
				}
				if len(sink.spans) != 0 {
					t.Fatalf("refused request still delivered %d spans", len(sink.spans))
				}
				return
			}
			var out coltrace.ExportTraceServiceResponse
			if err := unmarshalAs(resp.Header.Get("Content-Type"), body, &out); err != nil {
				t.Fatalf("response: %v", err)
			}
			if got := out.GetPartialSuccess().GetRejectedSpans(); got != tc.wantRejected {
				t.Fatalf("rejected spans = %d, want %d", got, tc.wantRejected)
			}
			if want := 2 - int(tc.wantRejected); len(sink.spans) != want {
				t.Fatalf("sink got %d spans, want %d", len(sink.spans), want)
			}
		})
	}
}

func unmarshalAs(ctype string, b []byte, m proto.Message) error {
	if ctype == mediaProto {
		return proto.Unmarshal(b, m)
	}
	return protojson.Unmarshal(b, m)
}

func TestReceiver_HTTP_methodNotAllowed(t *testing.T) {
	r := newReceiver(t, &fakeSink{}, nil)
	srv := httptest.NewServer(r.HTTPHandler())
	defer srv.Close()
	resp, err := http.Get(srv.URL + Path)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Fatalf("GET status = %d, want 405", resp.StatusCode)
	}
}

func TestConfig_Validate(t *testing.T) {
	for _, mod := range []func(*Config){
		func(c *Config) { c.Source = "" },
		func(c *Config) { c.MaxBodyBytes = 0 },
		func(c *Config) { c.MaxSpansPerTrace = -1 },
		func(c *Config) { c.RetryAfter = 0 },
	} {
		c := DefaultConfig()
		mod(&c)
		if c.Validate() == nil {
			t.Errorf("Validate accepted %+v", c)
		}
	}
	if err := DefaultConfig().Validate(); err != nil {
		t.Fatal(err)
	}
}

// TestReceiver_GRPC_statuses calls the OTLP/gRPC receiver over a real
// socket: spans over the per-trace limit are a partial success, a body it
// cannot decode is INVALID_ARGUMENT, a message over the limit (also a
// gzip bomb, which gRPC measures after decompression) RESOURCE_EXHAUSTED.
func TestReceiver_GRPC_statuses(t *testing.T) {
	sink := &fakeSink{}
	r := newReceiver(t, sink, func(c *Config) { c.MaxBodyBytes, c.MaxSpansPerTrace = 64<<10, 1 })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	gs := r.GRPCServer()
	go gs.Serve(ln)
	defer gs.Stop()
	cc, err := grpc.NewClient(ln.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	client := coltrace.NewTraceServiceClient(cc)

	mk := func(id byte) *tracepb.Span {
		return &tracepb.Span{TraceId: []byte{15: 1}, SpanId: []byte{7: id}, Name: "GET /", Kind: tracepb.Span_SPAN_KIND_SERVER,
			StartTimeUnixNano: 1_700_000_000_000_000_000, EndTimeUnixNano: 1_700_000_000_100_000_000}
	}
	req := coltrace.ExportTraceServiceRequest{ResourceSpans: []*tracepb.ResourceSpans{{
		Resource: &resourcepb.Resource{Attributes: []*commonpb.KeyValue{{Key: "service.name",
			Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: "frontend"}}}}},
		ScopeSpans: []*tracepb.ScopeSpans{{Spans: []*tracepb.Span{mk(1), mk(2)}}},
	}}}
	resp, err := client.Export(context.Background(), &req)
	if err != nil {
		t.Fatal(err)
	}
	if ps := resp.GetPartialSuccess(); ps.GetRejectedSpans() != 1 || !strings.Contains(ps.GetErrorMessage(), "more than 1 spans of one trace") {
		t.Fatalf("partial success = %+v, want 1 rejected span with a reason", ps)
	}
	if len(sink.spans) != 1 || r.Stats().RejectedSpans != 1 {
		t.Fatalf("sink got %d spans, stats %+v; want 1 kept and 1 rejected", len(sink.spans), r.Stats())
	}

	var out rawpb.Message
	err = cc.Invoke(context.Background(), "/opentelemetry.proto.collector.trace.v1.TraceService/Export",
		&rawpb.Message{B: []byte{0x0a, 0xff, 0x01}}, &out, grpc.ForceCodec(rawpb.Codec{}))
	if grpcstatus.Code(err) != codes.InvalidArgument || !strings.Contains(err.Error(), "otlp-proto") || r.Stats().Malformed != 1 {
		t.Fatalf("malformed export: %v, malformed %d; want InvalidArgument naming the decoder, counted", err, r.Stats().Malformed)
	}

	req.ResourceSpans[0].ScopeSpans[0].Spans[0].Name = strings.Repeat("x", 128<<10)
	for _, opts := range [][]grpc.CallOption{nil, {grpc.UseCompressor("gzip")}} {
		if _, err := client.Export(context.Background(), &req, opts...); grpcstatus.Code(err) != codes.ResourceExhausted {
			t.Fatalf("export over the limit (call options %v): %v, want ResourceExhausted", opts, err)
		}
	}
	if len(sink.spans) != 1 {
		t.Fatalf("refused exports delivered spans: %d in the sink", len(sink.spans))
	}
}
