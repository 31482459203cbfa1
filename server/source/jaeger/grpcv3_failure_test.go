package jaeger

import (
	"context"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protowire"

	"github.com/spanmap/spanmap/server/poll"
	"github.com/spanmap/spanmap/server/source/conn"
	"github.com/spanmap/spanmap/server/source/rawpb"
)

// flakyV3 is an api_v3 QueryService over gRPC with switches for failures:
// every call fails with a status, FindTraces streams bytes that are not
// TracesData, or every answer waits.
type flakyV3 struct {
	mu      sync.Mutex
	code    codes.Code
	corrupt bool
	delay   time.Duration
}

func (f *flakyV3) set(fn func(f *flakyV3)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn(f)
}

// wait applies the switches: it returns the status to fail with, if any.
func (f *flakyV3) wait(ctx context.Context) (bool, error) {
	f.mu.Lock()
	code, corrupt, delay := f.code, f.corrupt, f.delay
	f.mu.Unlock()
	if delay > 0 {
		select {
		case <-time.After(delay):
		case <-ctx.Done():
			return false, ctx.Err()
		}
	}
	if code != codes.OK {
		return false, status.Error(code, "failed when searching for traces: storage exploded")
	}
	return corrupt, nil
}

// serve serves f on addr ("127.0.0.1:0" for a free port) and returns the
// address and a stop function.
func (f *flakyV3) serve(t *testing.T, addr string) (string, func()) {
	t.Helper()
	desc := grpc.ServiceDesc{
		ServiceName: "jaeger.api_v3.QueryService",
		HandlerType: (*v3Handler)(nil),
		Methods: []grpc.MethodDesc{{MethodName: "GetServices", Handler: func(_ any, ctx context.Context, dec func(any) error, _ grpc.UnaryServerInterceptor) (any, error) {
			var in rawpb.Message
			if err := dec(&in); err != nil {
				return nil, err
			}
			if _, err := f.wait(ctx); err != nil {
				return nil, err
			}
			var b []byte
			for _, s := range []string{"frontend", "checkout"} {
				b = protowire.AppendTag(b, 1, protowire.BytesType)
				b = protowire.AppendString(b, s)
			}
			return &rawpb.Message{B: b}, nil
		}}},
		Streams: []grpc.StreamDesc{{StreamName: "FindTraces", ServerStreams: true, Handler: func(_ any, stream grpc.ServerStream) error {
			var in rawpb.Message
			if err := stream.RecvMsg(&in); err != nil {
				return err
			}
			corrupt, err := f.wait(stream.Context())
			if err != nil {
				return err
			}
			for _, tb := range []byte{1, 2} {
				b := tracesData(t, tb, "frontend")
				if corrupt {
					b = b[:len(b)/2]
				}
				if err := stream.SendMsg(&rawpb.Message{B: b}); err != nil {
					return err
				}
			}
			return nil
		}}},
	}
	var (
		ln  net.Listener
		err error
	)
	for range 50 { // the address was just released: retry briefly
		if ln, err = net.Listen("tcp", addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		t.Fatal(err)
	}
	s := grpc.NewServer(grpc.ForceServerCodec(rawpb.Codec{}))
	s.RegisterService(&desc, &fakeV3{})
	go s.Serve(ln)
	t.Cleanup(s.Stop)
	return ln.Addr().String(), s.Stop
}

// TestPuller_v3GRPC_failures runs the api_v3 gRPC puller through a poller
// against a QueryService that is down at start, fails with a status,
// streams undecodable messages, answers past the timeout and goes down
// mid-run; after each the source recovers and fetches each trace once.
func TestPuller_v3GRPC_failures(t *testing.T) {
	f := &flakyV3{}
	addr, stop := f.serve(t, "127.0.0.1:0")
	stop() // down at start
	cfg := DefaultConfig()
	cfg.Conn = conn.Config{URL: "grpc://" + addr, Timeout: 500 * time.Millisecond}
	cfg.Protocol = APIv3GRPC
	p, err := NewPuller(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	s := &sink{}
	pl := newPoller(t, p, s)
	pollExpect(t, pl, poll.StateDegraded, "code = Unavailable")
	pollExpect(t, pl, poll.StateDegraded, "code = Unavailable")
	pollExpect(t, pl, poll.StateDown, "code = Unavailable")
	if !strings.Contains(pl.Status().LastError, "list services of jaeger-test: jaeger /jaeger.api_v3.QueryService/GetServices") {
		t.Fatalf("status error %q does not name the source and the method", pl.Status().LastError)
	}
	_, stop = f.serve(t, addr)
	waitPoll(t, pl)
	if st := pl.Status(); st.TracesFetched != 2 || s.count() != 2 {
		t.Fatalf("after recovery: %d traces, %d spans; want 2 and 2", st.TracesFetched, s.count())
	}
	for _, tc := range []struct {
		name, errText string
		set           func(f *flakyV3, on bool)
		malformed     int64
	}{
		{"server errors", "code = Internal desc = failed when searching for traces: storage exploded",
			func(f *flakyV3, on bool) { f.code = map[bool]codes.Code{true: codes.Internal}[on] }, 0},
		// One per service: the poll queries both services even after the
		// first answered malformed.
		{"undecodable traces", "malformed response", func(f *flakyV3, on bool) { f.corrupt = on }, 2},
		{"slow past the timeout", "timed out: rpc error: code = DeadlineExceeded",
			func(f *flakyV3, on bool) { f.delay = map[bool]time.Duration{true: 3 * time.Second}[on] }, 0},
	} {
		before := p.Malformed()
		f.set(func(f *flakyV3) { tc.set(f, true) })
		pollExpect(t, pl, poll.StateDegraded, tc.errText)
		if got := p.Malformed() - before; got != tc.malformed {
			t.Fatalf("%s: %d malformed responses counted, want %d", tc.name, got, tc.malformed)
		}
		f.set(func(f *flakyV3) { tc.set(f, false) })
		pollExpect(t, pl, poll.StateOK, "")
	}
	stop() // down mid-run
	pollExpect(t, pl, poll.StateDegraded, "code = Unavailable")
	f.serve(t, addr)
	waitPoll(t, pl)
	if st := pl.Status(); st.TracesFetched != 2 || s.count() != 2 {
		t.Fatalf("after the last recovery: %+v, %d spans; want the 2 traces once", st, s.count())
	}
}
