package browser

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"

	"golang.org/x/crypto/bcrypt"

	"github.com/spanmap/spanmap/app"
	"github.com/spanmap/spanmap/graph"
	"github.com/spanmap/spanmap/server"
	"github.com/spanmap/spanmap/server/token"
)

// Credentials of the embed tests' server.
const (
	// embedAdmin is the bearer token the server accepts.
	embedAdmin = "e2e-admin-token"
	// embedUser and embedPassword sign in with basic auth, as a person
	// does in the browser.
	embedUser, embedPassword = "alice", "e2e-password"
	// embedSigningKey signs the server's embed tokens.
	embedSigningKey = "e2e-embed-key-0123456789-0123456789-0123456789"
)

// hostPages is a plain web site on another origin than spanmap: pages by
// path, set by the test, as a wiki that embeds a map would serve them.
type hostPages struct {
	mu    sync.Mutex
	pages map[string]string
}

func (h *hostPages) set(path, body string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.pages[path] = body
}

func (h *hostPages) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.mu.Lock()
	body, ok := h.pages[r.URL.Path]
	h.mu.Unlock()
	if !ok {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	io.WriteString(w, body)
}

// embedSetup is a spanmap server that requires a sign-in and allows
// the host site to frame its embed page, and the host site. The host is
// addressed as localhost and spanmap as 127.0.0.1: two sites, so the
// browser runs the iframe as a cross-site frame in its own process.
type embedSetup struct {
	s    *liveServer
	feed *feeder
	host *hostPages
	// hostBase is the host site's root, "http://localhost:port".
	hostBase string
}

func startEmbedSetup(t *testing.T) *embedSetup {
	t.Helper()
	host := &hostPages{pages: map[string]string{}}
	hs := httptest.NewServer(host)
	t.Cleanup(hs.Close)
	hu, _ := url.Parse(hs.URL)
	hostBase := "http://localhost:" + hu.Port()

	hash, err := bcrypt.GenerateFromPassword([]byte(embedPassword), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	cfg := serverConfig()
	cfg.Auth = server.AuthConfig{Tokens: []string{embedAdmin}, Users: []server.User{{Name: embedUser, PasswordHash: string(hash)}}}
	cfg.Embed.Key = embedSigningKey
	cfg.Embed.FrameAncestors = []string{"'self'", hostBase}
	s := startServer(t, cfg)
	s.bearer = embedAdmin
	return &embedSetup{s: s, feed: newFeeder(t, s.otlp), host: host, hostBase: hostBase}
}

// graph fetches the graph of a View with the bearer token.
func (e *embedSetup) graph(t *testing.T, query string) graph.Snapshot {
	t.Helper()
	return e.s.graph(t, query)
}

// waitGraph polls the graph of a View until it has the edges.
func (e *embedSetup) waitGraph(t *testing.T, query string, edges ...string) graph.Snapshot {
	t.Helper()
	return e.s.waitGraph(t, query, 20*time.Second, fmt.Sprintf("edges %v", edges),
		func(snap graph.Snapshot) bool { return hasEdges(snap, edges...) })
}

// mint asks the server for an embed token for a View, as the share dialog
// does.
func (e *embedSetup) mint(t *testing.T, view, ttl string) string {
	t.Helper()
	b, _ := json.Marshal(map[string]string{"view": view, "ttl": ttl})
	req, _ := http.NewRequest(http.MethodPost, e.s.base+"/api/v1/tokens", bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+embedAdmin)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST /api/v1/tokens: %v", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var tr struct {
		Token string `json:"token"`
	}
	if resp.StatusCode != http.StatusOK || json.Unmarshal(body, &tr) != nil || tr.Token == "" {
		t.Fatalf("POST /api/v1/tokens = %s: %s", resp.Status, body)
	}
	return tr.Token
}

// wikiPage is a plain HTML page with the share dialog's iframe snippet for
// View v with token tok.
func (e *embedSetup) wikiPage(t *testing.T, path string, v graph.View, tok string) string {
	t.Helper()
	snippets := app.ShareSnippets(e.s.base, v, tok)
	if snippets[0].ID != "iframe" {
		t.Fatalf("first snippet is %s, want the iframe", snippets[0].ID)
	}
	e.host.set(path, `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Checkout runbook</title>
<style>body{font:15px sans-serif;margin:16px} iframe{display:block}</style></head>
<body><h1>Checkout runbook</h1><p>Live dependencies of checkout:</p>
`+snippets[0].Text+`
</body></html>`)
	return e.hostBase + path
}

// frame returns a handle on the cross-site iframe whose address starts
// with prefix, for the browserPage helpers (eval, readMap, waitFor...),
// once the browser lists it as a target of its own.
func (p *browserPage) frame(prefix string) *browserPage {
	p.t.Helper()
	var id target.ID
	p.waitFor(loadTimeout, "the iframe of "+prefix, func() (bool, string) {
		ctx, cancel := context.WithTimeout(p.ctx, stepTimeout)
		defer cancel()
		infos, err := chromedp.Targets(ctx)
		if err != nil {
			return false, err.Error()
		}
		var seen []string
		for _, info := range infos {
			if info.Type == "iframe" && strings.HasPrefix(info.URL, prefix) {
				id = info.TargetID
				return true, ""
			}
			seen = append(seen, string(info.Type)+" "+info.URL)
		}
		return false, fmt.Sprintf("targets %v", seen)
	})
	// The first action attaches to the frame for as long as ctx lives, so
	// it runs on ctx itself, bounded by a watchdog. ctx ends with the
	// page's: ending it alone would close the frame's target.
	ctx, cancel := chromedp.NewContext(p.ctx, chromedp.WithTargetID(id))
	attached := make(chan struct{})
	go func() {
		select {
		case <-attached:
		case <-time.After(stepTimeout):
			cancel()
		}
	}()
	err := chromedp.Do(ctx)
	close(attached)
	if err != nil {
		p.t.Fatalf("attach to the iframe %s: %v", prefix, err)
	}
	return &browserPage{t: p.t, ctx: ctx, close: cancel}
}

// signIn answers the server's basic-auth challenges with user and
// password, as a person does in the browser's sign-in prompt; the browser
// then sends the credentials with the page's requests, except those made
// without credentials.
func (p *browserPage) signIn(user, pass string) {
	p.t.Helper()
	paused := chromedp.Events(p.ctx, fetch.RequestPaused)
	challenges := chromedp.Events(p.ctx, fetch.AuthRequired)
	go func() {
		for ev, err := range paused {
			if err != nil {
				return
			}
			chromedp.Call(p.ctx, fetch.ContinueRequest, fetch.ContinueRequestParams{RequestID: ev.RequestID})
		}
	}()
	go func() {
		for ev, err := range challenges {
			if err != nil {
				return
			}
			chromedp.Call(p.ctx, fetch.ContinueWithAuth, fetch.ContinueWithAuthParams{RequestID: ev.RequestID,
				AuthChallengeResponse: &fetch.AuthChallengeResponse{Response: fetch.AuthChallengeResponseResponseProvideCredentials, Username: user, Password: pass}})
		}
	}()
	ctx, cancel := context.WithTimeout(p.ctx, stepTimeout)
	defer cancel()
	handle := true
	if _, err := chromedp.Call(ctx, fetch.Enable, fetch.EnableParams{HandleAuthRequests: &handle}); err != nil {
		p.t.Fatalf("enable sign-in: %v", err)
	}
}

// frameResources returns the paths the frame's document fetched over HTTP
// (the page's own address first).
func (p *browserPage) frameResources() []string {
	p.t.Helper()
	return eval[[]string](p, `[location.href, ...performance.getEntriesByType('resource').map(e => e.name)]
		.map(u => new URL(u).pathname)`)
}

// TestEmbed_iframe_liveWithToken puts the share dialog's iframe snippet
// with a read-only token into a plain page on another site, and checks
// that the iframe draws the token's View, only loads what the token
// grants, links to the full map without the token, and draws a new edge
// of that View without a reload.
func TestEmbed_iframe_liveWithToken(t *testing.T) {
	p := openBrowser(t, 1280, 800)
	e := startEmbedSetup(t)
	e.feed.send(t, shopCalls())
	const view = "focus=checkout"
	v, err := graph.ParseView(view)
	if err != nil {
		t.Fatal(err)
	}
	snap := e.waitGraph(t, view, "frontend->checkout", "checkout->payment", "checkout->inventory")
	nodes, edges, _ := drawnIDs(snap)

	tok := e.mint(t, view, "1h")
	p.navigate(e.wikiPage(t, "/runbook", v, tok))
	f := p.frame(e.s.base + "/embed?")
	f.waitFirstMap()
	f.waitMapEquals(stepTimeout, "the token's View in the iframe", nodes, edges, nil)

	href := eval[string](f, `document.querySelector('.embed-bar a').getAttribute('href')`)
	if href != "/?"+v.Encode() {
		t.Errorf("open full map links to %q, want the View without the token", href)
	}
	for _, path := range f.frameResources() {
		if strings.HasPrefix(path, "/api/") {
			t.Errorf("the embed fetched %s, which the token does not grant", path)
		}
	}

	// New spans of a pair in the View: the iframe draws the new edge on
	// its own, without a page load.
	eval[bool](f, `window.spanmapTestMarker = true`)
	e.feed.send(t, []call{{from: "checkout", fromNS: "shop", to: "fraud", toNS: "billing", dur: 15 * time.Millisecond}})
	snap = e.waitGraph(t, view, "checkout->fraud")
	nodes, edges, _ = drawnIDs(snap)
	f.waitMapEquals(30*time.Second, "the new edge checkout->fraud in the iframe", nodes, edges, nil)
	if !eval[bool](f, `window.spanmapTestMarker === true`) {
		t.Error("the iframe reloaded to show the new edge")
	}
	if !strings.Contains(eval[string](p, `document.body.innerText`), "Checkout runbook") {
		t.Error("the host page is not shown around the iframe")
	}
}

// TestEmbed_iframe_tamperedToken shows an altered token in the iframe: the
// iframe says the map cannot be shown and why, and draws no map.
func TestEmbed_iframe_tamperedToken(t *testing.T) {
	p := openBrowser(t, 1280, 800)
	e := startEmbedSetup(t)
	const view = "focus=checkout"
	v, _ := graph.ParseView(view)
	tok := e.mint(t, view, "1h")
	parts := strings.Split(tok, ".")
	// Flip one bit of the signature's first byte (its first character
	// carries six whole bits).
	sig := []byte(parts[2])
	sig[0] = map[bool]byte{true: 'B', false: 'A'}[sig[0] == 'A']
	tampered := parts[0] + "." + parts[1] + "." + string(sig)

	p.navigate(e.wikiPage(t, "/tampered", v, tampered))
	f := p.frame(e.s.base + "/embed?")
	f.waitFor(stepTimeout, "the refusal in the iframe", func() (bool, string) {
		text, err := tryEval[string](f, `document.body ? document.body.innerText : ''`)
		if err != nil {
			return false, err.Error()
		}
		return strings.Contains(text, "This map cannot be shown") && strings.Contains(text, "embed token is not valid: altered"), text
	})
	if n := eval[int](f, `document.querySelectorAll('svg, script').length`); n != 0 {
		t.Errorf("the refused iframe has %d svg or script elements", n)
	}
}

// TestEmbed_iframe_tokenExpires opens an iframe whose token expires while
// it shows the map: the app stops streaming and says that the token
// expired, and does not keep reconnecting.
func TestEmbed_iframe_tokenExpires(t *testing.T) {
	p := openBrowser(t, 1280, 800)
	e := startEmbedSetup(t)
	e.feed.send(t, []call{{from: "alpha", to: "beta"}})
	const view = "focus=alpha"
	v, _ := graph.ParseView(view)
	e.waitGraph(t, view, "alpha->beta")
	signer, err := token.NewSigner([]byte(embedSigningKey), nil)
	if err != nil {
		t.Fatal(err)
	}
	// Long enough for the app to load on a slow machine, short enough
	// for a test.
	exp := time.Now().Add(45 * time.Second).Truncate(time.Second)
	tok, err := signer.Sign(v, exp)
	if err != nil {
		t.Fatal(err)
	}
	p.navigate(e.wikiPage(t, "/expiring", v, tok))
	f := p.frame(e.s.base + "/embed?")
	f.waitFirstMap()
	if time.Now().After(exp) {
		t.Fatalf("the map took until after the token's expiry at %s to load", exp)
	}
	want := "embed token expired at " + exp.UTC().Format(time.RFC3339)
	f.waitFor(time.Until(exp)+stepTimeout, "the expiry message in the iframe", func() (bool, string) {
		text, err := tryEval[string](f, `(() => { const e = document.querySelector('.token-rejected'); return e ? e.innerText : ''; })()`)
		if err != nil {
			return false, err.Error()
		}
		return strings.Contains(text, "This map cannot be shown") && strings.Contains(text, want), text
	})
	if time.Now().Before(exp) {
		t.Errorf("expiry shown at %s, before the token expired at %s", time.Now(), exp)
	}
	// The last map stays under the message; the live status no longer
	// says live.
	if m := f.readMap(); len(m.Edges) == 0 {
		t.Error("the map was dropped")
	}
}

// TestShare_dialog_readOnlyLink opens the share dialog on a server that
// requires a sign-in, makes a read-only link, copies its iframe snippet
// to the clipboard, and checks that the snippet opens the View's embed
// page, and nothing else, without other credentials.
func TestShare_dialog_readOnlyLink(t *testing.T) {
	p := openBrowser(t, 1280, 900)
	e := startEmbedSetup(t)
	e.feed.send(t, shopCalls())
	const view = "focus=checkout"
	e.waitGraph(t, view, "frontend->checkout")
	for _, perm := range []string{"clipboard-read", "clipboard-write"} {
		ctx, cancel := context.WithTimeout(p.ctx, stepTimeout)
		_, err := chromedp.CallBrowser(ctx, cdpbrowser.SetPermission, cdpbrowser.SetPermissionParams{
			Permission: &cdpbrowser.PermissionDescriptor{Name: perm}, Setting: cdpbrowser.PermissionSettingGranted, Origin: e.s.base})
		cancel()
		if err != nil {
			t.Fatalf("grant %s: %v", perm, err)
		}
	}
	p.signIn(embedUser, embedPassword)
	p.navigate(e.s.base + "/?" + view)
	p.waitFirstMap()
	p.do(clickSelector(".share > button"))
	snippet := func(id string) string {
		return eval[string](p, fmt.Sprintf(`(() => { const e = document.getElementById(%q); return e ? e.value : ''; })()`, "share-"+id))
	}
	p.waitFor(stepTimeout, "the dialog offers a read-only link and the Mermaid text", func() (bool, string) {
		box, _ := tryEval[int](p, `document.querySelectorAll('.share-dialog .share-access input[type=checkbox]').length`)
		m := snippet("mermaid")
		return box == 1 && strings.Contains(m, "flowchart"), fmt.Sprintf("checkbox %d, mermaid %.40q", box, m)
	})
	if s := snippet("iframe"); !strings.Contains(s, `src="`+e.s.base+`/embed?focus=checkout"`) {
		t.Errorf("iframe snippet before the read-only link: %s", s)
	}

	p.do(clickSelector(".share-access input[type=checkbox]"))
	var iframe string
	p.waitFor(stepTimeout, "the snippets carry a read-only token", func() (bool, string) {
		iframe = snippet("iframe")
		return strings.Contains(iframe, "&amp;token=v1."), iframe + " | " + p.text(".share-access")
	})
	if !strings.Contains(p.text(".share-access"), "sees this view only") {
		t.Errorf("the dialog does not say what the link grants: %s", p.text(".share-access"))
	}
	for _, id := range []string{"iframe", "markdown", "img", "mermaid"} {
		if s := snippet(id); strings.Contains(s, embedPassword) || strings.Contains(s, embedUser+":") {
			t.Errorf("the %s snippet carries the page's credentials: %s", id, s)
		}
	}

	p.do(clickSelector("#share-iframe + button"))
	p.waitFor(stepTimeout, "the iframe snippet copied", func() (bool, string) {
		clip, err := tryEval[string](p, `navigator.clipboard.readText()`)
		if err != nil {
			return false, err.Error()
		}
		return clip == iframe, fmt.Sprintf("clipboard %.80q, button %q", clip, p.text("#share-iframe + button"))
	})

	// The snippet's address opens the embed page without other credentials;
	// the same token opens nothing else.
	src := iframe[strings.Index(iframe, `src="`)+5:]
	src = strings.ReplaceAll(src[:strings.Index(src, `"`)], "&amp;", "&")
	tok := src[strings.Index(src, "token=")+len("token="):]
	for _, tc := range []struct {
		url  string
		code int
	}{
		{src, http.StatusOK},
		{e.s.base + "/embed?focus=payment&token=" + tok, http.StatusForbidden},
		{e.s.base + "/api/v1/sources?token=" + tok, http.StatusForbidden},
		{e.s.base + "/api/v1/graph.svg?" + view + "&token=" + tok, http.StatusOK},
	} {
		resp, err := http.Get(tc.url)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.code {
			t.Errorf("GET %s = %d, want %d", tc.url, resp.StatusCode, tc.code)
		}
	}
}
