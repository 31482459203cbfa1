package app

import (
	"time"

	"github.com/spanmap/spanmap/graph"
)

// liveState is the client side of one stream subscription: the latest
// snapshot kept current by diffs, the latest status and server error.
// It does no I/O; handle says when the stream must be resubscribed.
type liveState struct {
	// view is the canonical query string subscribed to.
	view string
	// snap is the latest snapshot; valid when have is set.
	snap graph.Snapshot
	have bool
	// resyncing is set after a diff did not apply, until the fresh
	// snapshot arrives; diffs are ignored meanwhile.
	resyncing bool
	// status is the latest server status, nil before the first.
	status *graph.Status
	// serverErr is the latest error message from the server, cleared by
	// the next snapshot.
	serverErr string
	// updated is when the snapshot last changed.
	updated time.Time
	// resyncs counts the diffs that did not apply.
	resyncs int
}

// reset starts over for another view: nothing is known until its snapshot.
func (s *liveState) reset(view string) {
	*s = liveState{view: view, status: s.status}
}

// handleResult says what a message did.
type handleResult struct {
	// changed is set when snap changed.
	changed bool
	// resubscribe is set when the client must subscribe again to get a
	// fresh snapshot (a diff did not apply).
	resubscribe bool
}

// handle applies one server message at time now. Snapshots and diffs for
// another view (left over from before a view change) are ignored, as are
// diffs before the first snapshot or while a resync is under way. A diff
// that does not apply (version mismatch or conflict) asks for a
// resubscription, which brings a fresh snapshot.
func (s *liveState) handle(m graph.Message, now time.Time) handleResult {
	switch m.Type {
	case graph.MessageSnapshot:
		if m.Snapshot == nil || !s.sameView(m.View) || !s.sameView(m.Snapshot.View) {
			return handleResult{}
		}
		s.snap, s.have, s.resyncing = *m.Snapshot, true, false
		s.serverErr = ""
		s.updated = now
		return handleResult{changed: true}
	case graph.MessageDiff:
		if m.Diff == nil || !s.have || s.resyncing || !s.sameView(m.View) {
			return handleResult{}
		}
		next, err := graph.Apply(s.snap, *m.Diff)
		if err != nil {
			s.resyncing = true
			s.resyncs++
			return handleResult{resubscribe: true}
		}
		s.snap = next
		s.updated = now
		return handleResult{changed: true}
	case graph.MessageStatus:
		if m.Status != nil {
			st := *m.Status
			s.status = &st
		}
	case graph.MessageError:
		s.serverErr = m.Error
	}
	return handleResult{}
}

// sameView reports whether a message's view (empty when not given) is
// the subscribed one.
func (s *liveState) sameView(v string) bool {
	return v == "" || v == s.view
}

// stale reports whether the server says no source delivers data.
func (s *liveState) stale() bool {
	return s.status != nil && s.status.Stale
}
