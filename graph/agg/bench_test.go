package agg

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/spanmap/spanmap/graph"
	"github.com/spanmap/spanmap/graph/derive"
)

// benchObservations returns n calls over edges edges with ops operations
// each, spread over span, in time order with edges interleaved.
func benchObservations(n, nodes, edges, ops int, span time.Duration) []derive.Observation {
	r := rand.New(rand.NewPCG(9, 9))
	type pair struct{ from, to derive.Endpoint }
	pairs := make([]pair, edges)
	for i := range pairs {
		f := i % nodes
		t := (f + 1 + i/nodes) % nodes
		pairs[i] = pair{svc(fmt.Sprintf("service-%03d", f)), svc(fmt.Sprintf("service-%03d", t))}
	}
	opNames := make([]string, ops)
	for i := range opNames {
		opNames[i] = fmt.Sprintf("GET /api/v1/resource-%d", i)
	}
	obs := make([]derive.Observation, n)
	for i := range obs {
		p := pairs[r.IntN(len(pairs))]
		lat := int64(math.Exp(r.NormFloat64()+15)) + 1
		obs[i] = derive.Observation{
			From: p.from, To: p.to, Kind: graph.EdgeRPC, Operation: opNames[r.IntN(ops)],
			Time:           t0.UnixNano() + int64(i)*int64(span)/int64(n),
			ClientDuration: lat, ServerDuration: lat * 9 / 10, QueueLag: -1,
			Error: r.IntN(50) == 0, Paired: r.IntN(10) != 0, TraceID: traceID(uint64(i)),
			SamplingProbability: 0.25,
		}
	}
	return obs
}

// cpuTime returns the CPU time the process used so far. The benchmarks
// report CPU time per item besides wall time, because wall time on a shared
// machine says more about the neighbours than about the code.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkAggregator_Add feeds 64Ki calls over 1000 operation series
// (200 edges, 5 operations each), replayed later each round with Prune
// keeping the default retention. perBucket sets the traffic: the calls one
// series gets per 10s bucket (a whole system then sees perBucket*100 calls/s).
func BenchmarkAggregator_Add(b *testing.B) {
	for _, perBucket := range []int{3, 30, 300} {
		b.Run(fmt.Sprintf("calls_per_series_bucket=%d", perBucket), func(b *testing.B) {
			const n, series = 1 << 16, 1000
			span := time.Duration(n/(perBucket*series)) * 10 * time.Second
			obs := benchObservations(n, 500, 200, 5, span)
			a := newAgg(b, nil)
			const batch = 1024
			b.ReportAllocs()
			done := 0
			cpu0 := cpuTime()
			for i := 0; b.Loop(); i++ {
				off := (i * batch) % len(obs)
				if off == 0 && i > 0 {
					for j := range obs {
						obs[j].Time += int64(span)
					}
					a.Prune(time.Unix(0, obs[0].Time))
				}
				a.Add("bench", obs[off:off+batch])
				done += batch
			}
			cpu := cpuTime() - cpu0
			b.ReportMetric(float64(done)/b.Elapsed().Seconds(), "obs/s")
			b.ReportMetric(float64(cpu.Nanoseconds())/float64(done), "cpu-ns/obs")
			b.ReportMetric(float64(done)/cpu.Seconds(), "obs/cpu-s")
		})
	}
}

func BenchmarkAggregator_Snapshot(b *testing.B) {
	// 500 nodes, 2000 edges, 2 operations each, 5 minutes of traffic:
	// about 20 calls per operation per bucket.
	obs := benchObservations(2_400_000, 500, 2000, 2, 5*time.Minute)
	a := newAgg(b, nil)
	for i := 0; i < len(obs); i += 4096 {
		a.Add("bench", obs[i:min(i+4096, len(obs))])
	}
	for _, opt := range []Options{{}, {Operations: true}} {
		b.Run(fmt.Sprintf("operations=%v", opt.Operations), func(b *testing.B) {
			b.ReportAllocs()
			n := 0
			cpu0 := cpuTime()
			for b.Loop() {
				s := a.Snapshot(t0, t0.Add(5*time.Minute), opt)
				if len(s.Nodes) != 500 || len(s.Edges) < 2000 {
					b.Fatalf("%d nodes, %d edges", len(s.Nodes), len(s.Edges))
				}
				n++
			}
			b.ReportMetric(float64((cpuTime()-cpu0).Milliseconds())/float64(n), "cpu-ms/op")
		})
	}
}

// BenchmarkAggregator_memory measures the heap held per edge bucket (one
// operation per edge, 200 edges, 60 buckets) for several traffic levels,
// with live buckets and after Prune packed them all.
func BenchmarkAggregator_memory(b *testing.B) {
	for _, perBucket := range []int{1, 10, 100, 1000} {
		for _, packed := range []bool{false, true} {
			b.Run(fmt.Sprintf("calls_per_bucket=%d/packed=%v", perBucket, packed), func(b *testing.B) {
				const edges, buckets = 200, 60
				obs := benchObservations(edges*buckets*perBucket, 100, edges, 1, buckets*10*time.Second)
				var bytesPer float64
				for b.Loop() {
					runtime.GC()
					var before, after runtime.MemStats
					runtime.ReadMemStats(&before)
					a := newAgg(b, func(c *Config) { c.Retention, c.CompactAfter = 0, time.Second })
					for i := 0; i < len(obs); i += 4096 {
						a.Add("bench", obs[i:min(i+4096, len(obs))])
					}
					if packed {
						a.Prune(t0.Add(24 * time.Hour))
					}
					runtime.GC()
					runtime.ReadMemStats(&after)
					held := a.Counters().Buckets
					bytesPer = float64(int64(after.HeapAlloc)-int64(before.HeapAlloc)) / float64(held)
					runtime.KeepAlive(a)
				}
				b.ReportMetric(bytesPer, "B/edge-bucket")
			})
		}
	}
}

// minuteRollups returns the encoded one-minute rollups of minutes minutes of
// edges edges (perMin calls a minute each, one operation per edge): one
// generated hour repeated, as a store holds a day of steady traffic.
func minuteRollups(b *testing.B, edges, perMin, minutes int) [][]byte {
	b.Helper()
	cfg := DefaultConfig()
	cfg.Retention = 0
	a := New(cfg)
	r := rand.New(rand.NewPCG(3, 4))
	obs := make([]derive.Observation, 0, edges*perMin)
	hourMinutes := min(minutes, 60)
	for m := range hourMinutes {
		obs = obs[:0]
		for e := range edges {
			from, to := svc(fmt.Sprintf("svc%02d", e%50)), svc(fmt.Sprintf("dep%04d", e))
			for range perMin {
				at := t0.Add(time.Duration(m)*time.Minute + time.Duration(r.Int64N(int64(time.Minute))))
				obs = append(obs, derive.Observation{
					From: from, To: to, Kind: graph.EdgeRPC, Operation: "GET /api",
					Time: at.UnixNano(), ClientDuration: 2e6 + r.Int64N(50e6), ServerDuration: 1e6 + r.Int64N(40e6),
					QueueLag: -1, Paired: true, Error: r.IntN(50) == 0, TraceID: traceID(r.Uint64()),
				})
			}
		}
		a.Add("otlp", obs)
	}
	out := make([][]byte, minutes)
	for m := range out {
		start := t0.Add(time.Duration(m%60) * time.Minute)
		x, err := a.Export(start, start.Add(time.Minute), time.Minute)
		if err != nil {
			b.Fatal(err)
		}
		shiftRollups(&x, time.Duration(m/60)*time.Hour)
		if out[m], err = x.MarshalBinary(); err != nil {
			b.Fatal(err)
		}
	}
	return out
}

// shiftRollups moves r by d: period starts, last calls and exemplar times.
func shiftRollups(r *Rollups, d time.Duration) {
	for i := range r.Edges {
		e := &r.Edges[i]
		e.Start = e.Start.Add(d)
		e.LastSeen += int64(d)
		for _, c := range e.candidates() {
			c.Time += int64(d)
		}
	}
	for i := range r.Drops {
		r.Drops[i].Start = r.Drops[i].Start.Add(d)
	}
}

// BenchmarkAggregator_ImportMinutes decodes and imports stored minute
// rollups of 1,000 edges (10 calls a minute each) into an empty aggregator
// of the default bucket width: the live window a restarted server restores
// (65 minutes) and a day (1,440 minutes), to show how the cost grows with
// the range. "decode" only decodes; "import" restores each minute into its
// bucket; "merge" moves every minute to one start first, as reading a
// range for time travel does, so all minutes merge into one bucket per
// series.
func BenchmarkAggregator_ImportMinutes(b *testing.B) {
	const edges, perMin = 1000, 10
	day := minuteRollups(b, edges, perMin, 24*60)
	for _, minutes := range []int{65, 24 * 60} {
		enc := day[len(day)-minutes:]
		for _, mode := range []string{"decode", "import", "merge"} {
			b.Run(fmt.Sprintf("minutes=%d/%s", minutes, mode), func(b *testing.B) {
				b.ReportAllocs()
				n := 0
				cpu0 := cpuTime()
				for b.Loop() {
					cfg := DefaultConfig()
					cfg.Retention = 0
					if mode == "merge" {
						cfg.CompactAfter = 0
					}
					a := New(cfg)
					for _, v := range enc {
						var r Rollups
						if err := r.UnmarshalBinary(v); err != nil {
							b.Fatal(err)
						}
						switch mode {
						case "decode":
							continue
						case "merge":
							for i := range r.Edges {
								r.Edges[i].Start = t0
							}
						}
						if err := a.Import(r); err != nil {
							b.Fatal(err)
						}
					}
					n++
				}
				cpu := cpuTime() - cpu0
				b.ReportMetric(float64(cpu.Nanoseconds())/float64(n*minutes*edges), "cpu-ns/edge-min")
			})
		}
	}
}
