package app

import (
	"math"
	"testing"

	"github.com/spanmap/spanmap/graph"
)

func TestEdgeWidth_Scale_logarithmic(t *testing.T) {
	tests := []struct {
		name string
		rate float64
		want float64
	}{
		{"zero", 0, MinEdgeWidth},
		{"negative", -3, MinEdgeWidth},
		{"NaN", math.NaN(), MinEdgeWidth},
		{"full", EdgeWidthFullRate, MaxEdgeWidth},
		{"above full", 1e7, MaxEdgeWidth},
		{"about 100/s is half way", 99.5, MinEdgeWidth + (MaxEdgeWidth-MinEdgeWidth)*math.Log10(100.5)/math.Log10(10001)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := EdgeWidth(tt.rate); math.Abs(got-tt.want) > 1e-9 {
				t.Errorf("EdgeWidth(%v) = %v, want %v", tt.rate, got, tt.want)
			}
		})
	}
	prev := 0.0
	for _, r := range []float64{0, 0.1, 1, 10, 100, 1000, 10000} {
		w := EdgeWidth(r)
		if w <= prev && r > 0 {
			t.Errorf("EdgeWidth(%v) = %v, not above %v", r, w, prev)
		}
		prev = w
	}
	// A decade of traffic must stay visible: 10/s vs 100/s differ by > 1 pt.
	if d := EdgeWidth(100) - EdgeWidth(10); d < 1 {
		t.Errorf("EdgeWidth(100)-EdgeWidth(10) = %v, want >= 1", d)
	}
}

func TestHealthStyle_Of_notOnlyHue(t *testing.T) {
	seen := map[string]graph.Health{}
	for _, h := range LegendHealths() {
		s := HealthStyleOf(h)
		if s.Class == "" || s.Label == "" {
			t.Errorf("HealthStyleOf(%q) = %+v, missing class or label", h, s)
		}
		// Every state must be told apart without colour: dash pattern
		// plus extra width must be unique.
		key := s.Dash + "|" + fmtNum(s.ExtraWidth)
		if other, dup := seen[key]; dup {
			t.Errorf("health %q and %q share dash/width %q", h, other, key)
		}
		seen[key] = h
	}
	if got := HealthStyleOf(graph.HealthFailing).Symbol; got == "" {
		t.Error("failing nodes need a symbol")
	}
	if got := HealthStyleOf("bogus").Class; got != "health-unknown" {
		t.Errorf("unknown health class = %q", got)
	}
}

func TestHealth_Worse_order(t *testing.T) {
	tests := []struct {
		a, b, want graph.Health
	}{
		{graph.HealthOK, graph.HealthFailing, graph.HealthFailing},
		{graph.HealthFailing, graph.HealthDegraded, graph.HealthFailing},
		{graph.HealthUnknown, graph.HealthOK, graph.HealthOK},
		{graph.HealthDegraded, graph.HealthUnknown, graph.HealthDegraded},
	}
	for _, tt := range tests {
		t.Run(string(tt.a)+"/"+string(tt.b), func(t *testing.T) {
			if got := worseHealth(tt.a, tt.b); got != tt.want {
				t.Errorf("worseHealth = %q, want %q", got, tt.want)
			}
		})
	}
}
