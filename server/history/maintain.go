package history

import (
	"context"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/spanmap/spanmap/graph/agg"
)

// DeleteBefore deletes the minutes and hours starting before t and the
// events before t, and returns how many keys it deleted.
func (s *Store) DeleteBefore(t time.Time) (int, error) {
	n := 0
	err := s.db.Update(func(tx *bolt.Tx) error {
		end := clampKey(t)
		for _, name := range [][]byte{bucketMinutes, bucketHours} {
			c := tx.Bucket(name).Cursor()
			for k, _ := c.First(); k != nil && string(k) < string(end); k, _ = c.Next() {
				if err := c.Delete(); err != nil {
					return err
				}
				n++
			}
		}
		k, err := deleteEventsBefore(tx, t)
		n += k
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("history: delete from %s: %w", s.path, err)
	}
	return n, nil
}

// MergeHours merges the minutes of every complete hour ending at or before t
// into one hour rollup (added to the hour's existing one, if any) and
// deletes those minutes. cfg is the aggregation config of the data (its
// sketch accuracy, exemplar candidates and operations per edge); the
// merge runs on a scratch aggregator of one-minute buckets. Minutes that
// cannot be decoded are left in place. It returns the number of hours
// written.
func (s *Store) MergeHours(t time.Time, cfg agg.Config) (int, error) {
	cfg.BucketWidth, cfg.Retention, cfg.CompactAfter = time.Minute, 0, 0
	if err := cfg.Validate(); err != nil {
		return 0, fmt.Errorf("history: merge hours: %w", err)
	}
	limit := clampKey(t.Truncate(time.Hour))
	hours := 0
	err := s.db.Update(func(tx *bolt.Tx) error {
		minutes, hb := tx.Bucket(bucketMinutes), tx.Bucket(bucketHours)
		var (
			cur     time.Time
			scratch *agg.Aggregator
			done    [][]byte
		)
		finish := func() error {
			if scratch == nil || len(done) == 0 {
				return nil
			}
			if v := hb.Get(key(cur)); v != nil {
				var prev agg.Rollups
				if err := prev.UnmarshalBinary(v); err != nil {
					return fmt.Errorf("hour %v: %w", cur, err)
				}
				if err := scratch.Import(prev); err != nil {
					return fmt.Errorf("hour %v: %w", cur, err)
				}
			}
			r, err := scratch.Export(cur, cur.Add(time.Hour), time.Hour)
			if err != nil {
				return err
			}
			v, err := r.MarshalBinary()
			if err != nil {
				return err
			}
			if err := hb.Put(key(cur), v); err != nil {
				return err
			}
			for _, k := range done {
				if err := minutes.Delete(k); err != nil {
					return err
				}
			}
			hours++
			return nil
		}
		c := minutes.Cursor()
		for k, v := c.First(); k != nil && string(k) < string(limit); k, v = c.Next() {
			if len(k) != 8 {
				continue
			}
			start := keyTime(k)
			if h := start.Truncate(time.Hour); scratch == nil || !h.Equal(cur) {
				if err := finish(); err != nil {
					return err
				}
				cur, scratch, done = h, agg.New(cfg), nil
			}
			var r agg.Rollups
			if err := r.UnmarshalBinary(v); err != nil {
				s.log.Warn("history: undecodable minute left unmerged", "minute", start, "err", err)
				continue
			}
			if err := scratch.Import(r); err != nil {
				s.log.Warn("history: minute left unmerged", "minute", start, "err", err)
				continue
			}
			done = append(done, append([]byte(nil), k...))
		}
		return finish()
	})
	if err != nil {
		return 0, fmt.Errorf("history: merge hours in %s: %w", s.path, err)
	}
	return hours, nil
}

// Maintain applies retention and hourly merging as of now.
func (s *Store) Maintain(cfg agg.Config, now time.Time) error {
	if s.opt.Retention > 0 {
		if _, err := s.DeleteBefore(now.Add(-s.opt.Retention)); err != nil {
			return err
		}
	}
	if s.opt.HourlyAfter > 0 {
		if _, err := s.MergeHours(now.Add(-s.opt.HourlyAfter), cfg); err != nil {
			return err
		}
	}
	return nil
}

// Run flushes a every FlushInterval and maintains the store every
// MaintainInterval (and once at start) until ctx is done. Failures are
// logged and retried on the next tick, so a full disk never stops the live
// map. It does not flush on return: the caller flushes once more after the
// last calls reached a.
func (s *Store) Run(ctx context.Context, a *agg.Aggregator, now func() time.Time) error {
	if now == nil {
		now = time.Now
	}
	flush := time.NewTicker(s.opt.FlushInterval)
	defer flush.Stop()
	maint := time.NewTicker(s.opt.MaintainInterval)
	defer maint.Stop()
	s.maintain(a, now())
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-flush.C:
			if _, err := s.Flush(a, now()); err != nil {
				s.log.Warn("history flush failed", "err", err)
			}
		case <-maint.C:
			s.maintain(a, now())
		}
	}
}

func (s *Store) maintain(a *agg.Aggregator, now time.Time) {
	if err := s.Maintain(a.Config(), now); err != nil {
		s.log.Warn("history maintenance failed", "err", err)
	}
}
