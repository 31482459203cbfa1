package app

import (
	"testing"
	"time"
)

func TestBackoff_Delay_cappedExponential(t *testing.T) {
	base, max := 500*time.Millisecond, 8*time.Second
	tests := []struct {
		name    string
		attempt int
		r       float64
		want    time.Duration
	}{
		{"first, no jitter", 0, 0, 250 * time.Millisecond},
		{"first, full jitter", 0, 0.999, 250*time.Millisecond + time.Duration(float64(250*time.Millisecond)*0.999)},
		{"third doubles twice", 2, 0, time.Second},
		{"capped", 10, 0, 4 * time.Second},
		{"huge attempt stays capped", 1000, 0.5, 6 * time.Second},
		{"negative attempt", -3, 0, 250 * time.Millisecond},
		{"jitter clamped", 0, 7, 250*time.Millisecond + time.Duration(float64(250*time.Millisecond)*0.999)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Backoff(tt.attempt, base, max, tt.r); got != tt.want {
				t.Errorf("Backoff(%d, r=%v) = %v, want %v", tt.attempt, tt.r, got, tt.want)
			}
		})
	}
	for a := 0; a < 50; a++ {
		if d := Backoff(a, ReconnectBase, ReconnectMax, 0.999); d > ReconnectMax {
			t.Fatalf("Backoff(%d) = %v above cap", a, d)
		}
	}
}
