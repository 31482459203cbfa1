package app

import "testing"

func TestMinimap_Geometry_roundTrip(t *testing.T) {
	bounds := Rect{X: 10, Y: 20, W: 900, H: 300}
	scale, ox, oy := MinimapScale(bounds, 180, 120)
	if !near(scale, 0.2) || !near(ox, 0) || !near(oy, 30) {
		t.Fatalf("scale %v offset %v,%v; want 0.2 and a vertically centred drawing", scale, ox, oy)
	}
	// The whole map on a 900x300 screen at scale 1 starting at the bounds.
	vp := Viewport{X: -10, Y: -20, K: 1}
	v := MinimapView(vp, 900, 300, bounds, scale, ox, oy)
	if !near(v.X, 0) || !near(v.Y, 30) || !near(v.W, 180) || !near(v.H, 60) {
		t.Fatalf("view %+v, want the whole drawing", v)
	}
	p := MinimapToMap(90, 60, bounds, scale, ox, oy)
	if !near(p.X, 460) || !near(p.Y, 170) {
		t.Fatalf("minimap centre maps to %+v, want the drawing centre", p)
	}
	if s, _, _ := MinimapScale(Rect{}, 180, 120); s != 0 {
		t.Fatal("empty bounds must give no scale")
	}
}

func TestShowMinimap_When(t *testing.T) {
	bounds := Rect{W: 1000, H: 500}
	fits := Viewport{K: 1}
	for _, tc := range []struct {
		name  string
		nodes int
		vp    Viewport
		w, h  float64
		want  bool
	}{
		{"small map that fits", 5, fits, 1200, 800, false},
		{"zoomed in", 5, Viewport{K: 3}, 1200, 800, true},
		{"big map", 200, fits, 1200, 800, true},
		{"not measured yet", 200, fits, 0, 0, false},
	} {
		if got := ShowMinimap(tc.nodes, tc.vp, tc.w, tc.h, bounds); got != tc.want {
			t.Errorf("%s: got %v", tc.name, got)
		}
	}
}
