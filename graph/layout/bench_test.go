package layout

import (
	"context"
	"fmt"
	"testing"
)

// benchSizes caps each engine at the sizes it finishes in reasonable time on
// a small machine (see the package report in the benchmark output).
var benchSizes = map[Engine][]int{
	DotLR: {100, 1000, 5000},
	DotTB: {100, 1000, 5000},
	Neato: {100, 1000, 5000},
	FDP:   {100, 1000, 5000},
}

// BenchmarkLayout lays out random service graphs with three edges per node,
// without the cache, per engine and size.
func BenchmarkLayout(b *testing.B) {
	ctx := context.Background()
	l, err := New(Config{})
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	for _, eng := range Engines() {
		for _, n := range benchSizes[eng] {
			s := randomSnapshot(uint64(n), n, 3*n)
			b.Run(fmt.Sprintf("%s/nodes=%d", eng, n), func(b *testing.B) {
				for b.Loop() {
					c := clone(s)
					if err := l.Layout(ctx, &c, Options{Engine: eng}); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(len(s.Edges)), "edges")
			})
		}
	}
}
