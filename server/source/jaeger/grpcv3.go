package jaeger

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protowire"

	"github.com/spanmap/spanmap/graph/decode"
	"github.com/spanmap/spanmap/server/poll"
	"github.com/spanmap/spanmap/server/source/rawpb"
)

// Method names of the api_v3 QueryService. jaeger-idl ships the protos but
// no Go client for them, so requests are encoded here with protowire (field
// numbers from proto/api_v3/query_service.proto) and the streamed answers,
// OTLP TracesData, go straight to graph/decode.
const (
	methodV3GetServices = "/jaeger.api_v3.QueryService/GetServices"
	methodV3FindTraces  = "/jaeger.api_v3.QueryService/FindTraces"
)

func (p *Puller) v3grpcServices(ctx context.Context) ([]string, error) {
	ctx, cancel := p.callContext(ctx)
	defer cancel()
	var out rawpb.Message
	if err := p.cc.Invoke(ctx, methodV3GetServices, &rawpb.Message{}, &out, grpc.ForceCodec(rawpb.Codec{})); err != nil {
		return nil, grpcError(methodV3GetServices, err)
	}
	svcs := []string{}
	b := out.B
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return nil, malformed(methodV3GetServices, protowire.ParseError(n))
		}
		b = b[n:]
		if num == 1 && typ == protowire.BytesType { // GetServicesResponse.services
			s, m := protowire.ConsumeString(b)
			if m < 0 {
				return nil, malformed(methodV3GetServices, protowire.ParseError(m))
			}
			svcs = append(svcs, s)
			b = b[m:]
			continue
		}
		m := protowire.ConsumeFieldValue(num, typ, b)
		if m < 0 {
			return nil, malformed(methodV3GetServices, protowire.ParseError(m))
		}
		b = b[m:]
	}
	return svcs, nil
}

// findTracesRequest encodes FindTracesRequest{query: TraceQueryParameters{
// service_name: 1, start_time_min: 4, start_time_max: 5, search_depth: 8}}.
func findTracesRequest(service string, from, to time.Time, limit int) []byte {
	var q []byte
	q = protowire.AppendTag(q, 1, protowire.BytesType)
	q = protowire.AppendString(q, service)
	q = appendTimestamp(q, 4, from)
	q = appendTimestamp(q, 5, to)
	q = protowire.AppendTag(q, 8, protowire.VarintType)
	q = protowire.AppendVarint(q, uint64(min(limit, math.MaxInt32)))
	var req []byte
	req = protowire.AppendTag(req, 1, protowire.BytesType)
	return protowire.AppendBytes(req, q)
}

// appendTimestamp appends a google.protobuf.Timestamp field.
func appendTimestamp(b []byte, num protowire.Number, t time.Time) []byte {
	var ts []byte
	ts = protowire.AppendTag(ts, 1, protowire.VarintType)
	ts = protowire.AppendVarint(ts, uint64(t.Unix()))
	if ns := t.Nanosecond(); ns != 0 {
		ts = protowire.AppendTag(ts, 2, protowire.VarintType)
		ts = protowire.AppendVarint(ts, uint64(ns))
	}
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendBytes(b, ts)
}

// v3grpcTraces streams FindTraces. Each message is an OTLP TracesData;
// concatenated they are one TracesData (repeated fields concatenate).
func (p *Puller) v3grpcTraces(ctx context.Context, service string, w poll.Window, limit int) ([]poll.Trace, error) {
	ctx, cancel := p.callContext(ctx)
	defer cancel()
	stream, err := p.cc.NewStream(ctx, &grpc.StreamDesc{ServerStreams: true}, methodV3FindTraces, grpc.ForceCodec(rawpb.Codec{}))
	if err != nil {
		return nil, grpcError(methodV3FindTraces, err)
	}
	if err := stream.SendMsg(&rawpb.Message{B: findTracesRequest(service, w.From, w.To.Add(-time.Nanosecond), limit)}); err != nil {
		return nil, grpcError(methodV3FindTraces, err)
	}
	if err := stream.CloseSend(); err != nil {
		return nil, grpcError(methodV3FindTraces, err)
	}
	var buf []byte
	for {
		var m rawpb.Message
		err := stream.RecvMsg(&m)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			if isNotFound(err) {
				return nil, nil // no trace matched
			}
			return nil, grpcError(methodV3FindTraces, err)
		}
		if int64(len(buf)+len(m.B)) > p.cfg.MaxResponseBytes {
			return nil, fmt.Errorf("jaeger %s: %w: more than %d bytes", methodV3FindTraces, ErrTooLarge, p.cfg.MaxResponseBytes)
		}
		buf = append(buf, m.B...)
	}
	spans, err := decode.Bytes(buf, decode.OTLPProto)
	if err != nil {
		return nil, malformed(methodV3FindTraces, err)
	}
	return byTrace(spans), nil
}

// isNotFound reports a gRPC NotFound status, which Jaeger answers when no
// trace matches.
func isNotFound(err error) bool {
	s, ok := status.FromError(err)
	return ok && s.Code() == codes.NotFound
}
