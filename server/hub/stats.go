package hub

import (
	"sync/atomic"
	"time"
)

// Stats are the hub's counters, read by the server's /metrics handler.
// Counters only grow; Subscribers and Views are current values.
type Stats struct {
	// Subscribers is the number of open websocket subscribers.
	Subscribers int
	// Views is the number of Views being kept current.
	Views int
	// Ticks counts completed ticks.
	Ticks uint64
	// TickSeconds is the time spent computing ticks (all Views).
	TickSeconds float64
	// DiffsSent counts diff messages written to subscribers.
	DiffsSent uint64
	// DiffBytes counts the bytes of those diff messages (before compression).
	DiffBytes uint64
	// SnapshotsSent counts snapshot messages written to subscribers.
	SnapshotsSent uint64
	// SnapshotBytes counts the bytes of those snapshot messages.
	SnapshotBytes uint64
	// StatusSent counts status messages written to subscribers.
	StatusSent uint64
	// Resyncs counts subscribers whose full queue was replaced by a fresh
	// snapshot.
	Resyncs uint64
	// SlowDisconnects counts subscribers closed for falling behind (policy
	// violation) or because a write timed out.
	SlowDisconnects uint64
	// SubscriberLimitHits counts connections refused by MaxSubscribers.
	SubscriberLimitHits uint64
	// ViewLimitHits counts subscriptions refused by MaxViews.
	ViewLimitHits uint64
	// Layouts counts layout runs.
	Layouts uint64
	// LayoutErrors counts layout runs that failed.
	LayoutErrors uint64
	// LayoutSeconds is the time spent in layout runs.
	LayoutSeconds float64
	// LayoutsBusy counts ticks whose topology change had to wait because
	// every layout worker was busy.
	LayoutsBusy uint64
	// ReadErrors counts snapshots the Graph failed to give (a ContextGraph
	// reading history).
	ReadErrors uint64
	// DiffSizes is the distribution of diff message sizes in bytes, one
	// observation per diff a View publishes (however many subscribers it
	// goes to).
	DiffSizes Histogram
	// LayoutDurations is the distribution of layout run times in seconds.
	LayoutDurations Histogram
}

// counters are the hub's atomic counters behind Stats.
type counters struct {
	subscribers   atomic.Int64
	ticks         atomic.Uint64
	tickNanos     atomic.Int64
	diffs         atomic.Uint64
	diffBytes     atomic.Uint64
	snapshots     atomic.Uint64
	snapshotBytes atomic.Uint64
	statuses      atomic.Uint64
	resyncs       atomic.Uint64
	slow          atomic.Uint64
	limitHits     atomic.Uint64
	viewLimitHits atomic.Uint64
	layouts       atomic.Uint64
	layoutErrors  atomic.Uint64
	layoutNanos   atomic.Int64
	layoutsBusy   atomic.Uint64
	readErrors    atomic.Uint64
	diffSizes     *histogram
	layoutTimes   *histogram
}

// Stats returns the current counters.
func (h *Hub) Stats() Stats {
	h.mu.Lock()
	views := len(h.views)
	h.mu.Unlock()
	c := &h.stats
	return Stats{
		Subscribers:         int(c.subscribers.Load()),
		Views:               views,
		Ticks:               c.ticks.Load(),
		TickSeconds:         time.Duration(c.tickNanos.Load()).Seconds(),
		DiffsSent:           c.diffs.Load(),
		DiffBytes:           c.diffBytes.Load(),
		SnapshotsSent:       c.snapshots.Load(),
		SnapshotBytes:       c.snapshotBytes.Load(),
		StatusSent:          c.statuses.Load(),
		Resyncs:             c.resyncs.Load(),
		SlowDisconnects:     c.slow.Load(),
		SubscriberLimitHits: c.limitHits.Load(),
		ViewLimitHits:       c.viewLimitHits.Load(),
		Layouts:             c.layouts.Load(),
		LayoutErrors:        c.layoutErrors.Load(),
		LayoutSeconds:       time.Duration(c.layoutNanos.Load()).Seconds(),
		LayoutsBusy:         c.layoutsBusy.Load(),
		ReadErrors:          c.readErrors.Load(),
		DiffSizes:           c.diffSizes.snapshot(),
		LayoutDurations:     c.layoutTimes.snapshot(),
	}
}
