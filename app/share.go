package app

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/http"
	"runtime"
	"strings"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
	"github.com/spanmap/spanmap/graph"
)

// actionShare opens or closes the map page's share dialog.
const actionShare = "spanmap/share"

// ShareTTLs are the lifetimes offered for read-only links, as
// POST /api/v1/tokens takes them, with their labels; the first is the
// default.
func ShareTTLs() [][2]string {
	return [][2]string{{"30d", "30 days"}, {"1d", "1 day"}, {"7d", "7 days"}, {"365d", "1 year"}}
}

// Snippet is a text the share dialog offers to copy.
type Snippet struct {
	// ID names the snippet: "iframe", "markdown", "img" or "mermaid".
	ID string
	// Label is its title in the dialog.
	Label string
	// Text is what is copied.
	Text string
}

// ShareSnippets returns the snippets that show View v of the server at
// origin ("https://maps.example.com") in other pages: a live iframe, a
// Markdown image and an HTML image of the SVG export. With embedToken
// their addresses carry it, so they work without a sign-in; the page's
// own access token never goes into them.
func ShareSnippets(origin string, v graph.View, embedToken string) []Snippet {
	embed := origin + WithEmbedToken(PageURL(PathEmbed, v, ""), embedToken)
	svg := origin + WithEmbedToken(ExportURL("svg", v, ""), embedToken)
	const title = "spanmap service map"
	return []Snippet{
		{ID: "iframe", Label: "iframe, live map", Text: fmt.Sprintf(
			`<iframe src="%s" title="%s" width="100%%" height="480" style="border:0" loading="lazy"></iframe>`, html.EscapeString(embed), title)},
		{ID: "markdown", Label: "Markdown image", Text: "![" + title + "](" + svg + ")"},
		{ID: "img", Label: "HTML image", Text: fmt.Sprintf(`<img src="%s" alt="%s">`, html.EscapeString(svg), title)},
	}
}

// authState is what the share dialog knows about the server's sign-in.
type authState int

// Sign-in states.
const (
	authUnknown  authState = iota // not asked yet, or the server did not answer
	authRequired                  // the server wants credentials
	authOpen                      // anyone who reaches the server may read
)

// mintedToken is a read-only embed token the dialog made.
type mintedToken struct {
	// Token is the embed token.
	Token string `json:"token"`
	// View is the canonical View it is for.
	View string `json:"view"`
	// Expires is when it stops working.
	Expires time.Time `json:"expires"`
	// ttl is the lifetime it was asked for.
	ttl string
}

// shareDialog is the map page's share dialog: snippets that show the
// current View in wikis and docs (a live iframe, images of the SVG
// export, the Mermaid text), downloads of the SVG and PNG, and, on a
// server that requires a sign-in, a read-only link: an embed token minted
// for the View that the snippets then carry.
type shareDialog struct {
	app.Compo

	// View is the View shared.
	View graph.View
	// Origin is the server's scheme and host, the start of every address
	// in the snippets.
	Origin string
	// AccessToken is the page's access token, for the dialog's own
	// requests; it never goes into a snippet.
	AccessToken string

	auth     authState
	readOnly bool
	ttl      string
	token    mintedToken
	minting  bool
	mintErr  string
	// mermaid is the Mermaid text of mermaidOf (a View's canonical form).
	mermaid    string
	mermaidOf  string
	mermaidErr string
	// copied is the ID of the snippet copied last; hint, when set, says
	// how to copy hintFor by hand (no clipboard access).
	copied  string
	hint    string
	hintFor string
}

// newShareDialog returns the dialog with the default lifetime chosen.
func newShareDialog() *shareDialog { return &shareDialog{ttl: ShareTTLs()[0][0]} }

// OnMount asks whether the server requires a sign-in and loads the
// Mermaid text.
func (d *shareDialog) OnMount(ctx app.Context) {
	if d.Origin == "" {
		return
	}
	origin := d.Origin
	ctx.Async(func() {
		st := probeAuth(ctx, origin)
		ctx.Dispatch(func(ctx app.Context) { d.auth = st })
	})
	d.loadMermaid(ctx)
}

// OnUpdate follows View changes: new Mermaid text, a new token.
func (d *shareDialog) OnUpdate(ctx app.Context) {
	d.loadMermaid(ctx)
	d.mintIfNeeded(ctx)
}

// loadMermaid fetches the Mermaid text of the View unless it is loaded.
func (d *shareDialog) loadMermaid(ctx app.Context) {
	key := d.View.Encode()
	if d.Origin == "" || d.mermaidOf == key {
		return
	}
	d.mermaidOf, d.mermaid, d.mermaidErr = key, "", ""
	u := d.Origin + ExportURL("mmd", d.View, d.AccessToken)
	ctx.Async(func() {
		text, err := fetchText(ctx, u)
		ctx.Dispatch(func(ctx app.Context) {
			if d.mermaidOf != key {
				return
			}
			d.mermaid = text
			if err != nil {
				d.mermaidErr = err.Error()
			}
		})
	})
}

// mintIfNeeded asks for a token for the View and lifetime chosen when the
// read-only link is on and the token at hand is for something else.
func (d *shareDialog) mintIfNeeded(ctx app.Context) {
	key := d.View.Encode()
	if !d.readOnly || d.minting || d.Origin == "" || (d.token.View == key && d.token.ttl == d.ttl && d.token.Token != "") {
		return
	}
	d.minting, d.mintErr, d.token = true, "", mintedToken{}
	origin, access, ttl := d.Origin, d.AccessToken, d.ttl
	ctx.Async(func() {
		tok, err := mintToken(ctx, origin, access, key, ttl)
		ctx.Dispatch(func(ctx app.Context) {
			d.minting = false
			if err != nil {
				d.mintErr = err.Error()
				return
			}
			tok.ttl = ttl
			d.token = tok
			d.mintIfNeeded(ctx) // the View or lifetime changed meanwhile
		})
	})
}

// embedToken is the token the snippets carry: the minted one when the
// read-only link is on and the token matches the View and lifetime.
func (d *shareDialog) embedToken() string {
	if d.readOnly && d.token.View == d.View.Encode() && d.token.ttl == d.ttl {
		return d.token.Token
	}
	return ""
}

func (d *shareDialog) onClose(ctx app.Context, e app.Event) { ctx.NewAction(actionShare) }

func (d *shareDialog) onReadOnly(ctx app.Context, e app.Event) {
	d.readOnly = ctx.JSSrc().Get("checked").Bool()
	d.copied, d.hint = "", ""
	d.mintIfNeeded(ctx)
}

func (d *shareDialog) onTTL(ctx app.Context, e app.Event) {
	if v := ctx.JSSrc().Get("value").String(); v != "" {
		d.ttl = v
	}
	d.copied, d.hint = "", ""
	d.mintIfNeeded(ctx)
}

// copy puts a snippet on the clipboard, or, where the page may not write
// to it (plain http other than localhost), selects the snippet's text and
// says how to copy it.
func (d *shareDialog) copy(ctx app.Context, id, text string) {
	d.copied, d.hint = "", ""
	clip := app.Window().Get("navigator").Get("clipboard")
	if !clip.Truthy() {
		d.selectForCopy(id)
		return
	}
	var ok, fail app.Func
	release := func() { ok.Release(); fail.Release() }
	ok = app.FuncOf(func(app.Value, []app.Value) any {
		ctx.Dispatch(func(ctx app.Context) { d.copied = id })
		release()
		return nil
	})
	fail = app.FuncOf(func(app.Value, []app.Value) any {
		ctx.Dispatch(func(ctx app.Context) { d.selectForCopy(id) })
		release()
		return nil
	})
	clip.Call("writeText", text).Call("then", ok, fail)
}

// selectForCopy selects the text of snippet id and copies it the old way,
// leaving a hint when even that is not allowed.
func (d *shareDialog) selectForCopy(id string) {
	if el := app.Window().GetElementByID(snippetID(id)); el.Truthy() {
		el.Call("focus")
		el.Call("select")
		if app.Window().Get("document").Call("execCommand", "copy").Bool() {
			d.copied = id
			return
		}
	}
	d.hint, d.hintFor = "The text is selected: press Ctrl+C (⌘C on a Mac) to copy it.", id
}

// snippetID is the element ID of snippet id's text area.
func snippetID(id string) string { return "share-" + id }

// Render draws the dialog.
func (d *shareDialog) Render() app.UI {
	body := []app.UI{
		app.Div().Class("share-head").Body(
			app.H2().Text("Share this view"),
			app.Button().Class("icon-button").Title("close").Aria("label", "close").OnClick(d.onClose).Text("×"),
		),
		app.P().Class("muted").Text("View: " + viewSummary(d.View)),
		d.renderAccess(),
	}
	if d.readOnly && d.embedToken() == "" {
		body = append(body, app.P().Class("muted").Text("The snippets appear once the read-only link is made."))
	} else {
		for _, s := range ShareSnippets(d.Origin, d.View, d.embedToken()) {
			body = append(body, d.renderSnippet(s, false))
		}
	}
	mermaid := Snippet{ID: "mermaid", Label: "Mermaid text (a copy of the map now)", Text: d.mermaid}
	switch {
	case d.mermaidErr != "":
		mermaid.Text = "could not load the Mermaid text: " + d.mermaidErr
	case d.mermaid == "":
		mermaid.Text = "loading…"
	}
	body = append(body,
		d.renderSnippet(mermaid, d.mermaid == "" || d.mermaidErr != ""),
		app.Div().Class("share-downloads").Body(
			app.A().Class("button small").Href(ExportURL("svg", d.View, d.AccessToken)).Attr("download", "spanmap.svg").Text("download SVG"),
			app.A().Class("button small").Href(ExportURL("png", d.View, d.AccessToken)).Attr("download", "spanmap.png").Text("download PNG"),
		),
	)
	return app.Div().Class("share-dialog").Role("dialog").Aria("label", "share this view").Body(body...)
}

// renderAccess draws the read-only link option, or says that links need
// no token.
func (d *shareDialog) renderAccess() app.UI {
	if d.auth == authOpen {
		return app.P().Class("share-access muted").Text("This server needs no sign-in: anyone who can reach it can open these links.")
	}
	var opts []app.UI
	for _, o := range ShareTTLs() {
		opts = append(opts, app.Option().Value(o[0]).Selected(o[0] == d.ttl).Text(o[1]))
	}
	status := app.Span().Class("muted").Text("Without it, viewers must sign in to spanmap.")
	switch {
	case d.minting:
		status = app.Span().Class("muted").Role("status").Text("making the read-only link…")
	case d.mintErr != "":
		status = app.Span().Class("share-error").Role("alert").Text("could not make a read-only link: " + d.mintErr)
	case d.embedToken() != "":
		status = app.Span().Class("muted").Role("status").Text("Anyone with these snippets sees this view only, live, until " +
			d.token.Expires.Local().Format("2006-01-02 15:04") + ".")
	}
	return app.Div().Class("share-access").Body(
		app.Label().Body(
			app.Input().Type("checkbox").Checked(d.readOnly).OnChange(d.onReadOnly),
			app.Text(" read-only link for this view, valid for "),
		),
		app.Select().Aria("label", "read-only link lifetime").Disabled(!d.readOnly).OnChange(d.onTTL).Body(opts...),
		app.Div().Body(status),
	)
}

// renderSnippet draws one snippet: its text, selectable, and a copy
// button (disabled while the text is not there).
func (d *shareDialog) renderSnippet(s Snippet, disabled bool) app.UI {
	label := "copy"
	if d.copied == s.ID {
		label = "copied ✓"
	}
	rows := min(max(strings.Count(s.Text, "\n")+1, 2), 8)
	text := s.Text
	return app.Div().Class("share-snippet").Body(
		app.Label().For(snippetID(s.ID)).Text(s.Label),
		app.Textarea().ID(snippetID(s.ID)).Class("share-text").ReadOnly(true).Rows(rows).Spellcheck(false).Text(s.Text),
		app.Button().Class("button small").Disabled(disabled).
			OnClick(func(ctx app.Context, e app.Event) { d.copy(ctx, s.ID, text) }).Text(label),
		app.If(d.hint != "" && d.hintFor == s.ID, func() app.UI {
			return app.P().Class("muted").Role("status").Text(d.hint)
		}),
	)
}

// viewSummary words a View for the dialog: its query, or "the whole map".
func viewSummary(v graph.View) string {
	if q := v.Encode(); q != "" {
		return q
	}
	return "the whole map, default settings"
}

// maxShareBody bounds the answers the dialog reads.
const maxShareBody = 4 << 20

// probeAuth asks the server at origin whether reading needs a sign-in: a
// request without the browser's credentials either gets through or not.
func probeAuth(ctx context.Context, origin string) authState {
	req, err := http.NewRequestWithContext(ctx, http.MethodHead, origin+"/api/v1/services", nil)
	if err != nil {
		return authUnknown
	}
	if runtime.GOOS == "js" {
		req.Header.Set("js.fetch:credentials", "omit") // fetch without cookies or basic auth
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return authUnknown
	}
	resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		return authRequired
	case resp.StatusCode < 300:
		return authOpen
	}
	return authUnknown
}

// fetchText GETs u and returns its body, or the server's error message.
func fetchText(ctx context.Context, u string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return "", err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxShareBody))
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return "", serverError(resp.Status, b)
	}
	return string(b), nil
}

// mintToken asks the server at origin for an embed token for view (a
// canonical View query) lasting ttl, with the page's access token when
// there is one (the browser adds other credentials itself).
func mintToken(ctx context.Context, origin, access, view, ttl string) (mintedToken, error) {
	var tok mintedToken
	body, err := json.Marshal(map[string]string{"view": view, "ttl": ttl})
	if err != nil {
		return tok, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, origin+PathTokens, bytes.NewReader(body))
	if err != nil {
		return tok, err
	}
	req.Header.Set("Content-Type", "application/json")
	if access != "" {
		req.Header.Set("Authorization", "Bearer "+access)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return tok, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxShareBody))
	if err != nil {
		return tok, err
	}
	if resp.StatusCode != http.StatusOK {
		return tok, serverError(resp.Status, b)
	}
	if err := json.Unmarshal(b, &tok); err != nil || tok.Token == "" {
		return tok, fmt.Errorf("unexpected answer from %s: %.100s", PathTokens, b)
	}
	return tok, nil
}

// serverError is the message of a server's JSON error body, or status.
func serverError(status string, body []byte) error {
	var e struct {
		Error string `json:"error"`
	}
	if json.Unmarshal(body, &e) == nil && e.Error != "" {
		return fmt.Errorf("%s", e.Error)
	}
	return fmt.Errorf("%s", status)
}

// handleShare opens or closes the share dialog.
func (p *mapPage) handleShare(ctx app.Context, a app.Action) { p.share = !p.share }

func (p *mapPage) onShare(ctx app.Context, e app.Event) { p.share = !p.share }

// renderShare draws the toolbar's share button and, when open, the
// dialog.
func (p *mapPage) renderShare() app.UI {
	var dialog app.UI
	if p.share {
		d := newShareDialog()
		d.View = p.s.view
		d.AccessToken = p.s.token
		if p.s.page != nil {
			d.Origin = Origin(p.s.page)
		}
		dialog = d
	}
	return app.Div().Class("share").Body(
		app.Button().Class("button small").Title("share this view: iframe, images, Mermaid, read-only link").
			Aria("expanded", p.share).OnClick(p.onShare).Text("share"),
		app.If(dialog != nil, func() app.UI { return dialog }),
	)
}
