package agg

import (
	"bytes"
	"reflect"
	"testing"
	"time"

	"github.com/spanmap/spanmap/graph/derive"
)

// TestAggregator_Prune_packsLosslessly compares an aggregator whose buckets
// were packed with one whose buckets were not, for every reader, then sends
// a late call into a packed bucket.
func TestAggregator_Prune_packsLosslessly(t *testing.T) {
	tests := []struct {
		name    string
		pruneAt time.Duration
		packed  func(c Counters) bool
	}{
		{"all packed", time.Hour, func(c Counters) bool { return c.Packed == c.Buckets }},
		{"older half packed", 90*time.Second + time.Minute, func(c Counters) bool { return c.Packed > 0 && c.Packed < c.Buckets }},
	}
	windows := []struct{ from, to time.Duration }{
		{0, 3 * time.Minute}, {0, time.Minute}, {50 * time.Second, 130 * time.Second}, {2 * time.Minute, 3 * time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mod := func(c *Config) { c.Retention, c.CompactAfter = 0, time.Minute }
			live := richAggregator(t, mod)
			packed := richAggregator(t, mod)
			packed.Prune(t0.Add(tt.pruneAt))
			c := packed.Counters()
			if !tt.packed(c) {
				t.Fatalf("counters after prune %+v", c)
			}
			t.Logf("%d of %d buckets packed, %d bytes, %d bytes per packed bucket", c.Packed, c.Buckets, c.PackedBytes, c.PackedBytes/max(c.Packed, 1))
			same := func(stage string) {
				t.Helper()
				for _, w := range windows {
					from, to := t0.Add(w.from), t0.Add(w.to)
					for _, opt := range []Options{{}, {Operations: true}} {
						if got, want := packed.Snapshot(from, to, opt), live.Snapshot(from, to, opt); !reflect.DeepEqual(got, want) {
							t.Errorf("%s: snapshot %v..%v %+v differs", stage, w.from, w.to, opt)
						}
					}
					if got, want := packed.Sparklines(from, to), live.Sparklines(from, to); !reflect.DeepEqual(got, want) {
						t.Errorf("%s: sparklines %v..%v differ", stage, w.from, w.to)
					}
					x, err1 := packed.Export(from, to, time.Minute)
					y, err2 := live.Export(from, to, time.Minute)
					if err1 != nil || err2 != nil || !bytes.Equal(encode(t, x), encode(t, y)) {
						t.Errorf("%s: export %v..%v differs (%v, %v)", stage, w.from, w.to, err1, err2)
					}
				}
				f1, t1 := packed.Bounds()
				f2, t2 := live.Bounds()
				if !f1.Equal(f2) || !t1.Equal(t2) {
					t.Errorf("%s: bounds differ", stage)
				}
			}
			same("packed")

			late := []derive.Observation{call("frontend", "cart", 5*time.Second), call("cart", "new", 6*time.Second)}
			late[0].Operation, late[0].Error, late[0].ClientDuration = "list", true, 900e6
			packed.Add("late", late)
			live.Add("late", late)
			same("after a late call")
			if c2 := packed.Counters(); c2.Packed != c.Packed-1 {
				t.Errorf("late call left %d packed buckets, want %d", c2.Packed, c.Packed-1)
			}
			packed.Prune(t0.Add(tt.pruneAt))
			same("repacked")
		})
	}
}

func TestAggregator_Prune_compactAfterZero(t *testing.T) {
	a := richAggregator(t, func(c *Config) { c.CompactAfter = 0 })
	a.Prune(t0.Add(4 * time.Minute))
	if c := a.Counters(); c.Packed != 0 || c.Buckets == 0 {
		t.Errorf("counters %+v, want live buckets only", c)
	}
}
