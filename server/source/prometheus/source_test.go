package prometheus

import (
	"context"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/spanmap/spanmap/graph"
	"github.com/spanmap/spanmap/graph/agg"
	"github.com/spanmap/spanmap/graph/derive"
	"github.com/spanmap/spanmap/server/poll"
)

// t0 is a minute boundary; with the default settle of 30s, a poll at
// t0+30s queries the intervals ending at t0 and before.
var t0 = time.Unix(1_700_000_040, 0)

var nan = math.NaN()

func q4(a, b, c, d float64) [4]float64 { return [4]float64{a, b, c, d} }

// shop is one interval of service-graph metrics covering every connection
// type. Quantiles are powers of two so that seconds convert to exact ms.
func shop() []series {
	return []series{
		{labels: map[string]string{"client": "frontend", "server": "backend", "client_service_namespace": "shop", "server_service_namespace": "shop", "region": "eu"},
			calls: 100.4, errors: 3, client: q4(0.125, 0.25, 0.5, 1), server: q4(0.0625, 0.125, 0.25, 0.5)},
		// The same pair split by another dimension: sum by merges it.
		{labels: map[string]string{"client": "frontend", "server": "backend", "client_service_namespace": "shop", "server_service_namespace": "shop", "region": "us"},
			calls: 20, errors: 1, client: q4(0.125, 0.25, 0.5, 1), server: q4(0.0625, 0.125, 0.25, 0.5)},
		{labels: map[string]string{"client": "backend", "server": "postgres", "connection_type": "database"},
			calls: 50, client: q4(0.0078125, 0.015625, 0.03125, 0.0625), server: q4(1, 1, 1, 1), noErrors: true},
		{labels: map[string]string{"client": "orders", "server": "billing", "connection_type": "messaging_system"},
			calls: 10, client: q4(0.5, nan, nan, 1), server: q4(nan, nan, nan, nan), lag: q4(2, 4, 4, 8)},
		{labels: map[string]string{"client": "user", "server": "frontend", "connection_type": "virtual_node"},
			calls: 120, client: q4(9, 9, 9, 9), server: q4(0.25, 0.5, 0.5, 1)},
		{labels: map[string]string{"client": "backend", "server": "payments-api", "connection_type": "virtual_node"},
			calls: 7, errors: 7, client: q4(0.5, 1, 1, 2), server: q4(9, 9, 9, 9)},
		{labels: map[string]string{"client": "curl", "server": "frontend", "connection_type": "virtual_node", "virtual_node": "client"},
			calls: 2, noHist: true},
		// Rounds to no call: dropped.
		{labels: map[string]string{"client": "cron", "server": "backend"}, calls: 0.3},
	}
}

func svcEP(n, ns string) derive.Endpoint {
	return derive.Endpoint{ID: n, Name: n, Kind: graph.NodeService, Namespace: ns}
}

func kindEP(n string, k graph.NodeKind) derive.Endpoint {
	return derive.Endpoint{ID: n, Name: n, Kind: k}
}

func TestSource_Poll_edges(t *testing.T) {
	fp := &fakeProm{data: map[int64][]series{t0.Unix(): shop()}}
	clk := &clock{t: t0.Add(30 * time.Second)}
	sink := &recSink{}
	s := newTestSource(t, fp.serve(t).URL, sink, clk.now, func(c *Config) { c.QueueLag, c.Lookback = true, time.Minute })
	if err := s.Poll(context.Background()); err != nil {
		t.Fatal(err)
	}
	got := sink.intervals()
	if len(got) != 1 || got[0].source != "prom" || !got[0].from.Equal(t0.Add(-time.Minute)) || !got[0].to.Equal(t0) {
		t.Fatalf("intervals = %+v, want one for the minute before t0", got)
	}
	want := []agg.ExternalEdge{
		{From: svcEP("backend", ""), To: kindEP("payments-api", graph.NodeExternal), Kind: graph.EdgeExternal,
			Calls: 7, Errors: 7, Client: graph.Latency{P50: 500, P90: 1000, P95: 1000, P99: 2000}},
		{From: svcEP("backend", ""), To: kindEP("postgres", graph.NodeDatabase), Kind: graph.EdgeDatabase,
			Calls: 50, Client: graph.Latency{P50: 7.8125, P90: 15.625, P95: 31.25, P99: 62.5}},
		{From: kindEP("curl", graph.NodeExternal), To: svcEP("frontend", ""), Kind: graph.EdgeRPC, Calls: 2},
		{From: svcEP("frontend", "shop"), To: svcEP("backend", "shop"), Kind: graph.EdgeRPC, Calls: 120, Errors: 4, Paired: true,
			Client: graph.Latency{P50: 125, P90: 250, P95: 500, P99: 1000}, Server: graph.Latency{P50: 62.5, P90: 125, P95: 250, P99: 500}},
		{From: svcEP("orders", ""), To: svcEP("billing", ""), Kind: graph.EdgeMessaging, Calls: 10, Paired: true,
			Client: graph.Latency{P50: 500, P99: 1000}, QueueLag: graph.Latency{P50: 2000, P90: 4000, P95: 4000, P99: 8000}},
		{From: kindEP("user", graph.NodeUser), To: svcEP("frontend", ""), Kind: graph.EdgeRPC, Calls: 120,
			Server: graph.Latency{P50: 250, P90: 500, P95: 500, P99: 1000}},
	}
	if !reflect.DeepEqual(got[0].edges, want) {
		for i := range max(len(want), len(got[0].edges)) {
			var g, w agg.ExternalEdge
			if i < len(got[0].edges) {
				g = got[0].edges[i]
			}
			if i < len(want) {
				w = want[i]
			}
			if !reflect.DeepEqual(g, w) {
				t.Errorf("edge %d:\n got %+v\nwant %+v", i, g, w)
			}
		}
		t.FailNow()
	}
	if times := fp.evalTimes(); len(times) != 1 || times[t0.Unix()] != 14 {
		t.Fatalf("evaluation times = %v, want 14 queries at %d", times, t0.Unix())
	}
	st := s.Status()
	if st.State != poll.StateOK || st.Kind != "prometheus" || st.Lag != 30*time.Second || st.PollsBehind != 0 || s.Edges() != 6 {
		t.Fatalf("status = %+v, edges %d", st, s.Edges())
	}
}

func TestSource_Poll_intervalsAreContiguous(t *testing.T) {
	fp := &fakeProm{data: map[int64][]series{}}
	for i := range 20 {
		fp.data[t0.Add(time.Duration(i-10)*time.Minute).Unix()] = shop()[:1]
	}
	clk := &clock{t: t0.Add(45 * time.Second)}
	sink := &recSink{}
	s := newTestSource(t, fp.serve(t).URL, sink, clk.now, nil)
	for range 4 {
		if err := s.Poll(context.Background()); err != nil {
			t.Fatal(err)
		}
		clk.add(40 * time.Second) // polls need not line up with intervals
	}
	got := sink.intervals()
	// The first poll reaches back the 5m lookback; the next three see two
	// more minutes complete and settled.
	if len(got) != 7 {
		t.Fatalf("%d intervals, want 7", len(got))
	}
	for i, iv := range got {
		wantFrom := t0.Add(time.Duration(i-5) * time.Minute)
		if !iv.from.Equal(wantFrom) || iv.to.Sub(iv.from) != time.Minute {
			t.Fatalf("interval %d = [%v, %v), want a minute from %v", i, iv.from, iv.to, wantFrom)
		}
		if len(iv.edges) != 1 || iv.edges[0].Calls != 100 {
			t.Fatalf("interval %d edges = %+v", i, iv.edges)
		}
	}
	for ts, n := range fp.evalTimes() {
		if n != 10 {
			t.Fatalf("time %d evaluated %d times, want the 10 queries once", ts, n)
		}
	}
}

func TestSource_Poll_catchUpAndRetry(t *testing.T) {
	fp := &fakeProm{data: map[int64][]series{}}
	clk := &clock{t: t0.Add(30 * time.Second)}
	sink := &recSink{}
	s := newTestSource(t, fp.serve(t).URL, sink, clk.now, func(c *Config) { c.MaxCatchUp, c.DownAfter = 2, 2 })
	if err := s.Poll(context.Background()); err != nil {
		t.Fatal(err)
	}
	if st := s.Status(); st.PollsBehind != 3 || len(sink.intervals()) != 2 || s.delay(nil) != time.Second {
		t.Fatalf("after one poll: status %+v, %d intervals, delay %v; want 3 behind, 2 done, min backoff", st, len(sink.intervals()), s.delay(nil))
	}
	fp.set(func(f *fakeProm) { f.status, f.body = 503, "upstream connect error" })
	for i := range 2 {
		err := s.Poll(context.Background())
		if err == nil || !strings.Contains(err.Error(), "503 Service Unavailable: upstream connect error") {
			t.Fatalf("poll error = %v", err)
		}
		want := []poll.State{poll.StateDegraded, poll.StateDown}[i]
		if st := s.Status(); st.State != want || st.Failures != int64(i+1) || st.LastError != err.Error() || st.PollsBehind != 3 {
			t.Fatalf("status after failure %d = %+v, want %s", i+1, st, want)
		}
	}
	fp.set(func(f *fakeProm) { f.status, f.body = 0, "" })
	for range 2 {
		if err := s.Poll(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	got := sink.intervals()
	if len(got) != 5 || !got[4].to.Equal(t0) {
		t.Fatalf("%d intervals ending %v, want 5 ending at t0: the failed ones are retried", len(got), got[len(got)-1].to)
	}
	for i := 1; i < len(got); i++ {
		if !got[i].from.Equal(got[i-1].to) {
			t.Fatalf("gap between intervals %d and %d", i-1, i)
		}
	}
	if st := s.Status(); st.State != poll.StateOK || st.LastError != "" || st.PollsBehind != 0 || s.Skipped() != 0 {
		t.Fatalf("status after recovery = %+v, skipped %d", st, s.Skipped())
	}
}

func TestSource_Poll_givesUpPastLookback(t *testing.T) {
	fp := &fakeProm{status: 500, body: "boom"}
	clk := &clock{t: t0.Add(30 * time.Second)}
	sink := &recSink{}
	s := newTestSource(t, fp.serve(t).URL, sink, clk.now, nil)
	if err := s.Poll(context.Background()); err == nil {
		t.Fatal("poll of a failing server succeeded")
	}
	clk.add(8 * time.Minute)
	fp.set(func(f *fakeProm) { f.status, f.body = 0, "" })
	if err := s.Poll(context.Background()); err != nil {
		t.Fatal(err)
	}
	got := sink.intervals()
	if s.Skipped() != 8 || len(got) != 5 || !got[0].from.Equal(t0.Add(3*time.Minute)) {
		t.Fatalf("skipped %d, %d intervals from %v; want 8 skipped and the 5 of the lookback", s.Skipped(), len(got), got[0].from)
	}
}

func TestSource_Poll_failures(t *testing.T) {
	for _, tc := range []struct {
		name      string
		set       func(f *fakeProm)
		want      string
		malformed bool
	}{
		{"500 not JSON", func(f *fakeProm) { f.status, f.body = 500, "upstream down\n<html>" }, "500 Internal Server Error: upstream down", false},
		{"bad_data", func(f *fakeProm) { f.failOn = "_request_failed_total" }, `query traces_service_graph_request_failed_total at 2023-11-14T22:14:00Z: 400 Bad Request: bad_data: 1:14: parse error`, false},
		{"execution error", func(f *fakeProm) {
			f.status, f.body = 422, `{"status":"error","errorType":"execution","error":"query processing would load too many samples"}`
		}, "422 Unprocessable Entity: execution: query processing would load too many samples", false},
		{"bad JSON", func(f *fakeProm) { f.body = `{"status":"success","data":{"resultType":"vector","result":[{"metric":{}` }, "malformed response", true},
		{"matrix", func(f *fakeProm) { f.body = `{"status":"success","data":{"resultType":"matrix","result":[]}}` }, `result type "matrix", want vector`, true},
		{"bad value", func(f *fakeProm) {
			f.body = `{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,"many"]}]}}`
		}, `value "many"`, true},
		{"slow past timeout", func(f *fakeProm) { f.delay = time.Second }, "exceeded", false}, // "Client.Timeout exceeded", or "context deadline exceeded" when another query of the poll timed out first
		{"unauthorized", func(f *fakeProm) { f.tenant = "team-a" }, "401 Unauthorized: no org id", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fp := &fakeProm{data: map[int64][]series{t0.Unix(): shop()}}
			fp.set(tc.set)
			sink := &recSink{}
			s := newTestSource(t, fp.serve(t).URL, sink, (&clock{t: t0.Add(30 * time.Second)}).now, func(c *Config) {
				c.Lookback, c.Conn.Timeout = time.Minute, 200*time.Millisecond
			})
			err := s.Poll(context.Background())
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "source prom: query ") {
				t.Fatalf("Poll() error = %v, want it to name the source and query and contain %q", err, tc.want)
			}
			if errors.Is(err, ErrMalformed) != tc.malformed || (s.Status().Malformed > 0) != tc.malformed {
				t.Fatalf("malformed: error %v, count %d; want %v", err, s.Status().Malformed, tc.malformed)
			}
			if len(sink.intervals()) != 0 {
				t.Fatal("a failed interval reached the sink")
			}
		})
	}
}

func TestSource_Poll_missingSeries(t *testing.T) {
	fp := &fakeProm{data: map[int64][]series{t0.Unix(): {
		{labels: map[string]string{"client": "a", "server": "b"}, calls: 5, noErrors: true, noHist: true},
		{labels: map[string]string{"client": "a", "server": "c"}, calls: 5, client: q4(nan, nan, nan, nan), server: q4(nan, nan, nan, nan)},
	}}}
	sink := &recSink{}
	s := newTestSource(t, fp.serve(t).URL, sink, (&clock{t: t0.Add(30 * time.Second)}).now, func(c *Config) { c.Lookback = time.Minute })
	if err := s.Poll(context.Background()); err != nil {
		t.Fatal(err)
	}
	want := []agg.ExternalEdge{
		{From: svcEP("a", ""), To: svcEP("b", ""), Kind: graph.EdgeRPC, Calls: 5, Paired: true},
		{From: svcEP("a", ""), To: svcEP("c", ""), Kind: graph.EdgeRPC, Calls: 5, Paired: true},
	}
	if got := sink.intervals(); len(got) != 1 || !reflect.DeepEqual(got[0].edges, want) {
		t.Fatalf("intervals = %+v", got)
	}
}

func TestSource_tenant(t *testing.T) {
	fp := &fakeProm{tenant: "team-a", data: map[int64][]series{t0.Unix(): shop()}}
	sink := &recSink{}
	s := newTestSource(t, fp.serve(t).URL, sink, (&clock{t: t0.Add(30 * time.Second)}).now, func(c *Config) {
		c.Lookback, c.Tenant = time.Minute, "team-a"
		c.Conn.Headers = map[string]string{"X-Scope-OrgID": "team-b", "X-Other": "1"}
	})
	if err := s.Poll(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(sink.intervals()) != 1 {
		t.Fatal("no interval")
	}
}

// TestSource_withAggregator feeds an aggregator from spans and metrics: a
// service seen in both is one node, and the edge counts both sources.
func TestSource_withAggregator(t *testing.T) {
	a := agg.New(agg.DefaultConfig())
	a.Add("jaeger", []derive.Observation{{
		From: svcEP("frontend", ""), To: svcEP("backend", ""), Kind: graph.EdgeRPC, Operation: "GET /api",
		Time: t0.Add(-30 * time.Second).UnixNano(), ClientDuration: 4e6, ServerDuration: 3e6, QueueLag: -1, Paired: true,
	}})
	fp := &fakeProm{data: map[int64][]series{t0.Unix(): shop()}}
	s := newTestSource(t, fp.serve(t).URL, a, (&clock{t: t0.Add(30 * time.Second)}).now, func(c *Config) { c.Lookback = time.Minute })
	if err := s.Poll(context.Background()); err != nil {
		t.Fatal(err)
	}
	snap := a.Snapshot(t0.Add(-time.Minute), t0, agg.Options{})
	var fe graph.Edge
	for _, e := range snap.Edges {
		if e.ID == "frontend->backend" {
			fe = e
		}
	}
	if fe.Calls != 121 || fe.Errors != 4 || strings.Join(fe.Sources, ",") != "jaeger,prom" {
		t.Fatalf("frontend->backend = %+v", fe)
	}
	kinds := map[string]graph.NodeKind{}
	for _, n := range snap.Nodes {
		kinds[n.ID] = n.Kind
	}
	want := map[string]graph.NodeKind{"frontend": graph.NodeService, "backend": graph.NodeService, "postgres": graph.NodeDatabase,
		"orders": graph.NodeService, "billing": graph.NodeService, "user": graph.NodeUser, "payments-api": graph.NodeExternal,
		"curl": graph.NodeExternal}
	if !reflect.DeepEqual(kinds, want) {
		t.Fatalf("nodes = %v, want %v", kinds, want)
	}
}

func TestSource_Run_stopsWithContext(t *testing.T) {
	fp := &fakeProm{data: map[int64][]series{}}
	sink := &recSink{}
	s := newTestSource(t, fp.serve(t).URL, sink, nil, func(c *Config) {
		c.Interval, c.Settle, c.Lookback = time.Second, 0, 3*time.Second
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- s.Run(ctx) }()
	deadline := time.Now().Add(5 * time.Second)
	for len(sink.intervals()) < 4 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if n := len(sink.intervals()); n < 4 {
		t.Fatalf("%d intervals in 5s of 1s intervals, want at least 4", n)
	}
}

func TestSource_delay(t *testing.T) {
	s := newTestSource(t, "http://127.0.0.1:1", &recSink{}, (&clock{t: t0.Add(40 * time.Second)}).now, func(c *Config) {
		c.MinBackoff, c.MaxBackoff = time.Second, 10*time.Second
	})
	s.rand = func() float64 { return 1 }
	s.mu.Lock()
	s.plan(s.now())
	s.next = t0
	s.mu.Unlock()
	// The interval ending at t0+1m is settled at t0+1m30s: 50s from now.
	if d := s.delay(nil); d != 50*time.Second {
		t.Fatalf("delay after success = %v, want 50s", d)
	}
	for i, want := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 10 * time.Second, 10 * time.Second} {
		s.failed = i + 1
		if d := s.delay(errors.New("x")); d != want {
			t.Fatalf("delay after %d failures = %v, want %v", i+1, d, want)
		}
	}
	s.rand = func() float64 { return 0 }
	if d := s.delay(errors.New("x")); d != 5*time.Second {
		t.Fatalf("jittered delay = %v, want half of the cap", d)
	}
}

func TestConfig_queries(t *testing.T) {
	c := DefaultConfig()
	c.MetricPrefix, c.Selector, c.Interval = "servicegraph_traces_service_graph", `cluster="prod"`, 30*time.Second
	qs := c.queries()
	if len(qs) != 10 {
		t.Fatalf("%d queries, want 10 without queue lag", len(qs))
	}
	want := map[int]string{
		0: `sum by (client, server, connection_type, virtual_node, client_service_namespace, server_service_namespace) (increase(servicegraph_traces_service_graph_request_total{cluster="prod"}[30s]))`,
		1: `sum by (client, server, connection_type) (increase(servicegraph_traces_service_graph_request_failed_total{cluster="prod"}[30s]))`,
		3: `histogram_quantile(0.9, sum by (le, client, server, connection_type) (rate(servicegraph_traces_service_graph_request_client_seconds_bucket{cluster="prod"}[30s])))`,
		9: `histogram_quantile(0.99, sum by (le, client, server, connection_type) (rate(servicegraph_traces_service_graph_request_server_seconds_bucket{cluster="prod"}[30s])))`,
	}
	for i, w := range want {
		if qs[i].expr != w {
			t.Errorf("query %d = %s\nwant %s", i, qs[i].expr, w)
		}
	}
	c.QueueLag, c.NamespaceDimension, c.Selector = true, "", ""
	qs = c.queries()
	if len(qs) != 14 || !strings.Contains(qs[13].expr, "_request_messaging_system_seconds_bucket[30s]") || strings.Contains(qs[0].expr, "namespace") {
		t.Fatalf("queries with queue lag = %+v", qs)
	}
}

func TestConfig_Validate(t *testing.T) {
	ok := DefaultConfig()
	ok.Name, ok.Conn.URL = "prom", "http://prometheus:9090"
	for _, tc := range []struct {
		name string
		mod  func(*Config)
		want string
	}{
		{"ok", nil, ""},
		{"no name", func(c *Config) { c.Name = "" }, "name"},
		{"grpc", func(c *Config) { c.Conn.URL = "grpc://x:1" }, "HTTP"},
		{"sub-second interval", func(c *Config) { c.Interval = 1500 * time.Millisecond }, "whole number of seconds"},
		{"negative settle", func(c *Config) { c.Settle = -time.Second }, "settle"},
		{"short lookback", func(c *Config) { c.Lookback = 30 * time.Second }, "lookback"},
		{"catch-up", func(c *Config) { c.MaxCatchUp = 0 }, "catch-up"},
		{"prefix", func(c *Config) { c.MetricPrefix = "traces-service" }, "metric prefix"},
		{"selector braces", func(c *Config) { c.Selector = `{a="b"}` }, "without braces"},
		{"dimension", func(c *Config) { c.NamespaceDimension = "service.namespace" }, "label name"},
		{"user client", func(c *Config) { c.UserClient = "" }, "user client"},
		{"timeout", func(c *Config) { c.Timeout = 0 }, "timeout"},
		{"backoff", func(c *Config) { c.MaxBackoff = time.Millisecond }, "backoff"},
		{"down after", func(c *Config) { c.DownAfter = 0 }, "down-after"},
		{"tenant", func(c *Config) { c.Tenant = "a\r\nb" }, "line breaks"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := ok
			if tc.mod != nil {
				tc.mod(&c)
			}
			err := c.Validate()
			if (err == nil) != (tc.want == "") || (err != nil && !strings.Contains(err.Error(), tc.want)) {
				t.Fatalf("Validate() = %v, want %q", err, tc.want)
			}
		})
	}
}
