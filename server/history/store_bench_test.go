package history

import (
	"os"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/spanmap/spanmap/graph/agg"
)

// shifted returns r moved by d: period starts, last calls and exemplar
// times. The sketches are shared with r.
func shifted(r agg.Rollups, d time.Duration) agg.Rollups {
	out := r
	out.Edges = make([]agg.EdgeRollup, len(r.Edges))
	for i, e := range r.Edges {
		e.Start = e.Start.Add(d)
		e.LastSeen += int64(d)
		if e.Slowest != nil {
			c := *e.Slowest
			c.Time += int64(d)
			e.Slowest = &c
		}
		if e.LatestError != nil {
			c := *e.LatestError
			c.Time += int64(d)
			e.LatestError = &c
		}
		e.Typical = append([]agg.Candidate(nil), e.Typical...)
		for j := range e.Typical {
			e.Typical[j].Time += int64(d)
		}
		out.Edges[i] = e
	}
	out.Drops = append([]agg.DropRollup(nil), r.Drops...)
	for i := range out.Drops {
		out.Drops[i].Start = out.Drops[i].Start.Add(d)
	}
	return out
}

// dayStore writes a store holding 24 hours of edges active edges (perMin
// calls a minute each), one key per minute, made of one generated hour
// repeated, and returns its directory and the first minute.
func dayStore(b *testing.B, edges, perMin int) (string, time.Time) {
	b.Helper()
	a := agg.New(agg.DefaultConfig())
	edgeTraffic(a, t0, edges, 60, perMin)
	hour := make([]agg.Rollups, 60)
	for m := range hour {
		r, err := a.Export(t0.Add(time.Duration(m)*time.Minute), t0.Add(time.Duration(m+1)*time.Minute), time.Minute)
		if err != nil {
			b.Fatal(err)
		}
		hour[m] = r
	}
	dir := b.TempDir()
	s, err := Open(dir, DefaultOptions())
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	for h := range 24 {
		err := s.db.Update(func(tx *bolt.Tx) error {
			bk := tx.Bucket(bucketMinutes)
			for m, r := range hour {
				sr := shifted(r, time.Duration(h)*time.Hour)
				v, err := sr.MarshalBinary()
				if err != nil {
					return err
				}
				if err := bk.Put(key(t0.Add(time.Duration(h)*time.Hour+time.Duration(m)*time.Minute)), v); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	return dir, t0
}

// BenchmarkStore_OpenRestore24h opens a store holding 24 hours of 1,000
// active edges (10 calls a minute each) and restores it into an empty
// aggregator: all 24 hours as 1,440 minute keys ("day"), the same after
// merging the 23 older hours into hour keys ("day-merged"), and the live
// window a restarted server restores (the aggregator's default retention,
// 65 minutes) out of the day ("live-window"). It reports the store's file
// size per edge-minute of the generated day, the CPU time per restore
// (wall time on a shared machine says more about the neighbours than about
// the code) and the heap the restored aggregator holds.
func BenchmarkStore_OpenRestore24h(b *testing.B) {
	const edges, perMin = 1000, 10
	dir, start := dayStore(b, edges, perMin)
	end := start.Add(24 * time.Hour)
	st, err := os.Stat(filepath.Join(dir, FileName))
	if err != nil {
		b.Fatal(err)
	}
	minutesFile := st.Size()

	mergedDir := b.TempDir()
	if err := copyFile(filepath.Join(dir, FileName), filepath.Join(mergedDir, FileName)); err != nil {
		b.Fatal(err)
	}
	s, err := Open(mergedDir, DefaultOptions())
	if err != nil {
		b.Fatal(err)
	}
	if n, err := s.MergeHours(end.Add(-time.Hour), agg.DefaultConfig()); err != nil || n != 23 {
		b.Fatalf("MergeHours = %d, %v", n, err)
	}
	s.Close()

	run := func(dir string, from time.Time, periods int, fileBytes, valueBytes int64) func(*testing.B) {
		return func(b *testing.B) {
			cfg := agg.DefaultConfig()
			cfg.Retention = 0
			var cpu time.Duration
			var held uint64
			for range b.N {
				b.StopTimer()
				runtime.GC()
				var before, after runtime.MemStats
				runtime.ReadMemStats(&before)
				cpu0 := cpuTime()
				b.StartTimer()
				s, err := Open(dir, DefaultOptions())
				if err != nil {
					b.Fatal(err)
				}
				a := agg.New(cfg)
				n, err := s.Restore(a, from, end)
				if err != nil || n != periods {
					b.Fatalf("Restore = %d, %v, want %d periods", n, err, periods)
				}
				s.Close()
				b.StopTimer()
				cpu += cpuTime() - cpu0
				runtime.GC()
				runtime.ReadMemStats(&after)
				held = after.HeapAlloc - min(before.HeapAlloc, after.HeapAlloc)
				runtime.KeepAlive(a)
				b.StartTimer()
			}
			b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/op")
			b.ReportMetric(float64(held)/(1<<20), "held-MiB")
			if fileBytes > 0 {
				b.ReportMetric(float64(fileBytes)/float64(edges*24*60), "file-B/edge-min")
			}
			if valueBytes > 0 {
				b.ReportMetric(float64(valueBytes)/float64(edges*24*60), "value-B/edge-min")
			}
		}
	}
	b.Run("day", run(dir, start, 24*60, minutesFile, valueBytes(b, dir)))
	b.Run("day-merged", run(mergedDir, start, 23+60, 0, valueBytes(b, mergedDir)))
	b.Run("live-window", run(dir, end.Add(-65*time.Minute), 65, 0, 0))
}

// valueBytes sums the stored minute and hour values in dir's store (the
// file keeps the pages it freed, so its size does not shrink after a merge).
func valueBytes(b *testing.B, dir string) int64 {
	s, err := Open(dir, DefaultOptions())
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	var n int64
	err = s.db.View(func(tx *bolt.Tx) error {
		for _, name := range [][]byte{bucketMinutes, bucketHours} {
			if err := tx.Bucket(name).ForEach(func(_, v []byte) error { n += int64(len(v)); return nil }); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	return n
}

func copyFile(from, to string) error {
	b, err := os.ReadFile(from)
	if err != nil {
		return err
	}
	return os.WriteFile(to, b, 0o600)
}

// cpuTime returns the CPU time the process used so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
