package agg

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"reflect"
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
