package hub

import (
	"fmt"
	"testing"
	"time"

	"github.com/spanmap/spanmap/graph"
	"github.com/spanmap/spanmap/graph/agg"
)

// mixedViews are the Views the concurrency tests spread subscribers over.
var mixedViews = []string{
	"",
	"window=1m",
	"focus=svc-003&up=2",
	"virtual=hide",
	"group=namespace",
	"ops=true&min_rate=1",
	"errors_only=true",
}

func TestHub_ServeHTTP_manySubscribers(t *testing.T) {
	cfg := testConfig()
	cfg.QueueLen = 16
	cfg.ResyncGrace = 0 // resync as often as needed, never disconnect
	cfg.MaxSubscribers = 500
	e := newEnv(t, cfg)
	e.g.shop(6)
	r := randFor(t)

	const n = 200
	clients := make([]*client, n)
	for i := range n {
		clients[i] = e.dial(nil).start()
		clients[i].subscribe(mixedViews[i%len(mixedViews)])
		if i%20 == 0 { // subscribers keep arriving while the graph churns
			e.g.churnMetrics(r, 0.3)
			e.tick()
		}
	}
	for range 25 {
		e.g.churnMetrics(r, 0.3)
		if r.IntN(3) == 0 {
			e.g.churnTopology(r, 15)
		}
		e.tick()
	}
	e.quiesce()
	for i, c := range clients {
		c.sync(e, mixedViews[i%len(mixedViews)])
	}
	st := e.h.Stats()
	if st.Subscribers != n || st.Views != len(mixedViews) || st.SlowDisconnects != 0 {
		t.Errorf("stats = %+v", st)
	}
	t.Logf("%d diffs (%d bytes), %d snapshots, %d resyncs, %d layouts", st.DiffsSent, st.DiffBytes, st.SnapshotsSent, st.Resyncs, st.Layouts)
}

func TestHub_tick_randomizedChurn(t *testing.T) {
	steps := 2000
	if testing.Short() {
		steps = 300
	}
	cfg := testConfig()
	cfg.LayoutWorkers = 2
	e := newEnv(t, cfg)
	e.g.shop(12)
	r := randFor(t)
	views := mixedViews[:5]
	clients := make([]*client, len(views))
	for i, q := range views {
		clients[i] = e.dial(nil).start()
		clients[i].subscribe(q)
		clients[i].sync(e, q)
	}
	roamer := e.dial(nil).start()
	roaming := views[0]
	roamer.subscribe(roaming)
	roamer.sync(e, roaming)

	// From now on layouts wait until the test lets one through, so they land
	// at random ticks, several Views compete for the two workers, and
	// topology keeps changing while a layout runs.
	gate := make(chan struct{})
	e.l.setGate(gate)
	for step := range steps {
		switch k := r.IntN(20); {
		case k < 13:
			e.g.churnMetrics(r, r.Float64())
		case k < 19:
			e.g.churnTopology(r, 20)
		}
		if r.IntN(5) < 2 {
			e.release(gate)
		}
		if r.IntN(50) == 0 {
			roaming = views[r.IntN(len(views))]
			roamer.subscribe(roaming)
		}
		e.tick()
		for i, c := range clients {
			c.sync(e, views[i])
		}
		roamer.sync(e, roaming)
		e.checkPlaced(views, step)
		if t.Failed() {
			return
		}
	}
	close(gate)
	e.quiesce()
	for i, c := range clients {
		c.sync(e, views[i])
		e.checkComplete(views[i])
	}
	st := e.h.Stats()
	t.Logf("%d steps: %d diffs, %d snapshots, %d layouts, %d busy", steps, st.DiffsSent, st.SnapshotsSent, st.Layouts, st.LayoutsBusy)
}

// release lets one waiting layout through, if any, and waits until it has
// landed.
func (e *env) release(gate chan struct{}) {
	e.t.Helper()
	held := len(e.h.sem)
	select {
	case gate <- struct{}{}:
	case <-time.After(time.Millisecond):
		return
	}
	eventually(e.t, "released layout to land", func() bool { return len(e.h.sem) < held })
}

// checkPlaced checks what the hub serves for each View: every node at the
// position the layouter gives it, every edge with a path, nothing the
// View's latest layout did not cover.
func (e *env) checkPlaced(views []string, step int) {
	e.t.Helper()
	for _, q := range views {
		s := e.snapshot(q)
		v := e.view(q)
		for _, n := range s.Nodes {
			if n.Pos == nil || *n.Pos != idPoint(n.ID) {
				e.t.Errorf("step %d view %q: node %s at %v, want %v", step, q, n.ID, n.Pos, idPoint(n.ID))
			}
			if _, ok := v.laid.nodes[n.ID]; !ok {
				e.t.Errorf("step %d view %q: node %s published without a layout", step, q, n.ID)
			}
		}
		for _, ed := range s.Edges {
			if len(ed.Path) != 2 {
				e.t.Errorf("step %d view %q: edge %s without a path", step, q, ed.ID)
			}
		}
	}
}

// checkComplete checks that, once layouts have caught up, the View shows
// exactly what the graph holds for it: nothing stays held back.
func (e *env) checkComplete(q string) {
	e.t.Helper()
	spec, err := graph.ParseView(q)
	if err != nil {
		e.t.Fatal(err)
	}
	now := e.clk.Now()
	want := graph.Filter(e.g.Snapshot(now.Add(-spec.Window), now, agg.Options{Operations: spec.Operations}), spec)
	got := e.snapshot(q)
	if fmt.Sprint(ids(got)) != fmt.Sprint(ids(want)) {
		e.t.Errorf("view %q after settling:\n got %v\nwant %v", q, ids(got), ids(want))
	}
}

func ids(s graph.Snapshot) []string {
	var out []string
	for _, n := range s.Nodes {
		out = append(out, n.ID)
	}
	for _, e := range s.Edges {
		out = append(out, e.ID)
	}
	return out
}
