package hub

import (
	"context"
	"encoding/json"
	"time"

	"github.com/spanmap/spanmap/graph"
	"github.com/spanmap/spanmap/graph/agg"
	"github.com/spanmap/spanmap/graph/layout"
)

// The pipeline of one View, shared by the stream and the REST API:
// aggregate the window, filter by the View, lay out when the topology
// changed, place, diff against the previous snapshot, publish.

// window returns the data window of spec at now, and whether it is a fixed
// range (which stops changing once it has settled).
func window(spec graph.View, now time.Time) (from, to time.Time, fixed bool) {
	if spec.Fixed() {
		return spec.From, spec.To, true
	}
	w := spec.Window
	if w <= 0 {
		w = graph.DefaultWindow
	}
	return now.Add(-w), now, false
}

// settled reports whether a fixed range ended long enough ago that no late
// span can change it.
func (h *Hub) settled(spec graph.View, now time.Time) bool {
	_, to, fixed := window(spec, now)
	return fixed && !now.Before(to.Add(h.cfg.SettleDelay))
}

// compute aggregates and filters spec's window at now, without positions.
// It fails only when the Graph is a ContextGraph that fails.
func (h *Hub) compute(ctx context.Context, spec graph.View, key string, now time.Time) (graph.Snapshot, error) {
	from, to, _ := window(spec, now)
	s, err := h.read(ctx, from, to, agg.Options{Operations: spec.Operations})
	if err != nil {
		return graph.Snapshot{}, err
	}
	s = graph.Filter(s, spec)
	s.Version = 0
	s.View = key
	s.From, s.To = from.UnixMilli(), to.UnixMilli()
	return s, nil
}

// build computes spec's snapshot at now and lays it out, waiting for a
// layout worker. It fails when the Graph fails or ctx ends first.
func (h *Hub) build(ctx context.Context, spec graph.View, key string, now time.Time) (graph.Snapshot, *placement, error) {
	fresh, err := h.compute(ctx, spec, key, now)
	if err != nil {
		return graph.Snapshot{}, nil, err
	}
	tk := topologyKey(&fresh)
	if h.l == nil {
		p := (*placement)(nil).unplaced(tk)
		return p.place(fresh), p, nil
	}
	select {
	case h.sem <- struct{}{}:
	case <-ctx.Done():
		return graph.Snapshot{}, nil, ctx.Err()
	}
	p := h.layout(ctx, fresh, spec, tk, nil)
	<-h.sem
	if err := ctx.Err(); err != nil {
		return graph.Snapshot{}, nil, err
	}
	return p.place(fresh), p, nil
}

// layout runs the layouter on a copy of fresh. When it fails, the result
// publishes unplaced nodes rather than holding them back forever; the error
// is logged and counted (unless ctx ended: the hub or the request is gone),
// and the next topology change tries again.
func (h *Hub) layout(ctx context.Context, fresh graph.Snapshot, spec graph.View, key uint64, prev *placement) *placement {
	if h.l == nil {
		return prev.unplaced(key)
	}
	in := layoutInput(fresh)
	lctx, cancel := context.WithTimeout(ctx, h.cfg.LayoutTimeout)
	defer cancel()
	start := time.Now()
	// Existing nodes stay pinned where they are, whatever the engine, so a
	// topology change never makes the map jump: new nodes are placed around
	// the old ones.
	err := h.l.Layout(lctx, &in, layout.Options{Engine: layout.Engine(spec.Layout), Previous: prev.positions(), PreviousPaths: prev.paths(), Pin: true})
	took := time.Since(start)
	h.stats.layouts.Add(1)
	h.stats.layoutNanos.Add(int64(took))
	h.stats.layoutTimes.observe(took.Seconds())
	if err != nil {
		if ctx.Err() == nil {
			h.stats.layoutErrors.Add(1)
			h.log.Warn("layout failed, new nodes are shown unplaced", "view", fresh.View,
				"nodes", len(fresh.Nodes), "edges", len(fresh.Edges), "err", err)
		}
		return prev.unplaced(key)
	}
	return newPlacement(key, &in)
}

// init computes the first snapshot of a new View and opens it to ticks and
// subscribers. When the Graph fails, the View is closed with the error
// (see fail).
func (h *Hub) init(v *view) {
	defer close(v.ready)
	now := h.now()
	s, p, err := h.build(h.ctx, v.spec, v.key, now)
	if err != nil && h.ctx.Err() == nil {
		h.fail(v, err)
		return
	}
	if err != nil { // the hub is stopping: publish the data unplaced
		s, err = h.compute(context.Background(), v.spec, v.key, now)
		if err != nil {
			h.fail(v, err)
			return
		}
		p = (*placement)(nil).unplaced(topologyKey(&s))
		s = p.place(s)
	}
	s.Version = h.version.Add(1)
	v.laid = p
	v.final = h.settled(v.spec, now)
	v.mu.Lock()
	v.snap = s
	v.enc = &encoded{snap: s}
	v.changed = now
	v.mu.Unlock()
}

// step recomputes one View at now and publishes the diff, if any. Called
// by the tick goroutine only.
func (h *Hub) step(v *view, now time.Time) {
	if v.final {
		return
	}
	if p := v.takeLanded(); p != nil {
		v.laid = p
		v.layoutBusy = false
	}
	fresh, err := h.compute(h.ctx, v.spec, v.key, now)
	if err != nil {
		h.readFailed(v, err)
		return
	}
	v.failing = false
	tk := topologyKey(&fresh)
	if tk != v.laid.key && !v.layoutBusy {
		h.startLayout(v, fresh, tk)
	}
	h.publish(v, v.laid.place(fresh), now)
	if !v.layoutBusy && tk == v.laid.key && h.settled(v.spec, now) {
		v.final = true
	}
}

// startLayout lays fresh out on a worker, at most one job per View. When
// every worker is busy the View keeps its current placement and tries again
// next tick.
func (h *Hub) startLayout(v *view, fresh graph.Snapshot, key uint64) {
	select {
	case h.sem <- struct{}{}:
	default:
		h.stats.layoutsBusy.Add(1)
		return
	}
	prev := v.laid
	ok := h.spawn(func() {
		defer func() { <-h.sem }()
		v.land(h.layout(h.ctx, fresh, v.spec, key, prev))
	})
	if !ok {
		<-h.sem
		return
	}
	v.layoutBusy = true
}

// publish makes next the View's snapshot and queues the diff to every
// subscriber, when anything changed. It never blocks on a subscriber.
func (h *Hub) publish(v *view, next graph.Snapshot, now time.Time) {
	prev := v.snap
	d := graph.Compute(prev, next)
	if d.Empty() {
		return
	}
	ver := h.version.Add(1)
	next.Version = ver
	d.Base, d.Version = prev.Version, ver
	data, err := json.Marshal(graph.NewDiffMessage(v.key, &d))
	if err != nil {
		// Unencodable figures (NaN) cannot be streamed; subscribers resync
		// from the snapshot, whose encoding reports the same error.
		h.log.Error("encode diff", "view", v.key, "err", err)
		data = nil
	} else {
		h.stats.diffSizes.observe(float64(len(data)))
	}
	it := item{view: v, kind: kindDiff, base: prev.Version, version: ver, data: data}
	v.mu.Lock()
	defer v.mu.Unlock()
	v.snap = next
	v.enc = &encoded{snap: next}
	v.changed = now
	for s := range v.subs {
		s.push(h, it, now)
	}
}

// topologyKey identifies what the layout depends on.
func topologyKey(s *graph.Snapshot) uint64 {
	return layout.TopologyKey(s)
}
