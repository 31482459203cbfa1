package render

import (
	"context"
	"fmt"
	"io"
	"testing"

	"github.com/spanmap/spanmap/graph"
	"github.com/spanmap/spanmap/graph/layout"
)

// chainSnapshot is n services in a few long call chains with fan-out, the
// usual shape of a service map, with figures on every edge.
func chainSnapshot(n int) graph.Snapshot {
	var s graph.Snapshot
	for i := range n {
		s.Nodes = append(s.Nodes, graph.Node{ID: fmt.Sprintf("svc-%04d", i), Kind: graph.NodeService, Health: states()[i%4]})
	}
	for i := 1; i < n; i++ {
		for _, from := range []int{(i - 1) / 2, (i * 7) % i} {
			e := graph.Edge{From: s.Nodes[from].ID, To: s.Nodes[i].ID, Health: states()[i%4],
				Stats: graph.Stats{Rate: float64(i), Errors: 1, ErrorRate: 0.01, Latency: graph.Latency{P99: 20}}}
			e.ID = graph.EdgeID(e.From, e.To, "")
			if from != i && (len(s.Edges) == 0 || s.Edges[len(s.Edges)-1].ID != e.ID) {
				s.Edges = append(s.Edges, e)
			}
		}
	}
	sortSnapshot(&s)
	return s
}

// BenchmarkRender renders laid-out maps in every format.
func BenchmarkRender(b *testing.B) {
	ctx := context.Background()
	l, err := layout.New(layout.DefaultConfig())
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	for _, n := range []int{100, 1000} {
		s := chainSnapshot(n)
		if err := l.Layout(ctx, &s, layout.Options{}); err != nil {
			b.Fatal(err)
		}
		opt := Options{Layouter: l}
		formats := []struct {
			name string
			fn   func() error
		}{
			{"dot", func() error { return DOT(io.Discard, s, opt) }},
			{"mermaid", func() error { return Mermaid(io.Discard, s, opt) }},
			{"svg", func() error { return SVG(ctx, io.Discard, s, opt) }},
			{"png", func() error { return PNG(ctx, io.Discard, s, Options{Layouter: l, Width: 1600}) }},
		}
		for _, f := range formats {
			b.Run(fmt.Sprintf("%s/nodes=%d", f.name, n), func(b *testing.B) {
				for b.Loop() {
					if err := f.fn(); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
