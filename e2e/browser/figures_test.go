package browser

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"sort"
	"testing"
	"time"

	"github.com/spanmap/spanmap/graph"
)

// perfScript records, in every document of the tab, when the map first
// has a node, when each stream message arrives (before the app reads it),
// when the map's layers show each version (the map <svg>'s data-version
// attribute) and when the rest of the page does (the status bar shows the
// version; go-app updates it on its next frame). paint is taken after the
// next animation frame.
const perfScript = `(() => {
	if (window.spanmapPerf) return;
	const perf = window.spanmapPerf = {firstNode: 0, msgs: [], rendered: [], drawn: [], longTasks: []};
	try {
		new PerformanceObserver(list => {
			for (const e of list.getEntries()) perf.longTasks.push({t: e.startTime, d: e.duration});
		}).observe({type: 'longtask', buffered: true});
	} catch (e) {}
	const seen = new Set();
	new MutationObserver(() => {
		if (!perf.firstNode && document.querySelector('svg.map-svg [data-node-id]')) perf.firstNode = performance.now();
		const bar = document.querySelector('footer.statusbar');
		const m = bar && bar.textContent.match(/version (\d+)/);
		if (m && !seen.has(m[1])) {
			seen.add(m[1]);
			const rec = {v: +m[1], t: performance.now(), paint: 0};
			perf.rendered.push(rec);
			requestAnimationFrame(() => setTimeout(() => { rec.paint = performance.now(); }, 0));
		}
	}).observe(document, {subtree: true, childList: true, characterData: true});
	new MutationObserver(records => {
		for (const r of records) {
			const v = +r.target.getAttribute('data-version');
			if (r.target.matches('svg.map-svg') && v) {
				const rec = {v, t: performance.now(), paint: 0};
				perf.drawn.push(rec);
				requestAnimationFrame(() => setTimeout(() => { rec.paint = performance.now(); }, 0));
			}
		}
	}).observe(document, {subtree: true, attributes: true, attributeFilter: ['data-version']});
	const WS = window.WebSocket;
	function Recorded(url, protocols) {
		const ws = protocols === undefined ? new WS(url) : new WS(url, protocols);
		ws.addEventListener('message', ev => {
			const t = performance.now();
			// The app asks for binary frames (ArrayBuffer); text frames
			// are strings.
			const text = typeof ev.data === 'string';
			if (!text && !(ev.data instanceof ArrayBuffer)) return;
			const head = text ? ev.data.slice(0, 512) : new TextDecoder().decode(new Uint8Array(ev.data, 0, Math.min(512, ev.data.byteLength)));
			perf.msgs.push({
				type: (head.match(/"type":"(\w+)"/) || [])[1] || '',
				v: +((head.match(/"version":(\d+)/) || [])[1] || 0),
				t, bytes: text ? ev.data.length : ev.data.byteLength,
			});
		});
		return ws;
	}
	Recorded.prototype = WS.prototype;
	for (const k of ['CONNECTING', 'OPEN', 'CLOSING', 'CLOSED']) Recorded[k] = WS[k];
	window.WebSocket = Recorded;
})()`

// perfRecord is what perfScript recorded, times in milliseconds since
// the navigation started.
type perfRecord struct {
	FirstNode float64 `json:"firstNode"`
	Msgs      []struct {
		Type  string  `json:"type"`
		V     uint64  `json:"v"`
		T     float64 `json:"t"`
		Bytes int     `json:"bytes"`
	} `json:"msgs"`
	// Rendered are the page's updates (the status bar), Drawn the map's.
	Rendered []rendered `json:"rendered"`
	Drawn    []rendered `json:"drawn"`
	// LongTasks are the main-thread tasks over 50 ms.
	LongTasks []struct {
		T float64 `json:"t"`
		D float64 `json:"d"`
	} `json:"longTasks"`
	// WasmEnd is when app.wasm finished downloading.
	WasmEnd float64 `json:"wasmEnd"`
	// Draws are the app's draws of the map layers (User Timing entries).
	Draws []struct {
		T   float64 `json:"t"`
		D   float64 `json:"d"`
		Ops int     `json:"ops"`
	} `json:"draws"`
	// Steps are the app's other User Timing measures (decoding, applying,
	// change detection, rendering), by name.
	Steps map[string][]struct {
		T float64 `json:"t"`
		D float64 `json:"d"`
	} `json:"steps"`
}

// rendered is when the page or the map first showed version V, and the
// frame after.
type rendered struct {
	V     uint64  `json:"v"`
	T     float64 `json:"t"`
	Paint float64 `json:"paint"`
}

// renderedAt returns the render of version v in rs.
func renderedAt(rs []rendered, v uint64) (rendered, bool) {
	for _, x := range rs {
		if x.V == v {
			return x, true
		}
	}
	return rendered{}, false
}

// appSteps are the User Timing measures the app records between a
// message's arrival and the updated map, in order.
var appSteps = []string{"spanmap-decode", "spanmap-dispatch", "spanmap-apply", "spanmap-changes",
	"spanmap-frame-wait", "spanmap-page-update", "spanmap-layers-describe", "spanmap-layers-compare", "spanmap-layers-flush"}

func (p *browserPage) perf() perfRecord {
	p.t.Helper()
	return eval[perfRecord](p, `Object.assign({}, window.spanmapPerf, {
		wasmEnd: (performance.getEntriesByType('resource').find(e => e.name.includes('app.wasm')) || {}).responseEnd || 0,
		draws: performance.getEntriesByName('spanmap-draw-layers').map(e => ({t: e.startTime, d: e.duration, ops: (e.detail || {}).ops || 0})),
		steps: Object.fromEntries(`+stepNamesJS()+`.map(n => [n, performance.getEntriesByName(n).map(e => ({t: e.startTime, d: e.duration}))])),
	})`)
}

// stepNamesJS is appSteps as a JavaScript array.
func stepNamesJS() string {
	b, _ := json.Marshal(appSteps)
	return string(b)
}

// loadFigures are the times of one page load.
type loadFigures struct {
	wasm, snapshot, firstNode float64
}

// measureLoad loads url in p (which has perfScript installed) and returns
// when app.wasm was downloaded, the first snapshot arrived and the first
// node was drawn, in milliseconds since the navigation started.
func measureLoad(p *browserPage, url string) loadFigures {
	p.t.Helper()
	p.navigate(url)
	p.waitFirstMap()
	r := p.perf()
	f := loadFigures{wasm: r.WasmEnd, firstNode: r.FirstNode}
	for _, m := range r.Msgs {
		if m.Type == string(graph.MessageSnapshot) {
			f.snapshot = m.T
			break
		}
	}
	return f
}

// diffSample are the figures of the diffs diffFigures pairs with their
// renders, in milliseconds from the message's arrival (bytes in KB).
type diffSample struct {
	// mapDrawn is to the map's layers showing the diff, page to the rest
	// of the page showing it, paint to the frame after both.
	mapDrawn, page, paint []float64
	// layers is the app's draws of the map layers in between.
	layers []float64
	kb     []float64
}

func (d *diffSample) add(o diffSample) {
	d.mapDrawn, d.page, d.paint = append(d.mapDrawn, o.mapDrawn...), append(d.page, o.page...), append(d.paint, o.paint...)
	d.layers, d.kb = append(d.layers, o.layers...), append(d.kb, o.kb...)
}

// diffFigures pairs each diff message after version from with the draw
// of the map and the render of the page for the version it made, and
// adds, per step in steps, how long the app's steps took in between (the
// rest is waiting for the main thread and go-app's own work).
func diffFigures(r perfRecord, from uint64, steps map[string][]float64) diffSample {
	var out diffSample
	for _, m := range r.Msgs {
		if m.Type != string(graph.MessageDiff) || m.V <= from {
			continue
		}
		drawn, ok1 := renderedAt(r.Drawn, m.V)
		page, ok2 := renderedAt(r.Rendered, m.V)
		if !ok1 || !ok2 {
			continue
		}
		end := max(drawn.T, page.T)
		out.mapDrawn = append(out.mapDrawn, drawn.T-m.T)
		out.page = append(out.page, page.T-m.T)
		if drawn.Paint > 0 && page.Paint > 0 {
			out.paint = append(out.paint, max(drawn.Paint, page.Paint)-m.T)
		}
		out.kb = append(out.kb, float64(m.Bytes)/1024)
		for _, d := range r.Draws {
			if d.T >= m.T && d.T+d.D <= drawn.T {
				out.layers = append(out.layers, d.D)
				steps[domOps] = append(steps[domOps], float64(d.Ops))
			}
		}
		// The app's steps for this message, and the time before the
		// first (waiting for the main thread) and after the last.
		first, last := end, m.T
		for _, name := range appSteps {
			for _, d := range r.Steps[name] {
				if d.T >= m.T && d.T+d.D <= end {
					steps[name] = append(steps[name], d.D)
					first, last = min(first, d.T), max(last, d.T+d.D)
				}
			}
		}
		if last > m.T {
			steps["before the first step"] = append(steps["before the first step"], first-m.T)
			steps["after the last step"] = append(steps["after the last step"], end-last)
		}
	}
	return out
}

// domOps is the key of diffFigures' steps that counts the DOM operations
// of each draw of the map layers.
const domOps = "DOM operations"

// summary formats the median, 90th percentile and maximum of xs.
func summary(xs []float64, unit string) string {
	if len(xs) == 0 {
		return "no samples"
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	q := func(f float64) float64 { return s[int(f*float64(len(s)-1)+0.5)] }
	return fmt.Sprintf("median %.0f%s, p90 %.0f%s, max %.0f%s (n=%d)", q(0.5), unit, q(0.9), unit, s[len(s)-1], unit, len(s))
}

// TestBrowser_figures measures, when SPANMAP_BROWSER_BENCH=1, the time to
// the first drawn map on localhost (navigation start to the first node,
// with a fresh browser profile and on reload) and the time from a diff's
// arrival to the re-rendered map, on the small shop system and on a
// 500-service, 2,000-edge graph. It logs the figures.
func TestBrowser_figures(t *testing.T) {
	if os.Getenv(envBench) != "1" {
		t.Skip("set " + envBench + "=1 to measure the browser figures")
	}
	needBrowser(t)
	t.Run("shop", func(t *testing.T) {
		s, f, _ := startShop(t)
		var cold, warm []loadFigures
		var p *browserPage
		for range 3 {
			if p != nil {
				p.close()
			}
			p = openBrowser(t, 1280, 800)
			p.addInitScript(perfScript)
			cold = append(cold, measureLoad(p, s.base+"/"))
		}
		for range 3 {
			warm = append(warm, measureLoad(p, s.base+"/"))
		}
		logLoads(t, "shop (7 nodes, 6 edges), fresh profile", cold)
		logLoads(t, "shop (7 nodes, 6 edges), reload", warm)
		diffLoop(t, p, f, 0, 10, func(r *rand.Rand) []call { return shopCalls() }, nil)
		idleLoad(t, p, 10*time.Second)
	})
	t.Run("500x2000", func(t *testing.T) {
		s := startServer(t, serverConfig())
		f := newFeeder(t, s.otlp)
		edges := largeGraph(500, 2000)
		start := time.Now()
		f.send(t, edges)
		snap := s.waitGraph(t, "", 5*time.Minute, "500 nodes and 2,000 laid-out edges", func(g graph.Snapshot) bool {
			return len(g.Nodes) == 500 && len(g.Edges) == 2000 && g.Width > 0 && len(g.Edges[0].Path) > 0
		})
		t.Logf("500x2000: server has the laid-out graph %s after the spans were sent", time.Since(start).Round(100*time.Millisecond))
		p := openBrowser(t, 1280, 800)
		p.addInitScript(perfScript)
		l := measureLoad(p, s.base+"/")
		nodes, ids, _ := drawnIDs(snap)
		p.waitMapEquals(loadTimeout, "the whole large map", nodes, ids, nil)
		logLoads(t, "500x2000, fresh profile", []loadFigures{l})
		var prof *pageProfile
		diffLoop(t, p, f, 20, 12, func(r *rand.Rand) []call {
			// 10% of the edges get calls, a third of them failing.
			var out []call
			for _, i := range r.Perm(len(edges))[:len(edges)/10] {
				e := edges[i]
				out = append(out, call{from: e.from, to: e.to, fail: r.IntN(3) == 0, dur: time.Duration(5+r.IntN(50)) * time.Millisecond})
			}
			return out
		}, func() { prof = startProfile(p) })
		prof.stop(t, "diffs-500x2000")
		idleLoad(t, p, 10*time.Second)
	})
}

// largeGraph returns one call per edge of a random graph of n services
// and m edges: a tree joins every service, the other edges go from a
// lower to a higher service number (no cycles).
func largeGraph(n, m int) []call {
	r := rand.New(rand.NewPCG(1, 2))
	name := func(i int) string { return fmt.Sprintf("svc-%03d", i) }
	seen := map[[2]int]bool{}
	var calls []call
	add := func(a, b int) {
		if a == b || seen[[2]int{a, b}] {
			return
		}
		seen[[2]int{a, b}] = true
		calls = append(calls, call{from: name(a), to: name(b), dur: time.Duration(2+r.IntN(40)) * time.Millisecond})
	}
	for i := 1; i < n; i++ {
		add(r.IntN(i), i)
	}
	for len(calls) < m {
		a, b := r.IntN(n), r.IntN(n)
		if a > b {
			a, b = b, a
		}
		add(a, b)
	}
	return calls
}

// diffLoop measures rounds diffs one at a time: it sends a batch of calls
// made by next, waits until the map and the page have drawn the diff they
// cause, and only then sends the next batch, so each diff meets an idle
// page. It logs, per diff, the time from the message's arrival in the
// page to the redrawn map, to the updated page and to the next frame, the
// message size, and the time from sending the spans to the drawn map
// (which includes the wait for the server's next one-second tick).
func diffLoop(t *testing.T, p *browserPage, f *feeder, warm, rounds int, next func(*rand.Rand) []call, warmed func()) {
	t.Helper()
	r := rand.New(rand.NewPCG(3, 4))
	var all, cold diffSample
	var e2e []float64
	steps := map[string][]float64{}
	latest := func(rs []rendered) uint64 {
		v := uint64(0)
		for _, x := range rs {
			v = max(v, x.V)
		}
		return v
	}
	for round := range warm + rounds {
		if round == warm && warmed != nil {
			warmed()
		}
		before := p.perf()
		drawn := max(latest(before.Rendered), latest(before.Drawn))
		sent := time.Now()
		f.send(t, next(r))
		var rec perfRecord
		p.waitFor(loadTimeout, "the diff is drawn", func() (bool, string) {
			rec = p.perf()
			if latest(rec.Drawn) > drawn {
				return true, ""
			}
			return false, fmt.Sprintf("drawn version %d, %d messages", drawn, len(rec.Msgs))
		})
		e2e = append(e2e, float64(time.Since(sent).Milliseconds()))
		// Wait for the page and the frame after both, then pair the
		// diff with its renders.
		p.waitFor(stepTimeout, "the page and the frame after the diff", func() (bool, string) {
			rec = p.perf()
			m, ok1 := renderedAt(rec.Drawn, latest(rec.Drawn))
			pg, ok2 := renderedAt(rec.Rendered, m.V)
			return ok1 && ok2 && m.Paint > 0 && pg.Paint > 0, fmt.Sprintf("map at version %d, page at %d", m.V, latest(rec.Rendered))
		})
		if round < warm {
			cold.add(diffFigures(rec, drawn, map[string][]float64{}))
			e2e = e2e[:0]
			continue
		}
		d := diffFigures(rec, drawn, steps)
		if len(d.mapDrawn) == 0 {
			t.Fatalf("the page drew version %d but got no diff for it: %+v", latest(rec.Drawn), rec.Msgs[len(before.Msgs):])
		}
		all.add(d)
	}
	if warm > 0 {
		t.Logf("%s: the first %d diffs after the page loaded: arrival to map redrawn: %s", t.Name(), warm, summary(cold.mapDrawn, " ms"))
		t.Logf("%s: the next %d, once the browser has compiled the hot code and the heap has grown:", t.Name(), rounds)
	}
	t.Logf("%s: diff arrival to map redrawn: %s", t.Name(), summary(all.mapDrawn, " ms"))
	t.Logf("%s: of which drawing the map layers: %s", t.Name(), summary(all.layers, " ms"))
	t.Logf("%s: diff arrival to whole page updated: %s", t.Name(), summary(all.page, " ms"))
	for _, name := range append(appSteps, "before the first step", "after the last step") {
		t.Logf("%s: of which %s: %s", t.Name(), name, summary(steps[name], " ms"))
	}
	t.Logf("%s: DOM operations per draw of the map layers: %s", t.Name(), summary(steps[domOps], ""))
	t.Logf("%s: diff arrival to next frame: %s", t.Name(), summary(all.paint, " ms"))
	t.Logf("%s: diff message size: %s", t.Name(), summary(all.kb, " KB"))
	t.Logf("%s: spans sent to map drawn (includes the server tick): %s", t.Name(), summary(e2e, " ms"))
}

// idleLoad watches the page for d while no span arrives and logs how
// much of that time its main thread spent in long tasks (over 50 ms),
// which delay every input and frame.
func idleLoad(t *testing.T, p *browserPage, d time.Duration) {
	t.Helper()
	from := eval[float64](p, `performance.now()`)
	time.Sleep(d) // the measurement window
	to := eval[float64](p, `performance.now()`)
	r := p.perf()
	busy, longest, n := 0.0, 0.0, 0
	for _, x := range r.LongTasks {
		if x.T >= from && x.T < to {
			busy, longest, n = busy+x.D, max(longest, x.D), n+1
		}
	}
	t.Logf("%s: no new spans for %s: %d long tasks, %.0f%% of the time busy, longest %.0f ms",
		t.Name(), d, n, 100*busy/(to-from), longest)
}

func logLoads(t *testing.T, what string, ls []loadFigures) {
	t.Helper()
	var wasm, snap, node []float64
	for _, l := range ls {
		wasm, snap, node = append(wasm, l.wasm), append(snap, l.snapshot), append(node, l.firstNode)
	}
	t.Logf("%s: app.wasm downloaded %s", what, summary(wasm, " ms"))
	t.Logf("%s: first snapshot received %s", what, summary(snap, " ms"))
	t.Logf("%s: first node drawn %s", what, summary(node, " ms"))
}
