package graph

import (
	"encoding/json"
	"math/rand/v2"
	"strconv"
	"testing"
)

// benchGraph returns a laid-out snapshot of nodes services and edges calls
// with realistic figures, and a successor in which a tenth of the edges
// have new figures and nothing else changed (the common live tick).
func benchGraph(nodes, edges int) (a, b Snapshot) {
	r := rand.New(rand.NewPCG(1, 2))
	lat := func() Latency {
		p50 := r.Float64() * 50
		return Latency{P50: p50, P90: p50 * 2, P95: p50 * 3, P99: p50 * 5}
	}
	a = Snapshot{Version: 1, View: "window=15m", From: 1_700_000_000_000, To: 1_700_000_900_000, Width: 4000, Height: 3000}
	for i := range nodes {
		id := "service-" + strconv.Itoa(i)
		a.Nodes = append(a.Nodes, Node{
			ID: id, Name: id, Kind: NodeService, Namespace: "team-" + strconv.Itoa(i%12),
			Stats:      Stats{Calls: r.Int64N(1e6), Errors: r.Int64N(100), Rate: r.Float64() * 100, ErrorRate: r.Float64() / 100, Latency: lat()},
			Operations: []string{"GET /api/" + id, "POST /api/" + id},
			Sources:    []string{"jaeger"}, Health: HealthOK,
			Pos: &Point{X: r.Float64() * 4000, Y: r.Float64() * 3000}, Width: 120, Height: 40,
		})
	}
	seen := map[string]bool{}
	for len(a.Edges) < edges {
		from, to := a.Nodes[r.IntN(nodes)].ID, a.Nodes[r.IntN(nodes)].ID
		id := EdgeID(from, to, "")
		if seen[id] {
			continue
		}
		seen[id] = true
		cl, sl := lat(), lat()
		a.Edges = append(a.Edges, Edge{
			ID: id, From: from, To: to, Kind: EdgeRPC,
			Stats: Stats{Calls: r.Int64N(1e5), Errors: r.Int64N(10), Rate: r.Float64() * 10, ErrorRate: r.Float64() / 100,
				Latency: cl, ClientLatency: &cl, ServerLatency: &sl},
			Trust:     Trust{Paired: r.Int64N(1e5), Unpaired: r.Int64N(100), LastSeen: 1_700_000_899_000},
			Exemplars: []Exemplar{{Role: "slowest", TraceID: strconv.FormatUint(r.Uint64(), 16) + strconv.FormatUint(r.Uint64(), 16), Source: "jaeger", DurationMs: 812.5, Time: 1_700_000_123_000}},
			Sources:   []string{"jaeger"}, Health: HealthOK,
			Path: []Point{{X: r.Float64() * 4000, Y: r.Float64() * 3000}, {X: 1, Y: 2}, {X: 3, Y: 4}, {X: r.Float64() * 4000, Y: r.Float64() * 3000}},
		})
	}
	sortSnapshot(&a)
	b = a.Clone()
	b.Version = 2
	b.From += 1000
	b.To += 1000
	for i := range b.Edges {
		if i%10 == 0 {
			e := &b.Edges[i]
			e.Calls++
			e.Rate *= 1.01
			e.Latency.P99 += 0.5
			e.Trust.Paired++
			e.Trust.LastSeen += 1000
		}
	}
	return a, b
}

func BenchmarkCompute(b *testing.B) {
	s1, s2 := benchGraph(500, 2000)
	d := Compute(s1, s2)
	if len(d.PatchedEdges) != 200 || d.Topology() {
		b.Fatalf("diff has %d patched edges, topology %v; want 200 patches only", len(d.PatchedEdges), d.Topology())
	}
	diffJSON, snapJSON := mustJSON(b, d), mustJSON(b, s2)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		d = Compute(s1, s2)
	}
	b.StopTimer()
	b.ReportMetric(float64(len(diffJSON)), "diff_bytes")
	b.ReportMetric(float64(len(snapJSON)), "snapshot_bytes")
	b.ReportMetric(100*float64(len(diffJSON))/float64(len(snapJSON)), "diff_%_of_snapshot")
}

func BenchmarkApply(b *testing.B) {
	s1, s2 := benchGraph(500, 2000)
	d := Compute(s1, s2)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if _, err := Apply(s1, d); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDiffJSON measures encoding the diff for the wire.
func BenchmarkDiffJSON(b *testing.B) {
	s1, s2 := benchGraph(500, 2000)
	d := Compute(s1, s2)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if _, err := json.Marshal(NewDiffMessage(s2.View, &d)); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkFilter(b *testing.B) {
	s, _ := benchGraph(500, 2000)
	v := View{Focus: "service-7", Up: 2, Down: 2, Group: GroupNamespace, MinRate: 1}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		Filter(s, v)
	}
}
