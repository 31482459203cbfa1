package hub

import (
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spanmap/spanmap/graph"
	"github.com/spanmap/spanmap/graph/agg"
)

// failingGraph is a fakeGraph whose SnapshotContext fails while err is set.
type failingGraph struct {
	*fakeGraph
	mu  sync.Mutex
	err error
}

var _ ContextGraph = (*failingGraph)(nil)

func (g *failingGraph) SnapshotContext(ctx context.Context, from, to time.Time, opt agg.Options) (graph.Snapshot, error) {
	g.mu.Lock()
	err := g.err
	g.mu.Unlock()
	if err != nil {
		return graph.Snapshot{}, err
	}
	if err := ctx.Err(); err != nil {
		return graph.Snapshot{}, err
	}
	return g.fakeGraph.Snapshot(from, to, opt), nil
}

func (g *failingGraph) setErr(err error) {
	g.mu.Lock()
	g.err = err
	g.mu.Unlock()
}

// newFailingEnv is newEnv over a failingGraph.
func newFailingEnv(t *testing.T) (*env, *failingGraph) {
	t.Helper()
	e := &env{t: t, g: newFakeGraph(), l: &fakeLayouter{}, clk: newClock()}
	fg := &failingGraph{fakeGraph: e.g}
	h, err := New(testConfig(), fg, e.l, e.statusFunc, nil, e.clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	e.h = h
	e.ts = httptest.NewServer(h)
	e.url = "ws" + strings.TrimPrefix(e.ts.URL, "http")
	t.Cleanup(func() {
		e.h.shutdown()
		e.ts.Close()
	})
	e.g.addNode("a", graph.NodeService, "")
	e.g.addNode("b", graph.NodeService, "")
	e.g.addEdge("a", "b")
	return e, fg
}

var errDisk = errors.New("history: read /data/spanmap.db: input/output error")

func TestHub_Snapshot_graphError(t *testing.T) {
	e, fg := newFailingEnv(t)
	spec, err := graph.ParseView("from=2025-01-01T00:00:00Z&to=2025-01-01T01:00:00Z")
	if err != nil {
		t.Fatal(err)
	}
	fg.setErr(errDisk)
	if _, err := e.h.Snapshot(context.Background(), spec); !errors.Is(err, errDisk) {
		t.Fatalf("Snapshot = %v, want the graph's error", err)
	}
	fg.setErr(nil)
	s, err := e.h.Snapshot(context.Background(), spec)
	if err != nil || len(s.Edges) != 1 {
		t.Fatalf("Snapshot after recovery = %d edges, %v", len(s.Edges), err)
	}
	if got := e.h.Stats().ReadErrors; got != 0 {
		t.Errorf("ReadErrors = %d for REST failures, want 0 (counted for Views only)", got)
	}
}

func TestHub_subscribe_graphErrorIsAnErrorMessage(t *testing.T) {
	e, fg := newFailingEnv(t)
	const q = "from=2025-01-01T00:00:00Z&to=2025-01-01T01:00:00Z"
	fg.setErr(errDisk)
	c := e.dial(nil).start()
	c.subscribe(q)
	c.wait("error message", func(c *client) bool { return len(c.errors) == 1 })
	c.mu.Lock()
	msg, have := c.errors[0], c.have
	c.mu.Unlock()
	if msg != errDisk.Error() || have {
		t.Fatalf("error %q (snapshot received: %v), want %q and no snapshot", msg, have, errDisk.Error())
	}
	if v := e.view(q); v != nil {
		t.Fatal("the failed View is still kept")
	}
	if e.h.Stats().ReadErrors != 1 {
		t.Errorf("ReadErrors = %d, want 1", e.h.Stats().ReadErrors)
	}
	// Subscribing again once the graph reads again gives the snapshot.
	fg.setErr(nil)
	c.subscribe(q)
	c.wait("snapshot", func(c *client) bool { return c.have && len(c.snap.Edges) == 1 })
}

func TestHub_tick_graphErrorSentOnce(t *testing.T) {
	e, fg := newFailingEnv(t)
	c := e.dial(nil).start()
	c.subscribe("window=5m")
	c.wait("snapshot", func(c *client) bool { return c.have })
	e.quiesce()
	fg.setErr(errDisk)
	for range 3 {
		e.tick()
	}
	c.wait("error message", func(c *client) bool { return len(c.errors) == 1 })
	if got := e.h.Stats().ReadErrors; got != 3 {
		t.Errorf("ReadErrors = %d after 3 failed ticks, want 3", got)
	}
	// The View keeps its snapshot and streams again once the graph reads.
	fg.setErr(nil)
	e.g.setEdgeCalls("a", "b", 600, 6)
	e.tick()
	c.wait("diff after recovery", func(c *client) bool { return len(c.snap.Edges) == 1 && c.snap.Edges[0].Calls == 600 })
	fg.setErr(errDisk)
	e.tick()
	c.wait("second error message", func(c *client) bool { return len(c.errors) == 2 })
	c.mu.Lock()
	n := len(c.errors)
	c.mu.Unlock()
	if n != 2 {
		t.Errorf("%d error messages, want 2 (one per failure streak)", n)
	}
}

func TestHub_Place(t *testing.T) {
	e := newEnv(t, testConfig())
	s := graph.Snapshot{
		View:  "window=5m",
		Nodes: []graph.Node{{ID: "a", Kind: graph.NodeService}, {ID: "b", Kind: graph.NodeService}, {ID: "gone", Kind: graph.NodeService}},
		Edges: []graph.Edge{{ID: "a->b", From: "a", To: "b"}, {ID: "a->gone", From: "a", To: "gone"}},
	}
	spec, _ := graph.ParseView("layout=neato")
	out, err := e.h.Place(context.Background(), s, spec)
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Nodes) != 3 || len(out.Edges) != 2 {
		t.Fatalf("placed %d nodes, %d edges, want 3 and 2", len(out.Nodes), len(out.Edges))
	}
	for _, n := range out.Nodes {
		if n.Pos == nil || *n.Pos != idPoint(n.ID) || n.Width == 0 {
			t.Errorf("node %s not placed: %+v", n.ID, n)
		}
	}
	for _, ed := range out.Edges {
		if len(ed.Path) != 2 {
			t.Errorf("edge %s has no path", ed.ID)
		}
	}
	if out.Width == 0 || s.Nodes[0].Pos != nil {
		t.Errorf("drawing size %v, input changed: %+v", out.Width, s.Nodes[0])
	}
	e.l.mu.Lock()
	engines := e.l.engines
	e.l.mu.Unlock()
	if len(engines) != 1 || engines[0] != "neato" {
		t.Errorf("layout engines = %v, want one neato run", engines)
	}

	// A failing layout leaves the snapshot unplaced; a cancelled request fails.
	e.l.setFail(errors.New("graphviz failed"))
	out, err = e.h.Place(context.Background(), s, spec)
	if err != nil || len(out.Nodes) != 3 || out.Nodes[0].Pos != nil {
		t.Fatalf("Place with a failing layout = %+v, %v; want the nodes unplaced", out.Nodes, err)
	}
	e.l.setFail(nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for range cap(e.h.sem) {
		e.h.sem <- struct{}{}
	}
	defer func() {
		for range cap(e.h.sem) {
			<-e.h.sem
		}
	}()
	if _, err := e.h.Place(ctx, s, spec); !errors.Is(err, context.Canceled) {
		t.Fatalf("Place with a cancelled context and busy workers = %v", err)
	}
}
