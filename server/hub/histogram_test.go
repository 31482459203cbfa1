package hub

import (
	"reflect"
	"sync"
	"testing"
)

func TestHistogram_observe_cumulative(t *testing.T) {
	h := newHistogram([]float64{1, 10, 100})
	for _, v := range []float64{0.5, 1, 2, 10, 50, 1000} {
		h.observe(v)
	}
	got := h.snapshot()
	want := Histogram{Bounds: []float64{1, 10, 100}, Cumulative: []uint64{2, 4, 5}, Count: 6, Sum: 1063.5}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("snapshot = %+v, want %+v", got, want)
	}
}

func TestHistogram_observe_concurrent(t *testing.T) {
	h := newHistogram(diffSizeBounds)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 1000 {
				h.observe(float64(g*1000 + i))
			}
		})
	}
	wg.Wait()
	got := h.snapshot()
	if got.Count != 8000 || got.Sum != 8000*7999/2 {
		t.Fatalf("count %d sum %v, want 8000 and %d", got.Count, got.Sum, 8000*7999/2)
	}
	if got.Cumulative[len(got.Cumulative)-1] != 8000 {
		t.Fatalf("cumulative = %v", got.Cumulative)
	}
}

func TestHub_Stats_histograms(t *testing.T) {
	e := newEnv(t, testConfig())
	e.g.shop(6)
	c := e.dial(nil).start()
	c.subscribe("")
	c.sync(e, "")
	e.g.churnMetrics(randFor(t), 1)
	e.tick()
	c.sync(e, "")
	st := e.h.Stats()
	if st.DiffSizes.Count != 1 || st.DiffSizes.Sum <= 0 {
		t.Errorf("diff sizes = %+v, want one diff", st.DiffSizes)
	}
	if st.LayoutDurations.Count != st.Layouts || st.Layouts == 0 {
		t.Errorf("layout durations = %+v, %d layouts", st.LayoutDurations, st.Layouts)
	}
}
