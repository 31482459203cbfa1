package graph

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"strconv"
	"testing"
)

func TestRoundFigure(t *testing.T) {
	tests := []struct {
		in, want float64
	}{
		{0, 0},
		{1.0666666666666667, 1.067},
		{0.00625, 0.00625},
		{1.4251970995025252, 1.425},
		{271.2970014265934, 271.3},
		{123456.7, 123500},
		{-2.22222, -2.222},
		{0.000123456, 0.0001235},
		{3, 3},
	}
	for _, tt := range tests {
		if got := RoundFigure(tt.in); got != tt.want {
			t.Errorf("RoundFigure(%v) = %v, want %v", tt.in, got, tt.want)
		}
	}
	for _, x := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
		if got := RoundFigure(x); !(got == x || math.IsNaN(x) && math.IsNaN(got)) {
			t.Errorf("RoundFigure(%v) = %v", x, got)
		}
	}
}

// TestRoundFigure_shortAndClose checks on random figures that the rounded
// value is within half a unit of the last kept digit, prints in JSON with
// at most FigureDigits significant digits, and is stable.
func TestRoundFigure_shortAndClose(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for range 100000 {
		x := math.Exp(r.Float64()*40 - 20)
		got := RoundFigure(x)
		if rel := math.Abs(got-x) / x; rel > 0.5*math.Pow10(1-FigureDigits) {
			t.Fatalf("RoundFigure(%v) = %v: relative error %v", x, got, rel)
		}
		if RoundFigure(got) != got {
			t.Fatalf("RoundFigure(%v) = %v, rounded again %v", x, got, RoundFigure(got))
		}
		b, _ := json.Marshal(got)
		digits := 0
		for _, c := range strconv.FormatFloat(got, 'e', -1, 64) {
			if c == 'e' {
				break
			}
			if c >= '0' && c <= '9' {
				digits++
			}
		}
		if digits > FigureDigits {
			t.Fatalf("RoundFigure(%v) = %s: %d significant digits", x, b, digits)
		}
	}
}
