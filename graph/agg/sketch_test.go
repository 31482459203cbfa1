package agg

import (
	"math"
	"math/rand/v2"
	"sort"
	"testing"

	"github.com/DataDog/sketches-go/ddsketch"
	"github.com/DataDog/sketches-go/ddsketch/mapping"
	"github.com/DataDog/sketches-go/ddsketch/store"
)

func testMapping(t testing.TB) *mapping.CubicallyInterpolatedMapping {
	t.Helper()
	m, err := mapping.NewCubicallyInterpolatedMapping(0.01)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// distributions of nanosecond values used by the accuracy tests.
var distributions = []struct {
	name string
	gen  func(r *rand.Rand) int64
}{
	{"lognormal", func(r *rand.Rand) int64 { return int64(math.Exp(r.NormFloat64()*1.2+15)) + 1 }},
	{"uniform_1us_2s", func(r *rand.Rand) int64 { return 1000 + r.Int64N(2e9) }},
	{"bimodal", func(r *rand.Rand) int64 {
		if r.IntN(10) == 0 {
			return 500e6 + r.Int64N(100e6)
		}
		return 2e6 + r.Int64N(1e6)
	}},
	{"lag_with_skew", func(r *rand.Rand) int64 { return int64(r.NormFloat64()*20e6) + 5e6 }},
	{"few_distinct", func(r *rand.Rand) int64 { return []int64{0, 1, 1e6, 3e6}[r.IntN(4)] }},
}

// exactQuantile is the nearest-rank quantile of sorted values: the smallest
// value with at least q of the values at or below it.
func exactQuantile(sorted []int64, q float64) float64 {
	r := int(math.Ceil(q*float64(len(sorted)))) - 1
	return float64(sorted[max(0, min(r, len(sorted)-1))])
}

func TestNearestRank(t *testing.T) {
	for _, c := range []struct {
		q    float64
		n    uint64
		want uint64
	}{
		{0.5, 1, 0}, {0.99, 1, 0}, {0, 2, 0}, {0.5, 2, 0}, {0.51, 2, 1}, {0.99, 2, 1}, {1, 2, 1},
		{0.5, 4, 1}, {0.9, 4, 3}, {0.99, 4, 3}, {0.5, 20, 9}, {0.9, 20, 17}, {0.95, 20, 18}, {0.99, 20, 19},
		{0.29, 100, 28}, {0.5, 100, 49}, {0.99, 100, 98}, {0.99, 1000, 989}, {1, 1000, 999},
	} {
		if got := nearestRank(c.q, c.n); got != c.want {
			t.Errorf("nearestRank(%v, %d) = %d, want %d", c.q, c.n, got, c.want)
		}
	}
}

// TestSketch_quantile_fewCalls checks that the quantiles of a handful of calls
// are values the calls had, the high quantiles the slowest.
func TestSketch_quantile_fewCalls(t *testing.T) {
	m := testMapping(t)
	var s sketch
	for _, v := range []int64{30e6, 35e6} {
		s.add(m, v)
	}
	for q, want := range map[float64]float64{0.5: 30e6, 0.9: 35e6, 0.99: 35e6} {
		if got := s.quantile(m, q, s.count()); math.Abs(got-want) > 0.01*want {
			t.Errorf("p%v of 30 ms and 35 ms = %v ns, want %v", q*100, got, want)
		}
	}
}

func TestSketch_quantile_accuracy(t *testing.T) {
	m := testMapping(t)
	qs := []float64{0.5, 0.9, 0.95, 0.99}
	for _, d := range distributions {
		for _, n := range []int{1, 7, 100, 10000, 100000} {
			r := rand.New(rand.NewPCG(uint64(n), 42))
			var s sketch
			vals := make([]int64, n)
			for i := range vals {
				vals[i] = d.gen(r)
				s.add(m, vals[i])
			}
			sort.Slice(vals, func(i, j int) bool { return vals[i] < vals[j] })
			if got := s.count(); got != uint64(n) {
				t.Fatalf("%s n=%d: count %d", d.name, n, got)
			}
			for _, q := range qs {
				got := s.quantile(m, q, s.count())
				want := exactQuantile(vals, q)
				// DDSketch guarantees 1% relative error; spanmap promises 2%.
				if err := math.Abs(got - want); err > 0.0100001*math.Abs(want) {
					t.Errorf("%s n=%d q=%v: got %v want %v (rel err %.4f)", d.name, n, q, got, want, err/math.Abs(want))
				}
			}
		}
	}
}

// TestSketch_quantile_matchesDDSketch checks the compact store against the
// library's DDSketch with the same mapping: quantiles must be identical.
func TestSketch_quantile_matchesDDSketch(t *testing.T) {
	m := testMapping(t)
	for _, d := range distributions {
		r := rand.New(rand.NewPCG(7, 7))
		var s sketch
		dd := ddsketch.NewDDSketch(m, store.NewDenseStore(), store.NewDenseStore())
		for range 5000 {
			v := d.gen(r)
			s.add(m, v)
			if err := dd.Add(float64(v)); err != nil {
				t.Fatal(err)
			}
		}
		for _, q := range []float64{0, 0.01, 0.25, 0.5, 0.9, 0.95, 0.99, 1} {
			// DDSketch reads rank q*(n-1); the compact store must find the
			// same value at that rank.
			want, err := dd.GetValueAtQuantile(q)
			if err != nil {
				t.Fatal(err)
			}
			if got := s.valueAtRank(m, q*float64(s.count()-1)); got != want {
				t.Errorf("%s q=%v: got %v, ddsketch %v", d.name, q, got, want)
			}
		}
	}
}

// TestSketch_merge_equalsUnion merges sketches in every representation mix
// and compares bins with a sketch fed all values.
func TestSketch_merge_equalsUnion(t *testing.T) {
	m := testMapping(t)
	sizes := []int{0, 1, 5, 9, 40, 3000}
	for _, na := range sizes {
		for _, nb := range sizes {
			for _, acc := range []bool{false, true} {
				r := rand.New(rand.NewPCG(uint64(na), uint64(nb)))
				var a, b, all sketch
				if acc {
					a.setDense()
				}
				for range na {
					v := distributions[3].gen(r)
					a.add(m, v)
					all.add(m, v)
				}
				for range nb {
					v := distributions[0].gen(r)
					b.add(m, v)
					all.add(m, v)
				}
				bCopy := b.clone()
				a.merge(&b)
				if !sameBins(&a, &all) {
					t.Errorf("na=%d nb=%d: merged bins differ from union", na, nb)
				}
				if !sameBins(&b, &bCopy) {
					t.Errorf("na=%d nb=%d: merge changed its argument", na, nb)
				}
				if acc && !a.pos.dense {
					t.Errorf("na=%d nb=%d: accumulator left dense mode", na, nb)
				}
			}
		}
	}
}

func binMap(b *bins) map[int32]uint32 {
	out := map[int32]uint32{}
	if b != nil {
		b.each(func(i int32, n uint32) { out[i] = n })
	}
	return out
}

func sameBins(a, b *sketch) bool {
	if a.zero != b.zero {
		return false
	}
	eq := func(x, y map[int32]uint32) bool {
		if len(x) != len(y) {
			return false
		}
		for k, v := range x {
			if y[k] != v {
				return false
			}
		}
		return true
	}
	return eq(binMap(&a.pos), binMap(&b.pos)) && eq(binMap(a.neg), binMap(b.neg))
}

func TestBins_add_saturates(t *testing.T) {
	for _, dense := range []bool{false, true} {
		var b bins
		for i := range int32(20) {
			b.add(i, 1)
		}
		if !dense {
			b = bins{}
			b.add(3, 1)
		}
		b.add(3, math.MaxUint32)
		if got := binMap(&b)[3]; got != math.MaxUint32 {
			t.Errorf("dense=%v: count %d, want saturation at MaxUint32", dense, got)
		}
		if b.dense != dense {
			t.Errorf("dense=%v: store dense=%v", dense, b.dense)
		}
	}
}

func TestBins_representation(t *testing.T) {
	tests := []struct {
		name      string
		idx       []int32
		wantDense bool
	}{
		{"few bins stay sparse", []int32{1, 500, 1000}, false},
		{"wide spread stays sparse", []int32{0, 100, 200, 300, 400, 500, 600, 700, 800, 900}, false},
		{"tight cluster turns dense", []int32{100, 101, 102, 103, 104, 105, 106, 107, 108, 110}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bins
			for _, i := range tt.idx {
				b.add(i, 2)
			}
			if b.dense != tt.wantDense {
				t.Errorf("dense = %v, want %v", b.dense, tt.wantDense)
			}
			got := binMap(&b)
			if len(got) != len(tt.idx) {
				t.Fatalf("%d bins, want %d", len(got), len(tt.idx))
			}
			for _, i := range tt.idx {
				if got[i] != 2 {
					t.Errorf("bin %d = %d, want 2", i, got[i])
				}
			}
		})
	}
}

// TestBins_mergeSparse_inPlace merges random sparse stores, with and
// without room to merge in place, and checks the counts against a map.
func TestBins_mergeSparse_inPlace(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	random := func(n, spread, room int) bins {
		idx := map[int32]bool{}
		for len(idx) < n {
			idx[int32(r.IntN(spread))] = true
		}
		keys := make([]int32, 0, n)
		for i := range idx {
			keys = append(keys, i)
		}
		sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
		data := make([]uint32, 0, 2*n+room)
		for _, i := range keys {
			data = append(data, uint32(i), uint32(1+r.IntN(5)))
		}
		return bins{data: data}
	}
	for round := range 2000 {
		spread := 4 + r.IntN(200)
		nx, ny := r.IntN(min(spread, 7)), r.IntN(min(spread, 7))
		x, y := random(nx, spread, r.IntN(2)*r.IntN(16)), random(ny, spread, 0)
		want := map[int32]uint32{}
		for _, b := range []*bins{&x, &y} {
			b.each(func(i int32, n uint32) { want[i] += n })
		}
		x.merge(&y)
		got := map[int32]uint32{}
		prev := int32(-1)
		x.each(func(i int32, n uint32) {
			if i <= prev {
				t.Fatalf("round %d: index %d after %d", round, i, prev)
			}
			prev, got[i] = i, n
		})
		if len(got) != len(want) {
			t.Fatalf("round %d: %d bins, want %d", round, len(got), len(want))
		}
		for i, n := range want {
			if got[i] != n {
				t.Fatalf("round %d: bin %d = %d, want %d", round, i, got[i], n)
			}
		}
	}
}
