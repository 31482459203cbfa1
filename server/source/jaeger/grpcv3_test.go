package jaeger

import (
	"context"
	"net"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"

	"github.com/spanmap/spanmap/server/poll"
	"github.com/spanmap/spanmap/server/source/conn"
	"github.com/spanmap/spanmap/server/source/rawpb"
)

// fakeV3 is an api_v3 QueryService over gRPC speaking raw protobuf: it
// records the FindTraces query and streams one TracesData per trace.
type fakeV3 struct {
	gotService string
	gotDepth   uint64
	gotFrom    int64
	notFound   bool
}

type v3Handler interface{ handle() *fakeV3 }

func (f *fakeV3) handle() *fakeV3 { return f }

func tracesData(t *testing.T, traceByte byte, svc string) []byte {
	t.Helper()
	td := &tracepb.TracesData{ResourceSpans: []*tracepb.ResourceSpans{{
		Resource: &resourcepb.Resource{Attributes: []*commonpb.KeyValue{{Key: "service.name", Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: svc}}}}},
		ScopeSpans: []*tracepb.ScopeSpans{{Spans: []*tracepb.Span{{
			TraceId: []byte{15: traceByte}, SpanId: []byte{7: 1}, Name: "GET /", Kind: tracepb.Span_SPAN_KIND_SERVER,
			StartTimeUnixNano: 1_700_000_000_000_000_000, EndTimeUnixNano: 1_700_000_000_100_000_000,
		}}}},
	}}}
	b, err := proto.Marshal(td)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func startFakeV3(t *testing.T, f *fakeV3) string {
	t.Helper()
	desc := grpc.ServiceDesc{
		ServiceName: "jaeger.api_v3.QueryService",
		HandlerType: (*v3Handler)(nil),
		Methods: []grpc.MethodDesc{{MethodName: "GetServices", Handler: func(_ any, _ context.Context, dec func(any) error, _ grpc.UnaryServerInterceptor) (any, error) {
			var in rawpb.Message
			if err := dec(&in); err != nil {
				return nil, err
			}
			var b []byte
			for _, s := range []string{"frontend", "checkout"} {
				b = protowire.AppendTag(b, 1, protowire.BytesType)
				b = protowire.AppendString(b, s)
			}
			return &rawpb.Message{B: b}, nil
		}}},
		Streams: []grpc.StreamDesc{{StreamName: "FindTraces", ServerStreams: true, Handler: func(_ any, stream grpc.ServerStream) error {
			var in rawpb.Message
			if err := stream.RecvMsg(&in); err != nil {
				return err
			}
			f.parse(in.B)
			if f.notFound {
				return status.Error(codes.NotFound, "trace not found")
			}
			for _, tb := range []byte{1, 2} {
				if err := stream.SendMsg(&rawpb.Message{B: tracesData(t, tb, f.gotService)}); err != nil {
					return err
				}
			}
			return nil
		}}},
	}
	s := grpc.NewServer(grpc.ForceServerCodec(rawpb.Codec{}))
	s.RegisterService(&desc, f)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go s.Serve(ln)
	t.Cleanup(s.Stop)
	return ln.Addr().String()
}

// parse reads FindTracesRequest.query's service name, start_time_min
// seconds and search depth.
func (f *fakeV3) parse(b []byte) {
	_, _, n := protowire.ConsumeTag(b)
	q, _ := protowire.ConsumeBytes(b[n:])
	for len(q) > 0 {
		num, typ, n := protowire.ConsumeTag(q)
		q = q[n:]
		switch {
		case num == 1:
			s, m := protowire.ConsumeString(q)
			f.gotService, q = s, q[m:]
		case num == 4:
			ts, m := protowire.ConsumeBytes(q)
			_, _, k := protowire.ConsumeTag(ts)
			v, _ := protowire.ConsumeVarint(ts[k:])
			f.gotFrom, q = int64(v), q[m:]
		case num == 8:
			v, m := protowire.ConsumeVarint(q)
			f.gotDepth, q = v, q[m:]
		default:
			q = q[protowire.ConsumeFieldValue(num, typ, q):]
		}
	}
}

func TestPuller_v3GRPC(t *testing.T) {
	f := &fakeV3{}
	addr := startFakeV3(t, f)
	cfg := DefaultConfig()
	cfg.Conn = conn.Config{URL: "grpc://" + addr, Timeout: 5 * time.Second}
	cfg.Protocol = APIv3GRPC
	p, err := NewPuller(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	svcs, err := p.Services(context.Background())
	if err != nil || len(svcs) != 2 || svcs[1] != "checkout" {
		t.Fatalf("services = %v, %v", svcs, err)
	}
	from := time.Unix(1_700_000_000, 0)
	traces, err := p.Traces(context.Background(), "checkout", poll.Window{From: from, To: from.Add(time.Minute)}, 20)
	if err != nil {
		t.Fatal(err)
	}
	if len(traces) != 2 || traces[0].Spans[0].Service != "checkout" {
		t.Fatalf("traces = %+v", traces)
	}
	if f.gotService != "checkout" || f.gotDepth != 20 || f.gotFrom != from.Unix() {
		t.Fatalf("query sent: service %q depth %d from %d", f.gotService, f.gotDepth, f.gotFrom)
	}
	f.notFound = true
	if traces, err := p.Traces(context.Background(), "checkout", poll.Window{From: from, To: from.Add(time.Minute)}, 20); err != nil || len(traces) != 0 {
		t.Fatalf("NotFound should be an empty result, got %d traces, %v", len(traces), err)
	}
	if p.Protocol() != APIv3GRPC {
		t.Fatalf("protocol = %s", p.Protocol())
	}
}

func TestConfig_Validate_v3GRPCNeedsGRPCURL(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Conn.URL, cfg.Protocol = "http://jaeger:16686", APIv3GRPC
	if cfg.Validate() == nil {
		t.Fatal("api_v3_grpc with an http URL accepted")
	}
}
