package zipkin

import (
	"bytes"
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
// reporter: a client span in frontend and its shared server half in backend.
func TestReceiver_zipkinGoReporter(t *testing.T) {
	sink := &fakeSink{}
	srv := httptest.NewServer(newTestReceiver(t, sink).Handler())
	defer srv.Close()
	rep := zipkinhttp.NewReporter(srv.URL+SpansPath, zipkinhttp.BatchInterval(10*time.Millisecond))

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
}

func TestReceiver_statuses(t *testing.T) {
	valid := `[{"traceId":"86154a4ba6e91385","id":"4d1e00c0db9010db","kind":"SERVER","name":"get","timestamp":1472470996199000,"duration":207000,"localEndpoint":{"serviceName":"frontend"}}]`
	for _, tc := range []struct {
		name, method, ctype, body string
		busy                      int
		want                      int
		wantMsg                   string
	}{
		{name: "accepted", method: "POST", ctype: "application/json", body: valid, want: 202},
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
