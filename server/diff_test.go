package server

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/spanmap/spanmap/graph"
	"github.com/spanmap/spanmap/graph/agg"
	"github.com/spanmap/spanmap/graph/compare"
)

func getDiff(t *testing.T, base string, q url.Values) (int, string) {
	t.Helper()
	return get(t, base+"/api/v1/diff?"+q.Encode())
}

func TestDiff_rankedResult(t *testing.T) {
	now := time.Now()
	b := now.Add(-4 * time.Hour).Truncate(time.Hour)
	a := b.Add(-24 * time.Hour)
	src := agg.New(agg.DefaultConfig())
	hour := func(start time.Time, from, to string, perMin int, latency time.Duration, errEvery int) {
		addCalls(src, from, to, start, start.Add(time.Hour), perMin, latency, errEvery)
	}
	hour(a, "web", "api", 10, 20*time.Millisecond, 0)
	hour(a, "api", "db", 10, 40*time.Millisecond, 0)
	hour(a, "api", "pay", 20, 30*time.Millisecond, 100)
	hour(a, "api", "legacy", 5, 10*time.Millisecond, 0)
	hour(b, "web", "api", 10, 20*time.Millisecond, 0)
	hour(b, "api", "db", 10, 90*time.Millisecond, 0)
	hour(b, "api", "pay", 20, 30*time.Millisecond, 10)
	hour(b, "api", "fraud", 5, 15*time.Millisecond, 0)
	dir := t.TempDir()
	writeHistory(t, dir, src, a, a.Add(time.Hour), now.Add(-24*time.Hour))
	writeHistory(t, dir, src, b, b.Add(time.Hour), time.Time{})

	cfg := testConfig()
	cfg.DataDir = dir
	s := start(t, cfg)
	base := "http://" + s.Addr("--http-addr")

	code, body := getDiff(t, base, url.Values{"view": {"layout=dot-tb"}, "a": {"yesterday"}, "b": {b.Format(time.RFC3339) + "/" + b.Add(time.Hour).Format(time.RFC3339)}})
	if code != 200 {
		t.Fatalf("GET diff = %d: %s", code, body)
	}
	var res compare.Result
	if err := json.Unmarshal([]byte(body), &res); err != nil {
		t.Fatal(err)
	}
	if res.A != (compare.Range{From: a.UnixMilli(), To: a.Add(time.Hour).UnixMilli()}) || res.B != (compare.Range{From: b.UnixMilli(), To: b.Add(time.Hour).UnixMilli()}) {
		t.Errorf("ranges a %+v b %+v, want yesterday's hour and the hour four hours ago", res.A, res.B)
	}
	if res.View != "layout=dot-tb" || res.Thresholds != compare.DefaultThresholds() {
		t.Errorf("view %q thresholds %+v", res.View, res.Thresholds)
	}
	want := map[string]compare.Change{"api->db": compare.Regressed, "api->pay": compare.Regressed, "api->fraud": compare.Added, "api->legacy": compare.Removed}
	got := map[string]compare.Change{}
	for i, d := range res.Edges {
		got[d.ID] = d.Change
		if i > 0 && res.Edges[i-1].Score < d.Score {
			t.Errorf("edges not ranked by score: %v", res.Edges)
		}
	}
	if len(got) != len(want) {
		t.Fatalf("edge deltas %v, want %v", got, want)
	}
	for id, c := range want {
		if got[id] != c {
			t.Errorf("%s: %q, want %q", id, got[id], c)
		}
	}
	var db *compare.Delta
	for i := range res.Edges {
		if res.Edges[i].ID == "api->db" {
			db = &res.Edges[i]
		}
	}
	if db.A.Calls != 600 || db.B.Calls != 600 || db.P99Rel < 1.2 || db.P99Rel > 1.3 || !strings.HasPrefix(db.Reasons[0], "p99 40 ms → 89 ms (+12") { // 89.4: within the sketch accuracy
		t.Errorf("api->db = %+v", db)
	}

	// The graph is the union of both ranges, laid out; every delta names
	// one of its elements.
	ids := map[string]bool{}
	for _, n := range res.Graph.Nodes {
		ids[n.ID] = true
		if n.Pos == nil {
			t.Errorf("node %s not placed", n.ID)
		}
	}
	for _, e := range res.Graph.Edges {
		ids[e.ID] = true
		if len(e.Path) == 0 {
			t.Errorf("edge %s has no path", e.ID)
		}
	}
	for _, d := range append(res.Nodes, res.Edges...) {
		if !ids[d.ID] {
			t.Errorf("delta %s is not in the graph", d.ID)
		}
	}
	if !ids["api->legacy"] || !ids["api->fraud"] || res.Graph.From != b.UnixMilli() {
		t.Errorf("graph lacks the removed or added edge, or is not b's range: %v", ids)
	}

	// A focused View compares only what it shows.
	code, body = getDiff(t, base, url.Values{"view": {"focus=db"}, "a": {"yesterday"}, "b": {b.Format(time.RFC3339) + "/" + b.Add(time.Hour).Format(time.RFC3339)}})
	if code != 200 {
		t.Fatalf("GET diff focus=db = %d: %s", code, body)
	}
	res = compare.Result{}
	json.Unmarshal([]byte(body), &res)
	if len(res.Edges) != 1 || res.Edges[0].ID != "api->db" || len(res.Graph.Edges) != 1 {
		t.Errorf("focus=db: %+v, graph %d edges; want api->db only", res.Edges, len(res.Graph.Edges))
	}

	// Thresholds apply: a 2x latency threshold hides the +125% p99.
	code, body = getDiff(t, base, url.Values{"a": {"yesterday"}, "b": {b.Format(time.RFC3339) + "/" + b.Add(time.Hour).Format(time.RFC3339)}, "min_rel": {"2"}})
	res = compare.Result{}
	json.Unmarshal([]byte(body), &res)
	for _, d := range res.Edges {
		if d.ID == "api->db" {
			t.Errorf("min_rel=2: api->db still reported: %+v", d)
		}
	}
	if code != 200 || res.Thresholds.MinRel != 2 {
		t.Errorf("min_rel=2: %d, thresholds %+v", code, res.Thresholds)
	}
}

func TestDiff_defaults(t *testing.T) {
	s := start(t, testConfig())
	base := "http://" + s.Addr("--http-addr")
	sendPair(t, s.Addr("--otlp-http-addr"), "checkout", "payment")
	deadline := time.Now().Add(10 * time.Second)
	for {
		code, body := getDiff(t, base, url.Values{"view": {"window=15m"}})
		if code != 200 {
			t.Fatalf("GET diff = %d: %s", code, body)
		}
		var res compare.Result
		if err := json.Unmarshal([]byte(body), &res); err != nil {
			t.Fatal(err)
		}
		if d := res.Edges; len(d) > 0 {
			// b is the last 15 minutes, a the 15 before; one call in 15
			// minutes is below the default minimum rate.
			t.Fatalf("one call in 15 minutes reported with the default thresholds: %+v", d)
		}
		if res.B.To-res.B.From != (15*time.Minute).Milliseconds() || res.A.To != res.B.From || res.A.From != res.B.From-(15*time.Minute).Milliseconds() {
			t.Fatalf("ranges a %+v b %+v, want b the last 15 minutes and a the 15 before", res.A, res.B)
		}
		if hasEdge(res.Graph, "checkout", "payment") != nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the live call never reached the diff graph: %s", body)
		}
		time.Sleep(100 * time.Millisecond)
	}
	// Without a minimum rate it is a new dependency.
	code, body := getDiff(t, base, url.Values{"view": {"window=15m"}, "min_rate": {"0"}})
	var res compare.Result
	json.Unmarshal([]byte(body), &res)
	found := false
	for _, d := range res.Edges {
		if d.ID == "checkout->payment" && d.Change == compare.Added && d.B.Calls == 1 && d.B.ErrorPct == 100 {
			found = true
		}
	}
	if code != 200 || !found {
		t.Errorf("min_rate=0: %d %+v, want checkout->payment added", code, res.Edges)
	}
}

func TestDiff_badParams(t *testing.T) {
	cfg := testConfig()
	cfg.DataDir = t.TempDir()
	s := start(t, cfg)
	base := "http://" + s.Addr("--http-addr")
	now := time.Now().UTC()
	r := func(from, to time.Time) string { return from.Format(time.RFC3339) + "/" + to.Format(time.RFC3339) }
	hourAgo := now.Add(-time.Hour)
	tests := []struct {
		name string
		q    url.Values
		want string
	}{
		{"malformed range", url.Values{"a": {"yesterday-ish"}}, `diff: range a "yesterday-ish": want <RFC3339>/<RFC3339>`},
		{"bad start", url.Values{"b": {"noon/" + now.Format(time.RFC3339)}}, `diff: range b: start "noon" is not an RFC 3339 time`},
		{"bad end", url.Values{"b": {hourAgo.Format(time.RFC3339) + "/later"}}, `diff: range b: end "later" is not an RFC 3339 time`},
		{"empty", url.Values{"a": {r(hourAgo, hourAgo)}}, "diff: range a is empty: it starts and ends at " + hourAgo.Format(time.RFC3339)},
		{"reversed", url.Values{"b": {r(hourAgo, hourAgo.Add(-time.Minute))}}, "diff: range b is reversed: it ends"},
		{"too long", url.Values{"a": {r(now.Add(-800*time.Hour), now)}}, "diff: range a is 800h0m0s long, longer than the 720h0m0s a View may cover"},
		{"beyond retention", url.Values{"a": {r(now.Add(-8*24*time.Hour), now.Add(-7*24*time.Hour-time.Minute))}},
			"before the oldest data spanmap keeps: history is kept for 168h0m0s (--retention)"},
		{"preset beyond retention", url.Values{"view": {"window=5d"}, "a": {"previous"}}, "diff: range a starts at"},
		{"future", url.Values{"b": {r(now.Add(time.Hour), now.Add(2*time.Hour))}}, "diff: range b starts in the future"},
		{"unknown parameter", url.Values{"c": {"1"}}, `diff: unknown parameter "c"`},
		{"repeated", url.Values{"a": {"previous", "yesterday"}}, "diff: parameter a given 2 times"},
		{"bad view", url.Values{"view": {"window=banana"}}, "view parameter window"},
		{"bad threshold", url.Values{"min_rel": {"-1"}}, `diff: threshold min_rel "-1": want a number from 0`},
		{"bad min_calls", url.Values{"min_calls": {"1.5"}}, `diff: threshold min_calls "1.5": want a whole number from 0`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, body := getDiff(t, base, tt.q)
			var e errorBody
			json.Unmarshal([]byte(body), &e)
			if code != 400 || !strings.Contains(e.Error, tt.want) {
				t.Errorf("GET diff?%s = %d %s, want 400 with %q", tt.q.Encode(), code, body, tt.want)
			}
		})
	}

	// Without a data dir, memory's retention bounds the ranges.
	s2 := start(t, testConfig())
	code, body := getDiff(t, "http://"+s2.Addr("--http-addr"), url.Values{"view": {"window=1h"}})
	if code != 400 || !strings.Contains(body, "without --data-dir only the last 1h5m0s are kept, in memory") {
		t.Errorf("previous hour without a data dir = %d %s, want 400 naming the memory limit", code, body)
	}
}

func TestDiff_Graph_isAView(t *testing.T) {
	// The union keeps the View's canonical form and the groups it asks for.
	s := start(t, testConfig())
	base := "http://" + s.Addr("--http-addr")
	code, body := getDiff(t, base, url.Values{"view": {"group=namespace&window=10m"}})
	var res compare.Result
	if err := json.Unmarshal([]byte(body), &res); err != nil || code != 200 {
		t.Fatalf("GET diff = %d %s", code, body)
	}
	v, _ := graph.ParseView("group=namespace&window=10m")
	if res.View != v.Encode() || res.Graph.View != v.Encode() {
		t.Errorf("view %q, graph view %q, want %q", res.View, res.Graph.View, v.Encode())
	}
}
