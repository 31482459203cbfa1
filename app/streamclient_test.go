//go:build !js

package app

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/spanmap/spanmap/graph"
)

// fakeStream is an in-process stream server: it records subscribe
// messages and plays a script per connection.
type fakeStream struct {
	t     *testing.T
	mu    sync.Mutex
	views []string
	conns int
	subs  chan string
}

func (f *fakeStream) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	conn, err := websocket.Accept(w, r, nil)
	if err != nil {
		f.t.Errorf("accept: %v", err)
		return
	}
	defer conn.CloseNow()
	f.mu.Lock()
	f.conns++
	n := f.conns
	f.mu.Unlock()
	ctx := r.Context()
	frames := websocket.MessageText
	send := func(m graph.Message) {
		b, _ := json.Marshal(m)
		if err := conn.Write(ctx, frames, b); err != nil {
			f.t.Logf("write: %v", err)
		}
	}
	for {
		_, data, err := conn.Read(ctx)
		if err != nil {
			return
		}
		var m graph.Message
		if err := json.Unmarshal(data, &m); err != nil || m.Type != graph.MessageSubscribe {
			f.t.Errorf("bad client message %s: %v", data, err)
			return
		}
		// As the server does: binary frames when asked for; the client
		// asks for them.
		if m.Frames != graph.FramesBinary {
			f.t.Errorf("subscribe asks for %q frames, want binary", m.Frames)
		}
		frames = websocket.MessageBinary
		f.mu.Lock()
		f.views = append(f.views, m.View)
		f.mu.Unlock()
		f.subs <- m.View
		s1 := snapAt(1, m.View, "a")
		s2 := snapAt(2, m.View, "a", "b")
		send(graph.NewSnapshotMessage(s1))
		if n == 1 {
			send(diffMsg(m.View, s1, s2))
			conn.Close(websocket.StatusPolicyViolation, "slow")
			return
		}
	}
}

func TestStreamClient_Run_reconnectsAndResubscribes(t *testing.T) {
	f := &fakeStream{t: t, subs: make(chan string, 10)}
	srv := httptest.NewServer(f)
	defer srv.Close()

	c := newStreamClient("ws"+strings.TrimPrefix(srv.URL, "http")+PathStream, "focus=a")
	c.base, c.max = 5*time.Millisecond, 20*time.Millisecond

	ctx, cancel := context.WithCancel(context.Background())
	msgs := make(chan graph.Message, 20)
	var mu sync.Mutex
	var states []connState
	done := make(chan struct{})
	go func() {
		defer close(done)
		c.run(ctx, func(m graph.Message) { msgs <- m }, func(s connState) {
			mu.Lock()
			states = append(states, s)
			mu.Unlock()
		})
	}()

	wait := func(what string) string {
		select {
		case v := <-f.subs:
			return v
		case <-time.After(5 * time.Second):
			t.Fatalf("timed out waiting for %s", what)
		}
		return ""
	}
	if v := wait("first subscribe"); v != "focus=a" {
		t.Fatalf("first subscribe %q", v)
	}
	if v := wait("subscribe after reconnect"); v != "focus=a" {
		t.Fatalf("resubscribe %q", v)
	}
	if err := c.subscribe(ctx, "window=1h"); err != nil {
		t.Fatal(err)
	}
	if v := wait("view change"); v != "window=1h" {
		t.Fatalf("view change %q", v)
	}

	// Messages: snapshot 1 and diff 1->2 on the first connection, a
	// fresh snapshot 1 on the second, then the snapshot of the new view.
	var live liveState
	live.reset("focus=a")
	var versions []uint64
	for i := 0; i < 4; i++ {
		select {
		case m := <-msgs:
			if i == 3 {
				if m.View != "window=1h" {
					t.Errorf("last message for view %q", m.View)
				}
				live.reset(m.View)
			}
			if r := live.handle(m, time.Now()); !r.changed {
				t.Errorf("message %d (%s) did not change the map", i, m.Type)
			}
			versions = append(versions, live.snap.Version)
		case <-time.After(5 * time.Second):
			t.Fatal("timed out waiting for messages")
		}
	}
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("run did not stop after cancel")
	}

	mu.Lock()
	defer mu.Unlock()
	if len(states) < 3 || !states[0].connected || states[1].connected || !states[2].connected {
		t.Fatalf("states = %+v", states)
	}
	if !strings.Contains(states[1].err, "fell behind") || states[1].retryIn <= 0 || states[1].retryIn > c.max {
		t.Errorf("disconnect state = %+v", states[1])
	}
	if want := []uint64{1, 2, 1, 1}; len(versions) != 4 || versions[0] != want[0] || versions[1] != want[1] || versions[2] != want[2] {
		t.Errorf("versions = %v, want %v", versions, want)
	}
}

func TestStreamClient_Run_backsOffWhenUnreachable(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := "ws" + strings.TrimPrefix(srv.URL, "http") + PathStream
	srv.Close()

	c := newStreamClient(url, "")
	c.base, c.max = time.Millisecond, 4*time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var states []connState
	done := make(chan struct{})
	go func() {
		defer close(done)
		c.run(ctx, func(graph.Message) { t.Error("message from nowhere") }, func(s connState) {
			states = append(states, s)
			if len(states) == 6 {
				cancel()
			}
		})
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("run did not stop")
	}
	for i, s := range states {
		if s.connected || !strings.Contains(s.err, "connect to") {
			t.Errorf("state %d = %+v", i, s)
		}
		if s.retryIn > c.max {
			t.Errorf("state %d waits %v, above cap %v", i, s.retryIn, c.max)
		}
	}
	// Subscribing while disconnected only records the view.
	if err := c.subscribe(context.Background(), "window=1m"); err != nil || c.view != "window=1m" {
		t.Errorf("subscribe while disconnected: %v, view %q", err, c.view)
	}
}

// runUntilStopped runs c until it stops by itself, returning the states.
func runUntilStopped(t *testing.T, c *streamClient) []connState {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var states []connState
	c.run(ctx, func(graph.Message) {}, func(s connState) { states = append(states, s) })
	if ctx.Err() != nil {
		t.Fatalf("run did not stop by itself; states %+v", states)
	}
	return states
}

// A close for the embed token (it expired, or names another View) ends
// the client: reconnecting cannot help.
func TestStreamClient_Run_stopsWhenTokenClosed(t *testing.T) {
	var conns int
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		conns++
		mu.Unlock()
		conn, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		conn.Read(r.Context()) // the subscribe
		conn.Close(websocket.StatusPolicyViolation, "embed token expired at 2026-01-02T03:04:05Z")
	}))
	defer srv.Close()
	c := newStreamClient("ws"+strings.TrimPrefix(srv.URL, "http")+PathStream, "focus=a")
	c.base, c.max = time.Millisecond, 2*time.Millisecond
	states := runUntilStopped(t, c)
	last := states[len(states)-1]
	if !last.rejected || last.connected || last.err != "embed token expired at 2026-01-02T03:04:05Z" {
		t.Errorf("last state = %+v", last)
	}
	if conns != 1 {
		t.Errorf("%d connections, want 1: a rejected token is not retried", conns)
	}
}

// A refused handshake says nothing to a browser: the probe asks the server
// why, and a 403 with a message ends the client with that message, while
// other failures are retried.
func TestStreamClient_Run_probeExplainsRefusal(t *testing.T) {
	var probes []string
	refuse := true
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == PathEmbed {
			probes = append(probes, r.URL.RawQuery+" "+r.Header.Get("Accept"))
			if refuse {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusForbidden)
				io.WriteString(w, `{"error":"embed token is not valid: altered, or signed with another key"}`)
				return
			}
			io.WriteString(w, "<html>the page</html>")
			return
		}
		http.Error(w, "no", http.StatusForbidden) // the stream's handshake
	}))
	defer srv.Close()
	c := newStreamClient("ws"+strings.TrimPrefix(srv.URL, "http")+PathStream, "focus=cart")
	c.base, c.max = time.Millisecond, 2*time.Millisecond
	page, _ := url.Parse(srv.URL + "/embed?focus=cart&token=v1.x.y")
	s := session{embedToken: "v1.x.y"}
	c.probe = s.embedProbe(page)
	states := runUntilStopped(t, c)
	last := states[len(states)-1]
	if !last.rejected || !strings.Contains(last.err, "altered") {
		t.Errorf("last state = %+v", last)
	}
	if len(probes) != 1 || probes[0] != "focus=cart&token=v1.x.y application/json" {
		t.Errorf("probes = %q", probes)
	}

	// A page the server serves is no rejection: the client keeps trying.
	refuse = false
	if err := probeAccess(context.Background(), srv.URL+PathEmbed); err != nil {
		t.Errorf("probe of a served page = %v", err)
	}
	if err := probeAccess(context.Background(), "http://127.0.0.1:1/embed"); err != nil {
		t.Errorf("probe of an unreachable server = %v", err)
	}
	if (&session{}).embedProbe(page) != nil {
		t.Error("a page without an embed token has a probe")
	}
}
