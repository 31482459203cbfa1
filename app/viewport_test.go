package app

import (
	"math"
	"testing"

	"github.com/spanmap/spanmap/graph"
)

func near(a, b float64) bool { return math.Abs(a-b) < 1e-6 }

func TestViewport_FitViewport_centresAndCaps(t *testing.T) {
	tests := []struct {
		name   string
		bounds Rect
		w, h   float64
		want   Viewport
	}{
		{"wide graph limited by width", Rect{X: 0, Y: 0, W: 1000, H: 100}, 564, 400, Viewport{K: 0.5, X: 32, Y: 175}},
		{"tall graph limited by height", Rect{X: 100, Y: 100, W: 100, H: 1000}, 800, 564, Viewport{K: 0.5, X: 325, Y: -18}},
		{"tiny graph capped", Rect{X: 0, Y: 0, W: 10, H: 10}, 800, 600, Viewport{K: MaxFitZoom, X: 392.5, Y: 292.5}},
		{"empty bounds", Rect{}, 800, 600, IdentityViewport()},
		{"no screen", Rect{W: 10, H: 10}, 0, 600, IdentityViewport()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := FitViewport(tt.bounds, tt.w, tt.h, FitPadding)
			if !near(got.K, tt.want.K) || !near(got.X, tt.want.X) || !near(got.Y, tt.want.Y) {
				t.Errorf("FitViewport = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestViewport_ZoomAt_keepsPointUnderCursor(t *testing.T) {
	tests := []struct {
		name   string
		v      Viewport
		factor float64
		sx, sy float64
		wantK  float64
	}{
		{"zoom in", Viewport{X: 10, Y: 20, K: 1}, 2, 300, 200, 2},
		{"zoom out", Viewport{X: -50, Y: 40, K: 0.8}, 0.5, 10, 10, 0.4},
		{"clamped max", Viewport{K: 3}, 10, 0, 0, MaxZoom},
		{"clamped min", Viewport{K: 0.1}, 0.01, 100, 100, MinZoom},
		{"bad factor ignored", Viewport{X: 1, Y: 2, K: 1}, 0, 5, 5, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := tt.v.ToMap(tt.sx, tt.sy)
			got := tt.v.ZoomAt(tt.factor, tt.sx, tt.sy)
			if !near(got.K, tt.wantK) {
				t.Fatalf("K = %v, want %v", got.K, tt.wantK)
			}
			after := got.ToMap(tt.sx, tt.sy)
			if !near(before.X, after.X) || !near(before.Y, after.Y) {
				t.Errorf("point under cursor moved from %+v to %+v", before, after)
			}
		})
	}
}

func TestViewport_CenterOn_andPan(t *testing.T) {
	v := Viewport{K: 2}.CenterOn(graph.Point{X: 100, Y: 50}, 800, 600)
	if p := v.ToMap(400, 300); !near(p.X, 100) || !near(p.Y, 50) {
		t.Errorf("centre maps to %+v, want (100,50)", p)
	}
	v = v.Pan(20, -10)
	if p := v.ToMap(420, 290); !near(p.X, 100) || !near(p.Y, 50) {
		t.Errorf("after pan centre maps to %+v, want (100,50)", p)
	}
	if got, want := (Viewport{X: 1.5, Y: -2, K: 0.5}).Transform(), "translate(1.5,-2) scale(0.5000)"; got != want {
		t.Errorf("Transform = %q, want %q", got, want)
	}
	if (Viewport{K: 0.3}).ShowLabels() || !(Viewport{K: 1}).ShowLabels() {
		t.Error("ShowLabels threshold wrong")
	}
}

func TestViewport_WheelZoomFactor_direction(t *testing.T) {
	tests := []struct {
		name  string
		dy    float64
		mode  int
		check func(float64) bool
	}{
		{"scroll up zooms in", -100, 0, func(f float64) bool { return f > 1 }},
		{"scroll down zooms out", 100, 0, func(f float64) bool { return f < 1 }},
		{"no scroll", 0, 0, func(f float64) bool { return f == 1 }},
		{"lines scale like pixels", 3, 1, func(f float64) bool { return near(f, WheelZoomFactor(48, 0)) }},
		{"huge delta clamped", 1e6, 0, func(f float64) bool { return near(f, math.Exp(-0.6)) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if f := WheelZoomFactor(tt.dy, tt.mode); !tt.check(f) {
				t.Errorf("WheelZoomFactor(%v, %d) = %v", tt.dy, tt.mode, f)
			}
		})
	}
}

func TestSnapshot_Bounds_nodesAndPaths(t *testing.T) {
	tests := []struct {
		name string
		s    graph.Snapshot
		want Rect
	}{
		{"nodes and path", graph.Snapshot{
			Nodes: []graph.Node{
				{ID: "a", Pos: &graph.Point{X: 100, Y: 50}, Width: 100, Height: 40},
				{ID: "b", Pos: &graph.Point{X: 300, Y: 250}, Width: 60, Height: 20},
				{ID: "c"},
			},
			Edges: []graph.Edge{{ID: "a->b", Path: []graph.Point{{X: 20, Y: 400}}}},
		}, Rect{X: 20, Y: 30, W: 310, H: 370}},
		{"falls back to size", graph.Snapshot{Width: 640, Height: 480, Nodes: []graph.Node{{ID: "a"}}}, Rect{W: 640, H: 480}},
		{"nothing", graph.Snapshot{}, Rect{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := SnapshotBounds(tt.s); got != tt.want {
				t.Errorf("SnapshotBounds = %+v, want %+v", got, tt.want)
			}
		})
	}
}
