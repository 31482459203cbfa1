package app

import (
	"net/url"
	"testing"
	"time"

	"github.com/spanmap/spanmap/graph"
)

func regEdge(from, to string, calls int64, p99, rate float64) graph.Edge {
	e := graph.Edge{ID: graph.EdgeID(from, to, ""), From: from, To: to}
	e.Calls, e.Rate, e.Latency.P99 = calls, rate, p99
	return e
}

func TestRankRegressions_Rank_thresholdsAndOrder(t *testing.T) {
	prev := graph.Snapshot{Edges: []graph.Edge{
		regEdge("a", "b", 100, 10, 1), regEdge("a", "c", 100, 10, 1), regEdge("a", "d", 100, 10, 1),
		regEdge("a", "e", 5, 10, 1), regEdge("a", "f", 1000, 10, 500),
	}}
	cur := graph.Snapshot{Edges: []graph.Edge{
		regEdge("a", "b", 100, 40, 1),    // 4x: a regression
		regEdge("a", "c", 100, 14, 1),    // 1.4x: noise, below the threshold
		regEdge("a", "d", 100, 5, 1),     // an improvement
		regEdge("a", "e", 100, 100, 1),   // too few calls before
		regEdge("a", "f", 1000, 20, 500), // 2x on 500 calls/s
		regEdge("a", "g", 100, 99, 1),    // new edge: nothing to compare
	}}
	got := RankRegressions(cur, prev, 0)
	if len(got) != 2 || got[0].ID != "a->f" || got[1].ID != "a->b" {
		t.Fatalf("regressions = %+v, want a->f (2x busy) then a->b (4x quiet)", got)
	}
	if got[1].Before != 10 || got[1].After != 40 || got[1].Ratio != 4 {
		t.Fatalf("a->b = %+v", got[1])
	}
	if one := RankRegressions(cur, prev, 1); len(one) != 1 {
		t.Fatalf("limit 1 gave %d", len(one))
	}
}

func TestPreviousWindowURL_Build(t *testing.T) {
	page, _ := url.Parse("http://h:7700/?window=15m&focus=checkout")
	now := time.Date(2026, 5, 1, 12, 0, 30, 500, time.UTC)
	v, _, err := ViewFromQuery(page.RawQuery)
	if err != nil {
		t.Fatal(err)
	}
	got := PreviousWindowURL(page, v, "tok", now)
	u, err := url.Parse(got)
	if err != nil || u.Path != PathGraph {
		t.Fatalf("url %q: %v", got, err)
	}
	q := u.Query()
	if q.Get("from") != "2026-05-01T11:30:30Z" || q.Get("to") != "2026-05-01T11:45:30Z" || q.Get("focus") != "checkout" || q.Get(ParamAccessToken) != "tok" {
		t.Fatalf("query %v", q)
	}
	back, err := graph.ParseView(u.RawQuery, ParamAccessToken)
	if err != nil {
		t.Fatalf("the server would refuse %q: %v", u.RawQuery, err)
	}
	if !back.From.Equal(now.Truncate(time.Second).Add(-30 * time.Minute)) {
		t.Fatalf("from = %v", back.From)
	}
	fixed := v
	fixed.From, fixed.To = now.Add(-time.Hour), now
	if PreviousWindowURL(page, fixed, "", now) != "" {
		t.Fatal("a fixed range has no live previous window")
	}
}
