package layout

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/spanmap/spanmap/graph"
)

func TestDisplacement(t *testing.T) {
	prev := map[string]graph.Point{"a": {X: 0, Y: 0}, "b": {X: 10, Y: 0}, "c": {X: 0, Y: 0}, "gone": {X: 5, Y: 5}}
	next := map[string]graph.Point{"a": {X: 3, Y: 4}, "b": {X: 10, Y: 0}, "c": {X: 0, Y: 10}, "new": {X: 1, Y: 1}}
	tests := []struct {
		name        string
		prev, next  map[string]graph.Point
		width       float64
		median, max float64
	}{
		{"moves", prev, next, 100, 0.05, 0.10},
		{"even count", map[string]graph.Point{"a": {}, "b": {}}, map[string]graph.Point{"a": {X: 2}, "b": {X: 4}}, 100, 0.03, 0.04},
		{"nothing shared", map[string]graph.Point{"x": {}}, next, 100, 0, 0},
		{"no width", prev, next, 0, 0, 0},
	}
	for _, tc := range tests {
		med, mx := Displacement(tc.prev, tc.next, tc.width)
		if math.Abs(med-tc.median) > 1e-9 || math.Abs(mx-tc.max) > 1e-9 {
			t.Errorf("%s: Displacement = %v, %v, want %v, %v", tc.name, med, mx, tc.median, tc.max)
		}
	}
}

// TestLayouter_Layout_stability adds one edge to a 200-node random graph,
// lays it out again with the previous positions, and reports how far the
// existing nodes moved, as a share of the drawing width, per engine, with
// and without Pin. The live server pins: nothing may move then.
func TestLayouter_Layout_stability(t *testing.T) {
	if testing.Short() {
		t.Skip("lays out 200-node graphs with every engine")
	}
	l := newLayouter(t, Config{})
	ctx := context.Background()
	base := randomSnapshot(1, 200, 400)
	const trials = 3
	for _, eng := range Engines() {
		for _, pin := range []bool{false, true} {
			first := clone(base)
			if err := l.Layout(ctx, &first, Options{Engine: eng}); err != nil {
				t.Fatal(err)
			}
			prev := Positions(&first)
			var worstMedian, worstMax float64
			start := time.Now()
			for k := range uint64(trials) {
				next := clone(base)
				addRandomEdge(&next, k)
				if err := l.Layout(ctx, &next, Options{Engine: eng, Previous: prev, Pin: pin}); err != nil {
					t.Fatal(err)
				}
				med, mx := Displacement(prev, Positions(&next), first.Width)
				worstMedian, worstMax = math.Max(worstMedian, med), math.Max(worstMax, mx)
			}
			t.Logf("%-6s pin=%-5v worst of %d: median movement %5.2f%% of width, max %6.2f%% (width %.0f pt); %.1f s a layout",
				eng, pin, trials, worstMedian*100, worstMax*100, first.Width, time.Since(start).Seconds()/trials)
			switch {
			case eng == Neato && !pin && worstMedian >= 0.05:
				t.Errorf("neato moved existing nodes by a median %.2f%% of the width, want under 5%%", worstMedian*100)
			case pin && worstMax > 0.001:
				// What the live server does: every engine keeps the map.
				t.Errorf("%s with Pin moved a node by %.2f%% of the width", eng, worstMax*100)
			}
		}
	}
}
