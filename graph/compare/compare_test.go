package compare

import (
	"encoding/json"
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/spanmap/spanmap/graph"
)

// secs is the length of the test ranges.
const secs = 600

// st returns stats of rate calls/s over the test range with errPct percent
// errors and the given p50 and p99.
func st(rate, errPct, p50, p99 float64) graph.Stats {
	calls := int64(math.Round(rate * secs))
	errs := int64(math.Round(float64(calls) * errPct / 100))
	s := graph.Stats{Calls: calls, Errors: errs, Rate: float64(calls) / secs, Latency: graph.Latency{P50: p50, P90: p99 * 0.8, P95: p99 * 0.9, P99: p99}}
	if calls > 0 {
		s.ErrorRate = float64(errs) / float64(calls)
	}
	return s
}

type el struct {
	from, to string
	s        graph.Stats
}

// snap builds a snapshot over [start, start+secs) from edges; each node's
// stats are the sum of its inbound edges (latency of the busiest one).
func snap(start int64, edges ...el) graph.Snapshot {
	s := graph.Snapshot{View: "window=10m", From: start * 1000, To: (start + secs) * 1000}
	nodes := map[string]*graph.Node{}
	get := func(id string) *graph.Node {
		if n, ok := nodes[id]; ok {
			return n
		}
		n := &graph.Node{ID: id, Name: id, Kind: graph.NodeService}
		nodes[id] = n
		return n
	}
	for _, e := range edges {
		s.Edges = append(s.Edges, graph.Edge{ID: graph.EdgeID(e.from, e.to, ""), From: e.from, To: e.to, Kind: graph.EdgeRPC, Stats: e.s})
		get(e.from)
		n := get(e.to)
		lat := n.Stats.Latency
		if e.s.Calls > n.Stats.Calls {
			lat = e.s.Latency
		}
		n.Stats.Calls += e.s.Calls
		n.Stats.Errors += e.s.Errors
		n.Stats.Rate += e.s.Rate
		n.Stats.Latency = lat
		if n.Stats.Calls > 0 {
			n.Stats.ErrorRate = float64(n.Stats.Errors) / float64(n.Stats.Calls)
		}
	}
	for _, n := range nodes {
		s.Nodes = append(s.Nodes, *n)
	}
	out := graph.Filter(s, graph.View{}) // sorts by ID
	out.View = "window=10m"
	return out
}

func find(ds []Delta, id string) *Delta {
	for i := range ds {
		if ds[i].ID == id {
			return &ds[i]
		}
	}
	return nil
}

func TestCompare_reportsChanges(t *testing.T) {
	a := snap(0,
		el{"web", "api", st(10, 0.5, 20, 40)},
		el{"api", "db", st(10, 0.5, 20, 40)},       // latency regression
		el{"api", "pay", st(5, 1, 30, 60)},         // error increase
		el{"api", "legacy", st(2, 0, 10, 20)},      // removed
		el{"api", "cache", st(10, 0.5, 2, 40)},     // noise only
		el{"api", "search", st(4, 0, 50, 100)},     // improved
		el{"api", "batch", st(1, 0, 10, 20)},       // traffic only
		el{"api", "quiet", st(0.02, 0, 10, 10)},    // too few calls for latency
		el{"api", "trickle", st(0.005, 0, 10, 10)}, // below MinRate in both
	)
	b := snap(secs,
		el{"web", "api", st(10, 0.5, 20, 41)},
		el{"api", "db", st(10, 0.5, 24, 88)},
		el{"api", "pay", st(5, 8, 30, 61)},
		el{"api", "fraud", st(3, 2, 15, 30)}, // added
		el{"api", "cache", st(11, 0.8, 2.2, 44)},
		el{"api", "search", st(4, 0, 30, 50)},
		el{"api", "batch", st(5, 0, 10, 20)},
		el{"api", "quiet", st(0.02, 0, 100, 100)},
		el{"api", "trickle", st(0.004, 0, 10, 10)},
	)
	res := Compare(a, b, DefaultThresholds())

	want := map[string]Change{
		"api->db": Regressed, "api->pay": Regressed, "api->legacy": Removed, "api->fraud": Added,
		"api->search": Improved, "api->batch": Traffic,
	}
	got := map[string]Change{}
	for _, d := range res.Edges {
		got[d.ID] = d.Change
		if d.Kind != KindEdge || d.From != "api" || d.To == "" || len(d.Reasons) == 0 || d.Score <= 0 {
			t.Errorf("delta %+v: want kind edge, ends, reasons and a positive score", d)
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("edge changes = %v, want %v", got, want)
	}

	db := find(res.Edges, "api->db")
	if db.A == nil || db.B == nil || db.A.P99Ms != 40 || db.B.P99Ms != 88 || math.Abs(db.P99Rel-1.2) > 1e-9 {
		t.Errorf("api->db = %+v, want p99 40 -> 88 (+120%%)", db)
	}
	if !slices.Contains(db.Reasons, "p99 40 ms → 88 ms (+120%)") {
		t.Errorf("api->db reasons = %q", db.Reasons)
	}
	pay := find(res.Edges, "api->pay")
	if math.Abs(pay.ErrorPts-7) > 1e-9 || !slices.Contains(pay.Reasons, "errors 1.0% → 8.0% (+7.0 pts)") {
		t.Errorf("api->pay = %+v, want +7 error points", pay)
	}
	if l := find(res.Edges, "api->legacy"); l.B != nil || l.A == nil || l.A.Rate != 2 || !strings.HasPrefix(l.Reasons[0], "gone, was: 2.0 calls/s") {
		t.Errorf("api->legacy = %+v", l)
	}
	if f := find(res.Edges, "api->fraud"); f.A != nil || f.B == nil || f.B.Rate != 3 || !strings.HasPrefix(f.Reasons[0], "new: 3.0 calls/s, 2.0% errors") {
		t.Errorf("api->fraud = %+v", f)
	}
	if s := find(res.Edges, "api->search"); s.P99Rel != -0.5 || s.P50Rel != -0.4 || len(s.Reasons) != 2 {
		t.Errorf("api->search = %+v, want p99 and p50 improvements", s)
	}
	if bt := find(res.Edges, "api->batch"); bt.RateRel != 4 || bt.Reasons[0] != "rate 1.0 calls/s → 5.0 calls/s (+400%)" {
		t.Errorf("api->batch = %+v", bt)
	}

	// Ranked by score.
	for i := 1; i < len(res.Edges); i++ {
		if res.Edges[i-1].Score < res.Edges[i].Score {
			t.Fatalf("edges not ranked: %v before %v", res.Edges[i-1], res.Edges[i])
		}
	}
	// Nodes follow their inbound edges.
	if n := find(res.Nodes, "fraud"); n == nil || n.Change != Added || n.Kind != KindNode {
		t.Errorf("node fraud = %+v, want added", n)
	}
	if n := find(res.Nodes, "legacy"); n == nil || n.Change != Removed {
		t.Errorf("node legacy = %+v, want removed", n)
	}
	if n := find(res.Nodes, "db"); n == nil || n.Change != Regressed {
		t.Errorf("node db = %+v, want regressed", n)
	}
	for _, id := range []string{"web", "api", "cache", "quiet", "trickle"} {
		if n := find(res.Nodes, id); n != nil {
			t.Errorf("node %s reported: %+v", id, n)
		}
	}
	if res.A != (Range{0, secs * 1000}) || res.B != (Range{secs * 1000, 2 * secs * 1000}) || res.View != "window=10m" {
		t.Errorf("result header = %+v %+v %q", res.A, res.B, res.View)
	}
}

func TestCompare_noiseNotReported(t *testing.T) {
	tests := []struct {
		name string
		a, b graph.Stats
	}{
		{"small latency change", st(10, 0.5, 20, 40), st(10, 0.5, 22, 46)},
		{"large relative change of a tiny latency", st(10, 0, 0.5, 1), st(10, 0, 1, 3)},
		{"latency with too few calls", st(0.02, 0, 10, 10), st(0.02, 0, 100, 500)},
		{"errors below the points threshold", st(10, 0.2, 20, 40), st(10, 0.9, 20, 40)},
		{"one error in twenty calls", st(20.0/secs, 0, 20, 40), st(20.0/secs, 5, 20, 40)},
		{"rate change below the threshold", st(10, 0, 20, 40), st(17, 0, 20, 40)},
		{"rate doubling of a handful of calls", st(0.01, 0, 20, 40), st(0.02, 0, 20, 40)},
		{"below the minimum rate in both", st(0.001, 0, 20, 40), st(0.008, 50, 20, 400)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := Compare(snap(0, el{"a", "b", tt.a}), snap(secs, el{"a", "b", tt.b}), DefaultThresholds())
			if len(res.Edges) != 0 || len(res.Nodes) != 0 {
				t.Errorf("reported %+v %+v", res.Edges, res.Nodes)
			}
		})
	}
}

func TestCompare_thresholdsApply(t *testing.T) {
	a := snap(0, el{"a", "b", st(10, 0.5, 20, 40)})
	b := snap(secs, el{"a", "b", st(10, 0.5, 22, 46)}) // +15% p99
	th := DefaultThresholds()
	th.MinRel = 0.1
	res := Compare(a, b, th)
	if d := find(res.Edges, "a->b"); d == nil || d.Change != Regressed {
		t.Fatalf("with MinRel 0.1: %+v, want the +15%% p99 reported", res.Edges)
	}
	th.MinLatencyMs = 10
	if res := Compare(a, b, th); len(res.Edges) != 0 {
		t.Fatalf("with MinLatencyMs 10: %+v, want nothing", res.Edges)
	}
	if res.Thresholds != (Thresholds{MinRate: 0.01, MinCalls: 20, MinRel: 0.1, MinLatencyMs: 5, MinErrorPts: 1, MinRateRel: 1}) {
		t.Errorf("Result.Thresholds = %+v", res.Thresholds)
	}
}

func TestCompare_scoreWeighsTrafficAndChange(t *testing.T) {
	a := snap(0,
		el{"a", "busy", st(100, 0, 20, 40)},
		el{"a", "quiet", st(0.5, 0, 20, 40)},
		el{"a", "worse", st(0.5, 0, 20, 40)},
	)
	b := snap(secs,
		el{"a", "busy", st(100, 0, 20, 80)},  // +100% on heavy traffic
		el{"a", "quiet", st(0.5, 0, 20, 80)}, // +100% on light traffic
		el{"a", "worse", st(0.5, 0, 20, 400)},
	)
	res := Compare(a, b, DefaultThresholds())
	busy, quiet, worse := find(res.Edges, "a->busy"), find(res.Edges, "a->quiet"), find(res.Edges, "a->worse")
	if busy == nil || quiet == nil || worse == nil {
		t.Fatalf("edges = %+v", res.Edges)
	}
	if !(busy.Score > quiet.Score && worse.Score > quiet.Score) {
		t.Errorf("scores busy %v quiet %v worse %v: want busy and worse above quiet", busy.Score, quiet.Score, worse.Score)
	}
	wantBusy := math.Log10(1+60*100) * 1
	if math.Abs(busy.Score-wantBusy) > 1e-9 {
		t.Errorf("busy score = %v, want log10(1+6000)*1 = %v", busy.Score, wantBusy)
	}
	var order []string
	for _, d := range res.Edges {
		order = append(order, d.ID)
	}
	if !reflect.DeepEqual(order, []string{"a->worse", "a->busy", "a->quiet"}) {
		t.Errorf("ranking = %v, want a->worse (+900%%), a->busy (+100%%, busy), a->quiet", order)
	}
}

func TestResult_JSON(t *testing.T) {
	a := snap(0, el{"a", "b", st(10, 0.5, 20, 40)})
	b := snap(secs, el{"a", "b", st(10, 0.5, 20, 90)}, el{"a", "c", st(1, 0, 1, 2)})
	res := Compare(a, b, DefaultThresholds())
	res.Graph = Union(a, b)
	data, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{`"view":"window=10m"`, `"a":{"from_ms":0,"to_ms":600000}`, `"thresholds":{"min_rate":0.01,`,
		`"kind":"edge"`, `"change":"regressed"`, `"p99_rel":1.25`, `"rate_rel":0`, `"error_pts":0`, `"reasons":["p99 40 ms → 90 ms (+125%)"]`, `"id":"a-\u003eb"`,
		`"change":"added"`, `"graph":{`} {
		if !strings.Contains(string(data), key) {
			t.Errorf("JSON lacks %s:\n%s", key, data)
		}
	}
	var back Result
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back.Edges, res.Edges) || back.A != res.A || back.Thresholds != res.Thresholds {
		t.Errorf("round trip differs:\n%+v\n%+v", back, res)
	}
}

func TestUnion(t *testing.T) {
	a := snap(0, el{"a", "b", st(10, 0, 20, 40)}, el{"a", "old", st(1, 0, 20, 40)})
	b := snap(secs, el{"a", "b", st(12, 0, 20, 40)}, el{"a", "new", st(1, 0, 20, 40)})
	a.Nodes[0].Pos = &graph.Point{X: 1, Y: 2}
	u := Union(a, b)
	var ids []string
	for _, n := range u.Nodes {
		ids = append(ids, n.ID)
		if n.Pos != nil {
			t.Errorf("node %s keeps a position", n.ID)
		}
	}
	if !reflect.DeepEqual(ids, []string{"a", "b", "new", "old"}) {
		t.Errorf("nodes = %v", ids)
	}
	ids = nil
	for _, e := range u.Edges {
		ids = append(ids, e.ID)
	}
	if !reflect.DeepEqual(ids, []string{"a->b", "a->new", "a->old"}) {
		t.Errorf("edges = %v", ids)
	}
	if u.Edges[0].Calls != 7200 || u.Edges[2].Calls != 600 || u.From != b.From {
		t.Errorf("figures: want b's where present, a's otherwise: %+v", u.Edges)
	}
	if a.Nodes[0].Pos == nil {
		t.Error("Union changed its input")
	}
}
