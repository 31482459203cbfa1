package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/spanmap/spanmap/graph"
	"github.com/spanmap/spanmap/server/demo"
)

// streamViews are the Views the stream tests spread subscribers over: every
// View parameter and every layout engine occurs.
var streamViews = []string{
	"",
	"window=1m",
	"focus=checkout&up=2&down=1",
	"focus=payment&up=1&down=0&layout=dot-tb",
	"virtual=hide",
	"group=namespace",
	"ops=true&min_rate=0.05",
	"errors_only=true",
	"layout=neato&window=15m",
	"layout=fdp&virtual=hide",
}

// wsClient rebuilds its View from the snapshot and diffs it receives over a
// real websocket, as the browser does.
type wsClient struct {
	conn *websocket.Conn
	view string

	mu        sync.Mutex
	snap      graph.Snapshot
	have      bool
	snapshots int
	diffs     int
	statuses  []graph.Status
	errs      []string
	bad       error // a message that could not be decoded or applied
	err       error // why reading stopped
	changed   chan struct{}
	done      chan struct{}
}

// dialStream connects to the server's stream, subscribes to view and reads
// until the connection ends.
func dialStream(t *testing.T, base, view string) *wsClient {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	conn, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(base, "http")+"/api/v1/stream", nil)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	conn.SetReadLimit(-1)
	c := &wsClient{conn: conn, view: view, changed: make(chan struct{}, 1), done: make(chan struct{})}
	go c.read()
	t.Cleanup(func() {
		c.conn.CloseNow()
		<-c.done
	})
	data, _ := json.Marshal(graph.NewSubscribe(view))
	if err := conn.Write(ctx, websocket.MessageText, data); err != nil {
		t.Fatalf("subscribe: %v", err)
	}
	return c
}

func (c *wsClient) read() {
	defer close(c.done)
	for {
		_, data, err := c.conn.Read(context.Background())
		c.mu.Lock()
		if err != nil {
			c.err = err
		} else if herr := c.handle(data); herr != nil && c.bad == nil {
			c.bad = herr
		}
		c.mu.Unlock()
		select {
		case c.changed <- struct{}{}:
		default:
		}
		if err != nil {
			return
		}
	}
}

// handle applies one message. Must be called holding c.mu.
func (c *wsClient) handle(data []byte) error {
	var m graph.Message
	if err := json.Unmarshal(data, &m); err != nil {
		return fmt.Errorf("bad message %.200s: %w", data, err)
	}
	if err := m.Validate(); err != nil {
		return fmt.Errorf("invalid message %.200s: %w", data, err)
	}
	switch m.Type {
	case graph.MessageSnapshot:
		c.snap, c.have = *m.Snapshot, true
		c.snapshots++
	case graph.MessageDiff:
		if !c.have || m.Base != c.snap.Version {
			return fmt.Errorf("diff %d->%d does not follow version %d", m.Base, m.Version, c.snap.Version)
		}
		s, err := graph.Apply(c.snap, *m.Diff)
		if err != nil {
			return fmt.Errorf("apply diff %d->%d: %w", m.Base, m.Version, err)
		}
		c.snap = s
		c.diffs++
	case graph.MessageStatus:
		c.statuses = append(c.statuses, *m.Status)
	case graph.MessageError:
		c.errs = append(c.errs, m.Error)
	}
	return nil
}

// state returns the rebuilt snapshot and whether there is one.
func (c *wsClient) state() (graph.Snapshot, bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.bad != nil {
		return c.snap, c.have, c.bad
	}
	if c.err != nil {
		return c.snap, c.have, fmt.Errorf("connection ended: %w", c.err)
	}
	if len(c.errs) > 0 {
		return c.snap, c.have, fmt.Errorf("error message: %s", c.errs[0])
	}
	return c.snap, c.have, nil
}

// matchREST waits until the client's rebuilt snapshot is the one
// GET /api/v1/graph returns for its View, and fails when it differs. The
// server may publish a newer version meanwhile; both are read again then.
func (c *wsClient) matchREST(t *testing.T, base string, deadline time.Time) {
	t.Helper()
	for {
		want := fetchGraph(t, base, c.view)
		got, have, err := c.state()
		if err != nil {
			t.Fatalf("view %q: %v", c.view, err)
		}
		if have && got.Version == want.Version {
			if !got.Equal(&want) {
				t.Fatalf("view %q version %d: rebuilt snapshot differs from GET /api/v1/graph:\n got %s\nwant %s", c.view, got.Version, mustJSON(got), mustJSON(want))
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("view %q: client at version %d (snapshot: %v), GET /api/v1/graph at %d", c.view, got.Version, have, want.Version)
		}
		select {
		case <-c.changed:
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return err.Error()
	}
	return string(b)
}

// sendDemo sends the demo system's traffic to the OTLP/HTTP receiver at
// addr for d, in real time.
func sendDemo(t *testing.T, addr string, d time.Duration) {
	t.Helper()
	if _, err := sendDemoErr(addr, d); err != nil {
		t.Fatal(err)
	}
}

// TestServer_stream_subscribersMatchREST runs 200 websocket subscribers on
// mixed Views against a real server over loopback sockets while demo traffic
// arrives over OTLP/HTTP. After the traffic stops, each one's map, rebuilt
// from its snapshot and diffs, is exactly what GET /api/v1/graph returns
// for its View; no subscriber gets more than one diff per hub tick; a
// client that reconnects resumes with a fresh snapshot.
func TestServer_stream_subscribersMatchREST(t *testing.T) {
	cfg := testConfig()
	cfg.Hub.Tick = time.Second // the production rate: at most one diff a second
	cfg.OTLPGRPCAddr, cfg.ZipkinAddr = "", ""
	s, base := startUI(t, cfg, fakeUI)
	otlpAddr := s.Addr("--otlp-http-addr")

	const n = 200
	clients := make([]*wsClient, 0, n)
	startTicks := s.hub.Stats().Ticks
	traffic := make(chan int64, 1)
	go func() {
		// The traffic runs while subscribers arrive and for a while after.
		batches, err := sendDemoErr(otlpAddr, 8*time.Second)
		if err != nil {
			t.Error(err)
		}
		traffic <- batches
	}()
	for i := range n {
		clients = append(clients, dialStream(t, base, streamViews[i%len(streamViews)]))
		if i%40 == 39 {
			time.Sleep(500 * time.Millisecond) // let some arrive mid-stream
		}
	}
	batches := <-traffic
	if t.Failed() {
		return
	}

	// After the traffic stops, every client catches up with the REST API.
	deadline := time.Now().Add(90 * time.Second)
	for _, c := range clients {
		c.matchREST(t, base, deadline)
	}
	endTicks := s.hub.Stats().Ticks
	var diffs, snapshots, statuses int
	nodes := map[string]int{}
	for _, c := range clients {
		c.mu.Lock()
		if c.diffs > int(endTicks-startTicks) {
			t.Errorf("view %q: %d diffs in %d ticks, want at most one per tick", c.view, c.diffs, endTicks-startTicks)
		}
		diffs += c.diffs
		snapshots += c.snapshots
		statuses += len(c.statuses)
		nodes[c.view] = len(c.snap.Nodes)
		c.mu.Unlock()
	}
	if diffs == 0 {
		t.Error("no subscriber received a diff while traffic arrived")
	}
	if statuses == 0 {
		t.Error("no subscriber received a status message")
	}
	// The latest status names the receiver that got the traffic, healthy,
	// and reports the pairing store and drops.
	clients[0].mu.Lock()
	last := clients[0].statuses[len(clients[0].statuses)-1]
	clients[0].mu.Unlock()
	var otlp *graph.SourceStatus
	for i := range last.Sources {
		if last.Sources[i].Name == "otlp" {
			otlp = &last.Sources[i]
		}
	}
	if otlp == nil || otlp.State != graph.SourceOK || otlp.Spans == 0 || otlp.LastSuccess == 0 || last.Stale || last.DroppedSpans != 0 || last.Time == 0 {
		t.Errorf("status = %s, want the otlp source ok with its spans, not stale, no drops", mustJSON(last))
	}
	if nodes[""] < 20 {
		t.Errorf("the default View has %d nodes, want the demo shop", nodes[""])
	}
	st := s.hub.Stats()
	if st.Subscribers != n || st.SlowDisconnects != 0 || st.Views != len(streamViews) {
		t.Errorf("hub stats = %+v, want %d subscribers on %d Views and no slow disconnects", st, n, len(streamViews))
	}
	t.Logf("%d batches of traffic; %d diffs, %d snapshots, %d status messages over %d ticks; %d resyncs; nodes per View %v",
		batches, diffs, snapshots, statuses, endTicks-startTicks, st.Resyncs, nodes)

	// A client that drops its connection and comes back starts from a
	// snapshot of the current version, then follows diffs again.
	old := clients[0]
	old.conn.Close(websocket.StatusNormalClosure, "")
	<-old.done
	back := dialStream(t, base, old.view)
	back.matchREST(t, base, time.Now().Add(30*time.Second))
	back.mu.Lock()
	if back.snapshots != 1 {
		t.Errorf("reconnected client got %d snapshots, want 1", back.snapshots)
	}
	back.mu.Unlock()
	sendDemo(t, otlpAddr, 3*time.Second)
	back.matchREST(t, base, time.Now().Add(60*time.Second))
	back.mu.Lock()
	if back.diffs == 0 || back.snapshots != 1 {
		t.Errorf("reconnected client: %d snapshots and %d diffs after new traffic, want 1 snapshot then diffs", back.snapshots, back.diffs)
	}
	back.mu.Unlock()
}

// sendDemoErr is sendDemo for goroutines other than the test's.
func sendDemoErr(addr string, d time.Duration) (int64, error) {
	cfg := demo.DefaultConfig()
	cfg.Rate = 15
	cfg.IncidentPeriod = 0
	gen, err := demo.New(cfg)
	if err != nil {
		return 0, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	if err := gen.Run(ctx, demo.NewHTTPSink("http://"+addr, nil)); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return 0, fmt.Errorf("demo traffic: %w", err)
	}
	st := gen.Stats()
	if st.Batches == 0 || st.ExportErrors != 0 {
		return st.Batches, fmt.Errorf("demo traffic: %+v", st)
	}
	return st.Batches, nil
}

// TestServer_stream_badView checks that the stream answers a bad View with
// an error message naming the parameter, as the REST API does, and keeps
// the connection open for a corrected subscribe.
func TestServer_stream_badView(t *testing.T) {
	_, base := startUI(t, testConfig(), fakeUI)
	for _, q := range []string{"layout=circo", "bogus=1", "window=5x", "min_rate=-1"} {
		want := fetchStatus(t, base, q)
		c := dialStream(t, base, q)
		deadline := time.Now().Add(10 * time.Second)
		for {
			c.mu.Lock()
			errs := append([]string(nil), c.errs...)
			c.mu.Unlock()
			if len(errs) > 0 {
				if errs[0] != want {
					t.Errorf("view %q: stream error %q, REST error %q", q, errs[0], want)
				}
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("view %q: no error message", q)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
}

// fetchStatus returns the error GET /api/v1/graph answers for a bad View.
func fetchStatus(t *testing.T, base, query string) string {
	t.Helper()
	code, body := get(t, base+"/api/v1/graph?"+query)
	if code != 400 {
		t.Fatalf("GET /api/v1/graph?%s = %d, want 400", query, code)
	}
	var e errorBody
	if err := json.Unmarshal([]byte(body), &e); err != nil {
		t.Fatal(err)
	}
	name, _, _ := strings.Cut(query, "=")
	if !strings.Contains(e.Error, name) {
		t.Errorf("GET /api/v1/graph?%s: %q does not name %s", query, e.Error, url.QueryEscape(name))
	}
	return e.Error
}

// TestServer_stream_deflateAndOrigins checks the stream's handshake as a
// browser meets it: permessage-deflate is negotiated, a page from another
// site is refused unless allowed_origins names it.
func TestServer_stream_deflateAndOrigins(t *testing.T) {
	cfg := testConfig()
	cfg.AllowedOrigins = []string{"wiki.example.com"}
	_, base := startUI(t, cfg, fakeUI)
	wsURL := "ws" + strings.TrimPrefix(base, "http") + "/api/v1/stream"
	dial := func(origin string) (*websocket.Conn, *http.Response, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		h := http.Header{}
		if origin != "" {
			h.Set("Origin", origin)
		}
		return websocket.Dial(ctx, wsURL, &websocket.DialOptions{HTTPHeader: h, CompressionMode: websocket.CompressionContextTakeover})
	}

	conn, resp, err := dial(base)
	if err != nil {
		t.Fatalf("same-origin dial: %v", err)
	}
	conn.CloseNow()
	if ext := resp.Header.Get("Sec-WebSocket-Extensions"); !strings.HasPrefix(ext, "permessage-deflate") {
		t.Errorf("Sec-WebSocket-Extensions = %q, want permessage-deflate", ext)
	}

	conn, _, err = dial("https://wiki.example.com")
	if err != nil {
		t.Fatalf("allowed origin: %v", err)
	}
	conn.CloseNow()

	if _, resp, err := dial("https://evil.example.net"); err == nil || resp == nil || resp.StatusCode != http.StatusForbidden {
		t.Errorf("foreign origin: %v (%v), want 403", err, resp)
	}
}
