package app

import (
	"context"
	"net/url"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
	"github.com/spanmap/spanmap/graph"
)

// embedPage is the chrome-less live map at "/embed" for iframes in wikis
// and dashboards: the map with its zoom controls, a small live indicator
// and a link to the full map with the same View. Clicking selects and
// highlights; the details live on the full map. The theme comes from the
// user's stored preference or the system setting.
//
// With a read-only embed token (the token parameter) the page uses only
// what the token grants: the stream of its View. When the server rejects
// the token (altered, expired, for another View) the page says so and
// stops reconnecting. The link to the full map leaves the token out: it is
// for this embed only, and the full map asks for a sign-in.
type embedPage struct {
	app.Compo

	s        session
	selected Selection
	labels   LabelMode
	theme    string
}

// newEmbedPage returns the embed page before it connects.
func newEmbedPage() *embedPage {
	return &embedPage{labels: LabelRate, theme: ThemeDark, s: session{view: graph.DefaultView()}}
}

// OnMount loads the preferences and starts the stream.
func (p *embedPage) OnMount(ctx app.Context) {
	p.theme, p.labels = loadPrefs(ctx)
	applyTheme(p.theme)
	ctx.Page().SetTitle("spanmap")
	p.s.canvasOf = p.newCanvas
	p.s.start(ctx)
	ctx.Handle(actionSelect, p.handleSelect)
}

// OnNav follows URL changes.
func (p *embedPage) OnNav(ctx app.Context) {
	if p.s.started {
		p.s.nav(ctx)
	}
}

// OnDismount stops the stream.
func (p *embedPage) OnDismount() { p.s.stop() }

func (p *embedPage) handleSelect(ctx app.Context, a app.Action) {
	if sel, ok := a.Value.(Selection); ok {
		p.selected = sel
	}
}

// newCanvas returns the map canvas as the page would render it now.
func (p *embedPage) newCanvas() *mapCanvas {
	canvas := newMapCanvas()
	canvas.Snapshot = p.s.shown
	canvas.Selected = p.selected
	canvas.Labels = p.labels
	canvas.Highlights = p.s.highlights
	canvas.FitKey = p.s.shownView
	canvas.Compact = true
	canvas.Handle = &p.s.canvas
	canvas.Health = p.s.healthRules()
	canvas.Stale = p.s.staleSet()
	return canvas
}

// Render draws the embedded map.
func (p *embedPage) Render() app.UI {
	canvas := p.newCanvas()

	l := p.s.liveStatus()

	body := []app.UI{canvas}
	if p.s.conn.rejected {
		body = append(body, renderRejected(p.s.conn.err))
	} else if st := p.s.state(); st != stateMap {
		e := newEmptyState()
		e.State = st
		e.Err = p.s.conn.err
		e.ResetURL = PageURL(PathEmbed, graph.DefaultView(), p.s.token)
		body = append(body, e)
	}
	body = append(body, app.Div().Class("embed-bar").Body(
		l,
		app.A().Class("button small").Href(PageURL(PathMap, p.s.view, p.s.token)).
			Target("_blank").Rel("noopener").Title("open this view in spanmap").Text("open full map ↗"),
	))
	if m := StaleMessage(p.s.live.status); m != "" {
		body = append(body, app.Div().Class("banner stale embed-banner").Role("status").Text(m))
	}
	if p.s.viewErr != "" {
		body = append(body, app.Div().Class("banner error embed-banner").Role("alert").Text(p.s.viewErr))
	}
	return app.Div().Class("spanmap", "embed", "theme-"+p.theme).Body(body...)
}

// renderRejected says that the server refused the page's embed token and
// why.
func renderRejected(reason string) app.UI {
	return app.Div().Class("empty-state error token-rejected").Role("alert").Body(
		app.H2().Text("This map cannot be shown"),
		app.P().Text("The server refused the link's read-only token: "+reason+"."),
		app.P().Class("muted").Text("Ask for a new read-only link, or open spanmap and sign in."),
	)
}

// readOnly reports whether the page runs on an embed token, which grants
// its View's stream and exports only: no source list, sparklines or
// previous windows.
func (s *session) readOnly() bool { return s.embedToken != "" }

// embedProbe returns the stream client's probe for the page's embed token
// (nil without one): it asks for the embed page of the subscribed View,
// which the server refuses with the same message as the stream.
func (s *session) embedProbe(page *url.URL) func(ctx context.Context, view string) error {
	if !s.readOnly() {
		return nil
	}
	origin, access, tok := Origin(page), s.token, s.embedToken
	return func(ctx context.Context, view string) error {
		v, err := graph.ParseView(view)
		if err != nil {
			return nil
		}
		return probeAccess(ctx, origin+WithEmbedToken(PageURL(PathEmbed, v, access), tok))
	}
}
