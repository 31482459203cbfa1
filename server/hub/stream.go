package hub

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/coder/websocket"

	"github.com/spanmap/spanmap/graph"
)

// errGoingAway ends writers when the hub stops.
var errGoingAway = errors.New("hub stopping")

// ServeHTTP upgrades the request to a websocket and streams the View the
// client subscribes to: a snapshot, then diffs, and status messages. The
// client may subscribe again, to the same View (for a fresh snapshot) or to
// another one, on the same connection, within the Limit the request's
// context carries (WithLimit).
func (h *Hub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if err := h.admit(); err != nil {
		http.Error(w, err.Error(), http.StatusServiceUnavailable)
		return
	}
	defer h.stats.subscribers.Add(-1)
	conn, err := websocket.Accept(w, r, &h.accept)
	if err != nil { // Accept has answered (403 for a foreign origin)
		h.log.Debug("websocket upgrade refused", "remote", r.RemoteAddr, "err", err)
		return
	}
	defer conn.CloseNow()
	conn.SetReadLimit(h.cfg.ReadLimit)
	s := newSubscriber(conn, h.cfg.QueueLen)

	lim := limitFrom(r.Context())
	expired, stop := lim.expiry(h.now())
	defer stop()
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	done := make(chan struct{})
	refused := make(chan error, 1)
	if !h.spawn(func() {
		defer close(done)
		h.finishWriter(s, h.writeLoop(ctx, s, limitEnd{expired, lim.UntilReason, refused}))
	}) {
		conn.Close(websocket.StatusGoingAway, "server stopping")
		return
	}
	if err := h.readLoop(ctx, s, lim.Allow); err != nil {
		refused <- err // the writer closes with it once its current write is done
		select {
		case <-done:
		case <-time.After(h.cfg.WriteTimeout): // stuck waiting for a snapshot
		}
	}
	cancel()
	<-done
	if v := s.current(); v != nil {
		v.remove(s, h.now())
	}
}

// admit counts a new subscriber, or says why there is no room.
func (h *Hub) admit() error {
	if h.ctx.Err() != nil {
		return ErrClosed
	}
	for {
		n := h.stats.subscribers.Load()
		if n >= int64(h.cfg.MaxSubscribers) {
			h.stats.limitHits.Add(1)
			return fmt.Errorf("subscriber limit of %d reached", h.cfg.MaxSubscribers)
		}
		if h.stats.subscribers.CompareAndSwap(n, n+1) {
			return nil
		}
	}
}

// readLoop handles the client's requests until the connection ends, or
// until allow (when set) refuses a subscribe, which it returns.
func (h *Hub) readLoop(ctx context.Context, s *subscriber, allow func(graph.View) error) error {
	for {
		typ, data, err := s.conn.Read(ctx)
		if err != nil {
			return nil
		}
		if typ != websocket.MessageText {
			h.reply(s, "message", errors.New("messages are JSON text"))
			continue
		}
		var m graph.Message
		if err := json.Unmarshal(data, &m); err != nil {
			h.reply(s, "message", fmt.Errorf("not a JSON message: %w", err))
			continue
		}
		if m.Type != graph.MessageSubscribe {
			h.reply(s, "type", fmt.Errorf("unknown message type %q, want %q", m.Type, graph.MessageSubscribe))
			continue
		}
		switch m.Frames {
		case "", graph.FramesText:
			s.binary.Store(false)
		case graph.FramesBinary:
			s.binary.Store(true)
		default:
			h.reply(s, "frames", fmt.Errorf("%q is not a frame kind (want %q or %q)", m.Frames, graph.FramesText, graph.FramesBinary))
			continue
		}
		spec, err := graph.ParseView(m.View)
		if err != nil {
			h.reply(s, "view", err)
			continue
		}
		if allow != nil {
			if err := allow(spec); err != nil {
				return &limitError{reason: err.Error()}
			}
		}
		if err := h.subscribe(s, spec); err != nil {
			h.reply(s, "subscribe", err)
		}
	}
}

// reply queues an error message for s.
func (h *Hub) reply(s *subscriber, field string, err error) {
	var ve *graph.ViewError
	if !errors.As(err, &ve) {
		err = fmt.Errorf("%s: %w", field, err)
	}
	data, merr := json.Marshal(graph.NewErrorMessage(err))
	if merr != nil {
		h.log.Error("encode error message", "err", merr)
		return
	}
	s.push(h, item{kind: kindError, data: data}, h.now())
}

// subscribe moves s to spec's View. Subscribing again to the same View asks
// for a fresh snapshot. When the View cannot be watched, s keeps its
// current one.
func (h *Hub) subscribe(s *subscriber, spec graph.View) error {
	key := spec.Encode()
	h.mu.Lock()
	defer h.mu.Unlock()
	old := s.current()
	if old != nil && old.key == key && old.failed() == nil {
		old.add(h, s)
		return nil
	}
	v, err := h.viewFor(spec, key)
	if err != nil {
		return err
	}
	if old != nil {
		old.remove(s, h.now())
	}
	v.add(h, s)
	return nil
}

// limitEnd is how a connection's Limit ends its writer: expired fires at
// the Limit's end (closing with reason), refused brings the reader's
// refusal of a subscribe.
type limitEnd struct {
	expired <-chan time.Time
	reason  string
	refused <-chan error
}

// writeLoop is the connection's only writer: it drains the queue until the
// subscriber falls behind, a write fails, the reader ends, the hub stops or
// the connection's Limit ends it.
func (h *Hub) writeLoop(ctx context.Context, s *subscriber, end limitEnd) error {
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-h.ctx.Done():
			return errGoingAway
		case <-end.expired:
			return &limitError{reason: end.reason}
		case err := <-end.refused:
			return err
		case <-s.notify:
		}
		for {
			it, snapOf, ok, err := s.next()
			if err != nil {
				return err
			}
			if !ok {
				break
			}
			if snapOf != nil {
				err = h.writeSnapshot(ctx, s, snapOf)
			} else {
				err = h.writeItem(ctx, s, it)
			}
			if err != nil {
				return err
			}
		}
	}
}

// finishWriter closes the connection the way the writer's end calls for.
func (h *Hub) finishWriter(s *subscriber, err error) {
	var le *limitError
	switch {
	case errors.As(err, &le):
		closeForLimit(s.conn, le.reason)
	case errors.Is(err, errSlow):
		s.conn.Close(websocket.StatusPolicyViolation, "too slow to keep up with the stream")
	case errors.Is(err, errGoingAway):
		s.conn.Close(websocket.StatusGoingAway, "server stopping")
	case errors.Is(err, context.DeadlineExceeded):
		h.stats.slow.Add(1)
		s.conn.Close(websocket.StatusPolicyViolation, "write timed out")
	case errors.Is(err, context.Canceled):
		// The reader ended: the client has gone.
	default:
		h.log.Debug("subscriber write failed", "err", err)
		s.conn.CloseNow()
	}
}

// writeSnapshot writes v's current snapshot.
func (h *Hub) writeSnapshot(ctx context.Context, s *subscriber, v *view) error {
	select {
	case <-v.ready:
	case <-ctx.Done():
		return ctx.Err()
	case <-h.ctx.Done():
		return errGoingAway
	}
	data, version, err := v.snapshotMessage()
	if err != nil {
		return fmt.Errorf("encode snapshot of %s: %w", v.key, err)
	}
	if err := h.write(ctx, s, data); err != nil {
		return err
	}
	s.sentView, s.sent = v, version
	h.stats.snapshots.Add(1)
	h.stats.snapshotBytes.Add(uint64(len(data)))
	return nil
}

// writeItem writes a queued message. A diff that does not follow what the
// subscriber has is skipped (already covered by its snapshot, or of a View
// it left); a gap turns into a fresh snapshot.
func (h *Hub) writeItem(ctx context.Context, s *subscriber, it item) error {
	switch it.kind {
	case kindDiff:
		if it.view != s.sentView || it.version <= s.sent {
			return nil
		}
		if it.base != s.sent || it.data == nil {
			s.needResync()
			return nil
		}
		if err := h.write(ctx, s, it.data); err != nil {
			return err
		}
		s.sent = it.version
		h.stats.diffs.Add(1)
		h.stats.diffBytes.Add(uint64(len(it.data)))
		return nil
	case kindStatus:
		if err := h.write(ctx, s, it.data); err != nil {
			return err
		}
		h.stats.statuses.Add(1)
		return nil
	default:
		return h.write(ctx, s, it.data)
	}
}

// write writes one message within WriteTimeout.
func (h *Hub) write(ctx context.Context, s *subscriber, data []byte) error {
	ctx, cancel := context.WithTimeout(ctx, h.cfg.WriteTimeout)
	defer cancel()
	typ := websocket.MessageText
	if s.binary.Load() {
		typ = websocket.MessageBinary
	}
	return s.conn.Write(ctx, typ, data)
}
