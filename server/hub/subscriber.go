package hub

import (
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
)

// kind tells queued messages apart.
type kind uint8

const (
	kindDiff   kind = iota // a diff of the subscriber's View; dropped when the queue is full
	kindStatus             // a status message; dropped when the queue is full
	kindError              // an error reply to the subscriber's own request; never dropped
)

// item is one queued message. Diff and status messages are encoded once and
// shared by every subscriber of a View.
type item struct {
	view          *view // the View a diff belongs to
	kind          kind
	base, version uint64 // a diff's base and new version
	data          []byte
}

// subscriber is one websocket connection. Publishers append to its queue
// under mu and never wait; a single writer goroutine drains it.
type subscriber struct {
	conn   *websocket.Conn
	notify chan struct{} // wakes the writer; capacity 1
	// binary is set when the subscriber asked for binary frames
	// (graph.FramesBinary).
	binary atomic.Bool

	mu           sync.Mutex
	view         *view // the subscribed View, nil before the first subscribe
	queue        []item
	resync       bool      // the next message is a fresh snapshot of view
	lastOverflow time.Time // when the queue last overflowed
	slow         bool      // fell behind: the writer closes the connection

	// Owned by the writer goroutine.
	sentView *view
	sent     uint64 // version of the last snapshot or diff written
}

func newSubscriber(conn *websocket.Conn, queueLen int) *subscriber {
	return &subscriber{
		conn:   conn,
		notify: make(chan struct{}, 1),
		queue:  make([]item, 0, queueLen),
	}
}

// wake signals the writer without blocking.
func (s *subscriber) wake() {
	select {
	case s.notify <- struct{}{}:
	default:
	}
}

// attach makes v the subscribed View: queued messages of the previous View
// go, and the writer starts over with a snapshot, followed by status when
// given. Must be called holding v.mu.
func (s *subscriber) attach(v *view, status item, withStatus bool) {
	s.mu.Lock()
	s.view = v
	s.resync = true
	s.queue = keepErrors(s.queue)
	if withStatus {
		s.queue = append(s.queue, status)
	}
	s.mu.Unlock()
	s.wake()
}

// current returns the subscribed View.
func (s *subscriber) current() *view {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.view
}

// push queues it without blocking. When the queue is full, its diffs and
// status messages are dropped and the subscriber is marked for a fresh
// snapshot; when that happens again within ResyncGrace, the subscriber is
// marked slow and its writer closes the connection.
func (s *subscriber) push(h *Hub, it item, now time.Time) {
	s.mu.Lock()
	if s.slow {
		s.mu.Unlock()
		return
	}
	if len(s.queue) < h.cfg.QueueLen {
		s.queue = append(s.queue, it)
		s.mu.Unlock()
		s.wake()
		return
	}
	if !s.lastOverflow.IsZero() && now.Sub(s.lastOverflow) < h.cfg.ResyncGrace {
		s.slow = true
		s.queue = nil
		s.mu.Unlock()
		h.stats.slow.Add(1)
		s.wake()
		return
	}
	s.lastOverflow = now
	s.resync = true
	s.queue = keepErrors(s.queue)
	if it.kind == kindError {
		s.queue = append(s.queue, it)
	}
	s.mu.Unlock()
	h.stats.resyncs.Add(1)
	s.wake()
}

// keepErrors drops everything but error replies from q, in place.
func keepErrors(q []item) []item {
	out := q[:0]
	for _, it := range q {
		if it.kind == kindError {
			out = append(out, it)
		}
	}
	clear(q[len(out):])
	return out
}

// errSlow ends a writer whose subscriber fell behind.
var errSlow = errors.New("subscriber too slow")

// next returns the next thing to write: a snapshot of v (resync), or a
// queued item. ok is false when nothing is waiting.
func (s *subscriber) next() (it item, snapshotOf *view, ok bool, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.slow:
		return item{}, nil, false, errSlow
	case len(s.queue) > 0 && s.queue[0].kind == kindError:
		// Errors go first so a bad subscribe is answered even while a
		// snapshot is due.
	case s.resync && s.view != nil:
		s.resync = false
		return item{}, s.view, true, nil
	case len(s.queue) == 0:
		return item{}, nil, false, nil
	}
	it = s.queue[0]
	n := copy(s.queue, s.queue[1:])
	s.queue[n] = item{}
	s.queue = s.queue[:n]
	return it, nil, true, nil
}

// needResync asks the writer to start over with a snapshot.
func (s *subscriber) needResync() {
	s.mu.Lock()
	s.resync = true
	s.mu.Unlock()
}
