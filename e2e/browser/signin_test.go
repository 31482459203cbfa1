package browser

import (
	"testing"
	"time"
)

// A server that requires sign-in, opened as /?access_token=...: the page
// loads the app's files (the browser sends them the page as Referer, not
// the token), streams with the token and draws the map; without the token
// nothing of the map is served.
func TestSignIn_accessTokenInPageAddress(t *testing.T) {
	p := openBrowser(t, 1280, 800)
	e := startEmbedSetup(t)
	e.feed.send(t, shopCalls())
	snap := e.waitGraph(t, "", "frontend->checkout", "checkout->payment")
	nodes, edges, _ := drawnIDs(snap)

	p.navigate(e.s.base + "/?access_token=" + embedAdmin)
	p.waitFirstMap()
	p.waitMapEquals(stepTimeout, "the whole map, signed in by access_token", nodes, edges, nil)

	// The stream is live with the token: a new pair appears without reload.
	e.feed.send(t, []call{{from: "checkout", fromNS: "shop", to: "fraud", toNS: "billing", dur: 15 * time.Millisecond}})
	snap = e.waitGraph(t, "", "checkout->fraud")
	nodes, edges, _ = drawnIDs(snap)
	p.waitMapEquals(30*time.Second, "the new edge checkout->fraud", nodes, edges, nil)
}
