package agg

import (
	"bytes"
	"cmp"
	"errors"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/spanmap/spanmap/graph"
	"github.com/spanmap/spanmap/graph/derive"
)

// richAggregator holds three minutes of varied traffic from two sources.
func richAggregator(t testing.TB, mod func(*Config)) *Aggregator {
	t.Helper()
	a := newAgg(t, mod)
	r := rand.New(rand.NewPCG(1, 2))
	for src, name := range []string{"jaeger", "otlp"} {
		var obs []derive.Observation
		for i := range 900 {
			at := time.Duration(r.Int64N(int64(3 * time.Minute)))
			var o derive.Observation
			switch i % 5 {
			case 0:
				o = call("frontend", "cart", at)
				o.Operation = []string{"add", "list", "remove"}[i%3]
				o.From.Namespace = "shop"
			case 1:
				o = call("cart", "redis", at)
				o.To = virt("redis", graph.NodeDatabase)
				o.Kind, o.ServerDuration, o.Paired = graph.EdgeDatabase, -1, false
			case 2:
				o = call("cart", "orders", at)
				o.Kind = graph.EdgeMessaging
				o.QueueLag = int64(r.NormFloat64() * 5e6)
			case 3:
				o = call("user", "frontend", at)
				o.From = virt("user", graph.NodeUser)
				o.ClientDuration, o.Paired = -1, false
			default:
				o = call("frontend", "cart", at)
				o.Operation = "list"
				o.SamplingProbability = 0.1
			}
			o.ClientDuration = max(o.ClientDuration, -1)
			if o.ClientDuration > 0 {
				o.ClientDuration = int64(r.ExpFloat64() * 20e6)
			}
			if o.ServerDuration > 0 {
				o.ServerDuration = int64(r.ExpFloat64() * 15e6)
			}
			o.Error = r.IntN(20) == 0
			o.TraceID = traceID(uint64(src*10000 + i))
			obs = append(obs, o)
		}
		a.Add(name, obs)
		a.AddDropped(name, "cart", int64(3+src))
	}
	return a
}

func encode(t testing.TB, r Rollups) []byte {
	t.Helper()
	b, err := r.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestRollups_roundTrip(t *testing.T) {
	tests := []struct {
		name        string
		width       time.Duration
		importWidth time.Duration
	}{
		{"bucket width into same width", 10 * time.Second, 10 * time.Second},
		{"minute rollups into minute buckets", time.Minute, time.Minute},
		{"minute rollups into 10s buckets", time.Minute, 10 * time.Second},
	}
	from, to := t0, t0.Add(3*time.Minute)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := richAggregator(t, nil)
			rs, err := src.Export(from, to, tt.width)
			if err != nil {
				t.Fatal(err)
			}
			enc := encode(t, rs)
			var dec Rollups
			if err := dec.UnmarshalBinary(enc); err != nil {
				t.Fatal(err)
			}
			if again := encode(t, dec); !bytes.Equal(again, enc) {
				t.Fatalf("re-encoding differs: %d vs %d bytes", len(again), len(enc))
			}
			dst := newAgg(t, func(c *Config) { c.BucketWidth = tt.importWidth })
			if err := dst.Import(dec); err != nil {
				t.Fatal(err)
			}
			for _, opt := range []Options{{}, {Operations: true}} {
				want := src.Snapshot(from, to, opt)
				got := dst.Snapshot(from, to, opt)
				if tt.width != 10*time.Second {
					// Minute rollups keep a reservoir of typical candidates
					// per minute, so the typical pick may differ.
					dropTypical(&want)
					dropTypical(&got)
				}
				if !reflect.DeepEqual(got, want) {
					t.Errorf("opt %+v: imported snapshot differs\n got %+v\nwant %+v", opt, got, want)
				}
			}
			if !reflect.DeepEqual(dst.Services(), src.Services()) {
				t.Errorf("services %v vs %v", dst.Services(), src.Services())
			}
		})
	}
}

func dropTypical(s *graph.Snapshot) {
	for i := range s.Edges {
		var keep []graph.Exemplar
		for _, x := range s.Edges[i].Exemplars {
			if x.Role != "typical" {
				keep = append(keep, x)
			}
		}
		s.Edges[i].Exemplars = keep
	}
}

func TestRollups_encodingSize(t *testing.T) {
	a := richAggregator(t, nil)
	rs, err := a.Export(t0, t0.Add(3*time.Minute), time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	enc := encode(t, rs)
	per := len(enc) / len(rs.Edges)
	t.Logf("%d minute rollups, %d bytes, %d bytes per rollup", len(rs.Edges), len(enc), per)
	if per > 1000 {
		t.Errorf("%d bytes per minute rollup; the encoding is not compact", per)
	}
}

func TestAggregator_Export_errors(t *testing.T) {
	a := richAggregator(t, nil)
	if _, err := a.Export(t0, t0.Add(time.Minute), 15*time.Second); !errors.Is(err, ErrRollupWidth) {
		t.Errorf("15s export: %v, want ErrRollupWidth", err)
	}
	if _, err := a.Export(t0, t0.Add(time.Minute), 0); !errors.Is(err, ErrRollupWidth) {
		t.Errorf("zero export: %v, want ErrRollupWidth", err)
	}
	rs, err := a.Export(t0, t0.Add(time.Minute), time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	coarse := newAgg(t, func(c *Config) { c.RelativeAccuracy = 0.02 })
	if err := coarse.Import(rs); !errors.Is(err, ErrAccuracyMismatch) {
		t.Errorf("import into 2%% aggregator: %v, want ErrAccuracyMismatch", err)
	}
	bad := Rollups{Edges: []EdgeRollup{{Start: t0, From: svc("a"), Kind: graph.EdgeRPC, Paired: 1}}}
	if err := coarse.Import(bad); !errors.Is(err, ErrBadRollup) {
		t.Errorf("import without To: %v, want ErrBadRollup", err)
	}
	if c := coarse.Counters(); c.Edges != 0 {
		t.Errorf("failed import left %d edges", c.Edges)
	}
}

func TestAggregator_Import_operationOverflow(t *testing.T) {
	a := richAggregator(t, nil)
	rs, err := a.Export(t0, t0.Add(3*time.Minute), time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	dst := newAgg(t, func(c *Config) { c.MaxOperationsPerEdge = 1 })
	if err := dst.Import(rs); err != nil {
		t.Fatal(err)
	}
	s := dst.Snapshot(t0, t0.Add(3*time.Minute), Options{Operations: true})
	want := findEdge(t, a.Snapshot(t0, t0.Add(3*time.Minute), Options{}), "frontend->cart").Calls
	var got int64
	n := 0
	for _, e := range s.Edges {
		if e.From == "frontend" && e.To == "cart" {
			got += e.Calls
			n++
		}
	}
	if n != 2 || got != want {
		t.Errorf("frontend->cart: %d operation edges with %d calls, want 2 with %d", n, got, want)
	}
}

func TestRollups_UnmarshalBinary_rejectsDamage(t *testing.T) {
	a := richAggregator(t, nil)
	rs, err := a.Export(t0, t0.Add(time.Minute), time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	enc := encode(t, rs)
	for n := 0; n < len(enc); n++ {
		var r Rollups
		if err := r.UnmarshalBinary(enc[:n]); !errors.Is(err, ErrBadEncoding) {
			t.Fatalf("prefix of %d/%d bytes: %v, want ErrBadEncoding", n, len(enc), err)
		}
	}
	var r Rollups
	if err := r.UnmarshalBinary(append(append([]byte{}, enc...), 0)); !errors.Is(err, ErrBadEncoding) {
		t.Errorf("trailing byte: %v", err)
	}
	// Random damage must never panic; what decodes must import or be rejected.
	rng := rand.New(rand.NewPCG(3, 4))
	for range 2000 {
		b := append([]byte{}, enc...)
		for range 1 + rng.IntN(4) {
			b[rng.IntN(len(b))] = byte(rng.Uint32())
		}
		var r Rollups
		if r.UnmarshalBinary(b) == nil {
			_ = newAgg(t, nil).Import(r)
		}
	}
}

func FuzzRollups_UnmarshalBinary(f *testing.F) {
	a := richAggregator(f, nil)
	rs, err := a.Export(t0, t0.Add(time.Minute), time.Minute)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(encode(f, rs))
	f.Add([]byte(rollupMagic + "\x01"))
	f.Fuzz(func(t *testing.T, b []byte) {
		var r Rollups
		if r.UnmarshalBinary(b) != nil {
			return
		}
		dst := newAgg(t, nil)
		if dst.Import(r) == nil {
			dst.Snapshot(time.Unix(0, 0), time.Unix(1<<40, 0), Options{Operations: true})
		}
	})
}

// TestAggregator_Import_orderAndPacking imports the decoded minute rollups
// of richAggregator in several ways and checks that every reader sees the
// same as when they are imported in time order into live buckets (no
// CompactAfter): packed on import, out of order, each twice (merging into a
// packed bucket), merged into one bucket, and with fewer exemplar
// candidates than the rollups carry. A late call then lands in the same
// way in both.
func TestAggregator_Import_orderAndPacking(t *testing.T) {
	from, to := t0, t0.Add(3*time.Minute)
	src := richAggregator(t, nil)
	var minutes []Rollups
	for m := from; m.Before(to); m = m.Add(time.Minute) {
		rs, err := src.Export(m, m.Add(time.Minute), time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		minutes = append(minutes, rs)
	}
	// decoded returns fresh decoded copies of the minutes in the given
	// order, optionally all moved to start at anchor.
	decoded := func(order []int, anchor time.Time) []Rollups {
		out := make([]Rollups, len(order))
		for i, m := range order {
			if err := out[i].UnmarshalBinary(encode(t, minutes[m])); err != nil {
				t.Fatal(err)
			}
			if !anchor.IsZero() {
				for j := range out[i].Edges {
					out[i].Edges[j].Start = anchor
				}
				for j := range out[i].Drops {
					out[i].Drops[j].Start = anchor
				}
			}
		}
		return out
	}
	build := func(mod func(*Config), rollups []Rollups) *Aggregator {
		a := newAgg(t, mod)
		for _, r := range rollups {
			if err := a.Import(r); err != nil {
				t.Fatal(err)
			}
		}
		return a
	}
	live := func(c *Config) { c.CompactAfter = 0 }
	fewer := func(c *Config) { c.ExemplarCandidates = 2 }
	inOrder, reversed, shuffled := []int{0, 1, 2}, []int{2, 1, 0}, []int{1, 2, 0}
	tests := []struct {
		name      string
		got, want *Aggregator
		packed    bool
	}{
		{"packed on import", build(nil, decoded(inOrder, time.Time{})), build(live, decoded(inOrder, time.Time{})), true},
		{"out of order", build(nil, decoded(shuffled, time.Time{})), build(live, decoded(inOrder, time.Time{})), true},
		{"live out of order", build(live, decoded(reversed, time.Time{})), build(live, decoded(inOrder, time.Time{})), false},
		{"each twice", build(nil, decoded([]int{0, 1, 2, 2, 0, 1}, time.Time{})), build(live, decoded([]int{0, 0, 1, 1, 2, 2}, time.Time{})), false},
		{"merged into one bucket", build(nil, decoded(reversed, t0)), build(live, decoded(inOrder, t0)), false},
		{"fewer candidates", build(func(c *Config) { fewer(c) }, decoded(shuffled, time.Time{})),
			build(func(c *Config) { fewer(c); live(c) }, decoded(inOrder, time.Time{})), false},
	}
	same := func(t *testing.T, got, want *Aggregator) {
		t.Helper()
		for _, w := range [][2]time.Time{{from, to}, {from.Add(40 * time.Second), from.Add(130 * time.Second)}} {
			for _, opt := range []Options{{}, {Operations: true}} {
				if g, x := got.Snapshot(w[0], w[1], opt), want.Snapshot(w[0], w[1], opt); !reflect.DeepEqual(g, x) {
					t.Errorf("snapshot %v %+v differs\n got %+v\nwant %+v", w, opt, g, x)
				}
			}
			if g, x := got.Sparklines(w[0], w[1]), want.Sparklines(w[0], w[1]); !reflect.DeepEqual(g, x) {
				t.Errorf("sparklines %v differ", w)
			}
			// The typical candidates are a set: merge order may change
			// their order.
			g, err1 := got.Export(w[0], w[1], time.Minute)
			x, err2 := want.Export(w[0], w[1], time.Minute)
			sortTypical(&g)
			sortTypical(&x)
			if err1 != nil || err2 != nil || !bytes.Equal(encode(t, g), encode(t, x)) {
				t.Errorf("export %v differs (%v, %v)", w, err1, err2)
			}
		}
		f1, t1 := got.Bounds()
		if f2, t2 := want.Bounds(); !f1.Equal(f2) || !t1.Equal(t2) {
			t.Errorf("bounds %v-%v, want %v-%v", f1, t1, f2, t2)
		}
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := tt.got.Counters()
			if packed := c.Packed == c.Buckets && c.Buckets > 0; packed != tt.packed {
				t.Errorf("%d of %d buckets packed, want all packed: %v", c.Packed, c.Buckets, tt.packed)
			}
			if w := tt.want.Counters(); w.Buckets != c.Buckets || w.Edges != c.Edges || w.Series != c.Series {
				t.Errorf("counters %+v, want %+v", c, w)
			}
			same(t, tt.got, tt.want)
			late := []derive.Observation{call("frontend", "cart", 65*time.Second)}
			late[0].Operation = "list"
			tt.got.Add("late", late)
			tt.want.Add("late", late)
			same(t, tt.got, tt.want)
		})
	}
}

// sortTypical orders the typical candidates of each rollup by time and trace.
func sortTypical(r *Rollups) {
	for i := range r.Edges {
		slices.SortFunc(r.Edges[i].Typical, func(x, y Candidate) int {
			if c := cmp.Compare(x.Time, y.Time); c != 0 {
				return c
			}
			return bytes.Compare(x.TraceID[:], y.TraceID[:])
		})
	}
}
