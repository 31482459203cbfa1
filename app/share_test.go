package app

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
	"github.com/spanmap/spanmap/graph"
)

func TestShareSnippets_text(t *testing.T) {
	v := graph.View{Focus: "cart", Up: 1, Down: 1, Window: 15 * time.Minute}
	tests := []struct {
		name, token string
		want        map[string]string
	}{
		{"no token", "", map[string]string{
			"iframe":   `<iframe src="https://maps.example.com/embed?focus=cart&amp;window=15m" title="spanmap service map" width="100%" height="480" style="border:0" loading="lazy"></iframe>`,
			"markdown": `![spanmap service map](https://maps.example.com/api/v1/graph.svg?focus=cart&window=15m)`,
			"img":      `<img src="https://maps.example.com/api/v1/graph.svg?focus=cart&amp;window=15m" alt="spanmap service map">`,
		}},
		{"read-only token", "v1.p+q.s", map[string]string{
			"iframe":   `<iframe src="https://maps.example.com/embed?focus=cart&amp;window=15m&amp;token=v1.p%2Bq.s" title="spanmap service map" width="100%" height="480" style="border:0" loading="lazy"></iframe>`,
			"markdown": `![spanmap service map](https://maps.example.com/api/v1/graph.svg?focus=cart&window=15m&token=v1.p%2Bq.s)`,
			"img":      `<img src="https://maps.example.com/api/v1/graph.svg?focus=cart&amp;window=15m&amp;token=v1.p%2Bq.s" alt="spanmap service map">`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ShareSnippets("https://maps.example.com", v, tt.token)
			if len(got) != len(tt.want) {
				t.Fatalf("%d snippets, want %d", len(got), len(tt.want))
			}
			for _, s := range got {
				if s.Text != tt.want[s.ID] {
					t.Errorf("%s:\n got %s\nwant %s", s.ID, s.Text, tt.want[s.ID])
				}
			}
		})
	}
	// The default View has no query of its own.
	if s := ShareSnippets("http://h", graph.DefaultView(), "t")[1].Text; s != "![spanmap service map](http://h/api/v1/graph.svg?token=t)" {
		t.Errorf("default View markdown = %s", s)
	}
}

// The dialog's snippets never carry the page's access token, and carry the
// read-only token only once it is made for the View and lifetime shown.
func TestShareDialog_Render_snippets(t *testing.T) {
	d := newShareDialog()
	d.View = graph.View{Focus: "cart", Up: 1, Down: 1}
	d.Origin = "https://maps.example.com"
	d.AccessToken = "s3cret"
	d.auth = authRequired
	d.mermaid, d.mermaidOf = "flowchart LR\n  a --> b\n", d.View.Encode()
	out := app.HTMLString(d)
	for _, w := range []string{
		`role="dialog"`, "Share this view", "View: focus=cart",
		`<iframe src=\"https://maps.example.com/embed?focus=cart\"`,
		"![spanmap service map](https://maps.example.com/api/v1/graph.svg?focus=cart)",
		"flowchart LR", "a --> b",
		`id="share-iframe"`, `id="share-mermaid"`, "read-only link for this view", "viewers must sign in",
		`href="/api/v1/graph.svg?focus=cart&access_token=s3cret"`, `download="spanmap.png"`,
	} {
		if !strings.Contains(out, w) {
			t.Errorf("missing %s", w)
		}
	}
	if n := strings.Count(out, "s3cret"); n != 2 {
		t.Errorf("the access token appears %d times, want only in the 2 download links", n)
	}

	d.readOnly = true
	out = app.HTMLString(d)
	if strings.Contains(out, "share-iframe") || !strings.Contains(out, "once the read-only link is made") {
		t.Error("snippets without the token shown while the read-only link is on")
	}
	d.token = mintedToken{Token: "v1.abc.def", View: "focus=cart", Expires: time.Date(2030, 1, 2, 3, 4, 0, 0, time.Local), ttl: d.ttl}
	out = app.HTMLString(d)
	for _, w := range []string{"/embed?focus=cart&amp;token=v1.abc.def", "graph.svg?focus=cart&token=v1.abc.def)", "until 2030-01-02 03:04"} {
		if !strings.Contains(out, w) {
			t.Errorf("read-only: missing %s", w)
		}
	}
	// Another lifetime chosen: the token no longer fits.
	d.ttl = "1d"
	if d.embedToken() != "" {
		t.Error("a token of another lifetime is used")
	}
	d.ttl, d.View = d.token.ttl, graph.View{Focus: "pay", Up: 1, Down: 1}
	if d.embedToken() != "" {
		t.Error("a token of another View is used")
	}

	d.auth = authOpen
	if out = app.HTMLString(d); !strings.Contains(out, "needs no sign-in") || strings.Contains(out, `type="checkbox"`) {
		t.Error("an open server offers read-only links")
	}
}

// fakeShareServer answers the requests of the share dialog as spanmap
// would with auth on, and records them.
type fakeShareServer struct {
	mu    sync.Mutex
	mints []string
}

func (f *fakeShareServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.URL.Path == "/api/v1/services":
		w.WriteHeader(http.StatusUnauthorized)
	case r.URL.Path == "/api/v1/graph.mmd" && r.URL.Query().Get("access_token") == "s3cret":
		io.WriteString(w, "flowchart LR\n  frontend --> cart\n")
	case r.URL.Path == PathTokens && r.Method == http.MethodPost && r.Header.Get("Authorization") == "Bearer s3cret":
		var req map[string]string
		json.NewDecoder(r.Body).Decode(&req)
		f.mu.Lock()
		f.mints = append(f.mints, req["view"]+" "+req["ttl"])
		f.mu.Unlock()
		if req["ttl"] == "365d" {
			w.WriteHeader(http.StatusBadRequest)
			io.WriteString(w, `{"error":"ttl: 365d is longer than the server's embed.max_ttl of 720h0m0s"}`)
			return
		}
		json.NewEncoder(w).Encode(map[string]any{"token": "v1.minted." + req["ttl"], "view": req["view"], "expires": time.Now().Add(time.Hour)})
	default:
		w.WriteHeader(http.StatusUnauthorized)
		io.WriteString(w, `{"error":"authentication required"}`)
	}
}

// shareHarness mounts a share dialog and keeps a mounted component's
// context (outside a browser go-app pre-renders instead of mounting), to
// call the dialog's methods as the browser's events would.
type shareHarness struct {
	app.Compo
	d   *shareDialog
	ctx app.Context
}

func (h *shareHarness) OnPreRender(ctx app.Context) { h.ctx = ctx }
func (h *shareHarness) Render() app.UI              { return app.Div().Body(h.d) }

// waitEngine consumes the engine's dispatches until cond holds.
func waitEngine(t *testing.T, e app.TestEngine, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not reached", what)
		}
		time.Sleep(5 * time.Millisecond)
		e.ConsumeAll()
	}
}

func TestShareDialog_Load_inTestEngine(t *testing.T) {
	f := &fakeShareServer{}
	srv := httptest.NewServer(f)
	defer srv.Close()
	e := app.NewTestEngine()
	d := newShareDialog()
	d.View = graph.View{Focus: "cart", Up: 1, Down: 1}
	d.Origin = srv.URL
	d.AccessToken = "s3cret"
	h := &shareHarness{d: d}
	if err := e.Load(h); err != nil {
		t.Fatal(err)
	}
	e.ConsumeAll()
	d.OnMount(h.ctx)
	waitEngine(t, e, "the sign-in probe and the Mermaid text", func() bool {
		return d.auth == authRequired && d.mermaid != ""
	})
	if err := app.TestMatch(d, app.TestUIDescriptor{
		Path:     app.TestPath(0),
		Expected: app.Div().Class("share-dialog").Role("dialog").Aria("label", "share this view"),
	}); err != nil {
		t.Error(err)
	}
	if !strings.Contains(app.HTMLString(d.Render()), "frontend --> cart") {
		t.Error("Mermaid text not shown")
	}

	// The read-only link mints a token for the View and puts it in the
	// snippets; another lifetime mints another.
	d.readOnly = true
	d.mintIfNeeded(h.ctx)
	waitEngine(t, e, "the first token", func() bool { return d.embedToken() == "v1.minted.30d" })
	if !strings.Contains(app.HTMLString(d.Render()), "/embed?focus=cart&amp;token=v1.minted.30d") {
		t.Error("iframe snippet without the minted token")
	}
	d.ttl = "7d"
	d.mintIfNeeded(h.ctx)
	waitEngine(t, e, "the 7-day token", func() bool { return d.embedToken() == "v1.minted.7d" })

	// A refusal is shown with the server's reason.
	d.ttl = "365d"
	d.mintIfNeeded(h.ctx)
	waitEngine(t, e, "the refusal", func() bool { return d.mintErr != "" })
	if out := app.HTMLString(d.Render()); !strings.Contains(out, "could not make a read-only link: ttl: 365d is longer") || strings.Contains(out, "share-iframe") {
		t.Errorf("refused mint:\n%s", out)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if want := []string{"focus=cart 30d", "focus=cart 7d", "focus=cart 365d"}; strings.Join(f.mints, ",") != strings.Join(want, ",") {
		t.Errorf("mints = %q, want %q", f.mints, want)
	}
}

// Without clipboard access (as outside a browser) copying selects the
// text and says how to copy it.
func TestShareDialog_copy_fallback(t *testing.T) {
	d := newShareDialog()
	d.copy(app.Context{}, "iframe", "<iframe>")
	if d.copied != "" || d.hintFor != "iframe" || !strings.Contains(d.hint, "Ctrl+C") {
		t.Errorf("copied %q, hint %q for %q", d.copied, d.hint, d.hintFor)
	}
	d.View = graph.View{Focus: "cart", Up: 1, Down: 1}
	d.Origin = "http://h"
	d.mermaid, d.mermaidOf = "x", d.View.Encode()
	out := app.HTMLString(d)
	if strings.Count(out, "press Ctrl+C") != 1 {
		t.Error("the hint is not shown once, under its snippet")
	}
}

// Escape closes the share dialog like the other overlays.
func TestMapPage_Shortcut_closesShare(t *testing.T) {
	p := pageWithSession(t, "http://h/", nil)
	p.onShare(app.Context{}, app.Event{})
	if !p.share {
		t.Fatal("the share button did not open the dialog")
	}
	p.shortcut(app.Context{}, shortcutClear)
	if p.share {
		t.Error("escape did not close the share dialog")
	}
}
