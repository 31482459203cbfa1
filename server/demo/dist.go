package demo

import (
	"math"
	"math/rand/v2"
	"time"
)

// dist is a log-normal latency distribution with an extra long tail: most
// samples are median*exp(sigma*Z); a fraction tailP is further multiplied by
// a factor drawn uniformly from [1, tailX] (GC pauses, lock waits, cold
// caches). Samples are capped at maxFactor medians so a trace stays bounded.
type dist struct {
	median time.Duration
	sigma  float64
	tailP  float64
	tailX  float64
}

// maxFactor caps a latency sample at this many medians.
const maxFactor = 60

// lat returns a log-normal distribution with the default tail: 1% of samples
// are up to 8 times slower.
func lat(median time.Duration, sigma float64) dist {
	return dist{median: median, sigma: sigma, tailP: 0.01, tailX: 8}
}

// withTail returns d with a different tail.
func (d dist) withTail(p, x float64) dist {
	d.tailP, d.tailX = p, x
	return d
}

// sample draws one latency in nanoseconds (at least 1µs).
func (d dist) sample(r *rand.Rand) int64 {
	v := float64(d.median) * math.Exp(d.sigma*r.NormFloat64())
	if d.tailP > 0 && r.Float64() < d.tailP {
		v *= 1 + r.Float64()*(d.tailX-1)
	}
	v = min(v, maxFactor*float64(d.median))
	return max(int64(v), int64(time.Microsecond))
}

// ms converts fractional milliseconds to a duration.
func ms(v float64) time.Duration { return time.Duration(v * float64(time.Millisecond)) }

// poisson draws a Poisson distributed count with the given mean: Knuth's
// product method for small means, a rounded normal approximation above.
func poisson(r *rand.Rand, mean float64) int {
	switch {
	case mean <= 0:
		return 0
	case mean > 30:
		v := math.Round(mean + math.Sqrt(mean)*r.NormFloat64())
		return max(int(v), 0)
	}
	limit := math.Exp(-mean)
	n, p := 0, r.Float64()
	for p > limit {
		n++
		p *= r.Float64()
	}
	return n
}
