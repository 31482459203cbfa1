package browser

import (
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// pageQuery returns the query string of the page's address, without "?".
func (p *browserPage) pageQuery() string {
	p.t.Helper()
	return strings.TrimPrefix(eval[string](p, `location.search`), "?")
}

// search types query into the search box and waits until the list offers
// node first.
func (p *browserPage) search(query, first string) {
	p.t.Helper()
	p.do(chromedp.SendKeys(chromedp.ID("spanmap-search"), query, chromedp.NodeVisible))
	p.waitFor(stepTimeout, "the search list offers "+first, func() (bool, string) {
		ids := eval[[]string](p, `[...document.querySelectorAll('#spanmap-search-results li.search-result')].map(li => li.dataset.nodeId)`)
		return len(ids) > 0 && ids[0] == first, fmt.Sprintf("search %q lists %v", query, ids)
	})
}

// waitMapMatchesAPI waits until the map draws what the API gives for the
// page's own View, and returns that View's query.
func (p *browserPage) waitMapMatchesAPI(s *liveServer, what string) string {
	p.t.Helper()
	var q string
	p.waitFor(stepTimeout, what, func() (bool, string) {
		q = p.pageQuery()
		nodes, edges, groups := drawnIDs(s.graph(p.t, q))
		m := p.readMap()
		ok := fmt.Sprint(m.Nodes, m.Edges, m.Groups) == fmt.Sprint(nodes, edges, groups)
		return ok, fmt.Sprintf("page ?%s draws %v; the API has nodes %v, edges %v", q, m, nodes, edges)
	})
	return q
}

// TestSearch_focus_urlRoundTrip uses the search box: Enter selects a
// service (details panel, no View change), Shift+Enter focuses the map on
// one, which puts focus=... in the URL and narrows the map to the API's
// graph for that View. A hop control changes the URL and the map again,
// back restores the whole map, and loading the focused URL afresh shows
// the same focused map.
func TestSearch_focus_urlRoundTrip(t *testing.T) {
	p := openBrowser(t, 1280, 800)
	s, _, _ := startShop(t)
	p.navigate(s.base + "/")
	p.waitFirstMap()
	full := p.waitMapMatchesAPI(s, "the whole map")
	fullMap := p.readMap()

	// Enter jumps to the best match and selects it; the View stays.
	p.search("pay", "payment")
	p.do(chromedp.KeyEvent(kb.Enter))
	p.waitFor(stepTimeout, "Enter selects payment", func() (bool, string) {
		d := p.readDetails()
		return d.Title == "payment", fmt.Sprintf("details panel %+v", d)
	})
	if q := p.pageQuery(); q != full {
		t.Fatalf("Enter changed the View: ?%s, was ?%s", q, full)
	}
	if v := eval[string](p, `document.getElementById('spanmap-search').value`); v != "" {
		t.Errorf("the search box still holds %q after the jump", v)
	}

	// Shift+Enter focuses the View on the match.
	p.search("checkout", "checkout")
	p.do(chromedp.KeyEvent(kb.Enter, chromedp.KeyModifiers(chromedp.ModifierShift)))
	p.waitFor(stepTimeout, "Shift+Enter puts focus=checkout in the URL", func() (bool, string) {
		v, _ := url.ParseQuery(p.pageQuery())
		return v.Get("focus") == "checkout", p.location()
	})
	focused := p.waitMapMatchesAPI(s, "the map focused on checkout")
	focusedMap := p.readMap()
	if len(focusedMap.Nodes) >= len(fullMap.Nodes) || contains(focusedMap.Nodes, "catalog") || !contains(focusedMap.Nodes, "payment") {
		t.Fatalf("the focused map %v is not checkout's neighbourhood of %v", focusedMap, fullMap)
	}
	if name := p.text(".field.focus .focus-name strong"); name != "checkout" {
		t.Errorf("the controls name the focus %q, want checkout", name)
	}

	// One more hop downstream: the URL and the map follow.
	p.do(clickSelector(`.field.focus button[aria-label="more hops callees"]`))
	p.waitFor(stepTimeout, "the hop control puts down=2 in the URL", func() (bool, string) {
		v, _ := url.ParseQuery(p.pageQuery())
		return v.Get("down") == "2" && v.Get("focus") == "checkout", p.location()
	})
	deeper := p.waitMapMatchesAPI(s, "the map two hops down from checkout")
	deeperMap := p.readMap()
	if len(deeperMap.Nodes) <= len(focusedMap.Nodes) {
		t.Errorf("two hops down draws %v, no more than one hop's %v", deeperMap, focusedMap)
	}

	// Back twice: the one-hop focus, then the whole map.
	eval[bool](p, `history.back(), true`)
	p.waitFor(stepTimeout, "back restores ?"+focused, func() (bool, string) {
		return p.pageQuery() == focused, p.location()
	})
	p.waitMapMatchesAPI(s, "the map after back")
	eval[bool](p, `history.back(), true`)
	p.waitFor(stepTimeout, "back restores the whole map's URL", func() (bool, string) {
		return p.pageQuery() == full, p.location()
	})
	p.waitMapMatchesAPI(s, "the whole map after back")

	// A fresh load of the two-hop URL shows the same map.
	p.navigate(s.base + "/?" + deeper)
	p.waitFirstMap()
	if q := p.waitMapMatchesAPI(s, "the shared link's map"); q != deeper {
		t.Fatalf("the page moved from ?%s to ?%s", deeper, q)
	}
	if m := p.readMap(); m.String() != deeperMap.String() {
		t.Errorf("the shared link draws %v, the page drew %v", m, deeperMap)
	}
}
