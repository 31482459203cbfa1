package demo

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	spb "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/protobuf/proto"
)

// maxResponseBytes bounds how much of a receiver's answer is read.
const maxResponseBytes = 64 << 10

// HTTPSink exports batches with OTLP/HTTP: protobuf bodies POSTed to
// <endpoint>/v1/traces. It retries 429, 502, 503 and 504 answers and
// transport errors, honouring Retry-After up to Retry.MaxBackoff. Set the
// exported fields before the first Export.
type HTTPSink struct {
	url    string
	client *http.Client
	// Headers are added to every request, e.g. Authorization.
	Headers http.Header
	// Gzip compresses request bodies (Content-Encoding: gzip).
	Gzip bool
	// Retry configures retries.
	Retry RetryConfig

	sleep func(ctx context.Context, d time.Duration) error
	now   func() time.Time
}

// NewHTTPSink returns a sink posting to endpoint + "/v1/traces" (an endpoint
// that already ends in /v1/traces is used as is). A nil client means a client
// with a 10s timeout.
func NewHTTPSink(endpoint string, client *http.Client) *HTTPSink {
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	u := strings.TrimRight(endpoint, "/")
	if !strings.HasSuffix(u, "/v1/traces") {
		u += "/v1/traces"
	}
	return &HTTPSink{url: u, client: client, Retry: DefaultRetryConfig(), sleep: sleepCtx, now: time.Now}
}

// URL returns the address batches are posted to.
func (s *HTTPSink) URL() string { return s.url }

// HTTPError is a non-2xx answer of an OTLP/HTTP receiver.
type HTTPError struct {
	// StatusCode is the HTTP status.
	StatusCode int
	// Message is the receiver's explanation: the google.rpc.Status message
	// of a protobuf body, or the start of a text body.
	Message string
}

// Error implements error.
func (e *HTTPError) Error() string {
	return fmt.Sprintf("status %d: %s", e.StatusCode, e.Message)
}

// retryable marks an error worth retrying, with the receiver's wait hint.
type retryable struct {
	err  error
	hint time.Duration
}

func (r *retryable) Error() string { return r.err.Error() }
func (r *retryable) Unwrap() error { return r.err }

// Export posts req, retrying as configured. Errors say where the export
// went and why it failed; a *HTTPError or *PartialSuccessError can be
// recovered with errors.As.
func (s *HTTPSink) Export(ctx context.Context, req *coltracepb.ExportTraceServiceRequest) error {
	if err := s.Retry.Validate(); err != nil {
		return fmt.Errorf("otlp http: %w", err)
	}
	body, err := s.encode(req)
	if err != nil {
		return fmt.Errorf("otlp http: %w", err)
	}
	for retry := 0; ; retry++ {
		err := s.post(ctx, body)
		if err == nil {
			return nil
		}
		var r *retryable
		if !errors.As(err, &r) || retry >= s.Retry.MaxRetries {
			if retry > 0 {
				return fmt.Errorf("otlp http: export to %s failed after %d attempts: %w", s.url, retry+1, err)
			}
			return fmt.Errorf("otlp http: export to %s: %w", s.url, err)
		}
		if werr := s.sleep(ctx, s.Retry.wait(retry, r.hint)); werr != nil {
			return fmt.Errorf("otlp http: export to %s: %w (waiting to retry after: %v)", s.url, werr, err)
		}
	}
}

// encode marshals and optionally compresses req.
func (s *HTTPSink) encode(req *coltracepb.ExportTraceServiceRequest) ([]byte, error) {
	body, err := proto.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("marshal request: %w", err)
	}
	if !s.Gzip {
		return body, nil
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(body); err != nil {
		return nil, fmt.Errorf("compress request: %w", err)
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("compress request: %w", err)
	}
	return buf.Bytes(), nil
}

// post makes one attempt. Errors worth retrying are *retryable.
func (s *HTTPSink) post(ctx context.Context, body []byte) error {
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, s.url, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("build request: %w", err)
	}
	for k, vs := range s.Headers {
		for _, v := range vs {
			hr.Header.Add(k, v)
		}
	}
	hr.Header.Set("Content-Type", "application/x-protobuf")
	if s.Gzip {
		hr.Header.Set("Content-Encoding", "gzip")
	}
	resp, err := s.client.Do(hr)
	if err != nil {
		if ctx.Err() != nil {
			return err
		}
		return &retryable{err: err}
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxResponseBytes)) // let the connection be reused
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		if err != nil || len(data) == 0 {
			return nil // accepted; the answer body is informational
		}
		var out coltracepb.ExportTraceServiceResponse
		if proto.Unmarshal(data, &out) != nil {
			return nil
		}
		return partial(&out)
	}
	herr := &HTTPError{StatusCode: resp.StatusCode, Message: errorMessage(resp, data)}
	switch resp.StatusCode {
	case http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return &retryable{err: herr, hint: retryAfter(resp.Header.Get("Retry-After"), s.now())}
	}
	return herr
}

// errorMessage extracts the receiver's explanation from an error answer:
// a google.rpc.Status for protobuf bodies, else the start of the text.
func errorMessage(resp *http.Response, data []byte) string {
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "application/x-protobuf") {
		var st spb.Status
		if proto.Unmarshal(data, &st) == nil && st.GetMessage() != "" {
			return st.GetMessage()
		}
	}
	msg := strings.TrimSpace(string(data))
	if len(msg) > 200 {
		msg = msg[:200]
		for !utf8.ValidString(msg) {
			msg = msg[:len(msg)-1]
		}
		msg += "..."
	}
	if msg == "" || !utf8.ValidString(msg) {
		return http.StatusText(resp.StatusCode)
	}
	return msg
}

// retryAfter parses a Retry-After value (seconds or an HTTP date); zero
// means no usable hint.
func retryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs <= 0 || secs > 24*3600 {
			return 0
		}
		return time.Duration(secs) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0)
	}
	return 0
}
