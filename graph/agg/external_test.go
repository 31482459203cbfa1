package agg

import (
	"math"
	"sync"
	"testing"
	"time"

	"github.com/spanmap/spanmap/graph"
	"github.com/spanmap/spanmap/graph/derive"
)

// ext returns an external RPC edge from -> to with n calls, e errors and
// the given client and server quantiles.
func ext(from, to string, n, e int64, client, server graph.Latency) ExternalEdge {
	return ExternalEdge{From: svc(from), To: svc(to), Kind: graph.EdgeRPC, Calls: n, Errors: e, Paired: true,
		Client: client, Server: server}
}

func near(got, want float64) bool { return math.Abs(got-want) <= 0.011*want }

func TestAggregator_AddExternal_spreadsOverBuckets(t *testing.T) {
	for _, tc := range []struct {
		name     string
		from, to time.Duration
		calls    int64
		errs     int64
		want     []int64 // calls per 10s bucket from t0
		wantErrs []int64
	}{
		{"aligned minute", 0, time.Minute, 60, 6, []int64{10, 10, 10, 10, 10, 10}, []int64{1, 1, 1, 1, 1, 1}},
		{"unaligned", 5 * time.Second, 25 * time.Second, 4, 4, []int64{1, 2, 1}, []int64{1, 2, 1}},
		{"fewer calls than buckets", 0, time.Minute, 2, 1, []int64{0, 0, 1, 0, 0, 1}, []int64{0, 0, 0, 0, 0, 1}},
		{"empty interval", 12 * time.Second, 12 * time.Second, 7, 2, []int64{0, 7}, []int64{0, 2}},
		{"errors above calls", 0, 10 * time.Second, 3, 9, []int64{3}, []int64{3}},
		{"negative errors", 0, 10 * time.Second, 3, -1, []int64{3}, []int64{0}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := newAgg(t, nil)
			a.AddExternal("prom", t0.Add(tc.from), t0.Add(tc.to), []ExternalEdge{ext("a", "b", tc.calls, tc.errs, graph.Latency{}, graph.Latency{})})
			var calls, errs int64
			for i := range tc.want {
				from := t0.Add(time.Duration(i) * 10 * time.Second)
				s := a.Snapshot(from, from.Add(10*time.Second), Options{})
				var c, e int64
				if len(s.Edges) > 0 {
					c, e = s.Edges[0].Calls, s.Edges[0].Errors
				}
				if c != tc.want[i] || e != tc.wantErrs[i] {
					t.Fatalf("bucket %d: %d calls, %d errors; want %d and %d", i, c, e, tc.want[i], tc.wantErrs[i])
				}
				calls, errs = calls+c, errs+e
			}
			if calls != tc.calls {
				t.Fatalf("%d calls in all, want %d", calls, tc.calls)
			}
			if got := a.Counters().Sources; len(got) != 1 || got[0].Observations != tc.calls {
				t.Fatalf("source counters = %+v", got)
			}
		})
	}
}

func TestAggregator_AddExternal_quantilesReadBack(t *testing.T) {
	client := graph.Latency{P50: 10, P90: 50, P95: 80, P99: 200}
	server := graph.Latency{P50: 8, P90: 40, P95: 70, P99: 150}
	for _, iv := range []time.Duration{10 * time.Second, time.Minute, 95 * time.Second} {
		for _, n := range []int64{22, 30, 100, 1000, 123457} {
			a := newAgg(t, nil)
			a.AddExternal("prom", t0, t0.Add(iv), []ExternalEdge{ext("a", "b", n, 0, client, server)})
			e := findEdge(t, a.Snapshot(t0, t0.Add(iv), Options{}), "a->b")
			if e.ClientLatency == nil || e.ServerLatency == nil {
				t.Fatalf("%v, n=%d: latencies missing: %+v", iv, n, e.Stats)
			}
			for _, c := range []struct {
				name      string
				got, want graph.Latency
			}{{"client", *e.ClientLatency, client}, {"server", *e.ServerLatency, server}, {"caller", e.Latency, client}} {
				if !near(c.got.P50, c.want.P50) || !near(c.got.P90, c.want.P90) || !near(c.got.P95, c.want.P95) || !near(c.got.P99, c.want.P99) {
					t.Fatalf("%v, n=%d: %s latency %+v, want %+v within 1%%", iv, n, c.name, c.got, c.want)
				}
			}
			if e.Calls != n || e.Trust.Paired != n || e.Trust.Unpaired != 0 {
				t.Fatalf("%v, n=%d: calls %d, trust = %+v", iv, n, e.Calls, e.Trust)
			}
		}
	}
}

// TestAggregator_AddExternal_fewCallsKeepQuantiles spreads 2 calls over six
// buckets: the latency weights go with them, one point to each bucket that
// holds a call, rather than both to one of them.
func TestAggregator_AddExternal_fewCallsKeepQuantiles(t *testing.T) {
	a := newAgg(t, nil)
	a.AddExternal("prom", t0, t0.Add(time.Minute), []ExternalEdge{ext("a", "b", 2, 0, graph.Latency{P50: 10, P90: 50, P95: 80, P99: 200}, graph.Latency{})})
	var got []float64
	for i := range 6 {
		from := t0.Add(time.Duration(i) * 10 * time.Second)
		s := a.Snapshot(from, from.Add(10*time.Second), Options{})
		if len(s.Edges) == 1 {
			got = append(got, s.Edges[0].Latency.P50)
		}
	}
	// Two calls stand for the two lowest known levels (p50 and p90): with few
	// calls the lower quantiles win.
	if len(got) != 2 || !near(got[0], 50) || !near(got[1], 10) {
		t.Fatalf("p50 of the buckets holding a call = %v, want 50 and 10", got)
	}
}

func TestAggregator_AddExternal_partialQuantiles(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   graph.Latency
		want graph.Latency
	}{
		// p90 unknown: p50 stands for calls up to 0.725, p95 takes the rest
		// up to 0.97.
		{"missing p90", graph.Latency{P50: 10, P95: 80, P99: 200}, graph.Latency{P50: 10, P90: 80, P95: 80, P99: 200}},
		{"only p99", graph.Latency{P99: 200}, graph.Latency{P50: 200, P90: 200, P95: 200, P99: 200}},
		{"NaN and Inf dropped", graph.Latency{P50: math.NaN(), P90: 50, P95: math.Inf(1), P99: 200}, graph.Latency{P50: 50, P90: 50, P95: 200, P99: 200}},
		{"not monotonic", graph.Latency{P50: 10, P90: 5, P95: 80, P99: 200}, graph.Latency{P50: 10, P90: 10, P95: 80, P99: 200}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := newAgg(t, nil)
			a.AddExternal("prom", t0, t0.Add(10*time.Second), []ExternalEdge{ext("a", "b", 1000, 0, tc.in, graph.Latency{})})
			got := findEdge(t, a.Snapshot(t0, t0.Add(10*time.Second), Options{}), "a->b").Latency
			if !near(got.P50, tc.want.P50) || !near(got.P90, tc.want.P90) || !near(got.P95, tc.want.P95) || !near(got.P99, tc.want.P99) {
				t.Fatalf("latency = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestAggregator_AddExternal_serverOnlyAndQueueLag(t *testing.T) {
	a := newAgg(t, nil)
	lag := graph.Latency{P50: 3, P90: 9, P95: 12, P99: 30}
	a.AddExternal("prom", t0, t0.Add(10*time.Second), []ExternalEdge{
		{From: virt("user", graph.NodeUser), To: svc("front"), Kind: graph.EdgeRPC, Calls: 100,
			Server: graph.Latency{P50: 20, P90: 40, P95: 60, P99: 90}},
		{From: svc("front"), To: svc("worker"), Kind: graph.EdgeMessaging, Calls: 100, Paired: true,
			Client: graph.Latency{P50: 1, P90: 2, P95: 3, P99: 4}, QueueLag: lag},
		{From: svc("worker"), To: virt("redis", graph.NodeDatabase), Kind: graph.EdgeDatabase, Calls: 50,
			Client: graph.Latency{P50: 2, P90: 4, P95: 5, P99: 9}},
	})
	s := a.Snapshot(t0, t0.Add(10*time.Second), Options{})
	in := findEdge(t, s, "user->front")
	if in.ClientLatency != nil || in.ServerLatency == nil || !near(in.Latency.P50, 20) || in.Trust.Unpaired != 100 {
		t.Fatalf("server-only edge = %+v", in)
	}
	msg := findEdge(t, s, "front->worker")
	if msg.Kind != graph.EdgeMessaging || msg.QueueLag == nil || !near(msg.QueueLag.P99, 30) || msg.ServerLatency != nil {
		t.Fatalf("messaging edge = %+v", msg)
	}
	if findEdge(t, s, "worker->redis").Kind != graph.EdgeDatabase {
		t.Fatal("database edge kind lost")
	}
	for id, k := range map[string]graph.NodeKind{"user": graph.NodeUser, "front": graph.NodeService, "worker": graph.NodeService, "redis": graph.NodeDatabase} {
		if n := findNode(t, s, id); n.Kind != k {
			t.Fatalf("node %s kind %q, want %q", id, n.Kind, k)
		}
	}
	if n := findNode(t, s, "front"); n.Stats.Calls != 100 {
		t.Fatalf("front serves %d calls, want 100", n.Stats.Calls)
	}
}

func TestAggregator_AddExternal_mergesWithSpans(t *testing.T) {
	a := newAgg(t, nil)
	a.Add("jaeger", []derive.Observation{call("front", "back", time.Second), call("front", "back", 2*time.Second)})
	a.AddExternal("prom", t0, t0.Add(10*time.Second), []ExternalEdge{
		ext("front", "back", 8, 2, graph.Latency{P50: 10, P90: 10, P95: 10, P99: 10}, graph.Latency{}),
		{From: virt("back", graph.NodeExternal), To: svc("db"), Kind: graph.EdgeRPC, Calls: 1},
	})
	s := a.Snapshot(t0, t0.Add(10*time.Second), Options{})
	e := findEdge(t, s, "front->back")
	if e.Calls != 10 || e.Errors != 2 || e.Trust.Paired != 10 {
		t.Fatalf("merged edge = %+v", e.Stats)
	}
	if len(e.Sources) != 2 || e.Sources[0] != "jaeger" || e.Sources[1] != "prom" {
		t.Fatalf("sources = %v", e.Sources)
	}
	if e.Trust.LastSeen != t0.Add(2*time.Second).UnixMilli() {
		t.Fatalf("last seen = %d, want the latest span call", e.Trust.LastSeen)
	}
	if len(e.Exemplars) == 0 {
		t.Fatal("exemplars of the span calls lost")
	}
	if len(s.Nodes) != 3 {
		t.Fatalf("nodes = %+v, want front, back and db", s.Nodes)
	}
	if n := findNode(t, s, "back"); n.Kind != graph.NodeService {
		t.Fatalf("back kind %q: a service seen in spans stays a service", n.Kind)
	}
	if got := a.Services(); len(got) != 3 {
		t.Fatalf("services = %v", got)
	}
}

func TestAggregator_AddExternal_skips(t *testing.T) {
	a := newAgg(t, nil)
	a.AddExternal("prom", t0, t0.Add(10*time.Second), []ExternalEdge{
		{From: svc(""), To: svc("b"), Calls: 5},
		{From: svc("a"), To: svc("b"), Calls: 0},
		{From: svc("a"), To: svc("b"), Calls: -3},
	})
	a.AddExternal("prom", t0, t0.Add(10*time.Second), nil)
	c := a.Counters()
	if c.Skipped != 1 || c.Edges != 0 {
		t.Fatalf("counters = %+v, want one skipped and no edge", c)
	}
	if from, to := a.Bounds(); !from.IsZero() || !to.IsZero() {
		t.Fatalf("bounds = %v..%v, want none", from, to)
	}
}

func TestAggregator_AddExternal_packsAndDropsPlaced(t *testing.T) {
	a := newAgg(t, func(c *Config) { c.CompactAfter = time.Minute })
	a.AddDropped("prom", "b", 4) // waits for a clock
	a.AddExternal("prom", t0, t0.Add(time.Minute), []ExternalEdge{ext("a", "b", 600, 6, graph.Latency{P50: 5, P90: 9, P95: 12, P99: 20}, graph.Latency{})})
	before := a.Snapshot(t0, t0.Add(time.Minute), Options{})
	a.Prune(t0.Add(10 * time.Minute))
	after := a.Snapshot(t0, t0.Add(time.Minute), Options{})
	if !before.Equal(&after) {
		t.Fatalf("packing changed the snapshot:\n%+v\n%+v", before, after)
	}
	if e := findEdge(t, after, "a->b"); e.Trust.Dropped != 4 || e.Calls != 600 {
		t.Fatalf("edge = %+v", e)
	}
}

func TestAggregator_AddExternal_concurrent(t *testing.T) {
	a := newAgg(t, nil)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 200 {
				at := t0.Add(time.Duration(i) * time.Second)
				if g%2 == 0 {
					a.AddExternal("prom", at, at.Add(time.Second), []ExternalEdge{ext("a", "b", 3, 1, graph.Latency{P50: 1, P99: 2}, graph.Latency{})})
				} else {
					a.Add("spans", []derive.Observation{call("a", "b", time.Duration(i)*time.Second)})
				}
				_ = a.Snapshot(t0, t0.Add(time.Hour), Options{})
			}
		})
	}
	wg.Wait()
	if e := findEdge(t, a.Snapshot(t0, t0.Add(time.Hour), Options{}), "a->b"); e.Calls != 2*200*3+2*200 || e.Errors != 2*200 {
		t.Fatalf("edge = %+v", e.Stats)
	}
}
