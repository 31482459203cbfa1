package history

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/spanmap/spanmap/graph"
	"github.com/spanmap/spanmap/graph/agg"
)

// minuteConfig is the config of an aggregator of one-minute buckets that
// keeps everything, as readers of merged rollups use.
func minuteConfig() agg.Config {
	cfg := agg.DefaultConfig()
	cfg.BucketWidth, cfg.Retention, cfg.CompactAfter = time.Minute, 0, 0
	return cfg
}

// snapshotOf imports r into a fresh minute aggregator and snapshots
// [from, to).
func snapshotOf(t *testing.T, r agg.Rollups, from, to time.Time) graph.Snapshot {
	t.Helper()
	a := agg.New(minuteConfig())
	if err := a.Import(r); err != nil {
		t.Fatal(err)
	}
	return a.Snapshot(from, to, agg.Options{Operations: true})
}

func TestStore_ReadMerged_minutesAndHours(t *testing.T) {
	src := agg.New(agg.DefaultConfig())
	traffic(src, 6, 180, 10) // three hours from t0
	s := open(t, t.TempDir(), testOptions())
	if _, err := s.WriteMinutes(src, t0, t0.Add(3*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if n, err := s.MergeHours(t0.Add(2*time.Hour), src.Config()); err != nil || n != 2 {
		t.Fatalf("MergeHours = %d, %v; want 2 hours", n, err)
	}
	tests := []struct {
		name             string
		from, to         time.Duration
		extFrom, extTo   time.Duration
		minutes, hours   int
		anchorIsRangeEnd bool
	}{
		{"minutes only", 150 * time.Minute, 170 * time.Minute, 150 * time.Minute, 170 * time.Minute, 20, 0, false},
		{"unaligned minutes", 150*time.Minute + 30*time.Second, 170*time.Minute + time.Second, 150 * time.Minute, 171 * time.Minute, 21, 0, false},
		{"hours widen to whole hours", 30 * time.Minute, 90 * time.Minute, 0, 2 * time.Hour, 0, 2, false},
		{"hours and minutes", 70 * time.Minute, 135 * time.Minute, time.Hour, 135 * time.Minute, 15, 1, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			from, to := t0.Add(tt.from), t0.Add(tt.to)
			anchor := from
			if tt.anchorIsRangeEnd {
				anchor = to.Add(-time.Minute)
			}
			r, ext, err := s.ReadMerged(context.Background(), from, to, anchor, src.Config())
			if err != nil {
				t.Fatal(err)
			}
			if ext.Minutes != tt.minutes || ext.Hours != tt.hours || !ext.From.Equal(t0.Add(tt.extFrom)) || !ext.To.Equal(t0.Add(tt.extTo)) {
				t.Fatalf("extent = %+v, want %d minutes, %d hours, %v..%v", ext, tt.minutes, tt.hours, tt.extFrom, tt.extTo)
			}
			for _, e := range r.Edges {
				if !e.Start.Equal(anchor.Truncate(time.Minute)) {
					t.Fatalf("rollup starts at %v, want the anchor %v", e.Start, anchor)
				}
			}
			// One bucket holds the whole extent, with the figures of the
			// original data over it.
			want := comparable(src.Snapshot(ext.From, ext.To, agg.Options{Operations: true}))
			got := comparable(snapshotOf(t, r, ext.From, ext.To))
			if len(want.Edges) == 0 {
				t.Fatal("source snapshot is empty")
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("merged snapshot differs\n got %+v\nwant %+v", got.Edges[0], want.Edges[0])
			}
		})
	}
}

func TestStore_ReadMerged_emptyAndOutside(t *testing.T) {
	src := agg.New(agg.DefaultConfig())
	traffic(src, 2, 5, 5)
	s := open(t, t.TempDir(), testOptions())
	if _, err := s.WriteMinutes(src, t0, t0.Add(5*time.Minute)); err != nil {
		t.Fatal(err)
	}
	for _, r := range [][2]time.Time{{t0.Add(time.Hour), t0.Add(2 * time.Hour)}, {t0, t0}, {t0.Add(time.Minute), t0}} {
		got, ext, err := s.ReadMerged(context.Background(), r[0], r[1], r[0], src.Config())
		if err != nil || !ext.Empty() || len(got.Edges) != 0 || len(got.Drops) != 0 {
			t.Errorf("ReadMerged(%v, %v) = %d edges, %+v, %v; want nothing", r[0], r[1], len(got.Edges), ext, err)
		}
	}
}

func TestStore_ReadMerged_errors(t *testing.T) {
	src := agg.New(agg.DefaultConfig())
	traffic(src, 2, 3, 5)
	s := open(t, t.TempDir(), testOptions())
	if _, err := s.WriteMinutes(src, t0, t0.Add(3*time.Minute)); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := s.ReadMerged(ctx, t0, t0.Add(time.Hour), t0, src.Config()); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled read = %v, want context.Canceled", err)
	}

	other := src.Config()
	other.RelativeAccuracy = 0.02
	_, _, err := s.ReadMerged(context.Background(), t0, t0.Add(time.Hour), t0, other)
	if !errors.Is(err, ErrUnreadable) || !errors.Is(err, agg.ErrAccuracyMismatch) || !strings.Contains(err.Error(), "minute") {
		t.Errorf("read with another accuracy = %v, want an unreadable minute (accuracy mismatch)", err)
	}

	if err := s.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketMinutes).Put(key(t0.Add(time.Minute)), []byte("garbage"))
	}); err != nil {
		t.Fatal(err)
	}
	_, _, err = s.ReadMerged(context.Background(), t0, t0.Add(time.Hour), t0, src.Config())
	if !errors.Is(err, ErrUnreadable) || !strings.Contains(err.Error(), s.Path()) || !strings.Contains(err.Error(), "minutes") {
		t.Errorf("read over a garbage minute = %v, want ErrUnreadable naming the store and the minute", err)
	}
	// Ranges that do not touch the bad minute still read.
	if _, ext, err := s.ReadMerged(context.Background(), t0.Add(2*time.Minute), t0.Add(time.Hour), t0, src.Config()); err != nil || ext.Minutes != 1 {
		t.Errorf("read past the bad minute = %+v, %v", ext, err)
	}
}
