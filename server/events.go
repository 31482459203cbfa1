package server

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/spanmap/spanmap/graph"
	"github.com/spanmap/spanmap/graph/agg"
	"github.com/spanmap/spanmap/server/history"
)

// EventsConfig configures the topology-change events of GET /api/v1/events.
// The whole map is evaluated every FlushInterval.
type EventsConfig struct {
	// Window is the detection window: an edge is present when it had calls
	// in the last Window, and health is judged over it. Default 1m.
	Window time.Duration `yaml:"window"`
	// QuietPeriod is how long an edge that had traffic must have had none
	// for edge_removed. Default 5m.
	QuietPeriod time.Duration `yaml:"quiet_period"`
	// Confirm is how many evaluations in a row must agree on a new health
	// state before health_changed is recorded, so a flapping element does
	// not flood the log. Default 3 (about 30 s at the default interval).
	Confirm int `yaml:"confirm"`
	// MinCalls is the number of calls in Window below which the health of a
	// node or edge is not judged (a single failed call of three is no
	// state change). Default 10.
	MinCalls int64 `yaml:"min_calls"`
	// MemoryEvents is how many events are kept, newest first, without a
	// data dir. Default 10000.
	MemoryEvents int `yaml:"memory_events"`
}

// DefaultEventsConfig returns the default event detection.
func DefaultEventsConfig() EventsConfig {
	return EventsConfig{Window: time.Minute, QuietPeriod: 5 * time.Minute, Confirm: 3, MinCalls: 10, MemoryEvents: 10_000}
}

// Validate reports the first invalid setting, naming it.
func (c EventsConfig) Validate() error {
	switch {
	case c.Window < time.Second || c.Window > time.Hour:
		return fmt.Errorf("events.window: must be from 1s to 1h, got %v", c.Window)
	case c.QuietPeriod < c.Window:
		return fmt.Errorf("events.quiet_period: must be at least events.window (%v), got %v", c.Window, c.QuietPeriod)
	case c.Confirm < 1 || c.Confirm > 100:
		return fmt.Errorf("events.confirm: must be from 1 to 100, got %d", c.Confirm)
	case c.MinCalls < 1:
		return fmt.Errorf("events.min_calls: must be positive, got %d", c.MinCalls)
	case c.MemoryEvents < 1:
		return fmt.Errorf("events.memory_events: must be positive, got %d", c.MemoryEvents)
	}
	return nil
}

// eventLog stores events: the history store, or memRing without a data dir.
type eventLog interface {
	AppendEvents(evs []graph.Event) error
	ListEvents(from, to time.Time, limit int, keep func(*graph.Event) bool) ([]graph.Event, bool, error)
}

var (
	_ eventLog = (*history.Store)(nil)
	_ eventLog = (*memRing)(nil)
)

// events detects topology changes on the live aggregate, records them and
// serves them.
type events struct {
	cfg      EventsConfig
	interval time.Duration
	a        *agg.Aggregator
	log      eventLog
	logger   *slog.Logger
	now      func() time.Time

	mu  sync.Mutex // guards det
	det *detector

	recorded [3]atomic.Int64 // by kind: added, removed, health
	failed   atomic.Int64    // events lost to append errors
}

// eventKinds are the event kinds in the order of events.recorded.
var eventKinds = [3]string{graph.EventEdgeAdded, graph.EventEdgeRemoved, graph.EventHealthChanged}

// newEvents records events in the history store, or in memory without one.
func (s *Server) newEvents() *events {
	var l eventLog
	if s.history != nil {
		l = s.history
	} else {
		l = newMemRing(s.cfg.Events.MemoryEvents)
	}
	return &events{
		cfg:      s.cfg.Events,
		interval: s.cfg.FlushInterval,
		a:        s.pipeline.Aggregator(),
		log:      l,
		logger:   s.log.With("component", "events"),
		now:      s.now,
		det:      newDetector(s.cfg.Events),
	}
}

// component takes the baseline of what the aggregate holds now (restored
// history included), so none of it is reported as a change, and returns
// the part that evaluates the map every interval.
func (e *events) component() component {
	e.mu.Lock()
	now := e.now()
	e.det.baseline(e.a, now)
	e.mu.Unlock()
	return component{"events", e.run}
}

func (e *events) run(ctx context.Context) error {
	t := time.NewTicker(e.interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			e.step(e.now())
		}
	}
}

// step evaluates the map as of now and records the changes found.
func (e *events) step(now time.Time) []graph.Event {
	e.mu.Lock()
	evs := e.det.step(e.a, now)
	e.mu.Unlock()
	if len(evs) == 0 {
		return nil
	}
	if err := e.log.AppendEvents(evs); err != nil {
		e.failed.Add(int64(len(evs)))
		e.logger.Warn("events not recorded", "events", len(evs), "err", err)
		return evs
	}
	for _, ev := range evs {
		for i, k := range eventKinds {
			if ev.Kind == k {
				e.recorded[i].Add(1)
			}
		}
	}
	return evs
}

// Event request parameters and limits.
const (
	defaultEventLimit = 100
)

// getEvents answers GET /api/v1/events?from=&to=&limit=&view=: the
// recorded events in [from, to) (Unix milliseconds or RFC 3339; default the
// whole retained history up to now), newest first, at most limit (default
// 100, at most 10000), optionally only those about what the View in view
// (a View query string, e.g. "focus=checkout&up=2") shows.
func (s *Server) getEvents(c echo.Context) error {
	q := c.QueryParams()
	for k, vs := range q {
		switch k {
		case "from", "to", "limit", "view", paramAccessToken, paramEmbedToken:
		default:
			return badEvents("unknown parameter %q (want from, to, limit, view)", k)
		}
		if len(vs) > 1 {
			return badEvents("parameter %q given %d times", k, len(vs))
		}
	}
	now := s.now()
	from, err := eventTime("from", q.Get("from"), time.Unix(0, 0))
	if err != nil {
		return err
	}
	to, err := eventTime("to", q.Get("to"), now.Add(time.Millisecond))
	if err != nil {
		return err
	}
	if !from.Before(to) {
		return badEvents("from (%s) must be before to (%s)", from.UTC().Format(time.RFC3339Nano), to.UTC().Format(time.RFC3339Nano))
	}
	limit := defaultEventLimit
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > history.MaxEventsList {
			return badEvents("limit %q must be a whole number from 1 to %d", l, history.MaxEventsList)
		}
		limit = n
	}
	var keep func(*graph.Event) bool
	if vq := q.Get("view"); vq != "" {
		v, err := graph.ParseView(vq)
		if err != nil {
			return badEvents("view: %v", err)
		}
		keep = s.eventFilter(v, now)
	}
	evs, truncated, err := s.events.log.ListEvents(from, to, limit, keep)
	if err != nil {
		return err
	}
	if evs == nil {
		evs = []graph.Event{}
	}
	return c.JSON(http.StatusOK, graph.EventList{Events: evs, Truncated: truncated})
}

func badEvents(format string, args ...any) error {
	return echo.NewHTTPError(http.StatusBadRequest, "events: "+fmt.Sprintf(format, args...))
}

// eventTime parses a from or to parameter: Unix milliseconds or RFC 3339.
func eventTime(name, v string, def time.Time) (time.Time, error) {
	if v == "" {
		return def, nil
	}
	if ms, err := strconv.ParseInt(v, 10, 64); err == nil {
		if ms < 0 || ms > 1<<53 {
			return time.Time{}, badEvents("%s %q is out of range", name, v)
		}
		return time.UnixMilli(ms), nil
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return time.Time{}, badEvents("%s %q is neither Unix milliseconds nor an RFC 3339 time", name, v)
	}
	if t.Before(time.Unix(0, 0)) {
		return time.Time{}, badEvents("%s %q is out of range", name, v)
	}
	return t, nil
}

// eventFilter returns what keeps the events about what v shows, or nil
// when v shows the whole map. A View that narrows the map (focus, hidden
// virtual nodes, minimum rate, errors only) keeps node events of the nodes
// it shows now, over its own window or range, and edge events whose two
// ends it shows or that touch its focus; events of edges gone since are
// kept when their ends still show. Grouping, operations and layout do not
// narrow events.
func (s *Server) eventFilter(v graph.View, now time.Time) func(*graph.Event) bool {
	if v.Focus == "" && !v.HideVirtual && v.MinRate == 0 && !v.ErrorsOnly {
		return nil
	}
	from, to := v.From, v.To
	if !v.Fixed() {
		from, to = now.Add(-v.Window), now
	}
	v.Group = graph.GroupNone
	snap := graph.Filter(s.pipeline.Aggregator().Snapshot(from, to, agg.Options{}), v)
	shown := make(map[string]bool, len(snap.Nodes)+1)
	for _, n := range snap.Nodes {
		shown[n.ID] = true
	}
	focus := v.Focus
	return func(e *graph.Event) bool {
		if e.Element == graph.ElementNode {
			return shown[e.ID]
		}
		a, b, ok := graph.EdgeEnds(e.ID)
		if !ok {
			return false
		}
		return (shown[a] && shown[b]) || (focus != "" && (a == focus || b == focus))
	}
}

// memRing keeps the newest events in memory, oldest overwritten first.
type memRing struct {
	mu    sync.Mutex
	buf   []graph.Event
	next  int  // where the next event goes
	full  bool // buf has wrapped
	limit int
}

func newMemRing(limit int) *memRing {
	return &memRing{limit: limit}
}

// AppendEvents adds evs, dropping the oldest events beyond the limit.
func (r *memRing) AppendEvents(evs []graph.Event) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, e := range evs {
		if len(r.buf) < r.limit {
			r.buf = append(r.buf, e)
			continue
		}
		r.buf[r.next] = e
		r.next = (r.next + 1) % r.limit
		r.full = true
	}
	return nil
}

// ListEvents is history.Store.ListEvents over the ring. Events are
// appended in time order, so the ring is newest first from the end.
func (r *memRing) ListEvents(from, to time.Time, limit int, keep func(*graph.Event) bool) ([]graph.Event, bool, error) {
	if limit < 1 || limit > history.MaxEventsList {
		return nil, false, history.ErrEventLimit
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	lo, hi := from.UnixMilli(), to.UnixMilli()
	var out []graph.Event
	n := len(r.buf)
	for i := range n {
		j := n - 1 - i
		if r.full {
			j = (r.next - 1 - i + 2*n) % n
		}
		e := &r.buf[j]
		if e.Time < lo || e.Time >= hi || (keep != nil && !keep(e)) {
			continue
		}
		if len(out) == limit {
			return out, true, nil
		}
		out = append(out, *e)
	}
	return out, false, nil
}
