package demo

import (
	"context"
	"errors"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	grpcstatus "google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"
)

// traceServer is an in-process OTLP/gRPC receiver whose answers are
// scripted: each entry is the error for one call (nil accepts); the last
// one repeats.
type traceServer struct {
	coltracepb.UnimplementedTraceServiceServer
	mu      sync.Mutex
	answers []error
	partial *coltracepb.ExportTracePartialSuccess
	got     []*coltracepb.ExportTraceServiceRequest
}

func (s *traceServer) Export(_ context.Context, req *coltracepb.ExportTraceServiceRequest) (*coltracepb.ExportTraceServiceResponse, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.got = append(s.got, req)
	if err := s.answers[min(len(s.got)-1, len(s.answers)-1)]; err != nil {
		return nil, err
	}
	return &coltracepb.ExportTraceServiceResponse{PartialSuccess: s.partial}, nil
}

func (s *traceServer) requests() []*coltracepb.ExportTraceServiceRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*coltracepb.ExportTraceServiceRequest(nil), s.got...)
}

// startTraceServer serves srv on 127.0.0.1:0 and returns a sink dialled to
// it whose waits are recorded instead of slept.
func startTraceServer(t *testing.T, srv *traceServer) (*GRPCSink, *[]time.Duration) {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	gs := grpc.NewServer()
	coltracepb.RegisterTraceServiceServer(gs, srv)
	served := make(chan struct{})
	go func() {
		defer close(served)
		_ = gs.Serve(lis)
	}()
	sink, err := NewGRPCSink(lis.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	var waits []time.Duration
	sink.sleep = func(ctx context.Context, d time.Duration) error {
		waits = append(waits, d)
		return ctx.Err()
	}
	sink.Retry = RetryConfig{MaxRetries: 2, InitialBackoff: 100 * time.Millisecond, MaxBackoff: time.Second}
	t.Cleanup(func() {
		if err := sink.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		gs.Stop()
		<-served
	})
	return sink, &waits
}

func withRetryInfo(c codes.Code, delay time.Duration) error {
	st, err := grpcstatus.New(c, "busy").WithDetails(&errdetails.RetryInfo{RetryDelay: durationpb.New(delay)})
	if err != nil {
		panic(err)
	}
	return st.Err()
}

func TestGRPCSink_Export_answers(t *testing.T) {
	tests := []struct {
		name      string
		answers   []error
		partial   *coltracepb.ExportTracePartialSuccess
		wantErr   string
		wantCode  codes.Code
		wantCalls int
		wantWaits []time.Duration
	}{
		{name: "accepted", answers: []error{nil}, wantCalls: 1},
		{name: "unavailable with RetryInfo then accepted",
			answers:   []error{withRetryInfo(codes.Unavailable, 300*time.Millisecond), nil},
			wantCalls: 2, wantWaits: []time.Duration{300 * time.Millisecond}},
		{name: "RetryInfo capped",
			answers:   []error{withRetryInfo(codes.ResourceExhausted, time.Minute), nil},
			wantCalls: 2, wantWaits: []time.Duration{time.Second}},
		{name: "unavailable backs off then gives up",
			answers: []error{grpcstatus.Error(codes.Unavailable, "down")},
			wantErr: "failed after 3 attempts", wantCode: codes.Unavailable, wantCalls: 3,
			wantWaits: []time.Duration{100 * time.Millisecond, 200 * time.Millisecond}},
		{name: "resource exhausted without RetryInfo is permanent",
			answers: []error{grpcstatus.Error(codes.ResourceExhausted, "quota")},
			wantErr: "quota", wantCode: codes.ResourceExhausted, wantCalls: 1},
		{name: "invalid argument is permanent",
			answers: []error{grpcstatus.Error(codes.InvalidArgument, "bad span")},
			wantErr: "bad span", wantCode: codes.InvalidArgument, wantCalls: 1},
		{name: "partial success", answers: []error{nil},
			partial: &coltracepb.ExportTracePartialSuccess{RejectedSpans: 4, ErrorMessage: "too old"},
			wantErr: "receiver rejected 4 spans: too old", wantCalls: 1},
		{name: "warning without rejects", answers: []error{nil},
			partial:   &coltracepb.ExportTracePartialSuccess{ErrorMessage: "deprecated attribute"},
			wantCalls: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := &traceServer{answers: tt.answers, partial: tt.partial}
			sink, waits := startTraceServer(t, srv)
			req := testBatch(t)
			err := sink.Export(context.Background(), req)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("Export: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("Export = %v, want %q", err, tt.wantErr)
			}
			if tt.wantCode != codes.OK {
				if st, ok := grpcstatus.FromError(errors.Unwrap(err)); !ok || st.Code() != tt.wantCode {
					t.Errorf("status of %v is not %s", err, tt.wantCode)
				}
			}
			got := srv.requests()
			if len(got) != tt.wantCalls {
				t.Fatalf("%d calls, want %d", len(got), tt.wantCalls)
			}
			for _, r := range got {
				if !proto.Equal(r, req) {
					t.Fatal("server received a different request")
				}
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

func TestGRPCSink_Export_asRunSink(t *testing.T) {
	srv := &traceServer{answers: []error{nil}}
	sink, _ := startTraceServer(t, srv)
	h := startRunWithSink(t, sink)
	for range 3 {
		h.step(time.Second)
	}
	h.stop()
	if n := len(srv.requests()); n != 3 {
		t.Fatalf("server got %d batches, want 3", n)
	}
	spans := 0
	for _, r := range srv.requests() {
		spans += len(flatten(t, r))
	}
	if st := h.g.Stats(); int64(spans) != st.Spans || st.ExportErrors != 0 {
		t.Errorf("server got %d spans, stats = %+v", spans, st)
	}
}

func TestNewGRPCSinkConn_callerOwnsConnection(t *testing.T) {
	srv := &traceServer{answers: []error{nil}}
	owned, _ := startTraceServer(t, srv)
	sink := NewGRPCSinkConn(owned.conn)
	if err := sink.Export(context.Background(), testBatch(t)); err != nil {
		t.Fatalf("Export: %v", err)
	}
	if err := sink.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	// The connection is still usable by its owner.
	if err := owned.Export(context.Background(), testBatch(t)); err != nil {
		t.Fatalf("Export after closing the borrowing sink: %v", err)
	}
}
