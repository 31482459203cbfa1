package server

import (
	"context"
	"encoding/binary"
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/spanmap/spanmap/graph"
	"github.com/spanmap/spanmap/graph/agg"
	"github.com/spanmap/spanmap/graph/compare"
	"github.com/spanmap/spanmap/graph/derive"
	"github.com/spanmap/spanmap/graph/layout"
	"github.com/spanmap/spanmap/graph/span"
	"github.com/spanmap/spanmap/server/history"
	"github.com/spanmap/spanmap/server/hub"
)

// benchEdges is the size of the compared map: 250 services in five tiers
// of 50, each service of the first four tiers calling 5 of the next.
const benchEdges, benchTier = 1000, 50

// benchTraffic adds perEdge calls on every edge of the benchmark map at
// time at, with latencies spread over 5-200 ms.
func benchTraffic(a *agg.Aggregator, at time.Time, perEdge int, seq *uint64) {
	obs := make([]derive.Observation, 0, benchEdges*perEdge)
	for e := range benchEdges {
		from := e / 5
		to := (from/benchTier+1)*benchTier + (from%benchTier+(e%5)*11)%benchTier
		for i := range perEdge {
			*seq++
			var tr span.TraceID
			binary.BigEndian.PutUint64(tr[8:], *seq)
			lat := int64(5e6 + (*seq*7919)%195e6)
			obs = append(obs, derive.Observation{
				From: endpoint(fmt.Sprintf("svc%03d", from)), To: endpoint(fmt.Sprintf("svc%03d", to)),
				Kind: graph.EdgeRPC, Operation: "GET /api", Time: at.Add(time.Duration(i) * time.Second).UnixNano(),
				ClientDuration: lat, ServerDuration: lat * 9 / 10, QueueLag: -1, Paired: true,
				Error: *seq%53 == 0, TraceID: tr,
			})
		}
	}
	a.Add("otlp", obs)
}

// benchHistory writes 14 days of history for the benchmark map into a store
// in dir: three calls per edge every hour, merged into hour rollups, for
// the days before the last one, and one call per edge every minute for
// the last day, kept as minutes, as a server keeps them. It returns the
// memory aggregator holding the last 65 minutes.
func benchHistory(b *testing.B, dir string, now time.Time) *agg.Aggregator {
	b.Helper()
	src := agg.New(agg.DefaultConfig())
	mem := agg.New(agg.DefaultConfig())
	var seq uint64
	day := now.Add(-24 * time.Hour).Truncate(time.Hour)
	for h := now.Add(-14 * 24 * time.Hour).Truncate(time.Hour); h.Before(day); h = h.Add(time.Hour) {
		benchTraffic(src, h, 3, &seq)
	}
	for m := day; m.Before(now); m = m.Add(time.Minute) {
		benchTraffic(src, m, 1, &seq)
		if m.After(now.Add(-65 * time.Minute)) {
			benchTraffic(mem, m, 1, &seq)
		}
	}
	st := openBenchStore(b, dir)
	defer st.Close()
	for h := now.Add(-14 * 24 * time.Hour).Truncate(time.Hour); h.Before(day); h = h.Add(time.Hour) {
		if _, err := st.WriteMinutes(src, h, h.Add(time.Minute)); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := st.WriteMinutes(src, day, now); err != nil {
		b.Fatal(err)
	}
	if _, err := st.MergeHours(day, src.Config()); err != nil {
		b.Fatal(err)
	}
	return mem
}

// openBenchStore opens the store in dir with 15 days of retention.
func openBenchStore(b *testing.B, dir string) *history.Store {
	b.Helper()
	opt := history.DefaultOptions()
	opt.Retention = 15 * 24 * time.Hour
	st, err := history.Open(dir, opt)
	if err != nil {
		b.Fatal(err)
	}
	return st
}

// BenchmarkDiff_sevenDays times the comparison of the last seven days of a
// 1,000-edge map with the seven days before (each range: 6 days of hour
// rollups, a day of minute rollups or older hours, and for b the last hour
// from memory): reading and merging both ranges from the store (cold), the
// same a minute later, when only the minutes at the ends are read again
// (moved), with both stored parts cached (cached), and laying out the union
// with graphviz dot in-process (layout, on top of a cached comparison).
func BenchmarkDiff_sevenDays(b *testing.B) {
	dir := b.TempDir()
	now := time.Now()
	mem := benchHistory(b, dir, now)
	st := openBenchStore(b, dir) // opened anew: nothing read is cached
	defer st.Close()
	tl := newTimeline(mem, func() time.Time { return now })
	tl.useStore(st)
	s := &Server{timeline: tl}
	req := diffRequest{
		view: graph.DefaultView(),
		a:    timeRange{now.Add(-14 * 24 * time.Hour), now.Add(-7 * 24 * time.Hour)},
		b:    timeRange{now.Add(-7 * 24 * time.Hour), now},
		th:   compare.DefaultThresholds(),
	}
	// The hourly history carries few calls per edge: count every edge as
	// present, so that all of them are compared and ranked.
	req.th.MinRate = 1e-4
	// cold: nothing cached; moved: the ranges moved on (new stored parts),
	// their whole days and hours cached; cached: both ranges cached.
	run := func(b *testing.B, cache string) (compare.Result, graph.Snapshot) {
		var res compare.Result
		var union graph.Snapshot
		cpu0 := cpuTime()
		for range b.N {
			switch cache {
			case "cold":
				tl.blocks = newPartCache(timelineBlockEntries, timelineBlockRollups)
				fallthrough
			case "moved":
				tl.cache = newPartCache(timelineCacheEntries, timelineCacheRollups)
			}
			var err error
			res, union, err = s.compareRanges(context.Background(), req)
			if err != nil {
				b.Fatal(err)
			}
		}
		if len(union.Edges) != benchEdges {
			b.Fatalf("union has %d edges, want %d", len(union.Edges), benchEdges)
		}
		b.ReportMetric((cpuTime()-cpu0).Seconds()*1000/float64(b.N), "cpu-ms/op")
		b.ReportMetric(float64(len(res.Edges)), "deltas")
		return res, union
	}
	b.Run("cold", func(b *testing.B) { run(b, "cold") })
	b.Run("moved", func(b *testing.B) { run(b, "moved") })
	b.Run("cached", func(b *testing.B) {
		run(b, "cached")
		b.ReportMetric(float64(tl.cache.len()), "cached-parts")
	})
	b.Run("layout", func(b *testing.B) {
		_, union := run(b, "cached")
		l, err := layout.New(layout.DefaultConfig())
		if err != nil {
			b.Fatal(err)
		}
		h, err := hub.New(hub.DefaultConfig(), tl, l, nil, nil, nil)
		if err != nil {
			b.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		go h.Run(ctx)
		b.ResetTimer()
		for range b.N {
			placed, err := h.Place(context.Background(), union, req.view)
			if err != nil || placed.Nodes[0].Pos == nil || len(placed.Edges[0].Path) == 0 {
				b.Fatalf("Place: %v", err)
			}
			b.ReportMetric(float64(len(placed.Nodes)), "nodes")
			b.ReportMetric(placed.Width, "width-pt")
		}
	})
}

// cpuTime returns the process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
