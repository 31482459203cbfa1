package app

import (
	"net/url"
	"strings"
	"testing"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
	"github.com/spanmap/spanmap/graph"
)

// An embed token stays out of the View and off the link to the full map,
// and makes the session read-only.
func TestEmbedPage_Render_embedToken(t *testing.T) {
	p := newEmbedPage()
	u, _ := url.Parse("http://h/embed?focus=checkout&token=v1.p.s")
	p.s.readURL(u)
	if p.s.viewErr != "" || p.s.view.Focus != "checkout" || p.s.embedToken != "v1.p.s" || !p.s.readOnly() {
		t.Fatalf("session = view %+v, err %q, embed token %q", p.s.view, p.s.viewErr, p.s.embedToken)
	}
	p.s.started = true
	p.s.conn = connState{connected: true}
	snap := sampleSnapshot()
	snap.View = "focus=checkout"
	p.s.onMessage(app.Context{}, graph.NewSnapshotMessage(&snap))
	html := app.HTMLString(p)
	if !strings.Contains(html, `href="/?focus=checkout"`) {
		t.Errorf("the full map link is not the View without the token:\n%s", html)
	}
	if strings.Contains(html, "v1.p.s") {
		t.Error("the page shows or links the embed token")
	}
	if strings.Contains(html, "cannot be shown") {
		t.Error("rejection shown for an accepted token")
	}

	// Rejected: the message replaces the empty state, the last map stays.
	p.s.conn = connState{err: "embed token expired at 2026-01-02T03:04:05Z", rejected: true}
	html = app.HTMLString(p)
	for _, w := range []string{"This map cannot be shown", "embed token expired at 2026-01-02T03:04:05Z", `role="alert"`, `data-edge-id="frontend->checkout"`} {
		if !strings.Contains(html, w) {
			t.Errorf("rejected page misses %q", w)
		}
	}
	if strings.Contains(html, "Cannot reach the spanmap server") {
		t.Error("a rejected token is shown as a network failure")
	}
}
