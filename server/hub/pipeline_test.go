package hub

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/spanmap/spanmap/graph"
	"github.com/spanmap/spanmap/graph/layout"
	"github.com/spanmap/spanmap/server/layoutproc"
)

// nodeOf returns the node with id in s.
func nodeOf(s graph.Snapshot, id string) (graph.Node, bool) {
	for _, n := range s.Nodes {
		if n.ID == id {
			return n, true
		}
	}
	return graph.Node{}, false
}

func edgeOf(s graph.Snapshot, id string) (graph.Edge, bool) {
	for _, e := range s.Edges {
		if e.ID == id {
			return e, true
		}
	}
	return graph.Edge{}, false
}

func TestHub_tick_topologyChangeLaysOutWithoutBlocking(t *testing.T) {
	e := newEnv(t, testConfig())
	e.g.shop(6)
	const all, focus = "", "focus=svc-005"
	a := e.dial(nil).start()
	a.subscribe(all)
	a.sync(e, all)
	b := e.dial(nil).start()
	b.subscribe(focus)
	b.sync(e, focus)
	before := a.current()

	gate := make(chan struct{})
	e.l.setGate(gate)
	e.g.addNode("svc-new", graph.NodeService, "shop")
	e.g.addEdge("svc-000", "svc-new", "GET /")
	e.tick()
	// The layout job starts on its own goroutine.
	eventually(t, "3 layout calls (two first snapshots and the new topology)", func() bool {
		calls, _ := e.l.counts()
		return calls == 3
	})

	// While the layout is held, both Views keep streaming figures and the
	// new node stays out.
	for i := range 3 {
		e.g.setEdgeCalls("svc-000", "svc-001", int64(100+i), 1)
		e.g.setEdgeCalls("svc-002", "svc-005", int64(200+i), 2)
		e.tick()
		a.sync(e, all)
		b.sync(e, focus)
	}
	got := a.current()
	if _, ok := nodeOf(got, "svc-new"); ok {
		t.Fatal("new node published before its layout landed")
	}
	if ed, _ := edgeOf(got, "svc-000->svc-001"); ed.Calls != 102 {
		t.Errorf("edge figures not streamed during layout: calls %d", ed.Calls)
	}
	if ed, _ := edgeOf(b.current(), "svc-002->svc-005"); ed.Calls != 202 {
		t.Errorf("other View held up: calls %d", ed.Calls)
	}
	// Another topology change does not start a second job for the View.
	e.g.addNode("svc-new2", graph.NodeService, "ops")
	e.g.addEdge("svc-001", "svc-new2", "GET /")
	e.tick()
	if calls, _ := e.l.counts(); calls != 3 {
		t.Fatalf("%d layout calls with one in flight, want 3", calls)
	}

	gate <- struct{}{}
	e.waitLayouts()
	e.tick() // lands the first layout, starts the next one
	a.sync(e, all)
	got = a.current()
	n, ok := nodeOf(got, "svc-new")
	if !ok || n.Pos == nil || *n.Pos != idPoint("svc-new") {
		t.Fatalf("landed layout: svc-new = %+v, %v", n, ok)
	}
	if ed, ok := edgeOf(got, "svc-000->svc-new"); !ok || len(ed.Path) == 0 {
		t.Fatalf("landed layout: edge to svc-new = %+v, %v", ed, ok)
	}
	if _, ok := nodeOf(got, "svc-new2"); ok {
		t.Fatal("svc-new2 published before its layout")
	}
	for _, old := range before.Nodes {
		n, _ := nodeOf(got, old.ID)
		if *n.Pos != *old.Pos {
			t.Errorf("%s moved from %v to %v", old.ID, *old.Pos, *n.Pos)
		}
	}
	close(gate)
	e.quiesce()
	a.sync(e, all)
	if _, ok := nodeOf(a.current(), "svc-new2"); !ok {
		t.Fatal("svc-new2 missing after its layout")
	}
	if st := e.h.Stats(); st.Layouts != 4 || st.LayoutErrors != 0 {
		t.Errorf("stats = %+v, want 4 layouts", st)
	}
}

func TestHub_tick_removalsStreamDuringLayout(t *testing.T) {
	e := newEnv(t, testConfig())
	e.g.shop(6)
	a := e.dial(nil).start()
	a.subscribe("")
	a.sync(e, "")
	gate := make(chan struct{})
	e.l.setGate(gate)
	defer close(gate)
	e.g.removeNode("svc-004")
	e.tick()
	a.sync(e, "")
	if _, ok := nodeOf(a.current(), "svc-004"); ok {
		t.Fatal("removed node still shown while the layout runs")
	}
	if _, ok := edgeOf(a.current(), "svc-001->svc-004"); ok {
		t.Fatal("edge of removed node still shown")
	}
}

func TestHub_tick_layoutFailureShowsUnplaced(t *testing.T) {
	e := newEnv(t, testConfig())
	e.g.shop(4)
	a := e.dial(nil).start()
	a.subscribe("")
	a.sync(e, "")
	e.l.setFail(errors.New("graphviz crashed"))
	e.g.addNode("svc-new", graph.NodeService, "shop")
	e.g.addEdge("svc-000", "svc-new")
	e.quiesce()
	a.sync(e, "")
	got := a.current()
	n, ok := nodeOf(got, "svc-new")
	if !ok || n.Pos != nil {
		t.Fatalf("after a failed layout svc-new = %+v, %v; want it shown unplaced", n, ok)
	}
	if old, _ := nodeOf(got, "svc-000"); old.Pos == nil || *old.Pos != idPoint("svc-000") {
		t.Errorf("placed node lost its position: %+v", old)
	}
	if st := e.h.Stats(); st.LayoutErrors != 1 {
		t.Errorf("%d layout errors, want 1", st.LayoutErrors)
	}
	// The next topology change lays out again, placing everything.
	e.l.setFail(nil)
	e.g.removeNode("svc-003")
	e.quiesce()
	a.sync(e, "")
	if n, _ := nodeOf(a.current(), "svc-new"); n.Pos == nil {
		t.Error("svc-new still unplaced after a good layout")
	}
}

func TestHub_tick_layoutWorkersBusy(t *testing.T) {
	cfg := testConfig()
	cfg.LayoutWorkers = 1
	e := newEnv(t, cfg)
	e.g.shop(4)
	views := []string{"", "window=1m", "layout=neato"}
	var cs []*client
	for _, q := range views {
		c := e.dial(nil).start()
		c.subscribe(q)
		c.sync(e, q)
		cs = append(cs, c)
	}
	gate := make(chan struct{})
	e.l.setGate(gate)
	e.g.addNode("svc-new", graph.NodeService, "shop")
	e.g.addEdge("svc-000", "svc-new")
	e.tick()
	if st := e.h.Stats(); st.LayoutsBusy != 2 {
		t.Errorf("%d busy layouts with one worker and three Views, want 2", st.LayoutsBusy)
	}
	close(gate)
	e.quiesce()
	for i, q := range views {
		cs[i].sync(e, q)
		if _, ok := nodeOf(cs[i].current(), "svc-new"); !ok {
			t.Errorf("view %q: svc-new missing", q)
		}
	}
	e.l.mu.Lock()
	engines := e.l.engines
	e.l.mu.Unlock()
	if !containsEngine(engines, layout.Neato) || !containsEngine(engines, layout.DotLR) {
		t.Errorf("engines used %v, want the View's layout passed on", engines)
	}
}

func containsEngine(es []layout.Engine, want layout.Engine) bool {
	for _, e := range es {
		if e == want {
			return true
		}
	}
	return false
}

func TestHub_tick_idleViewDropped(t *testing.T) {
	cfg := testConfig()
	cfg.IdleViewExpiry = 10 * time.Second
	e := newEnv(t, cfg)
	e.g.shop(3)
	stay := e.dial(nil).start()
	stay.subscribe("window=1m")
	stay.sync(e, "window=1m")
	leave := e.dial(nil).start()
	leave.subscribe("")
	leave.sync(e, "")
	leave.close()
	eventually(t, "subscriber gone", func() bool { return e.view("").subscribers() == 0 })
	for range 10 {
		e.tick()
	}
	if e.view("") == nil {
		t.Fatal("view dropped before it expired")
	}
	e.tick()
	if e.view("") != nil {
		t.Fatal("idle view not dropped")
	}
	if e.view("window=1m") == nil {
		t.Fatal("view with a subscriber dropped")
	}
	if st := e.h.Stats(); st.Views != 1 {
		t.Errorf("%d views, want 1", st.Views)
	}
}

func TestHub_tick_fixedRange(t *testing.T) {
	cfg := testConfig()
	cfg.SettleDelay = 5 * time.Second
	e := newEnv(t, cfg)
	e.g.shop(3)
	now := e.clk.Now()
	past := "from=" + now.Add(-2*time.Hour).Format(time.RFC3339) + "&to=" + now.Add(-time.Hour).Format(time.RFC3339)
	open := "from=" + now.Add(-time.Hour).Format(time.RFC3339) + "&to=" + now.Add(3*time.Second).Format(time.RFC3339)
	p := e.dial(nil).start()
	p.subscribe(past)
	p.sync(e, past)
	o := e.dial(nil).start()
	o.subscribe(open)
	o.sync(e, open)
	calls := e.g.callCount()
	if w := e.g.window(0); !w[0].Equal(now.Add(-2*time.Hour)) || !w[1].Equal(now.Add(-time.Hour)) {
		t.Errorf("window asked %v, want the View's range", w)
	}
	// The open range keeps ticking until it ended SettleDelay ago (8s);
	// the settled one never does.
	for range 12 {
		e.g.churnMetrics(randFor(t), 1)
		e.tick()
	}
	if got := e.g.callCount() - calls; got != 8 {
		t.Errorf("%d graph reads in 12 ticks, want 8 (the open range until it settled)", got)
	}
	p.sync(e, past)
	if p.diffs != 0 {
		t.Errorf("settled range sent %d diffs", p.diffs)
	}
	o.sync(e, open)
	if o.diffs == 0 {
		t.Error("open range sent no diffs")
	}
}

func TestHub_Snapshot_inactiveComputesOnDemand(t *testing.T) {
	e := newEnv(t, testConfig())
	e.g.shop(5)
	spec, err := graph.ParseView("window=15m&focus=svc-001")
	if err != nil {
		t.Fatal(err)
	}
	s, err := e.h.Snapshot(context.Background(), spec)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Nodes) == 0 || s.View != spec.Encode() || s.Version == 0 {
		t.Fatalf("snapshot = %s", mustJSON(s))
	}
	for _, n := range s.Nodes {
		if n.Pos == nil || *n.Pos != idPoint(n.ID) {
			t.Errorf("node %s not laid out: %v", n.ID, n.Pos)
		}
	}
	w := e.g.window(-1)
	if now := e.clk.Now(); !w[1].Equal(now) || !w[0].Equal(now.Add(-15*time.Minute)) {
		t.Errorf("window %v, want the last 15m", w)
	}
	if st := e.h.Stats(); st.Views != 0 {
		t.Errorf("on-demand snapshot left %d active views", st.Views)
	}
}

func TestHub_Snapshot_activeIsTheStreamedOne(t *testing.T) {
	e := newEnv(t, testConfig())
	e.g.shop(5)
	c := e.dial(nil).start()
	c.subscribe("")
	c.sync(e, "")
	s := e.snapshot("")
	s.Nodes[0].Pos.X = -1 // the caller's copy
	s.Nodes[1].Name = "changed"
	c.sync(e, "")
	if calls, _ := e.l.counts(); calls != 1 {
		t.Errorf("%d layouts, want 1: the active View's snapshot is served as is", calls)
	}
}

func TestHub_Snapshot_canceledWhileWaitingForLayout(t *testing.T) {
	cfg := testConfig()
	cfg.LayoutWorkers = 1
	e := newEnv(t, cfg)
	e.g.shop(3)
	gate := make(chan struct{})
	defer close(gate)
	e.l.setGate(gate)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := e.h.Snapshot(ctx, graph.DefaultView())
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want deadline exceeded", err)
	}
	if st := e.h.Stats(); st.LayoutErrors != 0 {
		t.Errorf("a canceled request counted as %d layout errors", st.LayoutErrors)
	}
}

func TestHub_tick_realLayouter(t *testing.T) {
	l, err := layout.New(layout.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	e := newEnvWith(t, testConfig(), l, nil)
	e.g.shop(15)
	c := e.dial(nil).start()
	c.subscribe("group=namespace")
	c.sync(e, "group=namespace")
	placed := func(s graph.Snapshot) {
		t.Helper()
		if s.Width <= 0 || s.Height <= 0 {
			t.Errorf("drawing size %vx%v", s.Width, s.Height)
		}
		for _, n := range s.Nodes {
			if n.Pos == nil || n.Width <= 0 {
				t.Errorf("node %s not placed: %+v", n.ID, n)
			}
		}
		for _, ed := range s.Edges {
			if len(ed.Path) == 0 {
				t.Errorf("edge %s has no path", ed.ID)
			}
		}
	}
	placed(c.current())
	layouts := l.Stats().Layouts
	e.g.churnMetrics(randFor(t), 1)
	e.tick()
	c.sync(e, "group=namespace")
	if got := l.Stats().Layouts; got != layouts {
		t.Errorf("metric change ran %d layouts", got-layouts)
	}
	e.g.addNode("svc-new", graph.NodeService, "shop")
	e.g.addEdge("svc-003", "svc-new")
	e.quiesce()
	c.sync(e, "group=namespace")
	placed(c.current())
	if _, ok := nodeOf(c.current(), "svc-new"); !ok {
		t.Error("new node missing after layout")
	}
}

func TestHub_ServeHTTP_viewLimit(t *testing.T) {
	cfg := testConfig()
	cfg.MaxViews = 2
	e := newEnv(t, cfg)
	e.g.shop(4)
	a := e.dial(nil).start()
	a.subscribe("")
	a.sync(e, "")
	b := e.dial(nil).start()
	b.subscribe("window=1m")
	b.sync(e, "window=1m")

	// Every View has a subscriber: a third one is refused, and a refused
	// subscriber keeps the View it had.
	a.subscribe("window=15m")
	a.wait("refusal", func(c *client) bool { return len(c.errors) == 1 })
	if !strings.Contains(a.errors[0], "too many distinct Views") {
		t.Errorf("error = %q", a.errors[0])
	}
	e.g.setEdgeCalls("svc-000", "svc-001", 3, 0)
	e.tick()
	a.sync(e, "")
	if st := e.h.Stats(); st.ViewLimitHits != 1 || st.Views != 2 {
		t.Errorf("stats = %+v", st)
	}

	// Once a View is idle it makes room before it would expire.
	b.close()
	eventually(t, "b gone", func() bool { return e.view("window=1m").subscribers() == 0 })
	c := e.dial(nil).start()
	c.subscribe("window=15m")
	c.sync(e, "window=15m")
	if e.view("window=1m") != nil {
		t.Error("idle View not evicted for a new one")
	}
}

// TestHub_tick_bigLayoutDoesNotBlockOtherViews lays out a 1,000-service,
// 3,000-call View with graphviz in a child process, as spanmap serve does,
// and checks that while it runs another View keeps streaming every tick's
// figures to its subscriber.
func TestHub_tick_bigLayoutDoesNotBlockOtherViews(t *testing.T) {
	l, err := layoutproc.New(layoutproc.Config{Command: []string{os.Args[0]}, Env: []string{layoutWorkerEnv + "=1"}, Workers: 2}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	cfg := testConfig()
	cfg.LayoutTimeout = 10 * time.Minute
	e := newEnvWith(t, cfg, l, nil)
	r := randFor(t)
	e.g.mesh(r, 1000, 3000)
	const small = "focus=svc-001&up=0&down=1"
	callee := ""
	for _, ed := range e.g.edgeEnds() {
		if ed[0] == "svc-001" {
			callee = ed[1]
			break
		}
	}
	sc := e.dial(nil).start()
	sc.subscribe(small)
	sc.sync(e, small)

	big := e.dial(nil).start()
	big.subscribe("") // its first snapshot waits for the big layout
	eventually(t, "big layout started", func() bool { v := e.view(""); return v != nil && len(e.h.sem) > 0 })
	during := 0
	for i := range 10 {
		if e.view("").isReady() {
			break
		}
		e.g.setEdgeCalls("svc-001", callee, int64(1000+i), int64(i))
		e.tick()
		sc.sync(e, small) // fails after 10 s if the layout held the stream up
		if ed, _ := edgeOf(sc.current(), graph.EdgeID("svc-001", callee, "")); ed.Calls != int64(1000+i) {
			t.Fatalf("tick %d: small View shows %d calls, want %d", i, ed.Calls, 1000+i)
		}
		if !e.view("").isReady() {
			during++
		}
	}
	if during == 0 {
		t.Skip("the 1,000-node layout finished before a tick: machine too fast for this check")
	}
	big.mu.Lock()
	bigHave := big.have
	big.mu.Unlock()
	if bigHave {
		t.Fatal("big View streamed before its layout landed")
	}
	t.Logf("%d ticks streamed the small View while the 1,000-node, 3,000-edge layout ran", during)
}
