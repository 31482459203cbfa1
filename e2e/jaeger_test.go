//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spanmap/spanmap/graph"
	"github.com/spanmap/spanmap/graph/agg"
	"github.com/spanmap/spanmap/server/ingest"
	"github.com/spanmap/spanmap/server/poll"
	"github.com/spanmap/spanmap/server/source/jaeger"
)

// TestJaeger_pullMatchesDependencies sends traces to a real Jaeger, pulls
// them back over every query API through the poller, the ingest pipeline
// and the aggregator, and compares spanmap's service -> service edges with
// Jaeger's own /api/dependencies: the same pairs with the same call counts,
// apart from these documented differences (see "Deriving the topology" in
// ARCHITECTURE.md):
//
//   - Jaeger's self-links are ignored. Jaeger v2's memory store reports a
//     service -> service link for every parent/child pair within one service
//     (a server span's client children, internal spans), so it shows
//     frontend -> frontend, shop-orders -> shop-orders and zk-web -> zk-web
//     for calls that leave the service. spanmap draws a self-call only when a
//     client span of a service is answered by a server span of the same
//     service, which none of this traffic does; it draws none here.
//   - spanmap's virtual nodes are not in Jaeger's graph: the user node
//     calling root server spans (shop-gateway, zk-web, HotROD's frontend), the
//     database behind a client span no service answered (shop-orders ->
//     ordersdb, from db.name) and the external peer named by a Zipkin remote
//     endpoint (zk-web -> redis). Jaeger's memory store draws nothing for
//     leaf client spans. They are checked separately below.
//   - HotROD's mysql and redis-manual are real services in Jaeger (they emit
//     spans under those names, without server spans); spanmap counts each of
//     their spans as one call into the service, as Jaeger does, so they take
//     part in the comparison.
//
// On top of Jaeger's counts spanmap reports latency, errors, pairing and
// exemplars, which the test checks against the synthetic traffic.
func TestJaeger_pullMatchesDependencies(t *testing.T) {
	e := loadEnv(t)
	base := time.Now().Add(-3 * time.Second)
	sendShop(t, e, base)
	sendZipkin(t, e, base)
	runHotROD(t, e)
	deps := waitForJaeger(t, e, base)
	t.Logf("Jaeger's dependencies: %v", deps)

	for _, tc := range []struct {
		name  string
		url   string
		proto jaeger.Protocol
	}{
		{"api_v3", "http://" + e.queryHTTP, jaeger.APIv3},
		{"api_v2_grpc", "grpc://" + e.queryGRPC, jaeger.APIv2GRPC},
		{"api_v3_grpc", "grpc://" + e.queryGRPC, jaeger.APIv3GRPC},
		{"legacy", "http://" + e.queryHTTP, jaeger.Legacy},
		{"auto", "http://" + e.queryHTTP, jaeger.Auto},
	} {
		t.Run(tc.name, func(t *testing.T) {
			snap := pull(t, tc.url, tc.proto, base, deps[linkKey("frontend", "driver")])
			if tc.proto == jaeger.Auto {
				return // pull checked that it detected api_v3
			}
			compareWithJaeger(t, snap, deps)
			checkVirtual(t, snap, deps[linkKey("frontend", "driver")])
			checkFigures(t, snap)
		})
	}
	t.Run("spanmap serve --config", func(t *testing.T) { serveMatchesJaeger(t, e, base, deps) })
}

// serveMatchesJaeger runs the built binary, `spanmap serve`, with a jaeger
// source in its configuration file, and checks that its graph API ends up
// with Jaeger's links and call counts, that the source is reported ok in
// GET /api/v1/sources and /metrics, and that it adds latency and errors.
func serveMatchesJaeger(t *testing.T, e env, base time.Time, deps map[string]int64) {
	port := freePorts(t, 1)[0]
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	cfg := filepath.Join(t.TempDir(), "spanmap.yaml")
	lookback := (time.Since(base) + 2*time.Minute).Round(time.Second)
	yaml := fmt.Sprintf(`sources:
  - kind: jaeger
    url: http://%s
    interval: 1s
    lookback: %s
    settle: 1s
    limit: 1000
`, e.queryHTTP, lookback)
	if err := os.WriteFile(cfg, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	_, out := startServe(t, "--config", cfg, "--http-addr", addr, "--data-dir", "",
		"--otlp-grpc-addr", "", "--otlp-http-addr", "", "--zipkin-addr", "")
	api := "http://" + addr
	var (
		snap graph.Snapshot
		diff []string
	)
	deadline := time.Now().Add(90 * time.Second)
	for {
		var err error
		snap, err = graphOf(api + "/api/v1/graph?window=1h")
		if err == nil {
			if diff = diffWithJaeger(snap, deps); len(diff) == 0 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("spanmap serve's graph does not match Jaeger after 90 s (err %v):\n%s\n%s", err, strings.Join(diff, "\n"), out)
		}
		time.Sleep(500 * time.Millisecond)
	}
	pay := edge(t, snap, "shop-orders", "shop-payments")
	if pay.Errors != shopFailures || !near(pay.Latency.P50, float64(payWait.Milliseconds())) || pay.Sources[0] != "jaeger" {
		t.Errorf("%s: %d errors, latency %+v, sources %v; want %d errors, %v", pay.ID, pay.Errors, pay.Latency, pay.Sources, shopFailures, payWait)
	}

	resp, err := http.Get(api + "/api/v1/sources")
	if err != nil {
		t.Fatal(err)
	}
	var srcs struct{ Sources []graph.SourceStatus }
	err = json.NewDecoder(resp.Body).Decode(&srcs)
	resp.Body.Close()
	if err != nil || len(srcs.Sources) != 1 {
		t.Fatalf("sources: %v, %+v", err, srcs)
	}
	st := srcs.Sources[0]
	if st.Name != "jaeger" || st.State != graph.SourceOK || st.TracesFetched < shopTraces+zipkinTraces || st.Malformed != 0 ||
		st.CapsHit != 0 || st.LastSuccess == 0 || st.UIURL != "http://"+e.queryHTTP {
		t.Fatalf("jaeger source status = %+v", st)
	}
	resp, err = http.Get(api + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{`spanmap_source_up{kind="jaeger",source="jaeger"} 1`, `spanmap_source_malformed_total{kind="jaeger",source="jaeger"} 0`} {
		if !strings.Contains(string(metrics), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	t.Logf("spanmap serve: %d edges matching Jaeger's links, source %+v", len(snap.Edges), st)
}

// linkKey names a parent -> child link.
func linkKey(from, to string) string { return from + " -> " + to }

// ours lists the services of this test's traffic. Other tests send their
// own to the same Jaeger (the demo system, whose Kafka consumers are
// linked to their producers by span links, which Jaeger's memory store
// does not follow); the comparison is between the calls of these services.
var ours = map[string]bool{
	"shop-gateway": true, "shop-orders": true, "shop-payments": true, "shop-mailer": true,
	"zk-web": true, "zk-api": true,
	"frontend": true, "customer": true, "driver": true, "route": true, "mysql": true, "redis-manual": true,
}

// waitForJaeger waits until Jaeger's dependency graph holds all the
// synthetic calls and stops changing, and returns it without self-links.
func waitForJaeger(t *testing.T, e env, base time.Time) map[string]int64 {
	t.Helper()
	cfg := jaeger.DefaultConfig()
	cfg.Conn.URL, cfg.Protocol = "http://"+e.queryHTTP, jaeger.Legacy
	p, err := jaeger.NewPuller(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	want := map[string]int64{
		linkKey("shop-gateway", "shop-orders"):  shopTraces,
		linkKey("shop-orders", "shop-payments"): shopTraces,
		linkKey("shop-orders", "shop-mailer"):   shopTraces,
		linkKey("zk-web", "zk-api"):             zipkinTraces,
	}
	// HotROD exports on its own schedule and, on a loaded machine, can lose
	// a batch: its links must be there, and the comparison uses whatever
	// count Jaeger recorded.
	hotrod := []string{linkKey("frontend", "customer"), linkKey("frontend", "driver")}
	var prev map[string]int64
	deadline := time.Now().Add(30 * time.Second)
	for {
		w := poll.Window{From: base.Add(-time.Hour), To: time.Now().Add(time.Minute)}
		deps, err := p.Dependencies(context.Background(), w)
		if err != nil {
			t.Fatalf("Jaeger /api/dependencies: %v", err)
		}
		got := map[string]int64{}
		for _, d := range deps {
			if d.Parent != d.Child && ours[d.Parent] && ours[d.Child] {
				got[linkKey(d.Parent, d.Child)] = d.CallCount
			}
		}
		complete := true
		for k, n := range want {
			complete = complete && got[k] == n
		}
		for _, k := range hotrod {
			complete = complete && got[k] > 0
		}
		if complete && maps.Equal(got, prev) {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("Jaeger's dependencies did not settle on the traffic sent:\n got %v\nwant at least %v and HotROD's %v", got, want, hotrod)
		}
		prev = got
		time.Sleep(time.Second)
	}
}

// pull runs spanmap's Jaeger puller through a poller into an ingest
// pipeline, as `spanmap serve --source jaeger=URL` does, polls once,
// waits until every span is derived and settled, and returns the map.
func pull(t *testing.T, url string, proto jaeger.Protocol, base time.Time, hotrodTraces int64) graph.Snapshot {
	t.Helper()
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	pcfg := jaeger.DefaultConfig()
	pcfg.Conn.URL, pcfg.Protocol = url, proto
	puller, err := jaeger.NewPuller(pcfg, log)
	if err != nil {
		t.Fatal(err)
	}
	defer puller.Close()

	icfg := ingest.DefaultConfig()
	icfg.Derive.TTL = time.Second // settle unpaired calls quickly
	icfg.ExpireInterval = 100 * time.Millisecond
	pipe, err := ingest.New(icfg, log, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { pipe.Run(ctx) })
	defer func() {
		cancel()
		wg.Wait()
	}()

	lookback := time.Since(base) + time.Minute
	ccfg := poll.DefaultConfig()
	ccfg.Name, ccfg.Kind = "jaeger", "jaeger"
	ccfg.Lookback, ccfg.MaxWindow, ccfg.Settle, ccfg.Limit = lookback, 2*lookback, 0, 1000
	poller, err := poll.New(ccfg, puller, pipe, log, nil)
	if err != nil {
		t.Fatal(err)
	}
	started := time.Now()
	if err := poller.Poll(ctx); err != nil {
		t.Fatalf("poll: %v", err)
	}
	st := poller.Status()
	t.Logf("%s: polled %d traces in %v (protocol %s, %d malformed)", url, st.TracesFetched, time.Since(started), puller.Protocol(), puller.Malformed())
	if want := int64(shopTraces+zipkinTraces) + hotrodTraces; st.State != poll.StateOK || st.TracesFetched < want || st.CapsHit != 0 {
		t.Fatalf("status = %+v, want ok with at least %d traces and no cap hit", st, want)
	}
	if proto == jaeger.Auto && puller.Protocol() != jaeger.APIv3 {
		t.Fatalf("auto detected %s, want api_v3 (Jaeger 2.13 serves it)", puller.Protocol())
	}
	if puller.Malformed() != 0 {
		t.Fatalf("%d malformed responses from a real Jaeger", puller.Malformed())
	}

	deadline := time.Now().Add(20 * time.Second)
	for {
		// Every accepted span has reached the pairing store and left it.
		ps := pipe.Stats()
		d := ps.Derive
		if ps.Spans > 0 && d.Added+d.Invalid+d.Duplicates == ps.Spans && d.Pending == 0 {
			if ps.RejectedSpans != 0 || d.Dropped != 0 || d.Invalid != 0 {
				t.Fatalf("pipeline lost spans: %+v", ps)
			}
			t.Logf("derived %d spans: %d paired calls, %d unpaired, %d duplicates", ps.Spans, d.Completed, d.Unpaired, d.Duplicates)
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("spans did not settle: %+v", ps)
		}
		time.Sleep(100 * time.Millisecond)
	}
	return pipe.Aggregator().Snapshot(base.Add(-time.Hour), time.Now().Add(time.Hour), agg.Options{})
}

// nodeKinds maps node IDs to kinds.
func nodeKinds(snap graph.Snapshot) map[string]graph.NodeKind {
	kinds := map[string]graph.NodeKind{}
	for _, n := range snap.Nodes {
		kinds[n.ID] = n.Kind
	}
	return kinds
}

// compareWithJaeger checks that spanmap's edges between services are
// exactly Jaeger's links without self-links.
func compareWithJaeger(t *testing.T, snap graph.Snapshot, deps map[string]int64) {
	t.Helper()
	for _, d := range diffWithJaeger(snap, deps) {
		t.Error(d)
	}
}

// diffWithJaeger lists how spanmap's edges between the services of this
// test's traffic differ from Jaeger's links without self-links: pairs on
// one side only, call counts that differ, self-calls (none of the traffic
// has one).
func diffWithJaeger(snap graph.Snapshot, deps map[string]int64) []string {
	kinds := nodeKinds(snap)
	got := map[string]int64{}
	var diff []string
	for _, e := range snap.Edges {
		if kinds[e.From].IsVirtual() || kinds[e.To].IsVirtual() || !ours[e.From] || !ours[e.To] {
			continue
		}
		if e.From == e.To {
			diff = append(diff, fmt.Sprintf("self-call %s: none of the traffic has one", e.ID))
			continue
		}
		got[linkKey(e.From, e.To)] = e.Calls
	}
	for _, k := range sortedKeys(got, deps) {
		if got[k] != deps[k] {
			diff = append(diff, fmt.Sprintf("%s: spanmap %d calls, Jaeger %d", k, got[k], deps[k]))
		}
	}
	return diff
}

func sortedKeys(ms ...map[string]int64) []string {
	var keys []string
	for _, m := range ms {
		for k := range m {
			if !slices.Contains(keys, k) {
				keys = append(keys, k)
			}
		}
	}
	slices.Sort(keys)
	return keys
}

// edge returns the edge from -> to, failing the test when it is missing.
func edge(t *testing.T, snap graph.Snapshot, from, to string) graph.Edge {
	t.Helper()
	for _, e := range snap.Edges {
		if e.From == from && e.To == to {
			return e
		}
	}
	t.Fatalf("no edge %s -> %s", from, to)
	return graph.Edge{}
}

// checkVirtual checks the calls spanmap draws to and from virtual nodes.
func checkVirtual(t *testing.T, snap graph.Snapshot, hotrodTraces int64) {
	t.Helper()
	kinds := nodeKinds(snap)
	for _, tc := range []struct {
		from, to string
		kind     graph.NodeKind // of the virtual end
		calls    int64          // 0: at least HotROD's traces
	}{
		{"user", "shop-gateway", graph.NodeUser, shopTraces},
		{"user", "zk-web", graph.NodeUser, zipkinTraces},
		{"user", "frontend", graph.NodeUser, 0},
		{"shop-orders", "ordersdb", graph.NodeDatabase, shopTraces},
		{"zk-web", "redis", graph.NodeExternal, zipkinTraces},
	} {
		e := edge(t, snap, tc.from, tc.to)
		virtual := tc.to
		if tc.kind == graph.NodeUser {
			virtual = tc.from
		}
		if kinds[virtual] != tc.kind {
			t.Errorf("node %s is %s, want %s", virtual, kinds[virtual], tc.kind)
		}
		if (tc.calls > 0 && e.Calls != tc.calls) || (tc.calls == 0 && e.Calls < hotrodTraces) {
			t.Errorf("%s: %d calls, want %d (0: at least %d)", e.ID, e.Calls, tc.calls, hotrodTraces)
		}
	}
}

// near reports whether got is within 3% of want.
func near(got, want float64) bool { return math.Abs(got-want) <= 0.03*want }

// checkFigures checks what spanmap adds to Jaeger's counts.
func checkFigures(t *testing.T, snap graph.Snapshot) {
	t.Helper()
	pay := edge(t, snap, "shop-orders", "shop-payments")
	if pay.Errors != shopFailures || pay.Trust.Paired != shopTraces {
		t.Errorf("%s: %d errors, %d paired; want %d and %d", pay.ID, pay.Errors, pay.Trust.Paired, shopFailures, shopTraces)
	}
	if want := float64(payWait.Milliseconds()); !near(pay.Latency.P50, want) || pay.ClientLatency == nil || !near(pay.ClientLatency.P99, want) {
		t.Errorf("%s latency = %+v (client %+v), want %vms", pay.ID, pay.Latency, pay.ClientLatency, want)
	}
	if pay.ServerLatency == nil || !near(pay.ServerLatency.P50, 34) {
		t.Errorf("%s server latency = %+v, want 34ms", pay.ID, pay.ServerLatency)
	}
	if !hasExemplar(pay, "error") {
		t.Errorf("%s has no error exemplar from source jaeger: %+v", pay.ID, pay.Exemplars)
	}

	mail := edge(t, snap, "shop-orders", "shop-mailer")
	if mail.Kind != graph.EdgeMessaging || mail.QueueLag == nil || !near(mail.QueueLag.P50, 4) {
		t.Errorf("%s: kind %s, queue lag %+v; want messaging with 4ms", mail.ID, mail.Kind, mail.QueueLag)
	}

	api := edge(t, snap, "zk-web", "zk-api")
	if api.Errors != zipkinErrors || api.Trust.Paired != zipkinTraces || !near(api.Latency.P50, 30) {
		t.Errorf("%s: %d errors, %d paired, latency %+v; want %d, %d, 30ms", api.ID, api.Errors, api.Trust.Paired, api.Latency, zipkinErrors, zipkinTraces)
	}

	var lines []string
	for _, e := range snap.Edges {
		if !ours[e.From] && !ours[e.To] {
			continue // another test's traffic
		}
		if e.Latency.P50 <= 0 || e.Trust.LastSeen == 0 || !slices.Equal(e.Sources, []string{"jaeger"}) {
			t.Errorf("%s: latency %+v, last seen %d, sources %v", e.ID, e.Latency, e.Trust.LastSeen, e.Sources)
		}
		lines = append(lines, fmt.Sprintf("%s calls=%d errors=%d p50=%.1fms p99=%.1fms paired=%d", e.ID, e.Calls, e.Errors, e.Latency.P50, e.Latency.P99, e.Trust.Paired))
	}
	t.Logf("spanmap edges:\n%s", strings.Join(lines, "\n"))
}

func hasExemplar(e graph.Edge, role string) bool {
	for _, x := range e.Exemplars {
		if x.Role == role && x.Source == "jaeger" && x.TraceID != "" {
			return true
		}
	}
	return false
}
