package app

import (
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
	"github.com/spanmap/spanmap/graph"
)

// mapPage is the full map at "/": toolbar (search, live status, theme),
// view controls, the map, the details and hotspots panels and a status
// bar. The View lives in the URL: controls navigate to a new URL, and
// back/forward or a shared link restore the View.
type mapPage struct {
	app.Compo

	s        session
	selected Selection
	labels   LabelMode
	theme    string
	help     bool
	share    bool
	keys     app.Func
	// cmp and events are the comparison and the change list (maphistory.go);
	// replayAt is when the replay last stepped.
	cmp      compareState
	events   eventsState
	replayAt time.Time
	// shownIdx and mapIdx name the nodes of the live snapshot and of the
	// graph on the map (the comparison's, when comparing).
	shownIdx nodeIndex
	mapIdx   nodeIndex
}

// newMapPage returns the map page before it connects.
func newMapPage() *mapPage {
	return &mapPage{labels: LabelRate, theme: ThemeDark, s: session{view: graph.DefaultView()}}
}

// OnMount loads the preferences, starts the stream and installs the
// keyboard shortcuts and the action handlers.
func (p *mapPage) OnMount(ctx app.Context) {
	p.theme, p.labels = loadPrefs(ctx)
	applyTheme(p.theme)
	ctx.Page().SetTitle("spanmap")
	p.s.onTick = p.historyTick
	p.s.canvasOf = p.newCanvas
	p.s.start(ctx)
	p.syncHistory(ctx, time.Now())
	ctx.Handle(actionHistory, p.handleHistory)
	ctx.Handle(actionSelect, p.handleSelect)
	ctx.Handle(actionFocus, p.handleSelect)
	ctx.Handle(actionView, p.handleView)
	ctx.Handle(actionFocusView, p.handleFocusView)
	ctx.Handle(actionPause, p.handlePause)
	ctx.Handle(actionLabels, p.handleLabels)
	ctx.Handle(actionTheme, p.handleTheme)
	ctx.Handle(actionShare, p.handleShare)
	p.keys = listenKeys(ctx, p.shortcut)
}

// OnNav follows a URL change (a control, back/forward).
func (p *mapPage) OnNav(ctx app.Context) {
	if p.s.started {
		p.s.nav(ctx)
		p.syncHistory(ctx, time.Now())
	}
}

// OnDismount stops the stream and removes the keyboard listener.
func (p *mapPage) OnDismount() {
	p.s.stop()
	unlistenKeys(p.keys)
	p.keys = nil
}

func (p *mapPage) handleSelect(ctx app.Context, a app.Action) {
	if sel, ok := a.Value.(Selection); ok {
		p.selected = sel
	}
}

func (p *mapPage) handleView(ctx app.Context, a app.Action) {
	if v, ok := a.Value.(graph.View); ok {
		ctx.Navigate(HistoryURL(PathMap, v, p.s.token, p.s.hist))
	}
}

func (p *mapPage) handleFocusView(ctx app.Context, a app.Action) {
	if id, ok := a.Value.(string); ok && id != "" {
		p.selected = Selection{Kind: KindNode, ID: id}
		ctx.Navigate(HistoryURL(PathMap, Focused(p.s.view, id), p.s.token, p.s.hist))
	}
}

func (p *mapPage) handlePause(ctx app.Context, a app.Action) { p.s.setPaused(!p.s.paused) }

func (p *mapPage) handleLabels(ctx app.Context, a app.Action) {
	if m, ok := a.Value.(LabelMode); ok {
		p.labels = m
		savePref(ctx, storageLabels, string(m))
	}
}

func (p *mapPage) handleTheme(ctx app.Context, a app.Action) {
	p.theme = otherTheme(p.theme)
	savePref(ctx, storageTheme, p.theme)
	applyTheme(p.theme)
}

// shortcut runs a keyboard command.
func (p *mapPage) shortcut(ctx app.Context, sc shortcut) {
	switch sc {
	case shortcutSearch:
		if in := app.Window().GetElementByID(searchInputID); in.Truthy() {
			in.Call("focus")
		}
	case shortcutFit:
		ctx.NewAction(actionFit)
	case shortcutPause:
		p.s.setPaused(!p.s.paused)
	case shortcutZoomIn:
		ctx.NewActionWithValue(actionZoom, ZoomStep)
	case shortcutZoomOut:
		ctx.NewActionWithValue(actionZoom, 1/ZoomStep)
	case shortcutClear:
		p.selected, p.help, p.share = Selection{}, false, false
	case shortcutTheme:
		p.handleTheme(ctx, app.Action{})
	}
}

func (p *mapPage) onTheme(ctx app.Context, e app.Event) { p.handleTheme(ctx, app.Action{}) }
func (p *mapPage) onHelp(ctx app.Context, e app.Event)  { p.help = !p.help }

// Render draws the page.
func (p *mapPage) Render() app.UI {
	pageRendering()
	mapClass := "map-area"
	if p.s.hist.Compare != "" {
		mapClass += " comparing"
	}
	return app.Div().Class("spanmap", "theme-"+p.theme).Body(
		p.renderToolbar(),
		p.renderBanners(),
		p.renderHistoryBar(),
		app.Div().Class("layout").Body(
			app.Aside().Class("sidebar sidebar-left").Body(p.renderControls()),
			app.Main().Class(mapClass).Body(p.renderMap()...),
			app.Aside().Class("sidebar sidebar-right").Body(
				app.If(p.s.hist.Compare != "", p.renderCompare),
				p.renderDetails(), p.renderHotspots(), p.renderChanges()),
		),
		p.renderStatusBar(),
		app.If(p.help, p.renderHelp),
	)
}

func (p *mapPage) renderToolbar() app.UI {
	search := newSearchBox()
	p.shownIdx.update(p.s.shown.Nodes)
	search.Nodes = p.shownIdx.nodes
	themeLabel := "light theme"
	if p.theme == ThemeLight {
		themeLabel = "dark theme"
	}
	return app.Header().Class("toolbar").Body(
		app.A().Class("brand").Href(PageURL(PathMap, graph.DefaultView(), p.s.token)).Text("spanmap"),
		search,
		p.renderLive(),
		app.Div().Class("toolbar-spacer"),
		p.renderShare(),
		app.Button().Class("button small").Title("switch theme (t)").OnClick(p.onTheme).Text(themeLabel),
		app.Button().Class("icon-button").Title("keyboard shortcuts").Aria("label", "keyboard shortcuts").
			Aria("expanded", p.help).OnClick(p.onHelp).Text("?"),
	)
}

func (p *mapPage) renderLive() app.UI { return p.s.liveStatus() }

func (p *mapPage) renderBanners() app.UI {
	var bs []app.UI
	if p.s.viewErr != "" {
		bs = append(bs, app.Div().Class("banner error").Role("alert").Text(p.s.viewErr))
	}
	if p.s.live.serverErr != "" {
		bs = append(bs, app.Div().Class("banner error").Role("alert").Text("server: "+p.s.live.serverErr))
	}
	if m := StaleMessage(p.s.live.status); m != "" {
		bs = append(bs, app.Div().Class("banner stale").Role("status").Text(m))
	}
	if p.s.paused {
		bs = append(bs, app.Div().Class("banner paused").Role("status").
			Text("Paused: the map is frozen; press space or resume to catch up."))
	}
	return app.Div().Class("banners").Body(bs...)
}

func (p *mapPage) renderControls() app.UI {
	c := newControlsPanel()
	c.View = p.s.view
	c.Labels = p.labels
	for _, n := range p.s.shown.Nodes {
		if n.ID == p.s.view.Focus {
			c.FocusName = nodeLabel(n)
		}
	}
	return c
}

// newCanvas returns the map canvas as the page would render it now.
func (p *mapPage) newCanvas() *mapCanvas {
	canvas := newMapCanvas()
	canvas.Snapshot = p.s.shown
	canvas.Selected = p.selected
	canvas.Labels = p.labels
	canvas.Highlights = p.s.highlights
	canvas.FitKey = p.fitKey()
	canvas.Handle = &p.s.canvas
	canvas.Health = p.s.healthRules()
	canvas.Stale = p.s.staleSet()
	if p.comparing() {
		canvas.Stale = StaleSet{}
		canvas.Snapshot = p.cmp.val.Graph
		canvas.Highlights = CompareHighlights(p.cmp.val)
		canvas.FitKey = "compare|" + canvas.FitKey
	}
	return canvas
}

func (p *mapPage) renderMap() []app.UI {
	out := []app.UI{p.newCanvas()}
	if st := p.s.state(); st != stateMap && !p.comparing() {
		e := newEmptyState()
		e.State = st
		e.Err = p.s.conn.err
		e.ResetURL = PageURL(PathMap, graph.DefaultView(), p.s.token)
		out = append(out, e)
	}
	if p.s.loading && len(p.s.shown.Nodes) > 0 {
		out = append(out, app.Div().Class("loading-badge").Role("status").Text("loading view…"))
	}
	if p.s.hist.Compare != "" {
		out = append(out, p.renderCompareBadge())
	}
	return out
}

func (p *mapPage) renderDetails() app.UI {
	d := newDetailsPanel()
	if !p.selected.IsZero() {
		// Without a selection the panel draws nothing from the graph:
		// leaving it out spares the panel every live update.
		d.Snapshot = p.mapSnapshot()
	}
	d.Selected = p.selected
	d.Sources = p.s.sources
	if !p.comparing() {
		d.Stale = p.s.staleSet()
	}
	d.SparkBase = p.s.sparkBase
	if !p.s.now.IsZero() {
		d.Now = p.s.now.UnixMilli()
	}
	return d
}

func (p *mapPage) renderHotspots() app.UI {
	h := newHotspotsPanel()
	h.Snapshot = p.s.shown
	h.Selected = p.selected
	h.Regressions = RankRegressions(p.s.shown, p.s.prev, hotspotsLimit)
	return h
}

func (p *mapPage) renderStatusBar() app.UI {
	version := ""
	if p.s.live.have {
		version = "version " + formatUint(p.s.shown.Version)
	}
	return app.Footer().Class("statusbar").Body(
		app.Span().Text(SourcesSummary(p.s.live.status)),
		app.Span().Class("muted").Text(version),
	)
}

func (p *mapPage) renderHelp() app.UI {
	var rows []app.UI
	for _, h := range ShortcutHelp() {
		rows = append(rows, app.Dt().Body(app.Kbd().Text(h[0])), app.Dd().Text(h[1]))
	}
	return app.Div().Class("help").Role("dialog").Aria("label", "keyboard shortcuts").Body(
		app.H2().Text("Keyboard shortcuts"),
		app.Dl().Body(rows...),
		app.P().Class("muted").Text("Drag to pan, scroll to zoom, click a service or edge for details, click a namespace header to fold it."),
		app.Button().Class("button").OnClick(p.onHelp).Text("close"),
	)
}
