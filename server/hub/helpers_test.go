package hub

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"net"
	"net/http/httptest"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/spanmap/spanmap/graph"
	"github.com/spanmap/spanmap/server/layoutproc"
)

// layoutWorkerEnv makes the test binary a layout worker (layoutproc.Serve),
// for tests that lay out in child processes as spanmap serve does.
const layoutWorkerEnv = "SPANMAP_HUB_TEST_LAYOUT_WORKER"

// TestMain fails the run when a goroutine of the hub or of a websocket
// connection outlives the tests.
func TestMain(m *testing.M) {
	if os.Getenv(layoutWorkerEnv) == "1" {
		if err := layoutproc.Serve(os.Stdin, os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	code := m.Run()
	if code == 0 {
		if err := checkLeaks(10 * time.Second); err != nil {
			fmt.Fprintln(os.Stderr, err)
			code = 1
		}
	}
	os.Exit(code)
}

// checkLeaks waits up to timeout for every goroutine running hub or
// websocket code to end.
func checkLeaks(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		leaked := leakedGoroutines()
		if len(leaked) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%d goroutines leaked:\n\n%s", len(leaked), strings.Join(leaked, "\n\n"))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func leakedGoroutines() []string {
	buf := make([]byte, 4<<20)
	buf = buf[:runtime.Stack(buf, true)]
	var out []string
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "hub.TestMain") || strings.Contains(g, "hub.checkLeaks") {
			continue
		}
		if strings.Contains(g, "spanmap/server/hub.") || strings.Contains(g, "github.com/coder/websocket") {
			out = append(out, g)
		}
	}
	return out
}

// env is a hub over a fake graph, layouter and clock, served by an httptest
// server. Tests step the hub with tick instead of running it.
type env struct {
	t   testing.TB
	h   *Hub
	g   *fakeGraph
	l   *fakeLayouter
	clk *clock
	ts  *httptest.Server
	url string

	statusMu sync.Mutex
	status   graph.Status
}

// testConfig returns settings for tests: small queues, generous timeouts.
func testConfig() Config {
	cfg := DefaultConfig()
	cfg.QueueLen = 8
	cfg.WriteTimeout = 30 * time.Second
	return cfg
}

func newEnv(t testing.TB, cfg Config) *env {
	return newEnvWith(t, cfg, nil, nil)
}

// newEnvListener is newEnv with a listener wrapper.
func newEnvListener(t testing.TB, cfg Config, wrap func(net.Listener) net.Listener) *env {
	return newEnvWith(t, cfg, nil, wrap)
}

// newEnvWith is newEnv with another layouter (nil for the fake one) and a
// listener wrapper (nil for none).
func newEnvWith(t testing.TB, cfg Config, l Layouter, wrap func(net.Listener) net.Listener) *env {
	t.Helper()
	e := &env{t: t, g: newFakeGraph(), l: &fakeLayouter{}, clk: newClock()}
	if l == nil {
		l = e.l
	}
	h, err := New(cfg, e.g, l, e.statusFunc, nil, e.clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	e.h = h
	e.ts = httptest.NewUnstartedServer(h)
	if wrap != nil {
		e.ts.Listener = wrap(e.ts.Listener)
	}
	e.ts.Start()
	e.url = "ws" + strings.TrimPrefix(e.ts.URL, "http")
	t.Cleanup(func() {
		e.h.shutdown()
		e.ts.Close()
	})
	return e
}

func (e *env) statusFunc() graph.Status {
	e.statusMu.Lock()
	defer e.statusMu.Unlock()
	return e.status
}

// tick advances the clock by a second and steps the hub.
func (e *env) tick() {
	e.clk.Advance(time.Second)
	e.h.tick()
}

// view returns the state of the View with query q, nil when not active.
func (e *env) view(q string) *view {
	spec, err := graph.ParseView(q)
	if err != nil {
		e.t.Fatal(err)
	}
	e.h.mu.Lock()
	defer e.h.mu.Unlock()
	return e.h.views[spec.Encode()]
}

// subscribers counts v's subscribers.
func (v *view) subscribers() int {
	v.mu.Lock()
	defer v.mu.Unlock()
	return len(v.subs)
}

// snapshot returns what the hub serves for the View with query q.
func (e *env) snapshot(q string) graph.Snapshot {
	e.t.Helper()
	spec, err := graph.ParseView(q)
	if err != nil {
		e.t.Fatal(err)
	}
	s, err := e.h.Snapshot(context.Background(), spec)
	if err != nil {
		e.t.Fatal(err)
	}
	return s
}

// waitLayouts waits until no layout holds a worker.
func (e *env) waitLayouts() {
	e.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for len(e.h.sem) > 0 {
		if time.Now().After(deadline) {
			e.t.Fatal("layouts still running after 10s")
		}
		time.Sleep(time.Millisecond)
	}
}

// quiesce ticks until every View has the layout of its topology and nothing
// is in flight. The graph must not change meanwhile.
func (e *env) quiesce() {
	e.t.Helper()
	for range 50 {
		e.waitLayouts()
		e.tick()
		if e.quiet() {
			return
		}
	}
	e.t.Fatal("hub did not settle within 50 ticks")
}

func (e *env) quiet() bool {
	e.h.mu.Lock()
	defer e.h.mu.Unlock()
	for _, v := range e.h.views {
		if !v.isReady() || v.layoutBusy {
			return false
		}
		v.mu.Lock()
		landed := v.landed != nil
		v.mu.Unlock()
		if landed {
			return false
		}
	}
	return true
}

// client is a test subscriber that rebuilds its View from the snapshot and
// diffs it receives, like the browser does.
type client struct {
	t       testing.TB
	conn    *websocket.Conn
	started bool

	mu        sync.Mutex
	snap      graph.Snapshot
	have      bool
	snapshots int
	diffs     int
	statuses  []graph.Status
	errors    []string
	frames    []websocket.MessageType // the kind of every frame read
	applyErr  error
	err       error // why reading stopped
	changed   chan struct{}
	done      chan struct{}
}

func (e *env) dial(opts *websocket.DialOptions) *client {
	e.t.Helper()
	return e.dialURL(e.url, opts)
}

// dialURL connects a client to the websocket at url.
func (e *env) dialURL(url string, opts *websocket.DialOptions) *client {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, _, err := websocket.Dial(ctx, url, opts)
	if err != nil {
		e.t.Fatalf("dial: %v", err)
	}
	conn.SetReadLimit(-1)
	c := &client{t: e.t, conn: conn, changed: make(chan struct{}, 1), done: make(chan struct{})}
	e.t.Cleanup(c.close)
	return c
}

// start reads and applies messages on a goroutine until the connection
// ends.
func (c *client) start() *client {
	c.started = true
	go c.read()
	return c
}

func (c *client) close() {
	c.conn.CloseNow()
	if !c.started {
		return
	}
	select {
	case <-c.done:
	case <-time.After(10 * time.Second):
		c.t.Error("client reader did not stop")
	}
}

func (c *client) send(m graph.Message) {
	c.t.Helper()
	data, err := json.Marshal(m)
	if err != nil {
		c.t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.conn.Write(ctx, websocket.MessageText, data); err != nil {
		c.t.Fatalf("send: %v", err)
	}
}

func (c *client) subscribe(view string) { c.send(graph.NewSubscribe(view)) }

func (c *client) read() {
	defer close(c.done)
	for {
		typ, data, err := c.conn.Read(context.Background())
		if err != nil {
			c.mu.Lock()
			c.err = err
			c.mu.Unlock()
			c.notify()
			return
		}
		c.mu.Lock()
		c.frames = append(c.frames, typ)
		c.mu.Unlock()
		c.handle(data)
		c.notify()
	}
}

func (c *client) notify() {
	select {
	case c.changed <- struct{}{}:
	default:
	}
}

func (c *client) handle(data []byte) {
	var m graph.Message
	if err := json.Unmarshal(data, &m); err != nil {
		c.t.Errorf("client: bad message %s: %v", data, err)
		return
	}
	if err := m.Validate(); err != nil {
		c.t.Errorf("client: invalid message %s: %v", data, err)
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	switch m.Type {
	case graph.MessageSnapshot:
		c.snap, c.have = *m.Snapshot, true
		c.snapshots++
	case graph.MessageDiff:
		if !c.have {
			c.applyErr = errors.New("diff before snapshot")
			return
		}
		s, err := graph.Apply(c.snap, *m.Diff)
		if err != nil && c.applyErr == nil {
			c.applyErr = fmt.Errorf("apply diff %d->%d: %w", m.Base, m.Version, err)
		}
		if err == nil {
			c.snap = s
			c.diffs++
		}
	case graph.MessageStatus:
		c.statuses = append(c.statuses, *m.Status)
	case graph.MessageError:
		c.errors = append(c.errors, m.Error)
	}
}

// wait waits until cond holds (checked under the client's lock).
func (c *client) wait(what string, cond func(c *client) bool) {
	c.t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		c.mu.Lock()
		ok, applyErr, err := cond(c), c.applyErr, c.err
		c.mu.Unlock()
		if applyErr != nil {
			c.t.Fatalf("waiting for %s: %v", what, applyErr)
		}
		if ok {
			return
		}
		if err != nil {
			c.t.Fatalf("waiting for %s: connection ended: %v", what, err)
		}
		select {
		case <-c.changed:
		case <-timeout:
			c.t.Fatalf("waiting for %s: timed out", what)
		}
	}
}

// waitVersion waits until the client holds version v.
func (c *client) waitVersion(v uint64) {
	c.t.Helper()
	c.wait(fmt.Sprintf("version %d", v), func(c *client) bool { return c.have && c.snap.Version == v })
}

// current returns the client's rebuilt snapshot.
func (c *client) current() graph.Snapshot {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.snap
}

// sync waits until the client holds what the hub serves for view q and
// checks that they are equal.
func (c *client) sync(e *env, q string) {
	c.t.Helper()
	spec, err := graph.ParseView(q)
	if err != nil {
		c.t.Fatal(err)
	}
	key := spec.Encode()
	c.wait("snapshot of "+key, func(c *client) bool { return c.have && c.snap.View == key })
	want := e.snapshot(q)
	c.waitVersion(want.Version)
	got := c.current()
	if !got.Equal(&want) {
		c.t.Fatalf("view %q: rebuilt snapshot differs from the hub's:\n got %s\nwant %s", q, mustJSON(got), mustJSON(want))
	}
}

// randFor returns a random source seeded from the test's name, so a run
// can be repeated.
func randFor(t testing.TB) *rand.Rand {
	h := fnv.New64a()
	h.Write([]byte(t.Name()))
	return rand.New(rand.NewPCG(h.Sum64(), 7))
}

// eventually waits up to 10s for cond.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return err.Error()
	}
	return string(b)
}
