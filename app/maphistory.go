package app

import (
	"net/url"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
	"github.com/spanmap/spanmap/graph"
)

// The map page's history features: the time slider and its replay,
// compare mode and the changes panel. Their state is the View and the
// history parameters of the URL (session.hist); the comparison and the
// change list are loaded from the API for it.

// handleHistory goes to the View and history state of an actionHistory.
func (p *mapPage) handleHistory(ctx app.Context, a app.Action) {
	nav, ok := a.Value.(historyNav)
	if !ok {
		return
	}
	u := HistoryURL(PathMap, nav.View, p.s.token, nav.Params)
	if nav.Replace {
		p.replaceURL(ctx, u)
		return
	}
	p.replayAt = time.Time{}
	ctx.Navigate(u)
}

// replaceURL swaps the page's address for u without a history entry and
// follows it, as a navigation would.
func (p *mapPage) replaceURL(ctx app.Context, u string) {
	pu, err := url.Parse(u)
	if err != nil {
		return
	}
	ctx.Page().ReplaceURL(pu)
	p.OnNav(ctx)
}

// historyTick runs every second: a replay step, then the history panels.
func (p *mapPage) historyTick(ctx app.Context, now time.Time) {
	p.replayStep(ctx, now)
	p.syncHistory(ctx, now)
}

// replayStep advances a replay by one step once the previous step's map
// has arrived (one request in flight at most) and ReplayEvery has passed.
// A replay that reaches the present ends, live.
func (p *mapPage) replayStep(ctx app.Context, now time.Time) {
	h := p.s.hist
	if !h.Replay || p.s.loading || now.Sub(p.replayAt) < ReplayEvery {
		return
	}
	p.replayAt = now
	v, done := ReplayStep(p.s.view, h.speed(), now)
	if done {
		h.Replay = false
	}
	p.replaceURL(ctx, HistoryURL(PathMap, v, p.s.token, h))
}

// sliderScale is the span of the time slider.
func (p *mapPage) sliderScale(now time.Time) time.Duration {
	if p.s.hist.Scale > 0 {
		return p.s.hist.Scale
	}
	return AutoScale(p.s.view, now)
}

// syncHistory loads the comparison and the changes of the current View
// when they are missing or due for a refresh (live Views only). A page on
// an embed token has neither: the token grants its View's stream only.
func (p *mapPage) syncHistory(ctx app.Context, now time.Time) {
	if p.s.page == nil || p.s.readOnly() {
		return
	}
	refresh := func(d time.Duration) time.Duration {
		if p.s.view.Fixed() {
			return 0
		}
		return d
	}
	if c := p.s.hist.Compare; c != "" {
		p.cmp.sync(ctx, compareKey(p.s.view, c), CompareURL(p.s.page, p.s.view, p.s.token, c), refresh(compareRefresh), now)
	} else {
		p.cmp.clear()
	}
	scale := p.sliderScale(now)
	from, to := EventsRange(p.s.view, scale, now)
	if !p.s.view.Fixed() {
		to = time.Time{} // up to the server's now
	}
	p.events.sync(ctx, eventsKey(p.s.view, scale), EventsURL(p.s.page, p.s.view, p.s.token, from, to, eventsLimit),
		refresh(eventsRefresh), now)
}

// comparing reports whether compare mode is on and has a map to draw.
func (p *mapPage) comparing() bool { return p.s.hist.Compare != "" && p.cmp.have }

// mapSnapshot is the graph the map and details panel show: the
// comparison's union graph in compare mode, else the live one.
func (p *mapPage) mapSnapshot() graph.Snapshot {
	if p.comparing() {
		return p.cmp.val.Graph
	}
	return p.s.shown
}

func (p *mapPage) renderHistoryBar() app.UI {
	s := newTimeSlider()
	s.View = p.s.view
	s.Params = p.s.hist
	s.Now = sliderNow(p.s.now, p.sliderScale(p.s.now))
	if p.events.have {
		s.Events = p.events.val.Events
	}
	return s
}

// sliderNow is now to the precision the time slider can show: a
// thousandth of its span (a pixel or less), at least a second. The slider
// then redraws its hundred change marks when they move, not on every tick.
func sliderNow(now time.Time, scale time.Duration) time.Time {
	return now.Truncate(max(scale/1000, time.Second).Truncate(time.Second))
}

func (p *mapPage) renderCompare() app.UI {
	c := newComparePanel()
	c.Params = p.s.hist
	c.View = p.s.view
	c.Now = p.s.now
	c.Result, c.Have = p.cmp.val, p.cmp.have
	c.Loading = p.cmp.inflight || !p.cmp.current(compareKey(p.s.view, p.s.hist.Compare))
	c.Err = p.cmp.err
	c.Selected = p.selected
	return c
}

func (p *mapPage) renderChanges() app.UI {
	c := newChangesPanel()
	c.List, c.Have, c.Err = p.events.val, p.events.have, p.events.err
	// The panel shows the range to the minute: truncated, it changes once
	// a minute, not on every clock tick.
	from, to := EventsRange(p.s.view, p.sliderScale(p.s.now), p.s.now)
	c.From, c.To = from.Truncate(time.Minute), to.Truncate(time.Minute)
	p.mapIdx.update(p.mapSnapshot().Nodes)
	c.Names = p.mapIdx.names
	c.Selected = p.selected
	return c
}

// renderCompareBadge says on the map that it shows a comparison, or that
// one is loading.
func (p *mapPage) renderCompareBadge() app.UI {
	switch {
	case p.cmp.err != "" && !p.cmp.have:
		return app.Div().Class("compare-badge error").Role("alert").Text("comparison failed: " + p.cmp.err)
	case !p.comparing():
		return app.Div().Class("compare-badge").Role("status").Text("comparing…")
	}
	return app.Div().Class("compare-badge").Role("status").
		Text("compared with " + formatSpan(p.cmp.val.A))
}

// fitKey is what the map zooms to fit for: the View shown, without its
// time range while a replay runs, so the replay keeps the user's zoom.
func (p *mapPage) fitKey() string {
	if !p.s.hist.Replay {
		return p.s.shownView
	}
	v, err := graph.ParseView(p.s.shownView)
	if err != nil {
		return p.s.shownView
	}
	return "replay|" + LiveView(v).Encode()
}
