package hub

import (
	"context"
	"encoding/json"
	"time"

	"github.com/spanmap/spanmap/graph"
	"github.com/spanmap/spanmap/graph/agg"
)

// ContextGraph is a Graph whose snapshots can fail or take a while, such as
// one that reads on-disk history for ranges older than memory. When the
// hub's Graph implements it, the hub calls SnapshotContext instead of
// Snapshot and reports its errors: Snapshot returns them to REST callers,
// and subscribers of the View get an error message.
type ContextGraph interface {
	Graph
	// SnapshotContext is Snapshot that can fail; it gives up when ctx ends.
	SnapshotContext(ctx context.Context, from, to time.Time, opt agg.Options) (graph.Snapshot, error)
}

// read returns the Graph's snapshot of [from, to).
func (h *Hub) read(ctx context.Context, from, to time.Time, opt agg.Options) (graph.Snapshot, error) {
	if cg, ok := h.g.(ContextGraph); ok {
		return cg.SnapshotContext(ctx, from, to, opt)
	}
	return h.g.Snapshot(from, to, opt), nil
}

// fail closes a new View whose first snapshot could not be computed: its
// subscribers are sent err as an error message in place of the snapshot,
// REST callers get err, and the View is dropped, so the next subscription
// or request tries again. Called by init only.
func (h *Hub) fail(v *view, err error) {
	h.stats.readErrors.Add(1)
	h.log.Warn("view unavailable", "view", v.key, "err", err)
	e := &encoded{snap: graph.Snapshot{Version: h.version.Add(1), View: v.key}}
	e.once.Do(func() { e.data, e.err = json.Marshal(graph.NewErrorMessage(err)) })
	v.final = true
	v.laid = (*placement)(nil).unplaced(0)
	v.mu.Lock()
	v.err = err
	v.snap = e.snap
	v.enc = e
	v.mu.Unlock()
	h.mu.Lock()
	if h.views[v.key] == v {
		delete(h.views, v.key)
	}
	h.mu.Unlock()
}

// readFailed handles a tick that could not read the Graph: the View keeps
// its snapshot, and its subscribers are told once, until a tick succeeds
// again.
func (h *Hub) readFailed(v *view, err error) {
	h.stats.readErrors.Add(1)
	if v.failing || h.ctx.Err() != nil {
		return
	}
	v.failing = true
	h.log.Warn("view not updated", "view", v.key, "err", err)
	data, merr := json.Marshal(graph.NewErrorMessage(err))
	if merr != nil {
		h.log.Error("encode error message", "err", merr)
		return
	}
	it := item{kind: kindError, data: data}
	now := h.now()
	v.mu.Lock()
	defer v.mu.Unlock()
	for s := range v.subs {
		s.push(h, it, now)
	}
}

// failed returns the error that kept the View from its first snapshot.
func (v *view) failed() error {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.err
}
