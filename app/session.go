package app

import (
	"context"
	"net/url"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
	"github.com/spanmap/spanmap/graph"
)

// HighlightFor is how long changed elements keep their highlight class.
const HighlightFor = 3 * time.Second

// session is the live state shared by the map and embed pages: the View
// from the URL, the stream subscription and the snapshot shown. It is
// not a component; its owner calls it from its lifecycle methods, on the
// UI goroutine.
type session struct {
	// view is the View read from the URL; viewErr says why the URL's View
	// was rejected (then view is the default).
	view    graph.View
	viewErr string
	// token is the access token from the URL, passed on to the server.
	token string
	// embedToken is the read-only embed token from the URL: passed on to
	// the stream and exports, never to links to other Views.
	embedToken string
	// hist is the page's history state from the URL (compare, replay,
	// slider span); the View stays as it is when only hist changes.
	hist HistoryParams
	// onTick, when set, runs on every clock tick after the session's own
	// work (the map page's replay and history panels).
	onTick func(ctx app.Context, now time.Time)
	// canvasOf, when set, returns the map canvas the owning page would
	// render now; canvas reaches the mounted one. A live update is drawn
	// on the map as soon as it is applied (canvasHandle.drawNow).
	canvasOf func() *mapCanvas
	canvas   canvasHandle
	// sparkBase is the sparkline API URL (with the token), set by start.
	sparkBase string
	// page is the page URL at start, for API addresses.
	page *url.URL
	// prev is the previous window of the View, for latency regressions;
	// prevView and prevAt say which View it is of and when it was loaded.
	prev     graph.Snapshot
	prevView string
	prevAt   time.Time
	// live follows the stream; shown is the snapshot drawn, frozen while
	// paused.
	live  liveState
	shown graph.Snapshot
	// shownView is the canonical View of shown; the map zooms to fit when
	// it changes.
	shownView string
	paused    bool
	// loading is set from a View change until its first snapshot is
	// shown; the previous map stays up meanwhile.
	loading bool
	conn    connState
	// started is set once the stream runs; the "connecting" state shows
	// until the first connection.
	started bool
	// highlights are the changes of the latest update, until hlUntil.
	highlights Changes
	hlUntil    time.Time
	hlGen      uint64 // the Gen of the latest highlights
	now        time.Time
	sources    map[string]SourceLink
	client     *streamClient
	cancel     context.CancelFunc
}

// readURL sets the View and token from a page URL and reports whether the
// View changed.
func (s *session) readURL(u *url.URL) bool {
	rest, hist, herr := SplitHistoryQuery(u.RawQuery)
	v, token, err := ViewFromQuery(rest)
	s.token, s.hist = token, hist
	s.embedToken = EmbedTokenFromQuery(u.RawQuery)
	s.viewErr = ""
	if err != nil {
		s.viewErr = "this link's view is not valid, showing the default view instead: " + err.Error()
	} else if herr != nil {
		s.viewErr = "this link's history settings are not all valid, ignoring: " + herr.Error()
	}
	if v == s.view && s.live.view == v.Encode() && s.started {
		return false
	}
	s.view = v
	s.live.reset(v.Encode())
	s.loading = true
	s.highlights = Changes{}
	return true
}

// start reads the page URL, connects the stream, starts the clock and
// loads the source list. ctx is the owning page's context.
func (s *session) start(ctx app.Context) {
	page := ctx.Page().URL()
	s.readURL(page)
	s.now = time.Now()
	runCtx, cancel := context.WithCancel(ctx)
	s.cancel = cancel
	s.client = newStreamClient(StreamURL(page, s.token, s.embedToken), s.view.Encode())
	s.client.probe = s.embedProbe(page)
	s.started = true
	client := s.client
	ctx.Async(func() {
		client.run(runCtx,
			func(m graph.Message) {
				at := perfNow()
				ctx.Dispatch(func(ctx app.Context) {
					perfMeasure(measureDispatch, at)
					s.onMessage(ctx, m)
				})
			},
			func(st connState) { ctx.Dispatch(func(ctx app.Context) { s.conn = st }) })
	})
	ctx.Async(func() {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-runCtx.Done():
				return
			case now := <-t.C:
				ctx.Dispatch(func(ctx app.Context) {
					s.tick(now)
					s.refreshPrevious(ctx, now)
					if s.onTick != nil {
						s.onTick(ctx, now)
					}
				})
			}
		}
	})
	s.page = page
	if !s.readOnly() { // an embed token grants the View's stream and exports only
		s.sparkBase = APIURL(page, PathSparkline, s.token)
		s.loadSources(ctx, APIURL(page, PathSources, s.token))
	}
}

// stop ends the stream and the clock.
func (s *session) stop() {
	if s.cancel != nil {
		s.cancel()
		s.cancel = nil
	}
}

// nav handles a navigation (a control changed the URL, back/forward):
// when the View changed it resubscribes.
func (s *session) nav(ctx app.Context) {
	if !s.readURL(ctx.Page().URL()) || s.client == nil {
		return
	}
	s.resubscribe(ctx)
}

// resubscribe asks the server for a fresh snapshot of the current View.
func (s *session) resubscribe(ctx app.Context) {
	if s.client == nil {
		return
	}
	client, view := s.client, s.view.Encode()
	ctx.Async(func() {
		if err := client.subscribe(ctx, view); err != nil {
			app.Log(err)
		}
	})
}

// onMessage applies a stream message.
func (s *session) onMessage(ctx app.Context, m graph.Message) {
	start := perfNow()
	r := s.live.handle(m, time.Now())
	perfMeasure(measureApply, start)
	if r.resubscribe {
		s.resubscribe(ctx)
	}
	if r.changed && (!s.paused || s.loading) {
		start := perfNow()
		s.show(time.Now())
		perfMeasure(measureChanges, start)
		if s.canvasOf != nil {
			s.canvas.drawNow(s.canvasOf())
		}
		handledAt = perfNow()
	}
}

// show draws the live snapshot, highlighting what changed since the
// snapshot shown before.
func (s *session) show(now time.Time) {
	if s.loading || s.shownView != s.live.view {
		s.shown, s.shownView, s.loading = s.live.snap, s.live.view, false
		s.highlights = Changes{}
		return
	}
	c := DetectChanges(s.shown, s.live.snap)
	s.shown = s.live.snap
	if !c.Empty() {
		s.hlGen++
		c.Gen = s.hlGen
		s.highlights = c
		s.hlUntil = now.Add(HighlightFor)
	}
}

// tick advances the clock and expires highlights.
func (s *session) tick(now time.Time) {
	s.now = now
	if !s.highlights.Empty() && !now.Before(s.hlUntil) {
		s.highlights = Changes{}
	}
}

// setPaused freezes or unfreezes the map; resuming shows the latest.
func (s *session) setPaused(p bool) {
	s.paused = p
	if !p && s.live.have {
		s.show(time.Now())
	}
}

// age is the time since the shown map last changed, 0 before any update.
func (s *session) age() time.Duration {
	if s.live.updated.IsZero() || s.now.Before(s.live.updated) {
		return 0
	}
	return s.now.Sub(s.live.updated)
}

// state summarises what the page should say about the data.
func (s *session) state() pageState {
	switch {
	case len(s.shown.Nodes) > 0:
		return stateMap
	case s.live.have && viewFilters(s.view):
		return stateFiltered
	case s.live.have:
		return stateNoData
	case s.conn.err != "" && !s.conn.connected:
		return stateOffline
	default:
		return stateConnecting
	}
}

// pageState is what the map area shows.
type pageState int

// Page states.
const (
	stateConnecting pageState = iota
	stateOffline
	stateNoData
	stateFiltered
	stateMap
)

// viewFilters reports whether v hides part of the graph, so an empty map
// may be the filters' doing.
func viewFilters(v graph.View) bool {
	return v.Focus != "" || v.HideVirtual || v.MinRate > 0 || v.ErrorsOnly || v.Fixed()
}

// previousEvery is how often the previous window is reloaded.
const previousEvery = 30 * time.Second

// refreshPrevious reloads the View's previous window when the View changed
// or the copy is older than previousEvery.
func (s *session) refreshPrevious(ctx app.Context, now time.Time) {
	key := s.view.Encode()
	if s.page == nil || s.readOnly() || (key == s.prevView && now.Sub(s.prevAt) < previousEvery) {
		return
	}
	if key != s.prevView {
		s.prev = graph.Snapshot{}
	}
	s.prevView, s.prevAt = key, now
	u := PreviousWindowURL(s.page, s.view, s.token, now)
	if u == "" {
		return
	}
	ctx.Async(func() {
		prev, err := fetchGraph(u)
		if err != nil {
			app.Log(err)
			return
		}
		ctx.Dispatch(func(ctx app.Context) {
			if s.prevView == key {
				s.prev = prev
			}
		})
	})
}

// healthRules are the server's health rules, once a status stated them.
// liveStatus returns the status of the stream and the map, for the
// toolbar.
func (s *session) liveStatus() *liveStatus {
	l := newLiveStatus()
	l.Paused = s.paused
	l.Connected = s.conn.connected
	l.ConnErr = s.conn.err
	l.RetryIn = s.conn.retryIn
	l.Age = s.age().Truncate(time.Second)
	l.HasData = s.live.have
	l.Past = !s.view.From.IsZero()
	return l
}

// staleSet returns the stale sources, for a live View; none for a View
// anchored in the past, whose figures are meant to stay.
func (s *session) staleSet() StaleSet {
	return StaleSources(s.live.status, s.view.From.IsZero())
}

func (s *session) healthRules() *graph.HealthRules {
	if s.live.status == nil {
		return nil
	}
	return s.live.status.Health
}
