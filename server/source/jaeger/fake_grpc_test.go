package jaeger

import (
	"context"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jaegertracing/jaeger-idl/model/v1"
	"github.com/jaegertracing/jaeger-idl/proto-gen/api_v2"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// fakeQuery is an api_v2 QueryService serving the spans captured from
// Jaeger 2.13's FindTraces stream (testdata/api_v2_findtraces.pb), sent the
// way Jaeger sends them: per trace, in chunks of at most ten spans.
type fakeQuery struct {
	api_v2.UnimplementedQueryServiceServer
	traces [][]model.Span // captured traces, in order

	mu       sync.Mutex
	code     codes.Code // non-OK: every call fails with it
	delay    time.Duration
	corrupt  bool // send a span without a trace ID
	requests []*api_v2.TraceQueryParameters
	auth     string // authorization metadata of the last call
}

func newFakeQuery(t testing.TB) *fakeQuery {
	var chunk api_v2.SpansResponseChunk
	if err := chunk.Unmarshal(readTestdata(t, "api_v2_findtraces.pb")); err != nil {
		t.Fatal(err)
	}
	f := &fakeQuery{}
	index := map[model.TraceID]int{}
	for _, s := range chunk.Spans {
		i, ok := index[s.TraceID]
		if !ok {
			i = len(f.traces)
			index[s.TraceID] = i
			f.traces = append(f.traces, nil)
		}
		f.traces[i] = append(f.traces[i], s)
	}
	return f
}

func (f *fakeQuery) set(fn func(f *fakeQuery)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn(f)
}

// wait records the call's credentials and applies the configured delay and
// failure.
func (f *fakeQuery) wait(ctx context.Context) error {
	md, _ := metadata.FromIncomingContext(ctx)
	f.mu.Lock()
	code, delay := f.code, f.delay
	f.auth = strings.Join(md.Get("authorization"), ",")
	f.mu.Unlock()
	if delay > 0 {
		select {
		case <-time.After(delay):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if code != codes.OK {
		return status.Error(code, "failed when searching for traces: storage exploded")
	}
	return nil
}

func (f *fakeQuery) GetServices(ctx context.Context, _ *api_v2.GetServicesRequest) (*api_v2.GetServicesResponse, error) {
	if err := f.wait(ctx); err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var out []string
	for _, tr := range f.traces {
		for _, s := range tr {
			if !seen[s.Process.ServiceName] {
				seen[s.Process.ServiceName] = true
				out = append(out, s.Process.ServiceName)
			}
		}
	}
	return &api_v2.GetServicesResponse{Services: out}, nil
}

func (f *fakeQuery) FindTraces(req *api_v2.FindTracesRequest, stream api_v2.QueryService_FindTracesServer) error {
	f.mu.Lock()
	f.requests = append(f.requests, req.Query)
	corrupt := f.corrupt
	f.mu.Unlock()
	if err := f.wait(stream.Context()); err != nil {
		return err
	}
	q := req.Query
	sent := 0
	for _, tr := range f.traces {
		if sent >= int(q.SearchDepth) {
			break
		}
		if !hasService(tr, q.ServiceName) {
			continue
		}
		sent++
		for i := 0; i < len(tr); i += 10 {
			chunk := &api_v2.SpansResponseChunk{Spans: append([]model.Span(nil), tr[i:min(i+10, len(tr))]...)}
			if corrupt {
				chunk.Spans[0].TraceID = model.TraceID{}
			}
			if err := stream.Send(chunk); err != nil {
				return err
			}
		}
	}
	return nil
}

func hasService(tr []model.Span, svc string) bool {
	for _, s := range tr {
		if s.Process != nil && s.Process.ServiceName == svc {
			return true
		}
	}
	return false
}

func (f *fakeQuery) GetDependencies(ctx context.Context, _ *api_v2.GetDependenciesRequest) (*api_v2.GetDependenciesResponse, error) {
	if err := f.wait(ctx); err != nil {
		return nil, err
	}
	return &api_v2.GetDependenciesResponse{Dependencies: []model.DependencyLink{
		{Parent: "frontend", Child: "route", CallCount: 70},
		{Parent: "customer", Child: "mysql", CallCount: 7},
	}}, nil
}

func (f *fakeQuery) lastAuth() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.auth
}

func (f *fakeQuery) lastRequest() *api_v2.TraceQueryParameters {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.requests) == 0 {
		return nil
	}
	return f.requests[len(f.requests)-1]
}

// grpcServer runs a fakeQuery on a loopback port.
type grpcServer struct {
	srv  *grpc.Server
	addr string
	done chan struct{}
}

// serveGRPC starts f on 127.0.0.1:port (0: any free port), stopped when the
// test ends.
func serveGRPC(t testing.TB, f *fakeQuery, addr string) *grpcServer {
	t.Helper()
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	g := &grpcServer{srv: grpc.NewServer(), addr: ln.Addr().String(), done: make(chan struct{})}
	api_v2.RegisterQueryServiceServer(g.srv, f)
	go func() {
		defer close(g.done)
		g.srv.Serve(ln)
	}()
	t.Cleanup(g.stop)
	return g
}

// stop stops the server and waits for it (idempotent).
func (g *grpcServer) stop() {
	g.srv.Stop()
	<-g.done
}
