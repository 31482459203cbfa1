package browser

import (
	"fmt"
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
	e.waitGraph(t, "", "frontend->checkout", "checkout->payment")

	p.navigate(e.s.base + "/?access_token=" + embedAdmin)
	p.waitFirstMap()
	// Calls to databases and the user node settle a moment after the
	// service pairs, so the API is asked again until both agree.
	matchAPI := func(what string) {
		p.waitFor(30*time.Second, what, func() (bool, string) {
			nodes, edges, _ := drawnIDs(e.graph(t, ""))
			m := p.readMap()
			ok := fmt.Sprint(m.Nodes, m.Edges) == fmt.Sprint(nodes, edges)
			return ok, fmt.Sprintf("page draws %v; the API has nodes %v, edges %v", m, nodes, edges)
		})
	}
	matchAPI("the whole map, signed in by access_token")

	// The stream is live with the token: a new pair appears without reload.
	e.feed.send(t, []call{{from: "checkout", fromNS: "shop", to: "fraud", toNS: "billing", dur: 15 * time.Millisecond}})
	e.waitGraph(t, "", "checkout->fraud")
	matchAPI("the new edge checkout->fraud")
}
