package app

import (
	"fmt"
	"testing"

	"github.com/spanmap/spanmap/graph"
)

// bigSnapshot is a laid-out graph of n nodes in a grid with about two
// edges per node, each with a Bezier path.
func bigSnapshot(n int) graph.Snapshot { return gridSnapshot(n, 2) }

// gridSnapshot is a laid-out graph of n nodes in a grid with about k (at
// most 4) edges per node, each with a Bezier path.
func gridSnapshot(n, k int) graph.Snapshot {
	s := graph.Snapshot{Version: 1}
	for i := 0; i < n; i++ {
		s.Nodes = append(s.Nodes, graph.Node{
			ID: fmt.Sprintf("svc-%04d", i), Kind: graph.NodeService, Namespace: fmt.Sprintf("ns%d", i%8),
			Group: fmt.Sprintf("ns:ns%d", i%8), Health: graph.HealthOK,
			Pos: &graph.Point{X: float64(i%20) * 200, Y: float64(i/20) * 100}, Width: 140, Height: 40,
			Stats: graph.Stats{Calls: 100, Rate: 2, Errors: int64(i % 3), ErrorRate: float64(i%3) / 100},
		})
	}
	for i := 0; i < n; i++ {
		seen := map[int]bool{}
		for _, j := range []int{(i + 1) % n, (i * 7) % n, (i*13 + 5) % n, (i*3 + 11) % n}[:k] {
			if i == j || seen[j] {
				continue
			}
			seen[j] = true
			a, b := s.Nodes[i], s.Nodes[j]
			s.Edges = append(s.Edges, graph.Edge{
				ID: graph.EdgeID(a.ID, b.ID, ""), From: a.ID, To: b.ID, Kind: graph.EdgeRPC,
				Stats:  graph.Stats{Calls: 100, Rate: float64(i % 50), Errors: int64(i % 4), ErrorRate: float64(i%4) / 50},
				Health: graph.HealthDegraded,
				Path:   []graph.Point{*a.Pos, {X: a.Pos.X + 30, Y: a.Pos.Y}, {X: b.Pos.X - 30, Y: b.Pos.Y}, *b.Pos},
			})
		}
	}
	return s
}

// tickSnapshot returns s at the next version with the figures of every
// tenth edge changed, as a live diff leaves it: the other edges and the
// nodes are the same values.
func tickSnapshot(s graph.Snapshot, tick int) graph.Snapshot {
	out := s
	out.Version++
	out.Edges = append([]graph.Edge(nil), s.Edges...)
	for i := range out.Edges {
		if (i+tick)%10 == 0 {
			out.Edges[i].Calls++
			out.Edges[i].Rate += 1.5
		}
	}
	return out
}

// liveTick returns s at the next version as a live diff with a tenth of the
// edges getting calls leaves it: those edges and the nodes they call get
// new figures, a third of those edges failing.
func liveTick(s graph.Snapshot, tick int) graph.Snapshot {
	out := tickSnapshot(s, tick)
	out.Nodes = append([]graph.Node(nil), s.Nodes...)
	byID := make(map[string]int, len(out.Nodes))
	for i := range out.Nodes {
		byID[out.Nodes[i].ID] = i
	}
	for i := range out.Edges {
		if (i+tick)%10 != 0 {
			continue
		}
		e := &out.Edges[i]
		e.Latency.P50 += 0.5
		e.Latency.P99 += 2
		if (i/10+tick)%3 == 0 {
			e.Errors++
			e.ErrorRate = float64(e.Errors) / float64(e.Calls)
		}
		n := &out.Nodes[byID[e.To]]
		n.Stats.Calls++
		n.Stats.Rate += 0.25
	}
	return out
}

// BenchmarkMapCanvas_draw measures the Go side of drawing the map layers
// (descriptions, geometry and the reconciler's comparison) into an
// in-memory DOM: the first draw, and a live update in which a tenth of the
// edges changed figures.
func BenchmarkMapCanvas_draw(b *testing.B) {
	for _, n := range []int{50, 500} {
		b.Run(fmt.Sprintf("first/nodes=%d", n), func(b *testing.B) {
			s := bigSnapshot(n)
			b.ReportAllocs()
			for b.Loop() {
				c := newMapCanvas()
				c.Snapshot = s
				newTestMap(c).draw()
			}
		})
		b.Run(fmt.Sprintf("update/nodes=%d", n), func(b *testing.B) {
			c := newMapCanvas()
			c.Snapshot = bigSnapshot(n)
			c.vp.K = 0.4
			m := newTestMap(c)
			m.draw()
			tick := 0
			b.ReportAllocs()
			for b.Loop() {
				tick++
				c.Snapshot = tickSnapshot(c.Snapshot, tick)
				m.draw()
			}
		})
	}
}

// BenchmarkMapCanvas_liveUpdate measures the Go side of drawing one live
// update of a 500-node, about 2,000-edge map with edge labels shown: a
// tenth of the edges and the nodes they call change figures.
func BenchmarkMapCanvas_liveUpdate(b *testing.B) {
	c := newMapCanvas()
	c.Snapshot = gridSnapshot(500, 4)
	m := newTestMap(c)
	m.draw()
	tick := 0
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		tick++
		c.Snapshot = liveTick(c.Snapshot, tick)
		b.StartTimer()
		m.draw()
	}
}

func BenchmarkRankHotspots(b *testing.B) {
	s := bigSnapshot(300)
	b.ReportAllocs()
	for b.Loop() {
		_ = RankHotspots(s, hotspotsLimit)
	}
}

func TestMapCanvas_Render_bigGraph(t *testing.T) {
	c := newMapCanvas()
	c.Snapshot = bigSnapshot(300)
	html := drawnHTML(c)
	if n := countMatches(html, `data-node-id=`); n != 300 {
		t.Errorf("%d nodes drawn, want 300", n)
	}
	if n := countMatches(html, `data-edge-id=`); n != len(c.Snapshot.Edges) {
		t.Errorf("%d edges drawn, want %d", n, len(c.Snapshot.Edges))
	}
	if n := countMatches(html, `data-group-id=`); n != 8 {
		t.Errorf("%d group frames, want 8", n)
	}
}
