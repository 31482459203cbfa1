package jaeger

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/jaegertracing/jaeger-idl/proto-gen/api_v2"
	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/spanmap/spanmap/graph/decode"
	"github.com/spanmap/spanmap/server/poll"
)

// Method names of the api_v2 QueryService, used in errors.
const (
	methodGetServices     = "/jaeger.api_v2.QueryService/GetServices"
	methodFindTraces      = "/jaeger.api_v2.QueryService/FindTraces"
	methodGetDependencies = "/jaeger.api_v2.QueryService/GetDependencies"
)

// reconnectParams bound gRPC's reconnection backoff, so a query service
// that comes back is used again within seconds instead of after gRPC's
// default of up to two minutes.
func reconnectParams() grpc.ConnectParams {
	return grpc.ConnectParams{
		Backoff:           backoff.Config{BaseDelay: 200 * time.Millisecond, Multiplier: 1.6, Jitter: 0.2, MaxDelay: 5 * time.Second},
		MinConnectTimeout: 5 * time.Second,
	}
}

// dial creates the gRPC client; it connects lazily.
func (p *Puller) dial() error {
	opts, err := p.cfg.Conn.GRPCDialOptions(p.log)
	if err != nil {
		return err
	}
	maxMsg := int(min(p.cfg.MaxResponseBytes, math.MaxInt32))
	opts = append(opts,
		grpc.WithConnectParams(reconnectParams()),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(maxMsg)),
	)
	cc, err := grpc.NewClient(p.cfg.Conn.GRPCTarget(), opts...)
	if err != nil {
		return fmt.Errorf("grpc client for %s: %w", p.cfg.Conn.URL, err)
	}
	p.cc = cc
	p.query = api_v2.NewQueryServiceClient(cc)
	return nil
}

// callContext bounds one call by the connection timeout.
func (p *Puller) callContext(ctx context.Context) (context.Context, context.CancelFunc) {
	if p.cfg.Conn.Timeout > 0 {
		return context.WithTimeout(ctx, p.cfg.Conn.Timeout)
	}
	return context.WithCancel(ctx)
}

// grpcError wraps a failed call. A message gRPC could not unmarshal is a
// malformed response; a deadline is reported as a time-out.
func grpcError(method string, err error) error {
	s, _ := status.FromError(err)
	switch {
	case s.Code() == codes.Internal && strings.Contains(s.Message(), "unmarshal"):
		return malformed(method, err)
	case s.Code() == codes.DeadlineExceeded:
		return fmt.Errorf("jaeger %s: timed out: %w", method, err)
	}
	return fmt.Errorf("jaeger %s: %w", method, err)
}

func (p *Puller) grpcServices(ctx context.Context) ([]string, error) {
	ctx, cancel := p.callContext(ctx)
	defer cancel()
	resp, err := p.query.GetServices(ctx, &api_v2.GetServicesRequest{})
	if err != nil {
		return nil, grpcError(methodGetServices, err)
	}
	if resp.Services == nil {
		return []string{}, nil
	}
	return resp.Services, nil
}

// grpcTraces streams FindTraces. Every chunk is re-encoded and appended to
// one buffer (repeated fields concatenate, so the buffer is one
// SpansResponseChunk holding all spans), which graph/decode reads.
func (p *Puller) grpcTraces(ctx context.Context, service string, w poll.Window, limit int) ([]poll.Trace, error) {
	ctx, cancel := p.callContext(ctx)
	defer cancel()
	req := &api_v2.FindTracesRequest{Query: &api_v2.TraceQueryParameters{
		ServiceName:  service,
		StartTimeMin: w.From,
		StartTimeMax: w.To.Add(-time.Nanosecond),
		SearchDepth:  int32(min(limit, math.MaxInt32)),
	}}
	stream, err := p.query.FindTraces(ctx, req)
	if err != nil {
		return nil, grpcError(methodFindTraces, err)
	}
	var buf []byte
	for {
		chunk, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, grpcError(methodFindTraces, err)
		}
		n := chunk.Size()
		if int64(len(buf)+n) > p.cfg.MaxResponseBytes {
			return nil, fmt.Errorf("jaeger %s: %w: more than %d bytes", methodFindTraces, ErrTooLarge, p.cfg.MaxResponseBytes)
		}
		buf = slices.Grow(buf, n)
		m, err := chunk.MarshalTo(buf[len(buf) : len(buf)+n])
		if err != nil {
			return nil, malformed(methodFindTraces, err)
		}
		buf = buf[:len(buf)+m]
	}
	spans, err := decode.Bytes(buf, decode.JaegerProto)
	if err != nil {
		return nil, malformed(methodFindTraces, err)
	}
	return byTrace(spans), nil
}

func (p *Puller) grpcDependencies(ctx context.Context, w poll.Window) ([]Dependency, error) {
	ctx, cancel := p.callContext(ctx)
	defer cancel()
	resp, err := p.query.GetDependencies(ctx, &api_v2.GetDependenciesRequest{StartTime: w.From, EndTime: w.To})
	if err != nil {
		return nil, grpcError(methodGetDependencies, err)
	}
	out := make([]Dependency, 0, len(resp.Dependencies))
	for _, d := range resp.Dependencies {
		out = append(out, Dependency{Parent: d.Parent, Child: d.Child, CallCount: int64(d.CallCount)})
	}
	return out, nil
}
