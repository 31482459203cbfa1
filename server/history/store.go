package history

import (
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"github.com/spanmap/spanmap/graph/agg"
)

// SchemaVersion is the newest store layout this spanmap reads and the one it
// writes.
const SchemaVersion = 1

// FileName is the store's file inside the data directory.
const FileName = "spanmap.db"

var (
	bucketMeta    = []byte("meta")
	bucketMinutes = []byte("minutes")
	bucketHours   = []byte("hours")
	keySchema     = []byte("schema")
)

// Options configure a Store.
type Options struct {
	// Retention is how long minutes and hours are kept, behind the time
	// passed to Maintain. Zero keeps everything. Default 7 days.
	Retention time.Duration
	// HourlyAfter is the age from which the minutes of a complete hour are
	// merged into one hour rollup; zero never merges. It must be at least
	// two hours, so that no flush rewrites a merged minute. Default 24h.
	HourlyAfter time.Duration
	// FlushInterval is how often Run writes the recent minutes. Default 10s.
	FlushInterval time.Duration
	// FlushMinutes is how many minutes, the open one included, each flush
	// rewrites. Default 3.
	FlushMinutes int
	// MaintainInterval is how often Run applies retention and hourly
	// merging. Default 1h.
	MaintainInterval time.Duration
	// LockTimeout is how long Open waits for another process to release
	// the store. Default 1s.
	LockTimeout time.Duration
	// Log receives flush and maintenance failures; nil discards them.
	Log *slog.Logger
}

// DefaultOptions returns the default options.
func DefaultOptions() Options {
	return Options{
		Retention:        7 * 24 * time.Hour,
		HourlyAfter:      24 * time.Hour,
		FlushInterval:    10 * time.Second,
		FlushMinutes:     3,
		MaintainInterval: time.Hour,
		LockTimeout:      time.Second,
	}
}

// Validate reports the first invalid option.
func (o Options) Validate() error {
	switch {
	case o.Retention < 0:
		return fmt.Errorf("history: retention %v must not be negative", o.Retention)
	case o.Retention > 0 && o.Retention < time.Hour:
		return fmt.Errorf("history: retention %v is shorter than an hour", o.Retention)
	case o.HourlyAfter != 0 && o.HourlyAfter < 2*time.Hour:
		return fmt.Errorf("history: hourly merge age %v must be 0 (off) or at least 2h", o.HourlyAfter)
	case o.FlushInterval <= 0:
		return fmt.Errorf("history: flush interval %v must be positive", o.FlushInterval)
	case o.FlushMinutes < 1 || o.FlushMinutes > 60:
		return fmt.Errorf("history: flush minutes %d must be in [1, 60]", o.FlushMinutes)
	case o.MaintainInterval <= 0:
		return fmt.Errorf("history: maintenance interval %v must be positive", o.MaintainInterval)
	case o.LockTimeout <= 0:
		return fmt.Errorf("history: lock timeout %v must be positive", o.LockTimeout)
	}
	return nil
}

// Store is the on-disk history of one data directory. Its methods are safe
// for concurrent use.
type Store struct {
	db    *bolt.DB
	dir   string
	path  string
	opt   Options
	log   *slog.Logger
	stats storeStats
}

// storeStats are the store's counters, updated atomically.
type storeStats struct {
	flushes, flushErrors, flushNanos, lastFlushNanos atomic.Int64
	minutesWritten, eventsWritten                    atomic.Int64
}

// Stats are a Store's counters since Open, for monitoring.
type Stats struct {
	// Flushes counts flushes, failed ones included.
	Flushes int64
	// FlushErrors counts failed flushes.
	FlushErrors int64
	// FlushSeconds is the time spent in flushes.
	FlushSeconds float64
	// LastFlushSeconds is the duration of the latest flush.
	LastFlushSeconds float64
	// MinutesWritten counts minute rollups written (a minute rewritten by
	// several flushes counts each time).
	MinutesWritten int64
	// EventsWritten counts events appended.
	EventsWritten int64
	// FileBytes is the size of the store's file, 0 when it cannot be read.
	FileBytes int64
}

// Stats returns the store's counters and file size.
func (s *Store) Stats() Stats {
	st := Stats{
		Flushes:          s.stats.flushes.Load(),
		FlushErrors:      s.stats.flushErrors.Load(),
		FlushSeconds:     time.Duration(s.stats.flushNanos.Load()).Seconds(),
		LastFlushSeconds: time.Duration(s.stats.lastFlushNanos.Load()).Seconds(),
		MinutesWritten:   s.stats.minutesWritten.Load(),
		EventsWritten:    s.stats.eventsWritten.Load(),
	}
	if fi, err := os.Stat(s.path); err == nil {
		st.FileBytes = fi.Size()
	}
	return st
}

// Options returns the options the store was opened with.
func (s *Store) Options() Options { return s.opt }

// Open opens or creates the store in dir, creating dir if needed.
func Open(dir string, opt Options) (*Store, error) {
	if err := opt.Validate(); err != nil {
		return nil, err
	}
	if dir == "" {
		return nil, errors.New("history: empty data dir")
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("history: data dir: %w", err)
	}
	path := filepath.Join(dir, FileName)
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: opt.LockTimeout})
	switch {
	case errors.Is(err, berrors.ErrTimeout):
		return nil, fmt.Errorf("history: data dir %s is in use by another spanmap process", dir)
	case errors.Is(err, berrors.ErrInvalid), errors.Is(err, berrors.ErrChecksum), errors.Is(err, berrors.ErrVersionMismatch):
		return nil, fmt.Errorf("history: %s is not a readable spanmap store (%v): move it away or restore a backup", path, err)
	case err != nil:
		return nil, fmt.Errorf("history: open %s: %w", path, err)
	}
	s := &Store{db: db, dir: dir, path: path, opt: opt, log: opt.Log}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if err := s.init(); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// init checks or writes the schema version and creates the buckets.
func (s *Store) init() error {
	return s.db.Update(func(tx *bolt.Tx) error {
		meta, err := tx.CreateBucketIfNotExists(bucketMeta)
		if err != nil {
			return fmt.Errorf("history: %s: %w", s.path, err)
		}
		if v := meta.Get(keySchema); v != nil {
			n, k := binary.Uvarint(v)
			if k <= 0 {
				return fmt.Errorf("history: %s is not a readable spanmap store (bad schema version): move it away or restore a backup", s.path)
			}
			if n > SchemaVersion {
				return fmt.Errorf("history: store %s has schema version %d, this spanmap reads up to %d: upgrade spanmap or move the data dir away", s.path, n, SchemaVersion)
			}
		} else if err := meta.Put(keySchema, binary.AppendUvarint(nil, SchemaVersion)); err != nil {
			return fmt.Errorf("history: %s: %w", s.path, err)
		}
		for _, b := range [][]byte{bucketMinutes, bucketHours, bucketEvents} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return fmt.Errorf("history: %s: %w", s.path, err)
			}
		}
		return nil
	})
}

// Path returns the store's file.
func (s *Store) Path() string { return s.path }

// Close closes the store and releases its lock.
func (s *Store) Close() error { return s.db.Close() }

// key encodes a period start.
func key(t time.Time) []byte {
	return binary.BigEndian.AppendUint64(nil, uint64(t.Unix()))
}

// keyTime decodes a period start.
func keyTime(k []byte) time.Time {
	return time.Unix(int64(binary.BigEndian.Uint64(k)), 0)
}

// clampKey returns the key of t, zero for times before the epoch.
func clampKey(t time.Time) []byte {
	if t.Before(time.Unix(0, 0)) {
		return key(time.Unix(0, 0))
	}
	return key(t)
}

// WriteMinutes exports every minute overlapping [from, to) from a and
// stores it, replacing what the store held for that minute, in one
// transaction. Minutes without data are left as they are. It returns the
// number of minutes written.
func (s *Store) WriteMinutes(a *agg.Aggregator, from, to time.Time) (int, error) {
	type rec struct{ k, v []byte }
	var recs []rec
	for m := from.Truncate(time.Minute); m.Before(to); m = m.Add(time.Minute) {
		if m.Before(time.Unix(0, 0)) {
			continue
		}
		r, err := a.Export(m, m.Add(time.Minute), time.Minute)
		if err != nil {
			return 0, fmt.Errorf("history: export %v: %w", m, err)
		}
		if len(r.Edges) == 0 && len(r.Drops) == 0 {
			continue
		}
		v, err := r.MarshalBinary()
		if err != nil {
			return 0, fmt.Errorf("history: encode %v: %w", m, err)
		}
		recs = append(recs, rec{key(m), v})
	}
	if len(recs) == 0 {
		return 0, nil
	}
	err := s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketMinutes)
		for _, r := range recs {
			if err := b.Put(r.k, r.v); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("history: write %s: %w", s.path, err)
	}
	s.stats.minutesWritten.Add(int64(len(recs)))
	return len(recs), nil
}

// Flush writes the FlushMinutes minutes ending with the one holding now,
// and counts the flush in Stats.
func (s *Store) Flush(a *agg.Aggregator, now time.Time) (int, error) {
	start := time.Now()
	cur := now.Truncate(time.Minute)
	n, err := s.WriteMinutes(a, cur.Add(-time.Duration(s.opt.FlushMinutes-1)*time.Minute), cur.Add(time.Minute))
	d := time.Since(start)
	s.stats.flushes.Add(1)
	s.stats.flushNanos.Add(int64(d))
	s.stats.lastFlushNanos.Store(int64(d))
	if err != nil {
		s.stats.flushErrors.Add(1)
	}
	return n, err
}

// Minutes calls fn for every stored minute starting in [from, to), in time
// order. A minute that cannot be decoded is passed with a nil rollup and
// its error; fn's own error stops the scan and is returned.
func (s *Store) Minutes(from, to time.Time, fn func(start time.Time, r *agg.Rollups, err error) error) error {
	return s.scan(bucketMinutes, from, to, fn)
}

// Hours calls fn for every merged hour starting in [from, to), like
// Minutes.
func (s *Store) Hours(from, to time.Time, fn func(start time.Time, r *agg.Rollups, err error) error) error {
	return s.scan(bucketHours, from, to, fn)
}

func (s *Store) scan(bucket []byte, from, to time.Time, fn func(time.Time, *agg.Rollups, error) error) error {
	return s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucket).Cursor()
		end := clampKey(to)
		for k, v := c.Seek(clampKey(from)); k != nil && string(k) < string(end); k, v = c.Next() {
			if len(k) != 8 {
				continue
			}
			var r agg.Rollups
			if err := r.UnmarshalBinary(v); err != nil {
				if err := fn(keyTime(k), nil, fmt.Errorf("history: %s %v: %w", bucket, keyTime(k), err)); err != nil {
					return err
				}
				continue
			}
			if err := fn(keyTime(k), &r, nil); err != nil {
				return err
			}
		}
		return nil
	})
}

// Restore imports the stored hours and minutes starting in [from, to) into
// a. A period that cannot be decoded or imported is skipped; the returned
// error then names the skipped periods (joined), and the count is of the
// periods imported.
func (s *Store) Restore(a *agg.Aggregator, from, to time.Time) (int, error) {
	n := 0
	var bad []error
	imp := func(start time.Time, r *agg.Rollups, err error) error {
		if err == nil {
			if err = a.Import(*r); err != nil {
				err = fmt.Errorf("history: import %v: %w", start, err)
			}
		}
		if err != nil {
			bad = append(bad, err)
			return nil
		}
		n++
		return nil
	}
	if err := s.Hours(from, to, imp); err != nil {
		return n, fmt.Errorf("history: read %s: %w", s.path, err)
	}
	if err := s.Minutes(from, to, imp); err != nil {
		return n, fmt.Errorf("history: read %s: %w", s.path, err)
	}
	return n, errors.Join(bad...)
}
