package otlp

import (
	"context"
	"fmt"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	_ "google.golang.org/grpc/encoding/gzip" // accept gzip-compressed exports
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"

	coltrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"

	"github.com/spanmap/spanmap/graph/decode"
	"github.com/spanmap/spanmap/server/source/rawpb"
)

// exporter is the handler type of the TraceService description below.
type exporter interface {
	export(ctx context.Context, body []byte) (*rawpb.Message, error)
}

var traceServiceDesc = grpc.ServiceDesc{
	ServiceName: "opentelemetry.proto.collector.trace.v1.TraceService",
	HandlerType: (*exporter)(nil),
	Methods: []grpc.MethodDesc{{
		MethodName: "Export",
		Handler: func(srv any, ctx context.Context, dec func(any) error, _ grpc.UnaryServerInterceptor) (any, error) {
			var in rawpb.Message
			if err := dec(&in); err != nil {
				return nil, err
			}
			return srv.(exporter).export(ctx, in.B)
		},
	}},
	Metadata: "opentelemetry/proto/collector/trace/v1/trace_service.proto",
}

// GRPCServer returns a gRPC server with the OTLP TraceService registered.
// The caller serves it on a listener and stops it.
func (r *Receiver) GRPCServer(opts ...grpc.ServerOption) *grpc.Server {
	opts = append([]grpc.ServerOption{
		grpc.ForceServerCodec(rawpb.Codec{}),
		grpc.MaxRecvMsgSize(int(r.cfg.MaxBodyBytes)),
	}, opts...)
	s := grpc.NewServer(opts...)
	s.RegisterService(&traceServiceDesc, r)
	return s
}

func (r *Receiver) export(_ context.Context, body []byte) (*rawpb.Message, error) {
	r.requests.Add(1)
	spans, err := decode.Bytes(body, decode.OTLPProto)
	if err != nil {
		r.malformed.Add(1)
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	rejected, err := r.accept(spans)
	if err != nil {
		st := status.New(codes.Unavailable, "spanmap is busy: "+err.Error()+"; retry later")
		if withRetry, derr := st.WithDetails(&errdetails.RetryInfo{RetryDelay: durationpb.New(r.cfg.RetryAfter)}); derr == nil {
			st = withRetry
		}
		return nil, st.Err()
	}
	resp := &coltrace.ExportTraceServiceResponse{}
	if rejected > 0 {
		resp.PartialSuccess = &coltrace.ExportTracePartialSuccess{
			RejectedSpans: int64(rejected),
			ErrorMessage:  fmt.Sprintf("%d spans rejected: more than %d spans of one trace in one request", rejected, r.cfg.MaxSpansPerTrace),
		}
	}
	b, err := proto.Marshal(resp)
	if err != nil {
		return nil, status.Error(codes.Internal, "encode response: "+err.Error())
	}
	return &rawpb.Message{B: b}, nil
}
