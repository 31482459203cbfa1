package history

import (
	"context"
	"encoding/binary"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/spanmap/spanmap/graph"
	"github.com/spanmap/spanmap/graph/agg"
	"github.com/spanmap/spanmap/graph/derive"
	"github.com/spanmap/spanmap/graph/span"
)

// t0 is aligned to the hour.
var t0 = time.Unix(1_700_002_800, 0)

func svc(id string) derive.Endpoint {
	return derive.Endpoint{ID: id, Name: id, Kind: graph.NodeService}
}

// traffic adds calls on edges edges between services over minutes minutes
// from t0, perMin calls per edge and minute, with spread latencies, some
// errors and one unpaired call in ten.
func traffic(a *agg.Aggregator, edges, minutes, perMin int) {
	rng := rand.New(rand.NewPCG(1, 2))
	var obs []derive.Observation
	for m := range minutes {
		obs = obs[:0]
		for e := range edges {
			from, to := svc("svc"+string(rune('a'+e%26))), svc("dep"+string(rune('a'+e/26%26))+string(rune('a'+e%7)))
			for i := range perMin {
				at := t0.Add(time.Duration(m)*time.Minute + time.Duration(rng.Int64N(int64(time.Minute))))
				var tr span.TraceID
				binary.BigEndian.PutUint64(tr[:], rng.Uint64())
				binary.BigEndian.PutUint64(tr[8:], rng.Uint64())
				o := derive.Observation{
					From: from, To: to, Kind: graph.EdgeRPC, Operation: "op" + string(rune('0'+i%3)),
					Time: at.UnixNano(), ClientDuration: 1e6 + rng.Int64N(200e6), ServerDuration: 5e5 + rng.Int64N(100e6),
					QueueLag: -1, Paired: i%10 != 0, Error: rng.IntN(20) == 0, TraceID: tr,
				}
				if !o.Paired {
					o.ClientDuration = -1
				}
				obs = append(obs, o)
			}
		}
		a.Add("otlp", obs)
		a.AddDropped("otlp", "svca", int64(m%3))
	}
}

func testOptions() Options {
	o := DefaultOptions()
	o.LockTimeout = 100 * time.Millisecond
	return o
}

func open(t *testing.T, dir string, o Options) *Store {
	t.Helper()
	s, err := Open(dir, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func minuteKeys(t *testing.T, s *Store, bucket []byte) []time.Time {
	t.Helper()
	var ts []time.Time
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucket).ForEach(func(k, _ []byte) error {
			ts = append(ts, keyTime(k))
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return ts
}

// comparable drops the typical exemplar: a window picks it among the
// candidates of every bucket it merges (up to ExemplarCandidates per bucket),
// so a minute rollup, one bucket after restore, offers fewer candidates than
// six ten-second buckets did. Every other figure must be equal.
func comparable(s graph.Snapshot) graph.Snapshot {
	for i := range s.Edges {
		var ex []graph.Exemplar
		for _, x := range s.Edges[i].Exemplars {
			if x.Role != "typical" {
				ex = append(ex, x)
			}
		}
		s.Edges[i].Exemplars = ex
	}
	return s
}

func TestStore_Restore_reproducesSnapshots(t *testing.T) {
	dir := t.TempDir()
	src := agg.New(agg.DefaultConfig())
	traffic(src, 12, 5, 40)
	s := open(t, dir, testOptions())
	n, err := s.WriteMinutes(src, t0, t0.Add(5*time.Minute))
	if err != nil || n != 5 {
		t.Fatalf("WriteMinutes = %d, %v; want 5 minutes", n, err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = open(t, dir, testOptions())
	dst := agg.New(agg.DefaultConfig())
	if n, err := s.Restore(dst, t0.Add(-time.Hour), t0.Add(time.Hour)); err != nil || n != 5 {
		t.Fatalf("Restore = %d, %v; want 5 minutes", n, err)
	}
	windows := []struct{ from, to time.Duration }{
		{0, 5 * time.Minute}, {time.Minute, 3 * time.Minute}, {4 * time.Minute, 5 * time.Minute}, {0, time.Hour},
	}
	for _, w := range windows {
		for _, opt := range []agg.Options{{}, {Operations: true}} {
			want := comparable(src.Snapshot(t0.Add(w.from), t0.Add(w.to), opt))
			got := comparable(dst.Snapshot(t0.Add(w.from), t0.Add(w.to), opt))
			if len(want.Edges) == 0 {
				t.Fatalf("window %v..%v: source snapshot has no edges", w.from, w.to)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("window %v..%v ops=%v: restored snapshot differs\n got %+v\nwant %+v", w.from, w.to, opt.Operations, got.Edges[0], want.Edges[0])
			}
		}
	}
}

func TestStore_Restore_onlyRange(t *testing.T) {
	src := agg.New(agg.DefaultConfig())
	traffic(src, 2, 4, 5)
	s := open(t, t.TempDir(), testOptions())
	if _, err := s.WriteMinutes(src, t0, t0.Add(4*time.Minute)); err != nil {
		t.Fatal(err)
	}
	dst := agg.New(agg.DefaultConfig())
	if n, err := s.Restore(dst, t0.Add(time.Minute), t0.Add(3*time.Minute)); err != nil || n != 2 {
		t.Fatalf("Restore = %d, %v; want 2 minutes", n, err)
	}
	all := dst.Snapshot(t0, t0.Add(time.Hour), agg.Options{})
	want := src.Snapshot(t0.Add(time.Minute), t0.Add(3*time.Minute), agg.Options{})
	if all.Edges[0].Calls != want.Edges[0].Calls {
		t.Fatalf("restored calls = %d, want %d (minutes 1 and 2 only)", all.Edges[0].Calls, want.Edges[0].Calls)
	}
}

func TestStore_Restore_skipsBadMinute(t *testing.T) {
	src := agg.New(agg.DefaultConfig())
	traffic(src, 2, 3, 5)
	s := open(t, t.TempDir(), testOptions())
	if _, err := s.WriteMinutes(src, t0, t0.Add(3*time.Minute)); err != nil {
		t.Fatal(err)
	}
	err := s.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketMinutes).Put(key(t0.Add(time.Minute)), []byte("garbage"))
	})
	if err != nil {
		t.Fatal(err)
	}
	n, err := s.Restore(agg.New(agg.DefaultConfig()), t0, t0.Add(time.Hour))
	if n != 2 || err == nil || !strings.Contains(err.Error(), "minutes") {
		t.Fatalf("Restore = %d, %v; want 2 minutes and an error naming the bad one", n, err)
	}
}

func TestStore_Flush_rewritesRecentMinutes(t *testing.T) {
	a := agg.New(agg.DefaultConfig())
	s := open(t, t.TempDir(), testOptions())
	now := t0.Add(10*time.Minute + 30*time.Second)
	add := func(at time.Duration) {
		a.Add("otlp", []derive.Observation{{
			From: svc("a"), To: svc("b"), Kind: graph.EdgeRPC, Operation: "x", Time: t0.Add(at).UnixNano(),
			ClientDuration: 1e6, ServerDuration: 1e6, QueueLag: -1, Paired: true,
		}})
	}
	add(10*time.Minute + 5*time.Second)
	if n, err := s.Flush(a, now); err != nil || n != 1 {
		t.Fatalf("Flush = %d, %v; want 1 minute", n, err)
	}
	add(9*time.Minute + 50*time.Second)  // late, within the flushed minutes
	add(10*time.Minute + 20*time.Second) // open minute again
	add(2 * time.Minute)                 // too late: older than FlushMinutes
	if n, err := s.Flush(a, now); err != nil || n != 2 {
		t.Fatalf("second Flush = %d, %v; want 2 minutes", n, err)
	}
	got := minuteKeys(t, s, bucketMinutes)
	want := []time.Time{t0.Add(9 * time.Minute), t0.Add(10 * time.Minute)}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("stored minutes = %v, want %v", got, want)
	}
	dst := agg.New(agg.DefaultConfig())
	if _, err := s.Restore(dst, t0, now); err != nil {
		t.Fatal(err)
	}
	if c := dst.Snapshot(t0, t0.Add(time.Hour), agg.Options{}).Edges[0].Calls; c != 3 {
		t.Fatalf("restored calls = %d, want 3", c)
	}
}

func TestStore_DeleteBefore_removesOldMinutes(t *testing.T) {
	src := agg.New(agg.DefaultConfig())
	traffic(src, 2, 6, 3)
	o := testOptions()
	o.Retention = time.Hour
	o.HourlyAfter = 0
	s := open(t, t.TempDir(), o)
	if _, err := s.WriteMinutes(src, t0, t0.Add(6*time.Minute)); err != nil {
		t.Fatal(err)
	}
	// Retention of one hour as of t0+1h4m keeps minutes from t0+4m.
	if err := s.Maintain(src.Config(), t0.Add(time.Hour+4*time.Minute)); err != nil {
		t.Fatal(err)
	}
	got := minuteKeys(t, s, bucketMinutes)
	want := []time.Time{t0.Add(4 * time.Minute), t0.Add(5 * time.Minute)}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("minutes after retention = %v, want %v", got, want)
	}
	if n, err := s.DeleteBefore(t0.Add(time.Hour)); err != nil || n != 2 {
		t.Fatalf("DeleteBefore = %d, %v; want 2", n, err)
	}
}

func TestStore_MergeHours_totalsMatchMinutes(t *testing.T) {
	src := agg.New(agg.DefaultConfig())
	traffic(src, 5, 150, 4) // two complete hours and half of a third
	s := open(t, t.TempDir(), testOptions())
	if _, err := s.WriteMinutes(src, t0, t0.Add(150*time.Minute)); err != nil {
		t.Fatal(err)
	}
	// Sum the calls of the first hour's minutes per edge, from the store.
	sum := map[string]int64{}
	err := s.Minutes(t0, t0.Add(time.Hour), func(_ time.Time, r *agg.Rollups, err error) error {
		if err != nil {
			return err
		}
		for _, e := range r.Edges {
			sum[graph.EdgeID(e.From.ID, e.To.ID, e.Operation)] += e.Calls()
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	n, err := s.MergeHours(t0.Add(2*time.Hour+30*time.Minute), src.Config())
	if err != nil || n != 2 {
		t.Fatalf("MergeHours = %d, %v; want 2 hours", n, err)
	}
	if got := minuteKeys(t, s, bucketMinutes); len(got) != 30 || !got[0].Equal(t0.Add(2*time.Hour)) {
		t.Fatalf("minutes left = %d from %v, want the 30 of the open hour", len(got), got[0])
	}
	hourSum := map[string]int64{}
	err = s.Hours(t0, t0.Add(time.Hour), func(_ time.Time, r *agg.Rollups, err error) error {
		if err != nil {
			return err
		}
		if r.Width != time.Hour {
			t.Errorf("hour rollup width = %v", r.Width)
		}
		for _, e := range r.Edges {
			hourSum[graph.EdgeID(e.From.ID, e.To.ID, e.Operation)] += e.Calls()
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(sum) == 0 || !reflect.DeepEqual(hourSum, sum) {
		t.Fatalf("hour calls per edge = %v, want the sum of its minutes %v", hourSum, sum)
	}
	// The merged hours restore to the same snapshots as the source.
	dst := agg.New(agg.DefaultConfig())
	if n, err := s.Restore(dst, t0, t0.Add(3*time.Hour)); err != nil || n != 32 {
		t.Fatalf("Restore = %d, %v; want 2 hours and 30 minutes", n, err)
	}
	for _, w := range [][2]time.Duration{{0, time.Hour}, {time.Hour, 2 * time.Hour}, {0, 150 * time.Minute}} {
		want := comparable(src.Snapshot(t0.Add(w[0]), t0.Add(w[1]), agg.Options{Operations: true}))
		got := comparable(dst.Snapshot(t0.Add(w[0]), t0.Add(w[1]), agg.Options{Operations: true}))
		if !reflect.DeepEqual(got, want) {
			t.Errorf("window %v..%v differs after merging hours", w[0], w[1])
		}
	}
	// Merging again changes nothing.
	if n, err := s.MergeHours(t0.Add(2*time.Hour+30*time.Minute), src.Config()); err != nil || n != 0 {
		t.Fatalf("second MergeHours = %d, %v; want 0", n, err)
	}
}

func TestOpen_newerSchema_refused(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir, testOptions())
	err := s.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketMeta).Put(keySchema, binary.AppendUvarint(nil, SchemaVersion+1))
	})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	_, err = Open(dir, testOptions())
	want := "history: store " + filepath.Join(dir, FileName) + " has schema version 2, this spanmap reads up to 1: upgrade spanmap or move the data dir away"
	if err == nil || err.Error() != want {
		t.Fatalf("Open = %v, want %q", err, want)
	}
}

func TestOpen_secondOpen_refused(t *testing.T) {
	dir := t.TempDir()
	open(t, dir, testOptions())
	_, err := Open(dir, testOptions())
	want := "history: data dir " + dir + " is in use by another spanmap process"
	if err == nil || err.Error() != want {
		t.Fatalf("second Open = %v, want %q", err, want)
	}
}

func TestOpen_corruptFile_refused(t *testing.T) {
	dir := t.TempDir()
	junk := make([]byte, 64<<10)
	for i := range junk {
		junk[i] = byte(i * 7)
	}
	if err := os.WriteFile(filepath.Join(dir, FileName), junk, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Open(dir, testOptions())
	if err == nil || !strings.Contains(err.Error(), "is not a readable spanmap store") {
		t.Fatalf("Open = %v, want a not-readable store error", err)
	}
}

func TestOptions_Validate(t *testing.T) {
	for _, tc := range []struct {
		name string
		mod  func(*Options)
		ok   bool
	}{
		{"default", func(*Options) {}, true},
		{"keep everything", func(o *Options) { o.Retention, o.HourlyAfter = 0, 0 }, true},
		{"negative retention", func(o *Options) { o.Retention = -time.Hour }, false},
		{"short retention", func(o *Options) { o.Retention = time.Minute }, false},
		{"hourly too early", func(o *Options) { o.HourlyAfter = time.Hour }, false},
		{"no flush interval", func(o *Options) { o.FlushInterval = 0 }, false},
		{"no flush minutes", func(o *Options) { o.FlushMinutes = 0 }, false},
		{"no maintenance interval", func(o *Options) { o.MaintainInterval = 0 }, false},
		{"no lock timeout", func(o *Options) { o.LockTimeout = 0 }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := DefaultOptions()
			tc.mod(&o)
			if err := o.Validate(); (err == nil) != tc.ok {
				t.Fatalf("Validate = %v, want ok=%v", err, tc.ok)
			}
		})
	}
}

func TestStore_Run_flushesUntilCancelled(t *testing.T) {
	a := agg.New(agg.DefaultConfig())
	now := time.Now()
	a.Add("otlp", []derive.Observation{{
		From: svc("a"), To: svc("b"), Kind: graph.EdgeRPC, Operation: "x", Time: now.UnixNano(),
		ClientDuration: 1e6, ServerDuration: 1e6, QueueLag: -1, Paired: true,
	}})
	o := testOptions()
	o.FlushInterval = 20 * time.Millisecond
	s := open(t, t.TempDir(), o)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx, a, nil) }()
	deadline := time.Now().Add(5 * time.Second)
	for len(minuteKeys(t, s, bucketMinutes)) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("Run never flushed")
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run = %v", err)
	}
}
