package zipkin

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	zipkingo "github.com/openzipkin/zipkin-go"
	"github.com/openzipkin/zipkin-go/model"
	"github.com/openzipkin/zipkin-go/proto/zipkin_proto3"
	zipkinhttp "github.com/openzipkin/zipkin-go/reporter/http"

	"github.com/spanmap/spanmap/graph/span"
)

type fakeSink struct {
	mu    sync.Mutex
	busy  int
	spans []span.Span
}

func (f *fakeSink) Submit(_ string, spans []span.Span) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.busy > 0 {
		f.busy--
		return errors.New("ingest queue is full")
	}
	f.spans = append(f.spans, spans...)
	return nil
}

func (f *fakeSink) snapshot() []span.Span {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]span.Span(nil), f.spans...)
}

func newTestReceiver(t *testing.T, sink Sink) *Receiver {
	t.Helper()
	cfg := DefaultReceiverConfig()
	cfg.MaxBodyBytes = 1 << 20
	r, err := NewReceiver(cfg, sink, nil)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestReceiver_zipkinGoReporter posts spans with zipkin-go's real HTTP
// reporter, in JSON and in proto3: a client span in frontend and its
// shared server half in backend.
func TestReceiver_zipkinGoReporter(t *testing.T) {
	for _, tc := range []struct {
		name  string
		opts  []zipkinhttp.ReporterOption
		ctype string
	}{
		{"json", nil, "application/json"},
		{"proto3", []zipkinhttp.ReporterOption{zipkinhttp.Serializer(zipkin_proto3.SpanSerializer{})}, "application/x-protobuf"},
	} {
		t.Run(tc.name, func(t *testing.T) { testReporter(t, tc.opts, tc.ctype) })
	}
}

func testReporter(t *testing.T, opts []zipkinhttp.ReporterOption, ctype string) {
	sink := &fakeSink{}
	var gotType string
	h := newTestReceiver(t, sink).Handler()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotType = r.Header.Get("Content-Type")
		h.ServeHTTP(w, r)
	}))
	defer srv.Close()
	rep := zipkinhttp.NewReporter(srv.URL+SpansPath, append([]zipkinhttp.ReporterOption{zipkinhttp.BatchInterval(10 * time.Millisecond)}, opts...)...)

	front, err := zipkingo.NewEndpoint("frontend", "127.0.0.1:8080")
	if err != nil {
		t.Fatal(err)
	}
	tracer, err := zipkingo.NewTracer(rep, zipkingo.WithLocalEndpoint(front), zipkingo.WithSharedSpans(true))
	if err != nil {
		t.Fatal(err)
	}
	client := tracer.StartSpan("get /api", zipkingo.Kind(model.Client),
		zipkingo.RemoteEndpoint(&model.Endpoint{ServiceName: "backend"}))
	client.Tag("http.status_code", "503")
	back, _ := zipkingo.NewEndpoint("backend", "127.0.0.1:9000")
	backTracer, err := zipkingo.NewTracer(rep, zipkingo.WithLocalEndpoint(back), zipkingo.WithSharedSpans(true))
	if err != nil {
		t.Fatal(err)
	}
	server := backTracer.StartSpan("get /api", zipkingo.Kind(model.Server), zipkingo.Parent(client.Context()))
	server.Finish()
	client.Finish()
	if err := rep.Close(); err != nil { // flushes the batch
		t.Fatal(err)
	}

	got := sink.snapshot()
	if len(got) != 2 {
		t.Fatalf("sink got %d spans, want 2", len(got))
	}
	var sawShared, sawClientErr bool
	for _, s := range got {
		switch s.Kind {
		case span.KindServer:
			sawShared = s.Shared && s.Service == "backend"
		case span.KindClient:
			sawClientErr = s.Service == "frontend" && s.Peer.RemoteService == "backend" && s.IsError()
		}
	}
	if !sawShared || !sawClientErr {
		t.Fatalf("spans not decoded as expected: %+v", got)
	}
	if gotType != ctype {
		t.Fatalf("the reporter sent %q, want %q", gotType, ctype)
	}
}

func TestReceiver_statuses(t *testing.T) {
	valid := `[{"traceId":"86154a4ba6e91385","id":"4d1e00c0db9010db","kind":"SERVER","name":"get","timestamp":1472470996199000,"duration":207000,"localEndpoint":{"serviceName":"frontend"}}]`
	var gzValid, bomb bytes.Buffer
	zw := gzip.NewWriter(&gzValid)
	zw.Write([]byte(valid))
	zw.Close()
	zw = gzip.NewWriter(&bomb)
	zw.Write(make([]byte, 8<<20)) // 8 MiB of zeros in about 8 KiB: far past the 1 MiB limit once inflated
	zw.Close()
	for _, tc := range []struct {
		name, method, ctype, enc, body string
		busy                           int
		want                           int
		wantMsg                        string
	}{
		{name: "accepted", method: "POST", ctype: "application/json", body: valid, want: 202},
		{name: "gzip accepted", method: "POST", ctype: "application/json", enc: "gzip", body: gzValid.String(), want: 202},
		{name: "gzip bomb", method: "POST", ctype: "application/json", enc: "gzip", body: bomb.String(), want: 413, wantMsg: "too large"},
		{name: "truncated gzip", method: "POST", ctype: "application/json", enc: "gzip", body: gzValid.String()[:30], want: 400, wantMsg: "malformed"},
		{name: "unknown encoding", method: "POST", ctype: "application/json", enc: "br", body: valid, want: 415, wantMsg: "unsupported content encoding"},
		{name: "malformed proto3", method: "POST", ctype: "application/x-protobuf", body: "\x0a\xff\x01", want: 400, wantMsg: "zipkin"},
		{name: "malformed", method: "POST", ctype: "application/json", body: `[{"traceId":"zz"}]`, want: 400, wantMsg: "zipkin"},
		{name: "truncated", method: "POST", ctype: "application/json", body: valid[:40], want: 400, wantMsg: "zipkin"},
		{name: "wrong type", method: "POST", ctype: "text/xml", body: valid, want: 415, wantMsg: "unsupported content type"},
		{name: "too large", method: "POST", ctype: "application/json", body: strings.Repeat(" ", 2<<20), want: 413, wantMsg: "too large"},
		{name: "busy", method: "POST", ctype: "application/json", body: valid, busy: 1, want: 503, wantMsg: "retry later"},
		{name: "get", method: "GET", want: 405},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sink := &fakeSink{busy: tc.busy}
			srv := httptest.NewServer(newTestReceiver(t, sink).Handler())
			defer srv.Close()
			req, _ := http.NewRequest(tc.method, srv.URL+SpansPath, bytes.NewReader([]byte(tc.body)))
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
			if !strings.Contains(string(body), tc.wantMsg) {
				t.Fatalf("body %q does not mention %q", body, tc.wantMsg)
			}
			if tc.want == 503 && resp.Header.Get("Retry-After") == "" {
				t.Error("503 without Retry-After")
			}
			if wantSpans := map[bool]int{true: 1, false: 0}[tc.want == 202]; len(sink.snapshot()) != wantSpans {
				t.Fatalf("sink got %d spans, want %d", len(sink.snapshot()), wantSpans)
			}
		})
	}
}
