package demo

import (
	"context"
	"fmt"
	"time"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
)

// GRPCSink exports batches with OTLP/gRPC. It retries the codes the OTLP
// specification calls retryable (UNAVAILABLE, DEADLINE_EXCEEDED, ABORTED,
// OUT_OF_RANGE, DATA_LOSS, CANCELED, and RESOURCE_EXHAUSTED when the server
// sends RetryInfo), honouring RetryInfo up to Retry.MaxBackoff. Set the
// exported fields before the first Export.
type GRPCSink struct {
	conn   *grpc.ClientConn // owned; nil when the caller passed a connection
	client coltracepb.TraceServiceClient
	target string
	// Timeout bounds each attempt; zero leaves it to ctx.
	Timeout time.Duration
	// Retry configures retries.
	Retry RetryConfig

	sleep func(ctx context.Context, d time.Duration) error
}

// NewGRPCSink connects to target (e.g. "127.0.0.1:4317"). Without options the
// connection is plaintext; pass grpc.WithTransportCredentials for TLS. The
// connection is made lazily; Close releases it.
func NewGRPCSink(target string, opts ...grpc.DialOption) (*GRPCSink, error) {
	if len(opts) == 0 {
		opts = []grpc.DialOption{grpc.WithTransportCredentials(insecure.NewCredentials())}
	}
	conn, err := grpc.NewClient(target, opts...)
	if err != nil {
		return nil, fmt.Errorf("otlp grpc: connect to %s: %w", target, err)
	}
	s := NewGRPCSinkConn(conn)
	s.conn, s.target = conn, target
	return s, nil
}

// NewGRPCSinkConn returns a sink using an existing connection, which the
// caller keeps and closes.
func NewGRPCSinkConn(cc grpc.ClientConnInterface) *GRPCSink {
	return &GRPCSink{
		client:  coltracepb.NewTraceServiceClient(cc),
		target:  "grpc connection",
		Timeout: 10 * time.Second,
		Retry:   DefaultRetryConfig(),
		sleep:   sleepCtx,
	}
}

// Close closes the connection NewGRPCSink made.
func (s *GRPCSink) Close() error {
	if s.conn == nil {
		return nil
	}
	if err := s.conn.Close(); err != nil {
		return fmt.Errorf("otlp grpc: close connection to %s: %w", s.target, err)
	}
	return nil
}

// Export sends req, retrying as configured. The gRPC status stays
// reachable through status.FromError / errors.As; rejected spans come back
// as *PartialSuccessError.
func (s *GRPCSink) Export(ctx context.Context, req *coltracepb.ExportTraceServiceRequest) error {
	if err := s.Retry.Validate(); err != nil {
		return fmt.Errorf("otlp grpc: %w", err)
	}
	for retry := 0; ; retry++ {
		resp, err := s.attempt(ctx, req)
		if err == nil {
			if perr := partial(resp); perr != nil {
				return fmt.Errorf("otlp grpc: export to %s: %w", s.target, perr)
			}
			return nil
		}
		hint, ok := retryableStatus(err)
		if !ok || ctx.Err() != nil || retry >= s.Retry.MaxRetries {
			if retry > 0 {
				return fmt.Errorf("otlp grpc: export to %s failed after %d attempts: %w", s.target, retry+1, err)
			}
			return fmt.Errorf("otlp grpc: export to %s: %w", s.target, err)
		}
		if werr := s.sleep(ctx, s.Retry.wait(retry, hint)); werr != nil {
			return fmt.Errorf("otlp grpc: export to %s: %w (waiting to retry after: %v)", s.target, werr, err)
		}
	}
}

// attempt makes one call, bounded by Timeout.
func (s *GRPCSink) attempt(ctx context.Context, req *coltracepb.ExportTraceServiceRequest) (*coltracepb.ExportTraceServiceResponse, error) {
	if s.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, s.Timeout)
		defer cancel()
	}
	return s.client.Export(ctx, req)
}

// retryableStatus reports whether a failed call may be retried, and the
// server's RetryInfo delay if it sent one.
func retryableStatus(err error) (time.Duration, bool) {
	st, ok := status.FromError(err)
	if !ok {
		return 0, false
	}
	var hint time.Duration
	hinted := false
	for _, d := range st.Details() {
		if ri, ok := d.(*errdetails.RetryInfo); ok {
			hint, hinted = ri.GetRetryDelay().AsDuration(), true
		}
	}
	switch st.Code() {
	case codes.Canceled, codes.DeadlineExceeded, codes.Aborted, codes.OutOfRange,
		codes.Unavailable, codes.DataLoss:
		return hint, true
	case codes.ResourceExhausted:
		return hint, hinted
	}
	return 0, false
}
