package layout

import (
	"context"
	"fmt"
	"os"
	"testing"
)

// benchSizes returns the map sizes benchmarked for an engine: 100, 1,000
// and 5,000 nodes. 5,000 nodes with 15,000 edges took dot-lr about ten
// minutes on a shared two-core machine, and neato and fdp grow faster than
// dot, so only dot-lr, the default engine, runs 5,000 unless
// SPANMAP_BENCH_LARGE=1 asks for every engine.
func benchSizes(eng Engine) []int {
	if eng == DefaultEngine || os.Getenv("SPANMAP_BENCH_LARGE") != "" {
		return []int{100, 1000, 5000}
	}
	return []int{100, 1000}
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
		for _, n := range benchSizes(eng) {
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

// BenchmarkLayout_pinnedChange lays out a map again after one new edge,
// with the previous positions pinned, as the live server does on a
// topology change.
func BenchmarkLayout_pinnedChange(b *testing.B) {
	ctx := context.Background()
	l, err := New(Config{})
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	for _, eng := range Engines() {
		for _, n := range []int{100, 1000} {
			base := randomSnapshot(uint64(n), n, 3*n)
			if err := l.Layout(ctx, &base, Options{Engine: eng}); err != nil {
				b.Fatal(err)
			}
			next := clone(base)
			addRandomEdge(&next, 1)
			opt := Options{Engine: eng, Previous: Positions(&base), PreviousPaths: paths(&base), Pin: true}
			b.Run(fmt.Sprintf("%s/nodes=%d", eng, n), func(b *testing.B) {
				var moved float64
				for b.Loop() {
					c := clone(next)
					if err := l.Layout(ctx, &c, opt); err != nil {
						b.Fatal(err)
					}
					_, moved = Displacement(opt.Previous, Positions(&c), base.Width)
				}
				b.ReportMetric(moved*100, "max-moved-%")
			})
		}
	}
}
