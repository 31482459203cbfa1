package demo

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

func TestDist_sample_shape(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	d := lat(ms(10), 0.5).withTail(0.02, 10)
	vs := make([]int64, 20000)
	for i := range vs {
		vs[i] = d.sample(r)
		if vs[i] > maxFactor*int64(d.median) || vs[i] < int64(time.Microsecond) {
			t.Fatalf("sample %v outside [1µs, %d medians]", time.Duration(vs[i]), maxFactor)
		}
	}
	p50, p90, p999 := quantile(vs, 0.5), quantile(vs, 0.9), quantile(vs, 0.999)
	if math.Abs(float64(p50)/float64(d.median)-1) > 0.05 {
		t.Errorf("median %v, want about %v", time.Duration(p50), d.median)
	}
	// Log-normal with sigma 0.5: p90 = median*exp(0.5*1.2816) = 1.90x.
	if ratio := float64(p90) / float64(p50); ratio < 1.75 || ratio > 2.05 {
		t.Errorf("p90/p50 = %.2f, want about 1.90", ratio)
	}
	if p999 < 5*p50 {
		t.Errorf("p99.9 %v shows no long tail over median %v", time.Duration(p999), time.Duration(p50))
	}
}

func TestPoisson_mean(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, mean := range []float64{0, 0.3, 5, 20, 200} {
		const n = 20000
		sum, sumSq := 0.0, 0.0
		for range n {
			v := float64(poisson(r, mean))
			if v < 0 {
				t.Fatalf("poisson(%g) = %g", mean, v)
			}
			sum += v
			sumSq += v * v
		}
		got := sum / n
		variance := sumSq/n - got*got
		if math.Abs(got-mean) > 0.05*mean+0.02 {
			t.Errorf("poisson(%g): mean %.3f", mean, got)
		}
		if math.Abs(variance-mean) > 0.1*mean+0.05 {
			t.Errorf("poisson(%g): variance %.3f, want about the mean", mean, variance)
		}
	}
}
