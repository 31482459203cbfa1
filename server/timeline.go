package server

import (
	"container/list"
	"context"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/spanmap/spanmap/graph"
	"github.com/spanmap/spanmap/graph/agg"
	"github.com/spanmap/spanmap/server/history"
	"github.com/spanmap/spanmap/server/hub"
)

// Timeline cache bounds.
const (
	// timelineCacheEntries bounds the stored ranges kept merged.
	timelineCacheEntries = 32
	// timelineCacheRollups bounds the edge-operation rollups they hold
	// together (a few hundred bytes each).
	timelineCacheRollups = 400_000
	// timelineBlockEntries and timelineBlockRollups bound the whole days
	// and hours kept: a week of a 1,000-edge map in day blocks takes 7,000
	// rollups.
	timelineBlockEntries = 512
	timelineBlockRollups = 400_000
)

// memoryExportWidth is the rollup width memory's part of a range is
// exported at: a day, a multiple of any bucket width that divides a minute.
const memoryExportWidth = 24 * time.Hour

// historyReader reads merged ranges of the on-disk history;
// *history.Store satisfies it.
type historyReader interface {
	ReadMerged(ctx context.Context, from, to, anchor time.Time, cfg agg.Config) (agg.Rollups, history.Extent, error)
}

var (
	_ hub.ContextGraph = (*timeline)(nil)
	_ historyReader    = (*history.Store)(nil)
)

// timeline is the Graph the hub reads: time ranges within the aggregator's
// retention come from memory as they are; ranges reaching further back
// are answered from the on-disk history for the part older than memory
// and from memory for the rest, merged in a scratch aggregator.
//
// Memory holds every bucket that ended less than Retention ago, so the
// boundary is now - Retention rounded up to the minute: the stored minutes
// and hours before it are read from the store, and the aggregator's
// buckets from it on are exported and merged, so a minute is never
// counted twice and the minutes memory holds (late calls included) come
// from memory. The stored part has the store's resolution: a range that
// starts inside a stored minute, or inside an hour already merged into an
// hour rollup, counts that period whole, and its rates are per second over
// the range widened to the periods it counts.
//
// The stored part of a range never changes once it is older than memory
// (flushes only rewrite the last minutes, which memory holds), so each
// stored part is read once and kept, merged into one rollup per edge
// operation, in a small LRU cache. It is assembled from whole UTC days and
// hours, each read once and cached too, and the minutes at its ends, so a
// live View of a long window, whose start and memory boundary move on every
// minute, reads only those minutes from the store again.
type timeline struct {
	mem   *agg.Aggregator
	store historyReader // nil: memory only
	now   func() time.Time
	// scratch configures the scratch aggregators: the memory aggregator's
	// figures and thresholds, one-minute buckets, nothing pruned.
	scratch agg.Config
	// cache holds the stored parts of recent ranges, blocks the whole days
	// and hours they were assembled from.
	cache, blocks *partCache
}

func newTimeline(mem *agg.Aggregator, now func() time.Time) *timeline {
	cfg := mem.Config()
	cfg.BucketWidth, cfg.Retention, cfg.CompactAfter = time.Minute, 0, 0
	return &timeline{
		mem: mem, now: now, scratch: cfg,
		cache:  newPartCache(timelineCacheEntries, timelineCacheRollups),
		blocks: newPartCache(timelineBlockEntries, timelineBlockRollups),
	}
}

// useStore makes the timeline read history older than memory from st.
// Call it before the hub runs.
func (t *timeline) useStore(st historyReader) { t.store = st }

// Snapshot implements hub.Graph; a range the history cannot be read for
// gives an empty snapshot (the hub calls SnapshotContext, which reports
// the error).
func (t *timeline) Snapshot(from, to time.Time, opt agg.Options) graph.Snapshot {
	s, err := t.SnapshotContext(context.Background(), from, to, opt)
	if err != nil {
		return graph.Snapshot{Nodes: []graph.Node{}, Edges: []graph.Edge{}}
	}
	return s
}

// memoryStart returns the earliest time memory holds completely, zero when
// memory keeps everything.
func (t *timeline) memoryStart(now time.Time) time.Time {
	ret := t.mem.Config().Retention
	if ret <= 0 {
		return time.Time{}
	}
	return ceilMinute(now.Add(-ret))
}

// SnapshotContext implements hub.ContextGraph. A failed history read is
// returned as a *historyError.
func (t *timeline) SnapshotContext(ctx context.Context, from, to time.Time, opt agg.Options) (graph.Snapshot, error) {
	boundary := t.memoryStart(t.now())
	if t.store == nil || boundary.IsZero() || !from.Before(boundary) || !to.After(from) {
		return t.mem.Snapshot(from, to, opt), nil
	}
	storeTo := to
	if storeTo.After(boundary) {
		storeTo = boundary
	}
	p, err := t.cache.get(ctx, partKey{from.Truncate(time.Minute).UnixNano(), ceilMinute(storeTo).UnixNano()}, t.readPart)
	if err != nil {
		if ctx.Err() != nil {
			return graph.Snapshot{}, ctx.Err()
		}
		return graph.Snapshot{}, &historyError{from: from, to: storeTo, err: err}
	}
	effFrom, effTo := from, to
	if !p.ext.Empty() && p.ext.From.Before(effFrom) {
		effFrom = p.ext.From
	}
	if !to.After(boundary) {
		if p.ext.To.After(effTo) {
			effTo = p.ext.To
		}
		return p.agg.Snapshot(effFrom, effTo, opt), nil
	}
	// Memory's part is exported in rollups as wide as a day, so each edge
	// operation gives one or two instead of one per minute; moved to the
	// boundary, they land in one scratch bucket inside the range.
	recent, err := t.mem.Export(boundary, to, memoryExportWidth)
	if err != nil {
		return graph.Snapshot{}, fmt.Errorf("timeline: export memory: %w", err)
	}
	for i := range recent.Edges {
		recent.Edges[i].Start = boundary
	}
	for i := range recent.Drops {
		recent.Drops[i].Start = boundary
	}
	a := agg.New(t.scratch)
	if err := a.Import(p.rollups); err != nil {
		return graph.Snapshot{}, &historyError{from: from, to: storeTo, err: err}
	}
	if err := a.Import(recent); err != nil {
		return graph.Snapshot{}, fmt.Errorf("timeline: merge memory: %w", err)
	}
	return a.Snapshot(effFrom, effTo, opt), nil
}

// readPart reads the stored range of k, merged at its start. Whole UTC
// days and hours inside it are read as blocks of their own and cached, so
// a range that moves on (a live View of a long window, once a minute)
// reads only the minutes at its ends again.
func (t *timeline) readPart(ctx context.Context, k partKey) (*part, error) {
	from, to := time.Unix(0, k.from), time.Unix(0, k.to)
	scratch := agg.New(t.scratch)
	var ext history.Extent
	for _, b := range splitBlocks(from, to) {
		var (
			r   agg.Rollups
			e   history.Extent
			err error
		)
		if b.whole {
			var p *part
			if p, err = t.blocks.get(ctx, partKey{b.from.UnixNano(), b.to.UnixNano()}, t.readBlock); err == nil {
				r, e = p.rollups, p.ext
			}
		} else {
			r, e, err = t.store.ReadMerged(ctx, b.from, b.to, b.from, t.scratch)
		}
		if err != nil {
			return nil, err
		}
		if err := scratch.Import(r); err != nil {
			return nil, err
		}
		ext = unionExtent(ext, e)
	}
	lo, hi := from, to
	if !ext.Empty() {
		lo, hi = minTime(lo, ext.From), maxTime(hi, ext.To)
	}
	r, err := scratch.Export(lo, hi, memoryExportWidth)
	if err != nil {
		return nil, err
	}
	for i := range r.Edges {
		r.Edges[i].Start = from
	}
	for i := range r.Drops {
		r.Drops[i].Start = from
	}
	a := agg.New(t.scratch)
	if err := a.Import(r); err != nil {
		return nil, err
	}
	return &part{rollups: r, agg: a, ext: ext}, nil
}

// readBlock reads one whole day or hour of history, merged at its start.
func (t *timeline) readBlock(ctx context.Context, k partKey) (*part, error) {
	from := time.Unix(0, k.from)
	r, ext, err := t.store.ReadMerged(ctx, from, time.Unix(0, k.to), from, t.scratch)
	if err != nil {
		return nil, err
	}
	return &part{rollups: r, ext: ext}, nil
}

// block is a piece of a stored range: a whole UTC day or hour (cached on
// its own), or the minutes before the first or after the last whole hour.
type block struct {
	from, to time.Time
	whole    bool
}

// splitBlocks cuts [from, to) into the minutes up to the first whole hour,
// whole days where they fit and whole hours elsewhere, and the minutes
// after the last whole hour.
func splitBlocks(from, to time.Time) []block {
	const day = 24 * time.Hour
	first := from.Truncate(time.Hour)
	if first.Before(from) {
		first = first.Add(time.Hour)
	}
	last := to.Truncate(time.Hour)
	if !first.Before(last) {
		return []block{{from, to, false}}
	}
	var out []block
	if from.Before(first) {
		out = append(out, block{from, first, false})
	}
	for cur := first; cur.Before(last); {
		if cur.Truncate(day).Equal(cur) && !cur.Add(day).After(last) {
			out = append(out, block{cur, cur.Add(day), true})
			cur = cur.Add(day)
			continue
		}
		out = append(out, block{cur, cur.Add(time.Hour), true})
		cur = cur.Add(time.Hour)
	}
	if last.Before(to) {
		out = append(out, block{last, to, false})
	}
	return out
}

// unionExtent returns the extent covering a and b.
func unionExtent(a, b history.Extent) history.Extent {
	switch {
	case b.Empty():
		return a
	case a.Empty():
		return b
	}
	return history.Extent{From: minTime(a.From, b.From), To: maxTime(a.To, b.To), Minutes: a.Minutes + b.Minutes, Hours: a.Hours + b.Hours}
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// ceilMinute rounds t up to a whole minute.
func ceilMinute(t time.Time) time.Time {
	m := t.Truncate(time.Minute)
	if m.Before(t) {
		m = m.Add(time.Minute)
	}
	return m
}

// historyError is a range whose history could not be read. It answers an
// HTTP request with 500 and a message naming the range and the cause.
type historyError struct {
	from, to time.Time
	err      error
}

func (e *historyError) Error() string {
	return fmt.Sprintf("cannot read the history of %s..%s: %v",
		e.from.UTC().Format(time.RFC3339), e.to.UTC().Format(time.RFC3339), e.err)
}

func (e *historyError) Unwrap() error { return e.err }

// As lets the server's error handler answer with the message, whatever
// wraps the error on its way (the hub, an exporter).
func (e *historyError) As(target any) bool {
	if he, ok := target.(**echo.HTTPError); ok {
		*he = &echo.HTTPError{Code: http.StatusInternalServerError, Message: e.Error(), Internal: e.err}
		return true
	}
	return false
}

// part is one stored range, merged: its rollups (one per edge operation,
// all at the range start), an aggregator holding them, and what the store
// had. Both are only read once built.
type part struct {
	rollups agg.Rollups
	agg     *agg.Aggregator
	ext     history.Extent
}

// partKey is a stored range, Unix nanoseconds, minute-aligned.
type partKey struct{ from, to int64 }

// partCache keeps recently used parts, at most maxEntries holding at most
// maxRollups rollups together, and reads each part once however many
// requests ask for it at the same time.
type partCache struct {
	maxEntries, maxRollups int

	mu      sync.Mutex
	entries map[partKey]*list.Element // of *partEntry
	lru     *list.List                // most recently used first
	rollups int                       // held by ready entries
}

type partEntry struct {
	key   partKey
	ready chan struct{} // closed once p or err is set
	p     *part
	err   error
}

func newPartCache(maxEntries, maxRollups int) *partCache {
	return &partCache{maxEntries: maxEntries, maxRollups: maxRollups, entries: map[partKey]*list.Element{}, lru: list.New()}
}

// get returns the part of k, reading it with read when it is not cached.
// The read is not cancelled with ctx (other requests may wait for it, and
// its result is kept), but get returns when ctx ends. Failed reads are not
// kept.
func (c *partCache) get(ctx context.Context, k partKey, read func(context.Context, partKey) (*part, error)) (*part, error) {
	c.mu.Lock()
	el, ok := c.entries[k]
	var e *partEntry
	if ok {
		e = el.Value.(*partEntry)
		c.lru.MoveToFront(el)
	} else {
		e = &partEntry{key: k, ready: make(chan struct{})}
		c.entries[k] = c.lru.PushFront(e)
	}
	c.mu.Unlock()
	if !ok {
		go c.fill(context.WithoutCancel(ctx), e, read)
	}
	select {
	case <-e.ready:
		return e.p, e.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// fill reads e's part, then keeps it within the bounds or drops it.
func (c *partCache) fill(ctx context.Context, e *partEntry, read func(context.Context, partKey) (*part, error)) {
	p, err := read(ctx, e.key)
	c.mu.Lock()
	defer c.mu.Unlock()
	e.p, e.err = p, err
	close(e.ready)
	if err != nil {
		c.remove(e)
		return
	}
	c.rollups += len(p.rollups.Edges)
	c.trim()
}

// trim drops the least recently used ready entries past the bounds, never
// the newest one. Must be called holding c.mu.
func (c *partCache) trim() {
	for el := c.lru.Back(); el != nil && el != c.lru.Front() && (c.lru.Len() > c.maxEntries || c.rollups > c.maxRollups); {
		prev := el.Prev()
		if e := el.Value.(*partEntry); e.p != nil {
			c.remove(e)
		}
		el = prev
	}
}

// remove forgets e. Must be called holding c.mu.
func (c *partCache) remove(e *partEntry) {
	el, ok := c.entries[e.key]
	if !ok || el.Value.(*partEntry) != e {
		return
	}
	if e.p != nil {
		c.rollups -= len(e.p.rollups.Edges)
	}
	c.lru.Remove(el)
	delete(c.entries, e.key)
}

// len returns the number of cached parts, ready or being read.
func (c *partCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lru.Len()
}
