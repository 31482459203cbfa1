package browser

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// Timeouts, generous for a slow two-core machine: app.wasm is about 14 MB.
const (
	// loadTimeout bounds a page load up to the first drawn map.
	loadTimeout = 60 * time.Second
	// stepTimeout bounds one browser action or one awaited change.
	stepTimeout = 20 * time.Second
	// pollEvery is how often a condition is checked.
	pollEvery = 50 * time.Millisecond
)

// browserPage is one tab of a headless Chromium started for one test,
// with a fresh profile.
type browserPage struct {
	t   testing.TB
	ctx context.Context

	// close stops the browser and removes its profile; the end of the
	// test calls it too.
	close func()

	mu      sync.Mutex
	console []string
}

// openBrowser starts a headless Chromium with a viewport of width x
// height and returns its tab. When the test fails, a full-page screenshot
// and the browser console are saved and their place logged.
func openBrowser(t testing.TB, width, height int) *browserPage {
	t.Helper()
	needBrowser(t)
	profile, err := os.MkdirTemp("", "spanmap-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(suite.chromium),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(width, height),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(allocCtx)
	p := &browserPage{t: t, ctx: ctx}
	p.close = sync.OnceFunc(func() {
		cancelTab()
		cancelAlloc()
		os.RemoveAll(profile)
	})
	t.Cleanup(p.close)
	start, cancel := context.WithTimeout(context.Background(), loadTimeout)
	defer cancel()
	go func() { // the first action starts the browser; bound it without binding the browser's life
		select {
		case <-start.Done():
			if errors.Is(start.Err(), context.DeadlineExceeded) {
				cancelTab()
			}
		case <-ctx.Done():
		}
	}()
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start %s: %v", suite.chromium, err)
	}
	cancel()
	messages := chromedp.Console(ctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			p.mu.Lock()
			line := string(m.Type) + ": " + m.Text
			if m.URL != "" {
				line += " (" + m.URL + ")"
			}
			p.console = append(p.console, line)
			if len(p.console) > 200 {
				p.console = p.console[len(p.console)-200:]
			}
			p.mu.Unlock()
		}
	}()
	p.do(chromedp.EmulateViewport(int64(width), int64(height)))
	t.Cleanup(p.saveOnFailure)
	return p
}

// saveOnFailure writes a screenshot of the page and its console log when
// the test failed.
func (p *browserPage) saveOnFailure() {
	if !p.t.Failed() {
		return
	}
	dir := os.Getenv(envArtifacts)
	if dir == "" {
		var err error
		if dir, err = os.MkdirTemp("", "spanmap-e2e-"); err != nil {
			p.t.Logf("no place for the failure screenshot: %v", err)
			return
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		p.t.Logf("no place for the failure screenshot: %v", err)
		return
	}
	base := filepath.Join(dir, regexp.MustCompile(`[^A-Za-z0-9_.-]+`).ReplaceAllString(p.t.Name(), "_"))
	ctx, cancel := context.WithTimeout(p.ctx, 15*time.Second)
	defer cancel()
	if png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)); err != nil {
		p.t.Logf("failure screenshot: %v", err)
	} else if err := os.WriteFile(base+".png", png, 0o644); err != nil {
		p.t.Logf("failure screenshot: %v", err)
	} else {
		p.t.Logf("failure screenshot: %s.png", base)
	}
	p.mu.Lock()
	log := strings.Join(p.console, "\n")
	p.mu.Unlock()
	if err := os.WriteFile(base+".console.txt", []byte(log+"\n"), 0o644); err == nil {
		p.t.Logf("browser console: %s.console.txt", base)
	}
}

// do runs browser actions, failing the test after stepTimeout.
func (p *browserPage) do(actions ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		p.t.Fatalf("browser: %v", err)
	}
}

// eval evaluates a JavaScript expression in the page and decodes its
// value into T.
func eval[T any](p *browserPage, expr string) T {
	p.t.Helper()
	v, err := tryEval[T](p, expr)
	if err != nil {
		p.t.Fatalf("evaluate %s: %v", shorten(expr), err)
	}
	return v
}

// tryEval is eval returning the error; awaited promises are resolved.
func tryEval[T any](p *browserPage, expr string) (T, error) {
	ctx, cancel := context.WithTimeout(p.ctx, stepTimeout)
	defer cancel()
	return chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
}

func shorten(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 120 {
		return s[:117] + "..."
	}
	return s
}

// addInitScript runs js in every document the tab loads from now on,
// before the page's own scripts.
func (p *browserPage) addInitScript(js string) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, stepTimeout)
	defer cancel()
	if _, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: js}); err != nil {
		p.t.Fatalf("add init script: %v", err)
	}
}

// navigate loads url and waits for its load event.
func (p *browserPage) navigate(url string) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, loadTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Navigate(url)); err != nil {
		p.t.Fatalf("navigate to %s: %v", url, err)
	}
}

// waitFor polls cond until it holds, failing after timeout with what and
// the last state cond described.
func (p *browserPage) waitFor(timeout time.Duration, what string, cond func() (bool, string)) {
	p.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		ok, state := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("%s: not reached within %s; last state: %s", what, timeout, state)
		}
		time.Sleep(pollEvery)
	}
}

// mapDOM is what the map's SVG shows: the IDs of the drawn nodes, edges
// and group frames, sorted.
type mapDOM struct {
	Nodes  []string `json:"nodes"`
	Edges  []string `json:"edges"`
	Groups []string `json:"groups"`
}

func (m mapDOM) String() string {
	return fmt.Sprintf("nodes %v, edges %v, groups %v", m.Nodes, m.Edges, m.Groups)
}

// readMap returns the IDs drawn in the map. Other parts of the page (the
// details panel's tables, the search list) carry the same data attributes
// and are not looked at.
func (p *browserPage) readMap() mapDOM {
	p.t.Helper()
	m := eval[mapDOM](p, `(() => {
		const ids = (sel, attr) => [...document.querySelectorAll('svg.map-svg g.viewport ' + sel)]
			.map(e => e.getAttribute(attr)).sort();
		return {
			nodes: ids('g.layer-nodes [data-node-id]', 'data-node-id'),
			edges: ids('g.layer-edges [data-edge-id]', 'data-edge-id'),
			groups: ids('g.layer-groups [data-group-id]', 'data-group-id'),
		};
	})()`)
	for _, s := range []*[]string{&m.Nodes, &m.Edges, &m.Groups} {
		if *s == nil {
			*s = []string{}
		}
	}
	return m
}

// waitFirstMap waits until the app has drawn at least one node.
func (p *browserPage) waitFirstMap() {
	p.t.Helper()
	p.waitFor(loadTimeout, "the map is drawn", func() (bool, string) {
		n, err := tryEval[int](p, `document.querySelectorAll('svg.map-svg [data-node-id]').length`)
		if err != nil {
			return false, err.Error()
		}
		return n > 0, p.pageState()
	})
}

// waitMapEquals waits until the map draws exactly nodes, edges and group
// frames (sorted ID lists); a nil list is not checked.
func (p *browserPage) waitMapEquals(timeout time.Duration, what string, nodes, edges, groups []string) {
	p.t.Helper()
	p.waitFor(timeout, what, func() (bool, string) {
		m := p.readMap()
		ok := (nodes == nil || slices.Equal(m.Nodes, nodes)) &&
			(edges == nil || slices.Equal(m.Edges, edges)) &&
			(groups == nil || slices.Equal(m.Groups, groups))
		return ok, fmt.Sprintf("page draws %v; want nodes %v, edges %v, groups %v", m, nodes, edges, groups)
	})
}

// pageState describes the page for failure messages: its address, the
// live status and the text of the map area.
func (p *browserPage) pageState() string {
	s, err := tryEval[string](p, `(() => {
		const t = sel => { const e = document.querySelector(sel); return e ? e.innerText.replace(/\s+/g, ' ').trim() : '(none)'; };
		return location.href + ' | live: ' + t('.live-status') + ' | map area: ' + t('.map-area').slice(0, 200) +
			' | body: ' + t('body').slice(0, 200);
	})()`)
	if err != nil {
		return "page state unavailable: " + err.Error()
	}
	return s
}

// location returns the page's address.
func (p *browserPage) location() string {
	p.t.Helper()
	return eval[string](p, `location.href`)
}

// point is a position in CSS pixels of the viewport.
type point struct {
	X float64 `json:"x"`
	Y float64 `json:"y"`
	// Hit is the ID of the map element under the point.
	Hit string `json:"hit"`
}

// edgePoint returns the middle of the drawn line of edge id, in viewport
// pixels, and the map element found there.
func (p *browserPage) edgePoint(id string) (point, error) {
	return tryEval[point](p, fmt.Sprintf(`(() => {
		const g = [...document.querySelectorAll('svg.map-svg g.layer-edges [data-edge-id]')]
			.find(e => e.getAttribute('data-edge-id') === %q);
		if (!g) throw new Error('edge not drawn');
		const path = g.querySelector('path.edge-line');
		const at = path.getPointAtLength(path.getTotalLength() / 2);
		const m = path.getScreenCTM();
		const x = at.x * m.a + at.y * m.c + m.e, y = at.x * m.b + at.y * m.d + m.f;
		const el = document.elementFromPoint(x, y);
		const hit = el && el.closest('[data-edge-id],[data-node-id],[data-label-for]');
		return {x, y, hit: hit ? (hit.getAttribute('data-edge-id') || hit.getAttribute('data-label-for') ||
			'node ' + hit.getAttribute('data-node-id')) : ''};
	})()`, id))
}

// clickEdge clicks the middle of edge id's line with the mouse.
func (p *browserPage) clickEdge(id string) {
	p.t.Helper()
	var at point
	p.waitFor(stepTimeout, "edge "+id+" is clickable", func() (bool, string) {
		var err error
		at, err = p.edgePoint(id)
		if err != nil {
			return false, err.Error()
		}
		return at.Hit == id, fmt.Sprintf("the middle of the edge (%.0f, %.0f) shows %q", at.X, at.Y, at.Hit)
	})
	p.do(chromedp.MouseClickXY(at.X, at.Y))
}

// text returns the text of the first element matching a CSS selector, ""
// when there is none.
func (p *browserPage) text(sel string) string {
	p.t.Helper()
	return eval[string](p, fmt.Sprintf(`(() => { const e = document.querySelector(%q); return e ? e.innerText : ''; })()`, sel))
}

// clickSelector clicks the first element matching a CSS selector with the
// mouse, once it is visible.
func clickSelector(sel string) chromedp.Action[chromedp.Void] {
	return chromedp.Click(chromedp.CSS(sel), chromedp.NodeVisible)
}
