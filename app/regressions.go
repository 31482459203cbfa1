package app

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"sort"
	"time"

	"github.com/spanmap/spanmap/graph"
)

// Regression is an edge whose p99 latency grew against the previous window.
type Regression struct {
	// ID is the edge ID and Label its human name.
	ID, Label string
	// Before and After are the p99 latencies (ms) of the previous and the
	// current window.
	Before, After float64
	// Ratio is After / Before.
	Ratio float64
	// Rate is the current calls per second.
	Rate float64
	// Score orders regressions: log2(Ratio) weighted by traffic.
	Score float64
}

// Regression thresholds: a p99 at least 1.5 times the previous window's, on
// an edge with at least 10 calls in both windows.
const (
	regressionMinRatio = 1.5
	regressionMinCalls = 10
)

// RankRegressions compares the edges of cur with the same edges of prev (the
// window before) and returns those whose p99 latency grew by at least
// regressionMinRatio, worst first, at most limit (<= 0: all).
func RankRegressions(cur, prev graph.Snapshot, limit int) []Regression {
	var out []Regression
	var edges []*graph.Edge
	pairs(prev.Edges, cur.Edges, edgeKey, func(b, e *graph.Edge) {
		if b == nil || b.Calls < regressionMinCalls || e.Calls < regressionMinCalls || b.Latency.P99 <= 0 {
			return
		}
		ratio := e.Latency.P99 / b.Latency.P99
		if ratio < regressionMinRatio {
			return
		}
		out = append(out, Regression{
			ID: e.ID, Before: b.Latency.P99, After: e.Latency.P99,
			Ratio: ratio, Rate: e.Rate, Score: math.Log2(ratio) * math.Log10(1+e.Rate*60),
		})
		edges = append(edges, e)
	}, nil)
	if len(out) > 0 {
		names := make(map[string]string, len(cur.Nodes))
		for i := range cur.Nodes {
			names[cur.Nodes[i].ID] = nodeLabel(cur.Nodes[i])
		}
		for i := range out {
			out[i].Label = edgeLabel(*edges[i], names)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Score != out[j].Score {
			return out[i].Score > out[j].Score
		}
		return out[i].ID < out[j].ID
	})
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out
}

// PreviousWindowURL returns the graph API address of the window just before
// v's (same View, anchored at [now-2w, now-w)), keeping the access token;
// empty for Views that are already anchored at a fixed range.
func PreviousWindowURL(page *url.URL, v graph.View, token string, now time.Time) string {
	if !v.From.IsZero() || !v.To.IsZero() {
		return ""
	}
	w := v.Window
	if w <= 0 {
		w = graph.DefaultView().Window
	}
	prev := v
	prev.Window = 0
	prev.To = now.Truncate(time.Second).Add(-w)
	prev.From = prev.To.Add(-w)
	q, err := url.ParseQuery(prev.Encode())
	if err != nil {
		return ""
	}
	if token != "" {
		q.Set(ParamAccessToken, token)
	}
	u := url.URL{Scheme: page.Scheme, Host: page.Host, Path: PathGraph, RawQuery: q.Encode()}
	return u.String()
}

// fetchGraph loads a snapshot from the graph API; it blocks, so call it in
// ctx.Async.
func fetchGraph(u string) (graph.Snapshot, error) {
	var s graph.Snapshot
	resp, err := http.Get(u)
	if err != nil {
		return s, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return s, fmt.Errorf("previous window: %s", resp.Status)
	}
	err = json.NewDecoder(resp.Body).Decode(&s)
	return s, err
}
