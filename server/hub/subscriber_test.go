package hub

import (
	"context"
	"errors"
	"net"
	"net/http"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/spanmap/spanmap/graph"
)

func TestSubscriber_push_coalesces(t *testing.T) {
	cfg := testConfig()
	cfg.QueueLen = 3
	cfg.ResyncGrace = 10 * time.Second
	h, err := New(cfg, newFakeGraph(), nil, nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer h.shutdown()
	v := newView(graph.DefaultView(), "")
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	diff := func(n uint64) item {
		return item{view: v, kind: kindDiff, base: n - 1, version: n, data: []byte{byte(n)}}
	}
	errItem := item{kind: kindError, data: []byte("bad view")}

	s := newSubscriber(nil, cfg.QueueLen)
	s.view = v
	for n := uint64(1); n <= 3; n++ {
		s.push(h, diff(n), t0)
	}
	if len(s.queue) != 3 || s.resync {
		t.Fatalf("queue %d, resync %v; want 3 queued", len(s.queue), s.resync)
	}
	s.push(h, diff(4), t0.Add(time.Second)) // full: drop diffs, resync
	if len(s.queue) != 0 || !s.resync || s.slow {
		t.Fatalf("after overflow: queue %d, resync %v, slow %v", len(s.queue), s.resync, s.slow)
	}
	if h.Stats().Resyncs != 1 {
		t.Errorf("resyncs = %d, want 1", h.Stats().Resyncs)
	}
	s.push(h, errItem, t0)
	// Errors go first, then the snapshot, then what was queued after.
	s.push(h, diff(5), t0)
	it, snap, ok, err := s.next()
	if err != nil || !ok || snap != nil || it.kind != kindError {
		t.Fatalf("first next = %+v %v %v %v, want the error", it, snap, ok, err)
	}
	if _, snap, ok, _ := s.next(); !ok || snap != v {
		t.Fatal("second next is not the resync snapshot")
	}
	if it, _, ok, _ := s.next(); !ok || it.version != 5 {
		t.Fatalf("third next = %+v, want diff 5", it)
	}
	if _, _, ok, _ := s.next(); ok {
		t.Fatal("next on an empty queue reported something")
	}

	// Overflowing again within the grace period marks the subscriber slow.
	for n := uint64(6); n <= 9; n++ {
		s.push(h, diff(n), t0.Add(5*time.Second))
	}
	if !s.slow {
		t.Fatal("second overflow within the grace period not marked slow")
	}
	if _, _, _, err := s.next(); !errors.Is(err, errSlow) {
		t.Fatalf("next on a slow subscriber = %v, want errSlow", err)
	}
	s.push(h, diff(10), t0.Add(6*time.Second))
	if len(s.queue) != 0 {
		t.Error("slow subscriber still queues")
	}
	if st := h.Stats(); st.SlowDisconnects != 1 || st.Resyncs != 1 {
		t.Errorf("stats = %+v", st)
	}

	// After the grace period, an overflow is only another resync.
	s2 := newSubscriber(nil, cfg.QueueLen)
	s2.view = v
	for n := uint64(1); n <= 4; n++ {
		s2.push(h, diff(n), t0)
	}
	for n := uint64(5); n <= 8; n++ {
		s2.push(h, diff(n), t0.Add(11*time.Second))
	}
	if s2.slow || !s2.resync {
		t.Fatalf("overflow after the grace period: slow %v, resync %v", s2.slow, s2.resync)
	}
}

// smallBuffers shrinks the kernel buffers of accepted connections, so a
// client that stops reading stalls its writer after a few kilobytes.
type smallBuffers struct{ net.Listener }

func (l smallBuffers) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetWriteBuffer(4 << 10)
	}
	return c, err
}

// stallingDial opens connections with a small receive buffer.
func stallingDial() *websocket.DialOptions {
	d := &net.Dialer{Control: func(_, _ string, rc syscall.RawConn) error {
		var serr error
		err := rc.Control(func(fd uintptr) {
			serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4<<10)
		})
		if err != nil {
			return err
		}
		return serr
	}}
	return &websocket.DialOptions{HTTPClient: &http.Client{Transport: &http.Transport{DialContext: d.DialContext}}}
}

func TestHub_ServeHTTP_stalledSubscriber(t *testing.T) {
	cfg := testConfig()
	cfg.QueueLen = 4
	cfg.ResyncGrace = time.Minute
	e := newEnvListener(t, cfg, func(l net.Listener) net.Listener { return smallBuffers{l} })
	e.g.shop(60)
	const q = "ops=true"
	var healthy []*client
	for range 3 {
		c := e.dial(nil).start()
		c.subscribe(q)
		c.sync(e, q)
		healthy = append(healthy, c)
	}
	stalled := e.dial(stallingDial()) // never reads until told
	stalled.subscribe(q)
	eventually(t, "stalled subscriber attached", func() bool { return e.view(q).subscribers() == 4 })

	r := randFor(t)
	ticks := 0
	for e.h.Stats().SlowDisconnects == 0 {
		if ticks++; ticks > 200 {
			t.Fatalf("stalled subscriber not marked slow after 200 ticks: %+v", e.h.Stats())
		}
		e.g.churnMetrics(r, 1)
		e.tick()
		want := e.snapshot(q).Version
		for _, c := range healthy {
			c.waitVersion(want) // fails after 10s if the stalled one held it up
		}
	}
	t.Logf("marked slow after %d ticks", ticks)
	if st := e.h.Stats(); st.Resyncs == 0 {
		t.Errorf("slow subscriber was never resynced first: %+v", st)
	}
	// Once it reads again it finds the policy-violation close after the
	// data it had been sent.
	stalled.start()
	select {
	case <-stalled.done:
	case <-time.After(15 * time.Second):
		t.Fatal("stalled subscriber not closed")
	}
	if code := websocket.CloseStatus(stalled.err); code != websocket.StatusPolicyViolation {
		t.Fatalf("stalled subscriber closed with %v (%v), want policy violation", code, stalled.err)
	}
	for _, c := range healthy {
		c.sync(e, q)
	}
	eventually(t, "slow subscriber uncounted", func() bool { return e.h.Stats().Subscribers == 3 })
}

func TestHub_ServeHTTP_writeTimeout(t *testing.T) {
	cfg := testConfig()
	cfg.QueueLen = 1000 // never overflow: the write timeout must catch it
	cfg.WriteTimeout = 200 * time.Millisecond
	e := newEnvListener(t, cfg, func(l net.Listener) net.Listener { return smallBuffers{l} })
	e.g.shop(60)
	stalled := e.dial(stallingDial())
	stalled.subscribe("ops=true")
	eventually(t, "subscriber attached", func() bool { v := e.view("ops=true"); return v != nil && v.subscribers() == 1 })
	r := randFor(t)
	for range 200 {
		e.g.churnMetrics(r, 1)
		e.tick()
		if e.h.Stats().SlowDisconnects > 0 {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	eventually(t, "write timeout counted", func() bool { return e.h.Stats().SlowDisconnects == 1 })
	eventually(t, "timed-out subscriber gone", func() bool { return e.h.Stats().Subscribers == 0 })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for {
		if _, _, err := stalled.conn.Read(ctx); err != nil {
			if ctx.Err() != nil {
				t.Fatal("connection of a timed-out subscriber still open")
			}
			break
		}
	}
}
