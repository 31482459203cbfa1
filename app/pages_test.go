package app

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
	"github.com/spanmap/spanmap/graph"
)

func pageWithSession(t *testing.T, rawURL string, setup func(s *session)) *mapPage {
	t.Helper()
	p := newMapPage()
	u, _ := url.Parse(rawURL)
	p.s.readURL(u)
	p.s.started = true
	p.s.now = time.Unix(2000, 0)
	if setup != nil {
		setup(&p.s)
	}
	return p
}

// showStaleJaeger gives a connected session the sample map of its View,
// with a database edge and node seen by jaeger alone, then a status in
// which jaeger is stale.
func showStaleJaeger(s *session) {
	s.conn = connState{connected: true}
	snap := sampleSnapshot()
	snap.View = s.view.Encode()
	snap.Edges[0].Sources = []string{"jaeger"}
	snap.Nodes[1].Sources = []string{"jaeger"}
	s.onMessage(app.Context{}, graph.NewSnapshotMessage(&snap))
	s.onMessage(app.Context{}, graph.NewStatusMessage(staleStatus()))
}

func TestMapPage_Render_states(t *testing.T) {
	tests := []struct {
		name    string
		url     string
		setup   func(s *session)
		want    []string
		notWant []string
	}{
		{"connecting", "http://h/", nil,
			[]string{"connecting to the live map", `class="spanmap theme-dark"`, "connecting…"}, []string{"data-node-id"}},
		{"offline", "http://h/", func(s *session) {
			s.conn = connState{err: "connect to ws://h/api/v1/stream: refused", retryIn: 4 * time.Second}
		}, []string{"Cannot reach the spanmap server", "refused", "retrying in 4 s"}, nil},
		{"no spans yet", "http://h/", func(s *session) {
			s.conn = connState{connected: true}
			s.onMessage(app.Context{}, graph.NewSnapshotMessage(snapAt(1, "")))
		}, []string{"no spans received yet: point an OTLP exporter at", "http://127.0.0.1:4318/v1/traces", "spanmap demo", "live · updated"}, nil},
		{"filtered to nothing", "http://h/?errors_only=true", func(s *session) {
			s.conn = connState{connected: true}
			s.onMessage(app.Context{}, graph.NewSnapshotMessage(snapAt(1, "errors_only=true")))
		}, []string{"Nothing matches this view", `href="/"`}, []string{"no spans received yet"}},
		{"map with stale data", "http://h/?focus=checkout", func(s *session) {
			s.conn = connState{connected: true}
			snap := sampleSnapshot()
			snap.View = "focus=checkout"
			s.onMessage(app.Context{}, graph.NewSnapshotMessage(&snap))
			s.onMessage(app.Context{}, graph.NewStatusMessage(&graph.Status{Stale: true, DroppedSpans: 4,
				Sources: []graph.SourceStatus{{Name: "jaeger", State: graph.SourceDown, LastError: "timeout"}}}))
		}, []string{`data-node-id="checkout"`, "The map shows old figures", "Down: jaeger: timeout", "1 source · jaeger down (timeout) · 4 spans dropped",
			"version 3", "focus ", "callers", "hotspots", "frontend → checkout"}, []string{"connecting to the live map"}},
		{"live map with a stale source", "http://h/", showStaleJaeger, []string{"live · updated", `class="node kind-database health-unknown virtual stale" data-node-id="database:pg"`,
			"stale: its sources sent nothing lately"}, []string{"The map shows old figures"}},
		{"past range", "http://h/?from=2026-11-24T10:00:00Z&to=2026-11-24T10:05:00Z", showStaleJaeger, []string{"past range · not live", `data-node-id="database:pg"`}, []string{"live · updated", `virtual stale"`, "legend-stale", "Old figures"}},
		{"bad link", "http://h/?window=soon", nil, []string{"this link&#39;s view is not valid", "view parameter window"}, nil},
		{"server error", "http://h/", func(s *session) {
			s.onMessage(app.Context{}, graph.Message{Type: graph.MessageError, Error: "view parameter focus: too long"})
		}, []string{"server: view parameter focus: too long"}, nil},
		{"paused", "http://h/", func(s *session) {
			s.conn = connState{connected: true}
			s.setPaused(true)
		}, []string{"Paused: the map is frozen", "resume"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			html := app.HTMLString(pageWithSession(t, tt.url, tt.setup))
			for _, w := range tt.want {
				if !strings.Contains(html, w) {
					t.Errorf("missing %q", w)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(html, w) {
					t.Errorf("unexpected %q", w)
				}
			}
		})
	}
}

// The header's share button opens the share dialog for the page's View:
// snippets on the page's server without its access token, downloads with
// it.
func TestMapPage_Render_share(t *testing.T) {
	p := pageWithSession(t, "http://h/?focus=cart&access_token=t", func(s *session) { s.page, _ = url.Parse("http://h/?focus=cart&access_token=t") })
	if html := app.HTMLString(p); !strings.Contains(html, `aria-expanded="false"`) || strings.Contains(html, "share-dialog") {
		t.Error("the share dialog is open before the button is pressed")
	}
	p.onShare(app.Context{}, app.Event{})
	html := app.HTMLString(p)
	for _, w := range []string{
		`class="share-dialog"`,
		`<iframe src=\"http://h/embed?focus=cart\"`,
		`href="/api/v1/graph.svg?focus=cart&access_token=t"`,
		`href="/api/v1/graph.png?focus=cart&access_token=t"`,
	} {
		if !strings.Contains(html, w) {
			t.Errorf("missing %s", w)
		}
	}
	p.handleShare(app.Context{}, app.Action{Name: actionShare})
	if strings.Contains(app.HTMLString(p), "share-dialog") {
		t.Error("the dialog's close action did not close it")
	}
}

func TestMapPage_Shortcut_clearsAndPauses(t *testing.T) {
	p := pageWithSession(t, "http://h/", nil)
	p.selected = Selection{Kind: KindNode, ID: "a"}
	p.help = true
	p.shortcut(app.Context{}, shortcutClear)
	if !p.selected.IsZero() || p.help {
		t.Error("escape did not clear")
	}
	p.shortcut(app.Context{}, shortcutPause)
	if !p.s.paused {
		t.Error("space did not pause")
	}
	p.shortcut(app.Context{}, shortcutPause)
	if p.s.paused {
		t.Error("space did not resume")
	}
}

func TestMapPage_Load_inTestEngine(t *testing.T) {
	e := app.NewTestEngine()
	p := newMapPage()
	if err := e.Load(p); err != nil {
		t.Fatal(err)
	}
	e.ConsumeAll()
	if err := app.TestMatch(p, app.TestUIDescriptor{
		Path:     app.TestPath(0),
		Expected: app.Div().Class("spanmap", "theme-dark"),
	}); err != nil {
		t.Error(err)
	}
	if err := app.TestMatch(p, app.TestUIDescriptor{
		Path:     app.TestPath(0, 0, 0),
		Expected: app.A().Class("brand").Href("/").Text("spanmap"),
	}); err != nil {
		t.Error(err)
	}
}

func TestEmbedPage_Render_chromeless(t *testing.T) {
	p := newEmbedPage()
	u, _ := url.Parse("http://h/embed?focus=checkout&access_token=ro")
	p.s.readURL(u)
	p.s.started = true
	p.s.conn = connState{connected: true}
	snap := sampleSnapshot()
	snap.View = "focus=checkout"
	p.s.onMessage(app.Context{}, graph.NewSnapshotMessage(&snap))
	html := app.HTMLString(p)
	for _, w := range []string{
		`class="spanmap embed theme-dark"`,
		`data-edge-id="frontend->checkout"`,
		`href="/?focus=checkout&access_token=ro"`,
		"open full map",
		"zoom to fit",
	} {
		if !strings.Contains(html, w) {
			t.Errorf("missing %s", w)
		}
	}
	for _, w := range []string{"sidebar", "search-input", `class="legend"`, "statusbar"} {
		if strings.Contains(html, w) {
			t.Errorf("embed shows %s", w)
		}
	}
}

func TestRoutes_Handler_settings(t *testing.T) {
	h := Handler()
	if h.Name != "spanmap" || h.Title == "" || len(h.Styles) != 1 || h.Styles[0] != "/web/spanmap.css" {
		t.Errorf("Handler = %+v", h)
	}
	if h.Icon.Default != "/web/icon.png" || h.Icon.SVG != "/web/icon.svg" {
		t.Errorf("icons %+v, want the local /web/icon.png and /web/icon.svg", h.Icon)
	}
	Register()
}
