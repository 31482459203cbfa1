package demo

import (
	"compress/gzip"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	spb "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/protobuf/proto"
)

// otlpReceiver is an httptest OTLP/HTTP receiver whose answers are scripted.
type otlpReceiver struct {
	t       *testing.T
	mu      sync.Mutex
	answers []func(w http.ResponseWriter) // one per request; the last repeats
	got     []*coltracepb.ExportTraceServiceRequest
	headers []http.Header
}

func (o *otlpReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if r.Method != http.MethodPost || r.URL.Path != "/v1/traces" {
		http.Error(w, "not found", http.StatusNotFound)
		return
	}
	body := io.Reader(r.Body)
	if r.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			o.t.Errorf("gzip body: %v", err)
			return
		}
		body = zr
	}
	data, err := io.ReadAll(body)
	if err != nil {
		o.t.Errorf("read body: %v", err)
		return
	}
	var req coltracepb.ExportTraceServiceRequest
	if err := proto.Unmarshal(data, &req); err != nil {
		o.t.Errorf("body is not an ExportTraceServiceRequest: %v", err)
	}
	o.got = append(o.got, &req)
	o.headers = append(o.headers, r.Header.Clone())
	i := min(len(o.got)-1, len(o.answers)-1)
	o.answers[i](w)
}

func (o *otlpReceiver) requests() []*coltracepb.ExportTraceServiceRequest {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]*coltracepb.ExportTraceServiceRequest(nil), o.got...)
}

func ok200(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/x-protobuf")
	b, _ := proto.Marshal(&coltracepb.ExportTraceServiceResponse{})
	_, _ = w.Write(b)
}

func answer(code int, retryAfter string) func(w http.ResponseWriter) {
	return func(w http.ResponseWriter) {
		if retryAfter != "" {
			w.Header().Set("Retry-After", retryAfter)
		}
		w.Header().Set("Content-Type", "application/x-protobuf")
		w.WriteHeader(code)
		b, _ := proto.Marshal(&spb.Status{Code: 14, Message: "receiver says " + http.StatusText(code)})
		_, _ = w.Write(b)
	}
}

// newHTTPSinkTest starts a receiver and a sink whose waits are recorded
// instead of slept.
func newHTTPSinkTest(t *testing.T, answers ...func(w http.ResponseWriter)) (*HTTPSink, *otlpReceiver, *[]time.Duration) {
	t.Helper()
	rcv := &otlpReceiver{t: t, answers: answers}
	srv := httptest.NewServer(rcv)
	t.Cleanup(srv.Close)
	sink := NewHTTPSink(srv.URL+"/", srv.Client())
	var waits []time.Duration
	sink.sleep = func(ctx context.Context, d time.Duration) error {
		waits = append(waits, d)
		return ctx.Err()
	}
	return sink, rcv, &waits
}

func testBatch(t *testing.T) *coltracepb.ExportTraceServiceRequest {
	t.Helper()
	return newTestGenerator(t, nil).Batch(t0, 5)
}

func TestHTTPSink_Export_decodedByReceiver(t *testing.T) {
	sink, rcv, waits := newHTTPSinkTest(t, ok200)
	sink.Headers = http.Header{"Authorization": {"Bearer demo"}}
	req := testBatch(t)
	if err := sink.Export(context.Background(), req); err != nil {
		t.Fatalf("Export: %v", err)
	}
	got := rcv.requests()
	if len(got) != 1 || !proto.Equal(got[0], req) {
		t.Fatalf("receiver got %d requests, or a different one", len(got))
	}
	h := rcv.headers[0]
	if h.Get("Content-Type") != "application/x-protobuf" || h.Get("Authorization") != "Bearer demo" {
		t.Errorf("headers = %v", h)
	}
	if len(*waits) != 0 {
		t.Errorf("waited %v on success", *waits)
	}
}

func TestHTTPSink_Export_gzip(t *testing.T) {
	sink, rcv, _ := newHTTPSinkTest(t, ok200)
	sink.Gzip = true
	req := testBatch(t)
	if err := sink.Export(context.Background(), req); err != nil {
		t.Fatalf("Export: %v", err)
	}
	if got := rcv.requests(); len(got) != 1 || !proto.Equal(got[0], req) || rcv.headers[0].Get("Content-Encoding") != "gzip" {
		t.Fatal("gzip request not received intact")
	}
}

func TestHTTPSink_Export_retries(t *testing.T) {
	httpDate := time.Now().Add(3 * time.Second).UTC().Format(http.TimeFormat)
	tests := []struct {
		name      string
		answers   []func(w http.ResponseWriter)
		wantErr   string // empty: success
		wantCalls int
		wantWaits []time.Duration // with MaxBackoff 2s, InitialBackoff 100ms
	}{
		{"503 with Retry-After then success", []func(http.ResponseWriter){answer(503, "1"), ok200}, "", 2, []time.Duration{time.Second}},
		{"429 Retry-After capped", []func(http.ResponseWriter){answer(429, "30"), ok200}, "", 2, []time.Duration{2 * time.Second}},
		{"502 without hint backs off", []func(http.ResponseWriter){answer(502, ""), answer(504, ""), ok200}, "", 3,
			[]time.Duration{100 * time.Millisecond, 200 * time.Millisecond}},
		{"http date", []func(http.ResponseWriter){answer(503, httpDate), ok200}, "", 2, nil},
		{"gives up", []func(http.ResponseWriter){answer(503, "")}, "failed after 4 attempts: status 503: receiver says Service Unavailable", 4,
			[]time.Duration{100 * time.Millisecond, 200 * time.Millisecond, 400 * time.Millisecond}},
		{"400 is permanent", []func(http.ResponseWriter){answer(400, "1")}, "status 400: receiver says Bad Request", 1, nil},
		{"text error body", []func(http.ResponseWriter){func(w http.ResponseWriter) { http.Error(w, "body too large", 413) }},
			"status 413: body too large", 1, nil},
		{"partial success", []func(http.ResponseWriter){func(w http.ResponseWriter) {
			b, _ := proto.Marshal(&coltracepb.ExportTraceServiceResponse{PartialSuccess: &coltracepb.ExportTracePartialSuccess{RejectedSpans: 3, ErrorMessage: "bad ids"}})
			_, _ = w.Write(b)
		}}, "receiver rejected 3 spans: bad ids", 1, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sink, rcv, waits := newHTTPSinkTest(t, tt.answers...)
			sink.Retry = RetryConfig{MaxRetries: 3, InitialBackoff: 100 * time.Millisecond, MaxBackoff: 2 * time.Second}
			err := sink.Export(context.Background(), testBatch(t))
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("Export: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("Export = %v, want %q", err, tt.wantErr)
			}
			if err != nil && !strings.Contains(err.Error(), sink.URL()) {
				t.Errorf("error %q does not name the endpoint", err)
			}
			if n := len(rcv.requests()); n != tt.wantCalls {
				t.Errorf("%d requests, want %d", n, tt.wantCalls)
			}
			if tt.name == "http date" {
				if len(*waits) != 1 || (*waits)[0] < time.Second || (*waits)[0] > 2*time.Second {
					t.Errorf("waits = %v, want one of 1-2s (date 3s ahead, capped at 2s)", *waits)
				}
				return
			}
			if len(*waits) != len(tt.wantWaits) {
				t.Fatalf("waits = %v, want %v", *waits, tt.wantWaits)
			}
			for i := range tt.wantWaits {
				if (*waits)[i] != tt.wantWaits[i] {
					t.Errorf("waits = %v, want %v", *waits, tt.wantWaits)
				}
			}
		})
	}
}

func TestHTTPSink_Export_errorTypes(t *testing.T) {
	sink, _, _ := newHTTPSinkTest(t, answer(400, ""))
	err := sink.Export(context.Background(), testBatch(t))
	var herr *HTTPError
	if !errors.As(err, &herr) || herr.StatusCode != 400 {
		t.Fatalf("Export = %v, want an *HTTPError with status 400", err)
	}
	sink, _, _ = newHTTPSinkTest(t, func(w http.ResponseWriter) {
		b, _ := proto.Marshal(&coltracepb.ExportTraceServiceResponse{PartialSuccess: &coltracepb.ExportTracePartialSuccess{RejectedSpans: 2}})
		_, _ = w.Write(b)
	})
	var perr *PartialSuccessError
	if err := sink.Export(context.Background(), testBatch(t)); !errors.As(err, &perr) || perr.Rejected != 2 {
		t.Fatalf("Export = %v, want a *PartialSuccessError with 2 rejected", err)
	}
}

func TestHTTPSink_Export_cancelledWhileWaiting(t *testing.T) {
	sink, rcv, _ := newHTTPSinkTest(t, answer(503, "1"))
	sink.sleep = sleepCtx // really wait, so cancellation interrupts it
	req := testBatch(t)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := sink.Export(ctx, req)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Export = %v, want deadline exceeded", err)
	}
	if took, n := time.Since(start), len(rcv.requests()); took > 900*time.Millisecond || n != 1 {
		t.Errorf("Export took %v and made %d requests; cancellation should end the 1s retry wait after one", took, n)
	}
}

func TestHTTPSink_Export_unreachable(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	sink := NewHTTPSink(url, nil)
	var waits int
	sink.sleep = func(context.Context, time.Duration) error { waits++; return nil }
	sink.Retry.MaxRetries = 2
	err := sink.Export(context.Background(), testBatch(t))
	if err == nil || !strings.Contains(err.Error(), "failed after 3 attempts") || waits != 2 {
		t.Fatalf("Export to a closed port = %v after %d waits, want 3 attempts", err, waits)
	}
}

func TestNewHTTPSink_URL(t *testing.T) {
	for in, want := range map[string]string{
		"http://localhost:4318":            "http://localhost:4318/v1/traces",
		"http://localhost:4318/":           "http://localhost:4318/v1/traces",
		"http://localhost:4318/v1/traces":  "http://localhost:4318/v1/traces",
		"https://otel.example/prefix":      "https://otel.example/prefix/v1/traces",
		"https://otel.example/v1/traces//": "https://otel.example/v1/traces",
	} {
		if got := NewHTTPSink(in, nil).URL(); got != want {
			t.Errorf("NewHTTPSink(%q).URL() = %q, want %q", in, got, want)
		}
	}
}

func TestRetryConfig_wait_backoff(t *testing.T) {
	r := RetryConfig{MaxRetries: 10, InitialBackoff: 100 * time.Millisecond, MaxBackoff: time.Second}
	tests := []struct {
		retry int
		hint  time.Duration
		want  time.Duration
	}{
		{0, 0, 100 * time.Millisecond},
		{1, 0, 200 * time.Millisecond},
		{3, 0, 800 * time.Millisecond},
		{4, 0, time.Second},
		{60, 0, time.Second},
		{0, 300 * time.Millisecond, 300 * time.Millisecond},
		{0, time.Minute, time.Second},
	}
	for _, tt := range tests {
		if got := r.wait(tt.retry, tt.hint); got != tt.want {
			t.Errorf("wait(%d, %v) = %v, want %v", tt.retry, tt.hint, got, tt.want)
		}
	}
	if err := r.Validate(); err != nil {
		t.Errorf("Validate: %v", err)
	}
	for _, bad := range []RetryConfig{{MaxRetries: -1, InitialBackoff: 1, MaxBackoff: 1}, {InitialBackoff: 0, MaxBackoff: 1}, {InitialBackoff: 2, MaxBackoff: 1}} {
		if bad.Validate() == nil {
			t.Errorf("Validate(%+v) = nil", bad)
		}
	}
}

func TestRetryAfter_parse(t *testing.T) {
	now := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	for in, want := range map[string]time.Duration{
		"":    0,
		"5":   5 * time.Second,
		" 2 ": 2 * time.Second,
		"-1":  0,
		"abc": 0,
		now.Add(7 * time.Second).Format(http.TimeFormat): 7 * time.Second,
		now.Add(-time.Hour).Format(http.TimeFormat):      0,
	} {
		if got := retryAfter(in, now); got != want {
			t.Errorf("retryAfter(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestHTTPSink_Export_badRetryConfig(t *testing.T) {
	sink, rcv, _ := newHTTPSinkTest(t, ok200)
	sink.Retry.InitialBackoff = 0
	if err := sink.Export(context.Background(), testBatch(t)); err == nil || !strings.Contains(err.Error(), "initial backoff") {
		t.Fatalf("Export with zero backoff = %v, want a config error", err)
	}
	if n := len(rcv.requests()); n != 0 {
		t.Errorf("%d requests sent with an invalid retry config", n)
	}
}
