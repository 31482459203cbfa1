package hub

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"

	"github.com/spanmap/spanmap/graph"
	"github.com/spanmap/spanmap/graph/agg"
	"github.com/spanmap/spanmap/graph/layout"
)

// Graph is the aggregated graph the hub reads; *agg.Aggregator satisfies it.
type Graph interface {
	// Snapshot returns the nodes and edges seen in [from, to), sorted by ID.
	Snapshot(from, to time.Time, opt agg.Options) graph.Snapshot
}

// Layouter places a snapshot's nodes and edges in place; *layout.Layouter
// satisfies it.
type Layouter interface {
	// Layout sets positions, sizes and edge paths of s.
	Layout(ctx context.Context, s *graph.Snapshot, opt layout.Options) error
}

// StatusFunc reports the sources and data quality for status messages; the
// hub sets Time.
type StatusFunc func() graph.Status

// Errors returned by the hub.
var (
	// ErrClosed is returned by Snapshot once the hub has stopped.
	ErrClosed = errors.New("hub stopped")
	// ErrTooManyViews refuses a subscription to a new View while MaxViews
	// Views have subscribers.
	ErrTooManyViews = errors.New("too many distinct Views watched at once")
)

var (
	_ Graph        = (*agg.Aggregator)(nil)
	_ Layouter     = (*layout.Layouter)(nil)
	_ http.Handler = (*Hub)(nil)
)

// Hub keeps one Snapshot current per active View and streams its diffs to
// the View's websocket subscribers. Create it with New, mount it as the
// handler of the stream endpoint and run Run until shutdown.
type Hub struct {
	cfg    Config
	g      Graph
	l      Layouter
	status StatusFunc
	log    *slog.Logger
	now    func() time.Time
	accept websocket.AcceptOptions

	// ctx bounds every goroutine the hub starts; cancel stops them.
	ctx    context.Context
	cancel context.CancelFunc
	// sem holds one token per running layout.
	sem chan struct{}
	// version numbers every snapshot of every View, so versions never
	// repeat even when a View is dropped and computed again.
	version atomic.Uint64
	stats   counters
	// statusMsg is the latest encoded status message.
	statusMsg atomic.Pointer[[]byte]

	mu     sync.Mutex
	views  map[string]*view
	closed bool
	wg     sync.WaitGroup

	// Owned by the goroutine calling tick.
	lastStatus time.Time
}

// New returns a hub reading g, placing nodes with l (nil leaves snapshots
// without positions), reporting sources with status (may be nil). now is
// the clock (time.Now when nil).
func New(cfg Config, g Graph, l Layouter, status StatusFunc, log *slog.Logger, now func() time.Time) (*Hub, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if g == nil {
		return nil, fmt.Errorf("%w: no graph", ErrConfig)
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if now == nil {
		now = time.Now
	}
	ctx, cancel := context.WithCancel(context.Background())
	h := &Hub{
		cfg:    cfg,
		g:      g,
		l:      l,
		status: status,
		log:    log,
		now:    now,
		accept: websocket.AcceptOptions{
			OriginPatterns:  cfg.AllowedOrigins,
			CompressionMode: cfg.Compression.websocketMode(),
		},
		ctx:    ctx,
		cancel: cancel,
		sem:    make(chan struct{}, cfg.LayoutWorkers),
		views:  map[string]*view{},
	}
	h.stats.diffSizes = newHistogram(diffSizeBounds)
	h.stats.layoutTimes = newHistogram(layoutBounds)
	return h, nil
}

// Run recomputes active Views every Tick until ctx is done, then closes
// every subscriber (going away) and waits for the hub's goroutines.
func (h *Hub) Run(ctx context.Context) error {
	defer h.shutdown()
	t := time.NewTicker(h.cfg.Tick)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-h.ctx.Done():
			return nil
		case <-t.C:
			h.tick()
		}
	}
}

// shutdown stops every goroutine the hub started and waits for them.
func (h *Hub) shutdown() {
	h.mu.Lock()
	h.closed = true
	h.mu.Unlock()
	h.cancel()
	h.wg.Wait()
}

// spawn runs f on a goroutine the hub waits for at shutdown. It reports
// false, without running f, once the hub has stopped.
func (h *Hub) spawn(f func()) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return false
	}
	h.wg.Add(1)
	go func() {
		defer h.wg.Done()
		f()
	}()
	return true
}

// tick advances every active View by one step, drops idle Views and sends
// status messages when due. Only one goroutine calls tick (Run's loop).
func (h *Hub) tick() {
	start := time.Now()
	now := h.now()
	h.stepAll(h.active(now), now)
	if h.lastStatus.IsZero() || now.Sub(h.lastStatus) >= h.cfg.StatusInterval {
		h.lastStatus = now
		h.sendStatus(now)
	}
	h.stats.ticks.Add(1)
	h.stats.tickNanos.Add(int64(time.Since(start)))
}

// stepAll steps views in parallel, one goroutine per CPU, and returns when
// all are done. Each View is stepped by exactly one goroutine.
func (h *Hub) stepAll(views []*view, now time.Time) {
	workers := min(runtime.GOMAXPROCS(0), len(views))
	if workers <= 1 {
		for _, v := range views {
			h.step(v, now)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := next.Add(1) - 1; i < int64(len(views)); i = next.Add(1) - 1 {
				h.step(views[i], now)
			}
		}()
	}
	wg.Wait()
}

// active drops Views idle for longer than IdleViewExpiry and returns the
// ready ones.
func (h *Hub) active(now time.Time) []*view {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]*view, 0, len(h.views))
	for key, v := range h.views {
		if !v.isReady() {
			continue
		}
		if v.idleFor(now) > h.cfg.IdleViewExpiry {
			delete(h.views, key)
			continue
		}
		out = append(out, v)
	}
	return out
}

// Snapshot returns the current snapshot of view: the streamed one when the
// View is active, otherwise one computed now the same way (aggregate,
// filter, layout). The result is the caller's to keep.
func (h *Hub) Snapshot(ctx context.Context, spec graph.View) (graph.Snapshot, error) {
	key := spec.Encode()
	h.mu.Lock()
	v, closed := h.views[key], h.closed
	h.mu.Unlock()
	if closed {
		return graph.Snapshot{}, ErrClosed
	}
	if v != nil {
		select {
		case <-v.ready:
		case <-ctx.Done():
			return graph.Snapshot{}, ctx.Err()
		}
		if err := v.failed(); err != nil {
			return graph.Snapshot{}, err
		}
		s := v.current()
		return s.Clone(), nil
	}
	s, _, err := h.build(ctx, spec, key, h.now())
	if err != nil {
		return graph.Snapshot{}, err
	}
	s.Version = h.version.Add(1)
	return s, nil
}

// viewFor returns the shared state of spec, creating it (and computing its
// first snapshot on a hub goroutine) when no one looks at it yet. At
// MaxViews, the View idle the longest makes room; without one, it fails
// with ErrTooManyViews. Must be called holding h.mu.
func (h *Hub) viewFor(spec graph.View, key string) (*view, error) {
	if v, ok := h.views[key]; ok {
		return v, nil
	}
	if h.closed {
		return nil, ErrClosed
	}
	if len(h.views) >= h.cfg.MaxViews && !h.evictIdle() {
		h.stats.viewLimitHits.Add(1)
		return nil, fmt.Errorf("%w: %d Views are watched already", ErrTooManyViews, h.cfg.MaxViews)
	}
	v := newView(spec, key)
	h.views[key] = v
	h.wg.Add(1)
	go func() {
		defer h.wg.Done()
		h.init(v)
	}()
	return v, nil
}

// evictIdle drops the View without subscribers that has been idle the
// longest, reporting whether there was one. Must be called holding h.mu.
func (h *Hub) evictIdle() bool {
	var oldest *view
	var since time.Time
	for _, v := range h.views {
		if !v.isReady() {
			continue
		}
		v.mu.Lock()
		idle, at := len(v.subs) == 0, v.idleSince
		v.mu.Unlock()
		if idle && (oldest == nil || at.Before(since)) {
			oldest, since = v, at
		}
	}
	if oldest == nil {
		return false
	}
	delete(h.views, oldest.key)
	return true
}
