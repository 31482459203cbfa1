package history

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spanmap/spanmap/graph/agg"
)

// Extent says which stored periods a read covered.
type Extent struct {
	// From is the start of the earliest period read and To the end of the
	// latest; both zero when nothing was stored in the range. A range
	// reaching into hour rollups covers whole hours, so From may be before
	// and To after the range asked for.
	From, To time.Time
	// Minutes and Hours count the periods read.
	Minutes, Hours int
}

// Empty reports whether nothing was read.
func (e Extent) Empty() bool { return e.Minutes == 0 && e.Hours == 0 }

// include widens e by one period.
func (e *Extent) include(start time.Time, width time.Duration) {
	end := start.Add(width)
	if e.Empty() || start.Before(e.From) {
		e.From = start
	}
	if e.Empty() || end.After(e.To) {
		e.To = end
	}
	if width == time.Hour {
		e.Hours++
	} else {
		e.Minutes++
	}
}

// ErrUnreadable wraps the error of a stored period that cannot be decoded
// or merged; the message names the period.
var ErrUnreadable = errors.New("history: stored period unreadable")

// ReadMerged reads every stored hour and minute overlapping [from, to) and
// merges them into one rollup per edge operation (and one drop count per
// service), all starting at anchor, so that importing the result into an
// aggregator puts the whole range into the bucket holding anchor. Merging
// keeps what merging buckets keeps: counts, latency sketches (exact
// merges), exemplar candidates, trust and sources. cfg is the aggregation
// config of the data (its sketch accuracy, exemplar candidates and
// operations per edge; the bucket width and retention are ignored).
//
// A period overlaps the range when it starts before to and ends after
// from, so a range that is not aligned to the stored periods reads the
// periods it touches whole; the Extent says which. A period that cannot be
// decoded or imported fails the read with an error wrapping ErrUnreadable
// that names it; the read also stops when ctx ends.
func (s *Store) ReadMerged(ctx context.Context, from, to, anchor time.Time, cfg agg.Config) (agg.Rollups, Extent, error) {
	cfg.BucketWidth, cfg.Retention, cfg.CompactAfter = time.Minute, 0, 0
	if err := cfg.Validate(); err != nil {
		return agg.Rollups{}, Extent{}, fmt.Errorf("history: read: %w", err)
	}
	var ext Extent
	if !to.After(from) {
		return agg.Rollups{Width: time.Minute}, ext, nil
	}
	scratch := agg.New(cfg)
	anchor = anchor.Truncate(time.Minute)
	merge := func(width time.Duration) func(time.Time, *agg.Rollups, error) error {
		return func(start time.Time, r *agg.Rollups, err error) error {
			if cerr := ctx.Err(); cerr != nil {
				return cerr
			}
			if err != nil {
				return fmt.Errorf("%w: %w", ErrUnreadable, err)
			}
			for i := range r.Edges {
				r.Edges[i].Start = anchor
			}
			for i := range r.Drops {
				r.Drops[i].Start = anchor
			}
			if err := scratch.Import(*r); err != nil {
				return fmt.Errorf("%w: %s %v: %w", ErrUnreadable, periodName(width), start.UTC(), err)
			}
			ext.include(start, width)
			return nil
		}
	}
	if err := s.Hours(from.Truncate(time.Hour), to, merge(time.Hour)); err != nil {
		return agg.Rollups{}, Extent{}, s.readErr(err)
	}
	if err := s.Minutes(from.Truncate(time.Minute), to, merge(time.Minute)); err != nil {
		return agg.Rollups{}, Extent{}, s.readErr(err)
	}
	out, err := scratch.Export(anchor, anchor.Add(time.Minute), time.Minute)
	if err != nil {
		return agg.Rollups{}, Extent{}, fmt.Errorf("history: read: %w", err)
	}
	return out, ext, nil
}

// readErr wraps a read failure with the store's path, leaving context
// errors recognisable.
func (s *Store) readErr(err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return fmt.Errorf("history: read %s: %w", s.path, err)
}

func periodName(width time.Duration) string {
	if width == time.Hour {
		return "hour"
	}
	return "minute"
}
