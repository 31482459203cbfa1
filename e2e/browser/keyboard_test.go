package browser

import (
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// A hotspot row reached with the keyboard is chosen with Enter, as a click
// chooses it: the map selects the failing element.
func TestHotspots_enterOnFocusedRow(t *testing.T) {
	p := openBrowser(t, 1280, 800)
	s := startServer(t, serverConfig())
	f := newFeeder(t, s.otlp)
	var calls []call
	for i := range 10 {
		calls = append(calls, call{from: "checkout", fromNS: "shop", to: "payment", toNS: "billing", fail: i < 5, dur: 30 * time.Millisecond})
	}
	f.send(t, append(calls, shopCalls()...))
	p.navigate(s.base + "/")
	p.waitFirstMap()
	const row = `section.hotspots li.hotspot`
	p.waitFor(stepTimeout, "a hotspot is listed", func() (bool, string) {
		n := eval[int](p, `document.querySelectorAll('`+row+`').length`)
		return n > 0, fmt.Sprintf("%d hotspots; %s", n, p.pageState())
	})
	if n := eval[int](p, `document.querySelectorAll('`+row+`.selected').length`); n != 0 {
		t.Fatalf("%d hotspots selected before any key, want 0", n)
	}
	p.do(chromedp.Focus(chromedp.CSS(row), chromedp.NodeVisible), chromedp.KeyEvent("\r"))
	p.waitFor(stepTimeout, "Enter selects the focused hotspot", func() (bool, string) {
		n := eval[int](p, `document.querySelectorAll('`+row+`.selected').length`)
		return n == 1, fmt.Sprintf("%d selected; %s", n, p.pageState())
	})
}
