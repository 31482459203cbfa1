package graph

import "math"

// FigureDigits is how many significant digits the figures of a snapshot
// keep: rates, error rates and latency quantiles. Latencies come from a
// sketch with 2% relative error and rates from counts over a window, so
// further digits carry no information; dropping them makes every snapshot
// and live diff about a third smaller and quicker to decode in a browser.
const FigureDigits = 4

// RoundFigure rounds x to FigureDigits significant digits. Zero, NaN and
// infinities are returned as they are.
func RoundFigure(x float64) float64 {
	if x == 0 || math.IsNaN(x) || math.IsInf(x, 0) {
		return x
	}
	e := int(math.Floor(math.Log10(math.Abs(x))))
	k := FigureDigits - 1 - e
	switch {
	case k > 300 || k < -300:
		return x
	case k >= 0:
		p := math.Pow10(k)
		return math.Round(x*p) / p
	default:
		p := math.Pow10(-k)
		return math.Round(x/p) * p
	}
}

// Round rounds l's quantiles with RoundFigure.
func (l Latency) Round() Latency {
	return Latency{P50: RoundFigure(l.P50), P90: RoundFigure(l.P90), P95: RoundFigure(l.P95), P99: RoundFigure(l.P99)}
}
