package hub

import (
	"context"
	"errors"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/spanmap/spanmap/graph"
)

func TestHub_ServeHTTP_snapshotThenDiffs(t *testing.T) {
	e := newEnv(t, testConfig())
	e.g.shop(12)
	c := e.dial(nil).start()
	c.subscribe("window=1m")
	c.sync(e, "window=1m")
	first := c.current()
	if len(first.Nodes) == 0 || len(first.Edges) == 0 {
		t.Fatalf("empty first snapshot: %s", mustJSON(first))
	}
	for _, n := range first.Nodes {
		if n.Pos == nil {
			t.Fatalf("node %s of the first snapshot has no position", n.ID)
		}
	}
	if first.View != "window=1m" {
		t.Errorf("snapshot view = %q, want window=1m", first.View)
	}

	e.g.setEdgeCalls("svc-000", "svc-001", 1234, 400)
	e.tick()
	c.sync(e, "window=1m")
	if c.diffs != 1 || c.snapshots != 1 {
		t.Errorf("got %d snapshots and %d diffs, want 1 and 1", c.snapshots, c.diffs)
	}
	if got := c.current().Version; got <= first.Version {
		t.Errorf("version %d after a change, want more than %d", got, first.Version)
	}
	eventually(t, "diff counted", func() bool { return e.h.Stats().DiffsSent == 1 })
	st := e.h.Stats()
	if st.Subscribers != 1 || st.Views != 1 || st.SnapshotsSent != 1 || st.DiffBytes == 0 || st.SnapshotBytes == 0 {
		t.Errorf("stats = %+v", st)
	}
}

// TestHub_ServeHTTP_binaryFrames checks that a subscriber that asks for
// binary frames gets the same messages in binary frames, until it asks for
// text again, and that an unknown frame kind is refused by name.
func TestHub_ServeHTTP_binaryFrames(t *testing.T) {
	e := newEnv(t, testConfig())
	e.g.shop(6)
	c := e.dial(nil).start()
	sub := graph.NewSubscribe("window=1m")
	sub.Frames = graph.FramesBinary
	c.send(sub)
	c.sync(e, "window=1m")
	e.g.setEdgeCalls("svc-000", "svc-001", 1234, 400)
	e.tick()
	c.sync(e, "window=1m")
	frames := func() []websocket.MessageType {
		c.mu.Lock()
		defer c.mu.Unlock()
		return slices.Clone(c.frames)
	}
	got := frames()
	if c.snapshots != 1 || c.diffs != 1 {
		t.Fatalf("%d snapshots and %d diffs in binary frames, want 1 and 1", c.snapshots, c.diffs)
	}
	for i, f := range got {
		if f != websocket.MessageBinary {
			t.Fatalf("frame %d is %v, want binary: %v", i, f, got)
		}
	}

	bad := graph.NewSubscribe("window=1m")
	bad.Frames = "morse"
	c.send(bad)
	c.wait("error reply", func(c *client) bool { return len(c.errors) > 0 })
	if !strings.Contains(c.errors[0], `frames: "morse" is not a frame kind`) {
		t.Errorf("error = %q", c.errors[0])
	}

	text := graph.NewSubscribe("window=5m")
	text.Frames = graph.FramesText
	c.send(text)
	c.sync(e, "window=5m")
	after := frames()
	if last := after[len(after)-1]; last != websocket.MessageText {
		t.Errorf("after asking for text frames, the last frame is %v", last)
	}
}

func TestHub_tick_unchangedSendsNothing(t *testing.T) {
	e := newEnv(t, testConfig())
	e.g.shop(5)
	c := e.dial(nil).start()
	c.subscribe("")
	c.sync(e, "")
	v := c.current().Version
	for range 5 {
		e.tick()
	}
	if got := e.snapshot("").Version; got != v {
		t.Fatalf("version moved from %d to %d without a change", v, got)
	}
	if st := e.h.Stats(); st.DiffsSent != 0 {
		t.Errorf("%d diffs sent without a change", st.DiffsSent)
	}
	_, done := e.l.counts()
	if done != 1 {
		t.Errorf("%d layouts, want 1 (the first snapshot)", done)
	}
}

func TestHub_tick_metricChangeKeepsPositions(t *testing.T) {
	e := newEnv(t, testConfig())
	e.g.shop(8)
	c := e.dial(nil).start()
	c.subscribe("")
	c.sync(e, "")
	before := c.current()
	r := rand.New(rand.NewPCG(1, 2))
	for range 10 {
		e.g.churnMetrics(r, 1)
		e.tick()
		c.sync(e, "")
	}
	if calls, _ := e.l.counts(); calls != 1 {
		t.Errorf("%d layouts after metric-only changes, want 1", calls)
	}
	after := c.current()
	if c.diffs != 10 {
		t.Errorf("%d diffs for 10 metric changes", c.diffs)
	}
	for i, n := range after.Nodes {
		if *n.Pos != *before.Nodes[i].Pos {
			t.Errorf("node %s moved from %v to %v on a metric change", n.ID, *before.Nodes[i].Pos, *n.Pos)
		}
	}
}

func TestHub_ServeHTTP_badViewThenCorrected(t *testing.T) {
	e := newEnv(t, testConfig())
	e.g.shop(3)
	c := e.dial(nil).start()
	tests := []struct {
		name, msg, want string
	}{
		{"bad window", `{"type":"subscribe","view":"window=7x"}`, "view parameter window"},
		{"unknown parameter", `{"type":"subscribe","view":"colour=red"}`, "view parameter colour"},
		{"unknown type", `{"type":"unsubscribe"}`, `unknown message type "unsubscribe"`},
		{"not JSON", `subscribe please`, "message: not a JSON message"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if err := c.conn.Write(ctx, websocket.MessageText, []byte(tt.msg)); err != nil {
				t.Fatal(err)
			}
			c.wait("error reply", func(c *client) bool { return len(c.errors) > i })
			if got := c.errors[i]; !strings.Contains(got, tt.want) {
				t.Errorf("error = %q, want it to contain %q", got, tt.want)
			}
		})
	}
	c.subscribe("window=15m")
	c.sync(e, "window=15m")
}

func TestHub_ServeHTTP_resubscribe(t *testing.T) {
	e := newEnv(t, testConfig())
	e.g.shop(10)
	c := e.dial(nil).start()
	c.subscribe("")
	c.sync(e, "")
	c.subscribe("focus=svc-001&up=0&down=1")
	c.sync(e, "focus=svc-001&up=0&down=1")
	if got := c.current().View; got != "focus=svc-001&up=0" {
		t.Fatalf("view after resubscribe = %q", got)
	}
	e.g.setEdgeCalls("svc-001", "svc-003", 77, 1) // inside the focus
	e.g.setEdgeCalls("user", "svc-000", 99, 9)    // outside it
	e.tick()
	c.sync(e, "focus=svc-001&up=0&down=1")
	if c.snapshots != 2 {
		t.Errorf("%d snapshots, want 2", c.snapshots)
	}
	if old := e.view(""); old == nil || old.subscribers() != 0 {
		t.Errorf("old view still has subscribers")
	}
	// The same View again gives a fresh snapshot.
	c.subscribe("focus=svc-001&up=0")
	c.wait("fresh snapshot", func(c *client) bool { return c.snapshots == 3 })
	c.sync(e, "focus=svc-001&up=0&down=1")
}

func TestHub_ServeHTTP_origin(t *testing.T) {
	cfg := testConfig()
	cfg.AllowedOrigins = []string{"app.example.com"}
	e := newEnv(t, cfg)
	e.g.shop(2)
	tests := []struct {
		name   string
		origin string
		want   int
	}{
		{"no origin", "", http.StatusSwitchingProtocols},
		{"allowed origin", "https://app.example.com", http.StatusSwitchingProtocols},
		{"same origin", "http://" + strings.TrimPrefix(e.ts.URL, "http://"), http.StatusSwitchingProtocols},
		{"foreign origin", "https://evil.example.net", http.StatusForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			hdr := http.Header{}
			if tt.origin != "" {
				hdr.Set("Origin", tt.origin)
			}
			conn, resp, err := websocket.Dial(ctx, e.url, &websocket.DialOptions{HTTPHeader: hdr})
			if resp == nil {
				t.Fatalf("no response: %v", err)
			}
			if resp.StatusCode != tt.want {
				t.Errorf("status %d, want %d (err %v)", resp.StatusCode, tt.want, err)
			}
			if conn != nil {
				conn.Close(websocket.StatusNormalClosure, "")
			}
		})
	}
}

func TestHub_ServeHTTP_subscriberLimit(t *testing.T) {
	cfg := testConfig()
	cfg.MaxSubscribers = 2
	e := newEnv(t, cfg)
	e.g.shop(2)
	a := e.dial(nil).start()
	e.dial(nil).start()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, resp, err := websocket.Dial(ctx, e.url, nil)
	if err == nil || resp == nil || resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("third subscriber: err %v, response %v; want 503", err, resp)
	}
	if st := e.h.Stats(); st.SubscriberLimitHits != 1 || st.Subscribers != 2 {
		t.Errorf("stats = %+v, want 1 limit hit and 2 subscribers", st)
	}
	a.close()
	eventually(t, "closed subscriber uncounted", func() bool { return e.h.Stats().Subscribers == 1 })
	c := e.dial(nil).start()
	c.subscribe("")
	c.sync(e, "")
}

func TestHub_ServeHTTP_reconnectResumesWithSnapshot(t *testing.T) {
	e := newEnv(t, testConfig())
	e.g.shop(6)
	a := e.dial(nil).start()
	a.subscribe("")
	a.sync(e, "")
	e.g.setEdgeCalls("svc-000", "svc-001", 5, 5)
	e.tick()
	a.sync(e, "")
	a.close()

	e.g.setEdgeCalls("svc-000", "svc-002", 6, 0)
	e.tick()
	b := e.dial(nil).start()
	b.subscribe("")
	b.sync(e, "")
	if b.snapshots != 1 || b.diffs != 0 {
		t.Errorf("reconnected: %d snapshots, %d diffs; want the current snapshot only", b.snapshots, b.diffs)
	}
	e.g.setEdgeCalls("svc-000", "svc-002", 7, 0)
	e.tick()
	b.sync(e, "")
	if b.diffs != 1 {
		t.Errorf("%d diffs after the snapshot, want 1", b.diffs)
	}
}

func TestHub_tick_statusMessages(t *testing.T) {
	cfg := testConfig()
	cfg.StatusInterval = 3 * time.Second
	e := newEnv(t, cfg)
	e.g.shop(2)
	e.status = graph.Status{Sources: []graph.SourceStatus{{Name: "otlp", Kind: "otlp", State: graph.SourceOK}}, DroppedSpans: 4}
	e.tick() // the first status goes out at the first tick
	c := e.dial(nil).start()
	c.subscribe("")
	c.wait("status on subscribe", func(c *client) bool { return len(c.statuses) == 1 })
	for range 3 {
		e.tick()
	}
	c.wait("periodic status", func(c *client) bool { return len(c.statuses) == 2 })
	got := c.statuses[1]
	if got.DroppedSpans != 4 || len(got.Sources) != 1 || got.Sources[0].Name != "otlp" || got.Time != e.clk.Now().UnixMilli() {
		t.Errorf("status = %+v", got)
	}
}

func TestHub_Run_stopClosesSubscribers(t *testing.T) {
	cfg := testConfig()
	cfg.Tick = 5 * time.Millisecond
	g := newFakeGraph()
	g.shop(4)
	h, err := New(cfg, g, &fakeLayouter{}, nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, h: h, g: g}
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	e.url = "ws" + strings.TrimPrefix(ts.URL, "http")
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan error, 1)
	go func() { ran <- h.Run(ctx) }()
	c := e.dial(nil).start()
	c.subscribe("")
	c.wait("snapshot", func(c *client) bool { return c.have })
	g.setEdgeCalls("svc-000", "svc-001", 1, 1)
	c.wait("a diff from the running hub", func(c *client) bool { return c.diffs > 0 })
	cancel()
	select {
	case err := <-ran:
		if err != nil {
			t.Errorf("Run = %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("Run did not return")
	}
	select {
	case <-c.done:
	case <-time.After(10 * time.Second):
		t.Fatal("subscriber still open after Run returned")
	}
	if code := websocket.CloseStatus(c.err); code != websocket.StatusGoingAway {
		t.Errorf("close status %v (%v), want going away", code, c.err)
	}
	if _, err := h.Snapshot(context.Background(), graph.DefaultView()); !errors.Is(err, ErrClosed) {
		t.Errorf("Snapshot after stop = %v, want ErrClosed", err)
	}
}
