package demo

import (
	"context"
	"fmt"
	"time"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
)

// Sink receives the generated batches. Run calls Export from one goroutine
// and does not touch req afterwards, so a Sink may keep it.
type Sink interface {
	Export(ctx context.Context, req *coltracepb.ExportTraceServiceRequest) error
}

// SinkFunc adapts a function to Sink, for sinks that feed spans in-process.
type SinkFunc func(ctx context.Context, req *coltracepb.ExportTraceServiceRequest) error

// Export calls f.
func (f SinkFunc) Export(ctx context.Context, req *coltracepb.ExportTraceServiceRequest) error {
	return f(ctx, req)
}

var (
	_ Sink = SinkFunc(nil)
	_ Sink = (*HTTPSink)(nil)
	_ Sink = (*GRPCSink)(nil)
)

// RetryConfig is how a sink retries exports the receiver asks to retry
// (OTLP/HTTP 429, 502, 503, 504; OTLP/gRPC UNAVAILABLE and friends).
type RetryConfig struct {
	// MaxRetries is the number of retries after the first attempt.
	MaxRetries int
	// InitialBackoff is the wait before the first retry when the receiver
	// does not say how long to wait; it doubles with every retry.
	InitialBackoff time.Duration
	// MaxBackoff caps every wait, including one the receiver asks for.
	MaxBackoff time.Duration
}

// DefaultRetryConfig returns five retries, starting at 100ms and capped at 5s.
func DefaultRetryConfig() RetryConfig {
	return RetryConfig{MaxRetries: 5, InitialBackoff: 100 * time.Millisecond, MaxBackoff: 5 * time.Second}
}

// Validate reports the first invalid field.
func (r RetryConfig) Validate() error {
	switch {
	case r.MaxRetries < 0:
		return fmt.Errorf("retry: max retries must not be negative, got %d", r.MaxRetries)
	case r.InitialBackoff <= 0:
		return fmt.Errorf("retry: initial backoff must be positive, got %s", r.InitialBackoff)
	case r.MaxBackoff < r.InitialBackoff:
		return fmt.Errorf("retry: max backoff %s is below initial backoff %s", r.MaxBackoff, r.InitialBackoff)
	}
	return nil
}

// wait returns how long to wait before retry number retry (0-based): the
// receiver's hint when it gave one (> 0), else exponential backoff; capped
// at MaxBackoff either way.
func (r RetryConfig) wait(retry int, hint time.Duration) time.Duration {
	d := hint
	if d <= 0 {
		d = r.InitialBackoff
		for range retry {
			d *= 2
			if d >= r.MaxBackoff {
				break
			}
		}
	}
	return min(d, r.MaxBackoff)
}

// PartialSuccessError reports that the receiver accepted the request but
// rejected some spans. Retrying does not help.
type PartialSuccessError struct {
	// Rejected is the number of spans the receiver rejected.
	Rejected int64
	// Message is the receiver's explanation.
	Message string
}

// Error implements error.
func (e *PartialSuccessError) Error() string {
	return fmt.Sprintf("receiver rejected %d spans: %s", e.Rejected, e.Message)
}

// partial turns an export response into an error when it reports rejects.
func partial(resp *coltracepb.ExportTraceServiceResponse) error {
	// A message without rejected spans is a warning: everything was accepted.
	ps := resp.GetPartialSuccess()
	if ps.GetRejectedSpans() == 0 {
		return nil
	}
	return &PartialSuccessError{Rejected: ps.GetRejectedSpans(), Message: ps.GetErrorMessage()}
}

// sleepCtx waits for d or until ctx is done.
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
