package jaeger

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc/codes"

	"github.com/spanmap/spanmap/graph/span"
	"github.com/spanmap/spanmap/server/poll"
)

type sink struct {
	mu    sync.Mutex
	spans []span.Span
}

func (s *sink) Submit(_ string, spans []span.Span) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.spans = append(s.spans, spans...)
	return nil
}

func (s *sink) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.spans)
}

// backend is one protocol's fake Jaeger with switches for failures.
type backend struct {
	url      string
	proto    Protocol
	stop     func()                // takes the backend down
	restart  func(t *testing.T)    // brings it back on the same address
	fail500  func(on bool)         // answers every request with a server error
	malform  func(on bool)         // trace responses are undecodable
	slow     func(d time.Duration) // delays every answer
	wantDown string                // error text of a backend that is down (HTTP: "connection refused", or "reset" while the port closes)
	want500  string                // error text of a server error
	slowText string                // error text of a request past its timeout
}

// freeAddr returns a loopback address nothing listens on.
func freeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func httpBackend(t *testing.T, proto Protocol) *backend {
	f := newFakeJaeger(t)
	var srv *httptest.Server
	start := func(t *testing.T, addr string) {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		srv = &httptest.Server{Listener: ln, Config: &http.Server{Handler: f}}
		srv.Start()
		t.Cleanup(srv.Close)
	}
	start(t, "127.0.0.1:0")
	addr := srv.Listener.Addr().String()
	return &backend{
		url: srv.URL, proto: proto,
		stop:     func() { srv.Close() },
		restart:  func(t *testing.T) { start(t, addr) },
		fail500:  func(on bool) { f.set(func(f *fakeJaeger) { f.status = map[bool]int{true: 500}[on] }) },
		malform:  func(on bool) { f.set(func(f *fakeJaeger) { f.truncate = on }) },
		slow:     func(d time.Duration) { f.set(func(f *fakeJaeger) { f.delay = d }) },
		wantDown: "connect: connection re", want500: "500 Internal Server Error: storage exploded",
		slowText: "timed out",
	}
}

func grpcBackend(t *testing.T) *backend {
	f := newFakeQuery(t)
	g := serveGRPC(t, f, "")
	addr := g.addr
	return &backend{
		url: "grpc://" + addr, proto: APIv2GRPC,
		stop:     func() { g.stop() },
		restart:  func(t *testing.T) { g = serveGRPC(t, f, addr) },
		fail500:  func(on bool) { f.set(func(f *fakeQuery) { f.code = map[bool]codes.Code{true: codes.Internal}[on] }) },
		malform:  func(on bool) { f.set(func(f *fakeQuery) { f.corrupt = on }) },
		slow:     func(d time.Duration) { f.set(func(f *fakeQuery) { f.delay = d }) },
		wantDown: "code = Unavailable", want500: "code = Internal desc = failed when searching for traces: storage exploded",
		slowText: "timed out: rpc error: code = DeadlineExceeded",
	}
}

func newPoller(t *testing.T, p *Puller, s *sink) *poll.Poller {
	t.Helper()
	cfg := poll.DefaultConfig()
	cfg.Name, cfg.Kind = "jaeger-test", "jaeger"
	cfg.Lookback, cfg.Settle, cfg.Limit, cfg.Timeout = time.Minute, 0, 20, 5*time.Second
	pl, err := poll.New(cfg, p, s, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	return pl
}

// pollExpect polls once and checks the outcome and the status after it.
func pollExpect(t *testing.T, pl *poll.Poller, state poll.State, errText string) {
	t.Helper()
	err := pl.Poll(context.Background())
	st := pl.Status()
	if errText == "" {
		if err != nil {
			t.Fatalf("Poll() = %v, want success", err)
		}
	} else if err == nil || !strings.Contains(err.Error(), errText) || !strings.Contains(st.LastError, errText) {
		t.Fatalf("Poll() = %v, status error %q; want both to mention %q", err, st.LastError, errText)
	}
	if st.State != state {
		t.Fatalf("state = %s, want %s (last error %q)", st.State, state, st.LastError)
	}
}

func backends(t *testing.T) map[string]func(t *testing.T) *backend {
	return map[string]func(t *testing.T) *backend{
		"api_v3":      func(t *testing.T) *backend { return httpBackend(t, APIv3) },
		"legacy":      func(t *testing.T) *backend { return httpBackend(t, Legacy) },
		"auto http":   func(t *testing.T) *backend { return httpBackend(t, Auto) },
		"api_v2_grpc": grpcBackend,
	}
}

func TestPuller_withPoller_downAtStart(t *testing.T) {
	for name, mk := range backends(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			b := mk(t)
			b.stop()
			p := newTestPuller(t, b.url, b.proto, nil)
			s := &sink{}
			pl := newPoller(t, p, s)
			pollExpect(t, pl, poll.StateDegraded, b.wantDown)
			pollExpect(t, pl, poll.StateDegraded, b.wantDown)
			pollExpect(t, pl, poll.StateDown, b.wantDown)
			if !strings.Contains(pl.Status().LastError, "list services of jaeger-test") {
				t.Fatalf("status error %q does not name the source", pl.Status().LastError)
			}
			b.restart(t)
			waitPoll(t, pl)
			if st := pl.Status(); st.TracesFetched != 2 || s.count() != 79 {
				t.Fatalf("after recovery: %d traces, %d spans; want 2 and 79", st.TracesFetched, s.count())
			}
		})
	}
}

// waitPoll polls until a poll succeeds (a restarted gRPC backend is
// reconnected to with a short backoff).
func waitPoll(t *testing.T, pl *poll.Poller) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := pl.Poll(context.Background())
		if err == nil {
			if st := pl.Status(); st.State != poll.StateOK {
				t.Fatalf("state after a good poll = %s", st.State)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no successful poll after the backend came back: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestPuller_withPoller_downMidRun(t *testing.T) {
	for name, mk := range backends(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			b := mk(t)
			p := newTestPuller(t, b.url, b.proto, nil)
			s := &sink{}
			pl := newPoller(t, p, s)
			pollExpect(t, pl, poll.StateOK, "")
			if st := pl.Status(); st.TracesFetched != 2 {
				t.Fatalf("traces fetched = %d, want 2", st.TracesFetched)
			}
			b.stop()
			pollExpect(t, pl, poll.StateDegraded, b.wantDown)
			b.restart(t)
			waitPoll(t, pl)
			if st := pl.Status(); st.TracesFetched != 2 || st.Duplicates == 0 || s.count() != 79 {
				t.Fatalf("after recovery: %+v, %d spans; want the same 2 traces once", st, s.count())
			}
		})
	}
}

func TestPuller_withPoller_failures(t *testing.T) {
	for name, mk := range backends(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			for _, tc := range []struct {
				name      string
				fail      func(b *backend, on bool)
				errText   func(b *backend) string
				malformed int64
			}{
				{"server errors", func(b *backend, on bool) { b.fail500(on) }, func(b *backend) string { return b.want500 }, 0},
				// One malformed response per service: the poll queries every
				// service even after one answered malformed.
				{"undecodable traces", func(b *backend, on bool) { b.malform(on) }, func(*backend) string { return "malformed response" }, 6},
				{"slow past the timeout", func(b *backend, on bool) {
					if on {
						b.slow(3 * time.Second)
					} else {
						b.slow(0)
					}
				}, func(b *backend) string { return b.slowText }, 0},
			} {
				t.Run(tc.name, func(t *testing.T) {
					b := mk(t)
					p := newTestPuller(t, b.url, b.proto, func(c *Config) { c.Conn.Timeout = 500 * time.Millisecond })
					s := &sink{}
					pl := newPoller(t, p, s)
					tc.fail(b, true)
					pollExpect(t, pl, poll.StateDegraded, tc.errText(b))
					if p.Malformed() != tc.malformed {
						t.Fatalf("malformed = %d, want %d", p.Malformed(), tc.malformed)
					}
					if tc.malformed > 0 {
						err := pl.Poll(context.Background())
						if !errors.Is(err, ErrMalformed) {
							t.Fatalf("Poll() = %v, want it to wrap ErrMalformed", err)
						}
					}
					tc.fail(b, false)
					pollExpect(t, pl, poll.StateOK, "")
					if s.count() != 79 {
						t.Fatalf("spans after recovery = %d, want 79", s.count())
					}
				})
			}
		})
	}
}
