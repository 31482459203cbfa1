package hub

import (
	"encoding/json"
	"sync"
	"time"

	"github.com/spanmap/spanmap/graph"
)

// view is the shared state of one distinct View: its current snapshot and
// subscribers. The tick goroutine is the only one that changes the snapshot
// (after init has closed ready); it reads its own fields without locking.
type view struct {
	key   string
	spec  graph.View
	ready chan struct{} // closed once the first snapshot is in place

	// Owned by init, then by the tick goroutine.
	laid       *placement // the latest layout that has landed
	layoutBusy bool       // a layout job for this View is running
	final      bool       // a fixed range that has settled: no more ticks
	failing    bool       // the last tick could not read the Graph

	mu        sync.Mutex
	snap      graph.Snapshot // current snapshot, never changed in place
	enc       *encoded       // snapshot message of snap, encoded on demand
	subs      map[*subscriber]struct{}
	idleSince time.Time  // when the last subscriber left
	changed   time.Time  // when snap last changed
	landed    *placement // a layout that finished since the last tick
	err       error      // why the first snapshot could not be computed
}

func newView(spec graph.View, key string) *view {
	return &view{
		key:   key,
		spec:  spec,
		ready: make(chan struct{}),
		subs:  map[*subscriber]struct{}{},
	}
}

// encoded is a snapshot and its message, encoded once for every subscriber
// that needs it.
type encoded struct {
	snap graph.Snapshot
	once sync.Once
	data []byte
	err  error
}

// message returns the snapshot message, encoding it on first use.
func (e *encoded) message() ([]byte, error) {
	e.once.Do(func() {
		s := e.snap
		e.data, e.err = json.Marshal(graph.NewSnapshotMessage(&s))
	})
	return e.data, e.err
}

func (v *view) isReady() bool {
	select {
	case <-v.ready:
		return true
	default:
		return false
	}
}

// current returns the current snapshot (shared: do not change it).
func (v *view) current() graph.Snapshot {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.snap
}

// snapshotMessage returns the current snapshot's encoded message and
// version.
func (v *view) snapshotMessage() ([]byte, uint64, error) {
	v.mu.Lock()
	e := v.enc
	v.mu.Unlock()
	data, err := e.message()
	return data, e.snap.Version, err
}

// idleFor reports how long the View has had no subscriber (0 while it has).
func (v *view) idleFor(now time.Time) time.Duration {
	v.mu.Lock()
	defer v.mu.Unlock()
	if len(v.subs) > 0 {
		return 0
	}
	return now.Sub(v.idleSince)
}

// add subscribes s, queueing the latest status message for it. Must be
// called holding h.mu, so an idle View is not dropped in between.
func (v *view) add(h *Hub, s *subscriber) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.subs[s] = struct{}{}
	st, ok := h.lastStatusItem()
	s.attach(v, st, ok)
}

// remove unsubscribes s.
func (v *view) remove(s *subscriber, now time.Time) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if _, ok := v.subs[s]; !ok {
		return
	}
	delete(v.subs, s)
	if len(v.subs) == 0 {
		v.idleSince = now
	}
}

// takeLanded returns the layout that finished since the last call, if any.
func (v *view) takeLanded() *placement {
	v.mu.Lock()
	defer v.mu.Unlock()
	p := v.landed
	v.landed = nil
	return p
}

// land hands a finished layout to the next tick.
func (v *view) land(p *placement) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.landed = p
}
