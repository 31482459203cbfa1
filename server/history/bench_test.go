package history

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"os"
	"testing"
	"time"

	"github.com/spanmap/spanmap/graph"
	"github.com/spanmap/spanmap/graph/agg"
	"github.com/spanmap/spanmap/graph/derive"
	"github.com/spanmap/spanmap/graph/span"
)

// edgeTraffic adds perMin calls a minute on each of edges distinct edges (50
// callers, one operation each, one error in fifty) over the minutes from
// start.
func edgeTraffic(a *agg.Aggregator, start time.Time, edges, minutes, perMin int) {
	rng := rand.New(rand.NewPCG(3, 4))
	obs := make([]derive.Observation, 0, edges*perMin)
	for m := range minutes {
		obs = obs[:0]
		for e := range edges {
			from, to := svc(fmt.Sprintf("svc%02d", e%50)), svc(fmt.Sprintf("dep%04d", e))
			for range perMin {
				var tr span.TraceID
				binary.BigEndian.PutUint64(tr[:], rng.Uint64())
				binary.BigEndian.PutUint64(tr[8:], rng.Uint64())
				at := start.Add(time.Duration(m)*time.Minute + time.Duration(rng.Int64N(int64(time.Minute))))
				obs = append(obs, derive.Observation{
					From: from, To: to, Kind: graph.EdgeRPC, Operation: "GET /api",
					Time: at.UnixNano(), ClientDuration: 2e6 + rng.Int64N(50e6), ServerDuration: 1e6 + rng.Int64N(40e6),
					QueueLag: -1, Paired: true, Error: rng.IntN(50) == 0, TraceID: tr,
				})
			}
		}
		a.Add("otlp", obs)
	}
}

// BenchmarkStore_bytesPerEdgeMinute writes 200 edges with 60 calls a
// minute each for 30 minutes and reports the store's file size per edge and
// minute, before and after merging the minutes into hours.
func BenchmarkStore_bytesPerEdgeMinute(b *testing.B) {
	const edges, minutes = 200, 30
	a := agg.New(agg.DefaultConfig())
	edgeTraffic(a, t0, edges, minutes, 60)
	b.ResetTimer()
	for range b.N {
		dir := b.TempDir()
		s, err := Open(dir, DefaultOptions())
		if err != nil {
			b.Fatal(err)
		}
		if _, err := s.WriteMinutes(a, t0, t0.Add(minutes*time.Minute)); err != nil {
			b.Fatal(err)
		}
		var values int64
		if err := s.Minutes(t0, t0.Add(time.Hour), func(_ time.Time, r *agg.Rollups, _ error) error {
			v, _ := r.MarshalBinary()
			values += int64(len(v))
			return nil
		}); err != nil {
			b.Fatal(err)
		}
		if _, err := s.MergeHours(t0.Add(2*time.Hour), a.Config()); err != nil {
			b.Fatal(err)
		}
		var hours int64
		if err := s.Hours(t0, t0.Add(time.Hour), func(_ time.Time, r *agg.Rollups, _ error) error {
			v, _ := r.MarshalBinary()
			hours += int64(len(v))
			return nil
		}); err != nil {
			b.Fatal(err)
		}
		st, err := os.Stat(s.Path())
		if err != nil {
			b.Fatal(err)
		}
		s.Close()
		b.ReportMetric(float64(values)/float64(edges*minutes), "value-B/edge-min")
		b.ReportMetric(float64(st.Size())/float64(edges*minutes), "file-B/edge-min")
		b.ReportMetric(float64(hours)/float64(edges), "hour-B/edge-hour")
	}
}

// BenchmarkStore_Flush times one flush (three minutes exported, encoded and
// written in one fsynced transaction) with 1,000 active edges.
func BenchmarkStore_Flush(b *testing.B) {
	a := agg.New(agg.DefaultConfig())
	edgeTraffic(a, t0, 1000, 3, 30)
	s, err := Open(b.TempDir(), DefaultOptions())
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	now := t0.Add(2*time.Minute + 30*time.Second)
	b.ResetTimer()
	for range b.N {
		if n, err := s.Flush(a, now); err != nil || n != 3 {
			b.Fatalf("Flush = %d, %v", n, err)
		}
	}
}
