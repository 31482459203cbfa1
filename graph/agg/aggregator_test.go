package agg

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/spanmap/spanmap/graph"
	"github.com/spanmap/spanmap/graph/derive"
)

func TestConfig_Validate(t *testing.T) {
	tests := []struct {
		name string
		mod  func(*Config)
		ok   bool
	}{
		{"default", func(*Config) {}, true},
		{"unlimited retention", func(c *Config) { c.Retention = 0 }, true},
		{"zero bucket", func(c *Config) { c.BucketWidth = 0 }, false},
		{"retention below bucket", func(c *Config) { c.Retention = time.Second }, false},
		{"negative retention", func(c *Config) { c.Retention = -time.Minute }, false},
		{"no operations", func(c *Config) { c.MaxOperationsPerEdge = 0 }, false},
		{"zero degraded rate", func(c *Config) { c.ErrorRateDegraded = 0 }, false},
		{"failing below degraded", func(c *Config) { c.ErrorRateFailing = 0.005 }, false},
		{"failing above one", func(c *Config) { c.ErrorRateFailing = 1.5 }, false},
		{"NaN rate", func(c *Config) { c.ErrorRateDegraded = math.NaN() }, false},
		{"latency thresholds", func(c *Config) { c.LatencyDegradedMs, c.LatencyFailingMs = 200, 1000 }, true},
		{"only failing latency", func(c *Config) { c.LatencyFailingMs = 1000 }, true},
		{"latency inverted", func(c *Config) { c.LatencyDegradedMs, c.LatencyFailingMs = 1000, 200 }, false},
		{"negative latency", func(c *Config) { c.LatencyDegradedMs = -1 }, false},
		{"no exemplar candidates", func(c *Config) { c.ExemplarCandidates = 0 }, true},
		{"too many candidates", func(c *Config) { c.ExemplarCandidates = 65 }, false},
		{"accuracy too coarse", func(c *Config) { c.RelativeAccuracy = 0.2 }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := DefaultConfig()
			tt.mod(&c)
			err := c.Validate()
			if (err == nil) != tt.ok {
				t.Fatalf("Validate() = %v, want ok=%v", err, tt.ok)
			}
			if err != nil && !errors.Is(err, ErrInvalidConfig) {
				t.Errorf("error %v does not wrap ErrInvalidConfig", err)
			}
		})
	}
}

func TestAggregator_Add_bucketing(t *testing.T) {
	tests := []struct {
		name     string
		at       []time.Duration
		from, to time.Duration
		want     int64
	}{
		{"bucket start is inside", []time.Duration{0}, 0, 10 * time.Second, 1},
		{"last nanosecond is inside", []time.Duration{10*time.Second - 1}, 0, 10 * time.Second, 1},
		{"next bucket is outside", []time.Duration{10 * time.Second}, 0, 10 * time.Second, 0},
		{"previous nanosecond is outside", []time.Duration{-1}, 0, 10 * time.Second, 0},
		{"partial window takes whole buckets", []time.Duration{1 * time.Second, 9 * time.Second}, 5 * time.Second, 6 * time.Second, 2},
		{"window spanning buckets", []time.Duration{0, 15 * time.Second, 29 * time.Second, 30 * time.Second}, 0, 30 * time.Second, 3},
		{"days apart", []time.Duration{0, 72 * time.Hour}, 0, 73 * time.Hour, 2},
		{"before the epoch", []time.Duration{-time.Duration(t0.UnixNano()) - 5*time.Second}, -time.Duration(t0.UnixNano()) - 10*time.Second, -time.Duration(t0.UnixNano()), 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := newAgg(t, func(c *Config) { c.Retention = 0 })
			var obs []derive.Observation
			for _, at := range tt.at {
				obs = append(obs, call("a", "b", at))
			}
			a.Add("src", obs)
			s := a.Snapshot(t0.Add(tt.from), t0.Add(tt.to), Options{})
			var got int64
			for _, e := range s.Edges {
				got += e.Calls
			}
			if got != tt.want {
				t.Errorf("calls = %d, want %d", got, tt.want)
			}
		})
	}
}

// TestAggregator_Snapshot_windowMerge checks that two adjacent windows sum
// to the merged window, and that merged latency equals a sketch of all calls.
// quantileOf reads quantile q in ms of one sketch ("server" or "lag") of an
// edge over all data.
func TestAggregator_Add_operationOverflow(t *testing.T) {
	a := newAgg(t, func(c *Config) { c.MaxOperationsPerEdge = 2 })
	var obs []derive.Observation
	for i, op := range []string{"x", "y", "z", "w", "x", "z"} {
		o := call("a", "b", time.Duration(i)*time.Second)
		o.Operation = op
		obs = append(obs, o)
	}
	other := call("c", "b", 0)
	other.Operation = "z" // a different edge has its own slots
	a.Add("src", append(obs, other))
	s := a.Snapshot(t0, t0.Add(time.Minute), Options{Operations: true})
	got := map[string]int64{}
	for _, e := range s.Edges {
		got[e.ID] = e.Calls
		if e.ID != graph.EdgeID(e.From, e.To, e.Operation) {
			t.Errorf("edge ID %q does not match its operation %q", e.ID, e.Operation)
		}
	}
	want := map[string]int64{"a->b#x": 2, "a->b#y": 1, "a->b#" + OtherOperation: 3, "c->b#z": 1}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("operation edges %v, want %v", got, want)
	}
	if ops := findNode(t, s, "b").Operations; !reflect.DeepEqual(ops, []string{OtherOperation, "x", "y", "z"}) {
		t.Errorf("node operations %v", ops)
	}
	plain := a.Snapshot(t0, t0.Add(time.Minute), Options{})
	if e := findEdge(t, plain, "a->b"); e.Calls != 6 || e.Operation != "" {
		t.Errorf("edge-level a->b %+v", e)
	}
}

func TestAggregator_Prune(t *testing.T) {
	a := newAgg(t, func(c *Config) { c.Retention = 10 * time.Minute })
	a.Add("src", []derive.Observation{call("c", "d", 0)})
	a.AddDropped("src", "d", 1)
	a.Add("src", []derive.Observation{call("a", "b", 0), call("a", "b", 5*time.Minute)})
	from, to := a.Bounds()
	if !from.Equal(t0) || !to.Equal(t0.Add(5*time.Minute+10*time.Second)) {
		t.Errorf("bounds %v..%v", from, to)
	}
	a.Prune(t0.Add(10*time.Minute + 10*time.Second))
	c := a.Counters()
	if c.Edges != 1 || c.Buckets != 1 || c.Nodes != 2 {
		t.Errorf("after prune %+v, want a->b with one bucket", c)
	}
	if got := a.Services(); !reflect.DeepEqual(got, []string{"a", "b"}) {
		t.Errorf("services %v", got)
	}
	from, _ = a.Bounds()
	if !from.Equal(t0.Add(5 * time.Minute)) {
		t.Errorf("bounds start %v", from)
	}
	a.Prune(t0.Add(time.Hour))
	if c := a.Counters(); c.Edges != 0 || c.Nodes != 0 || c.Buckets != 0 {
		t.Errorf("after full prune %+v", c)
	}
	if f, to := a.Bounds(); !f.IsZero() || !to.IsZero() {
		t.Errorf("empty bounds %v..%v", f, to)
	}

	keep := newAgg(t, func(c *Config) { c.Retention = 0 })
	keep.Add("src", []derive.Observation{call("a", "b", 0)})
	keep.Prune(t0.Add(1000 * time.Hour))
	if c := keep.Counters(); c.Buckets != 1 {
		t.Errorf("unlimited retention pruned: %+v", c)
	}
}

func TestAggregator_Sparkline(t *testing.T) {
	a := newAgg(t, nil)
	obs := []derive.Observation{call("a", "b", 0), call("c", "b", 1*time.Second), call("a", "b", 25*time.Second)}
	obs[2].Error = true
	a.Add("src", obs)
	got := a.Sparkline("b", t0, t0.Add(40*time.Second))
	want := []SparkPoint{
		{Time: t0.UnixMilli(), Calls: 2},
		{Time: t0.Add(10 * time.Second).UnixMilli()},
		{Time: t0.Add(20 * time.Second).UnixMilli(), Calls: 1, Errors: 1},
		{Time: t0.Add(30 * time.Second).UnixMilli()},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("sparkline %+v, want %+v", got, want)
	}
	all := a.Sparklines(t0, t0.Add(40*time.Second))
	if !reflect.DeepEqual(all["b"], want) || len(all["a"]) != 4 || all["a"][0].Calls != 0 {
		t.Errorf("sparklines %+v", all)
	}
	if a.Sparkline("nope", t0, t0.Add(time.Minute)) != nil {
		t.Error("unknown node has a sparkline")
	}
	long := a.Sparkline("b", t0, t0.Add(30*24*time.Hour))
	if len(long) > maxSparkPoints || long[0].Calls != 3 {
		t.Errorf("long sparkline: %d points, first %+v", len(long), long[0])
	}
}

func TestAggregator_Add_concurrent(t *testing.T) {
	a := newAgg(t, nil)
	var wg sync.WaitGroup
	const writers, batches, per = 4, 50, 100
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range batches {
				obs := make([]derive.Observation, per)
				for i := range obs {
					obs[i] = call(fmt.Sprint("s", i%7), fmt.Sprint("s", (i+w)%5), time.Duration(b*per+i)*time.Millisecond)
				}
				a.Add(fmt.Sprint("src", w), obs)
				a.AddDropped("src", "s1", 1)
			}
		}()
	}
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 50 {
				a.Snapshot(t0, t0.Add(time.Minute), Options{Operations: true})
				a.Sparklines(t0, t0.Add(time.Minute))
				a.Bounds()
				a.Prune(t0)
				if _, err := a.Export(t0, t0.Add(time.Minute), time.Minute); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	s := a.Snapshot(t0, t0.Add(time.Minute), Options{})
	var total int64
	for _, e := range s.Edges {
		total += e.Calls
	}
	if total != writers*batches*per {
		t.Errorf("total calls %d, want %d", total, writers*batches*per)
	}
}

func TestAggregator_Add_skipsEmptyIDs(t *testing.T) {
	a := newAgg(t, nil)
	bad := call("a", "b", 0)
	bad.To.ID = ""
	a.Add("src", []derive.Observation{bad, call("a", "b", 0)})
	if c := a.Counters(); c.Skipped != 1 || c.Edges != 1 {
		t.Errorf("counters %+v", c)
	}
}

func TestNew_panicsOnInvalidConfig(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("New accepted an invalid config")
		}
	}()
	New(Config{})
}

// TestAggregator_Snapshot_orderIndependent feeds the same calls in time
// order and shuffled, in different batches: snapshots must be identical.
// TestAggregator_Snapshot_quantileAccuracy compares snapshot latencies with
// exact quantiles of random calls spread over many buckets and operations:
// within 2% (DDSketch at 1% guarantees 1%).

// TestAggregator_CallRange: the range of the calls added, rounded out to
// whole steps; observations without both endpoints are not calls.
func TestAggregator_CallRange(t *testing.T) {
	obs := func(ns ...int64) []derive.Observation {
		var out []derive.Observation
		for _, n := range ns {
			out = append(out, derive.Observation{From: derive.Endpoint{ID: "a"}, To: derive.Endpoint{ID: "b"}, Time: n})
		}
		return out
	}
	const s = int64(time.Second)
	for _, c := range []struct {
		times    []int64
		from, to int64
	}{
		{nil, 0, 0},
		{[]int64{0}, 0, 10 * s},
		{[]int64{10 * s}, 10 * s, 20 * s},
		{[]int64{25 * s, 3 * s, 19*s + 999}, 0, 30 * s},
		{[]int64{-1}, -10 * s, 0},
		{[]int64{-10 * s, 5 * s}, -10 * s, 10 * s},
	} {
		cfg := DefaultConfig()
		cfg.Retention = 0
		a := New(cfg)
		a.Add("file", obs(c.times...))
		a.Add("file", []derive.Observation{{Time: 1 << 62}}) // no endpoints: not a call the map shows
		from, to := a.CallRange(10 * time.Second)
		if from.UnixNano() != c.from || to.UnixNano() != c.to {
			t.Errorf("%v: range %d..%d, want %d..%d", c.times, from.UnixNano(), to.UnixNano(), c.from, c.to)
		}
	}
}
