package history

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/spanmap/spanmap/graph"
)

// bucketEvents holds the topology-change events: key the event time in Unix
// milliseconds (8 bytes big-endian) and a sequence number (8 bytes
// big-endian), so keys sort by time and events of one millisecond keep
// their order; value the graph.Event as JSON.
var bucketEvents = []byte("events")

// eventKeyLen is the length of an event key.
const eventKeyLen = 16

// MaxEventsList bounds the limit of ListEvents.
const MaxEventsList = 10_000

// ErrEventLimit reports a ListEvents limit out of range.
var ErrEventLimit = errors.New("history: event limit must be from 1 to 10000")

// eventKey encodes an event's time and sequence number.
func eventKey(ms int64, seq uint64) []byte {
	k := binary.BigEndian.AppendUint64(make([]byte, 0, eventKeyLen), uint64(max(ms, 0)))
	return binary.BigEndian.AppendUint64(k, seq)
}

// eventMsKey is the smallest key of the events at ms or later.
func eventMsKey(t time.Time) []byte {
	return eventKey(t.UnixMilli(), 0)
}

// AppendEvents stores evs in one transaction. Events before the epoch are
// stored at the epoch.
func (s *Store) AppendEvents(evs []graph.Event) error {
	if len(evs) == 0 {
		return nil
	}
	err := s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketEvents)
		for i := range evs {
			v, err := json.Marshal(&evs[i])
			if err != nil {
				return err
			}
			seq, err := b.NextSequence()
			if err != nil {
				return err
			}
			if err := b.Put(eventKey(evs[i].Time, seq), v); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("history: append events to %s: %w", s.path, err)
	}
	s.stats.eventsWritten.Add(int64(len(evs)))
	return nil
}

// ListEvents returns up to limit events with a time in [from, to) for which
// keep returns true (nil keeps every event), newest first, and whether
// more matching events were left out. Events that cannot be decoded are
// skipped.
func (s *Store) ListEvents(from, to time.Time, limit int, keep func(*graph.Event) bool) ([]graph.Event, bool, error) {
	if limit < 1 || limit > MaxEventsList {
		return nil, false, ErrEventLimit
	}
	var (
		out       []graph.Event
		truncated bool
	)
	err := s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketEvents).Cursor()
		lo, hi := string(eventMsKey(from)), eventMsKey(to)
		k, v := c.Seek(hi)
		if k == nil {
			k, v = c.Last()
		} else {
			k, v = c.Prev()
		}
		for ; k != nil && string(k) >= lo; k, v = c.Prev() {
			if len(k) != eventKeyLen {
				continue
			}
			var e graph.Event
			if err := json.Unmarshal(v, &e); err != nil {
				s.log.Warn("history: undecodable event skipped", "err", err)
				continue
			}
			if keep != nil && !keep(&e) {
				continue
			}
			if len(out) == limit {
				truncated = true
				return nil
			}
			out = append(out, e)
		}
		return nil
	})
	if err != nil {
		return nil, false, fmt.Errorf("history: read events from %s: %w", s.path, err)
	}
	return out, truncated, nil
}

// deleteEventsBefore deletes the events before t in tx and returns how many
// it deleted.
func deleteEventsBefore(tx *bolt.Tx, t time.Time) (int, error) {
	n := 0
	if t.Before(time.Unix(0, 0)) {
		return 0, nil
	}
	end := string(eventMsKey(t))
	c := tx.Bucket(bucketEvents).Cursor()
	for k, _ := c.First(); k != nil && string(k) < end; k, _ = c.First() {
		if err := c.Delete(); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}
