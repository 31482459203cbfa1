package browser

import (
	"fmt"
	"math/rand/v2"
	"os"
	"sort"
	"testing"
	"time"

	"github.com/spanmap/spanmap/graph"
)

// perfScript records, in every document of the tab, when the map first
// has a node, when each stream message arrives (before the app reads it)
// and when each map version is rendered. The status bar shows the version
// of the snapshot drawn; go-app updates it and the map in the same frame,
// so the mutation that changes it marks the map's update. paint is taken
// after the next animation frame.
const perfScript = `(() => {
	if (window.spanmapPerf) return;
	const perf = window.spanmapPerf = {firstNode: 0, msgs: [], rendered: []};
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
	const WS = window.WebSocket;
	function Recorded(url, protocols) {
		const ws = protocols === undefined ? new WS(url) : new WS(url, protocols);
		ws.addEventListener('message', ev => {
			const t = performance.now();
			if (typeof ev.data !== 'string') return;
			const head = ev.data.slice(0, 512);
			perf.msgs.push({
				type: (head.match(/"type":"(\w+)"/) || [])[1] || '',
				v: +((head.match(/"version":(\d+)/) || [])[1] || 0),
				t, bytes: ev.data.length,
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
	Rendered []struct {
		V     uint64  `json:"v"`
		T     float64 `json:"t"`
		Paint float64 `json:"paint"`
	} `json:"rendered"`
	// WasmEnd is when app.wasm finished downloading.
	WasmEnd float64 `json:"wasmEnd"`
}

func (p *browserPage) perf() perfRecord {
	p.t.Helper()
	return eval[perfRecord](p, `Object.assign({}, window.spanmapPerf, {
		wasmEnd: (performance.getEntriesByType('resource').find(e => e.name.includes('app.wasm')) || {}).responseEnd || 0,
	})`)
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

// diffFigures pairs each diff message after version from with the render
// of the version it made: milliseconds from arrival to the DOM update and
// to the next frame, and the message size.
func diffFigures(r perfRecord, from uint64) (apply, paint []float64, bytes []int) {
	rendered := map[uint64]int{}
	for i, x := range r.Rendered {
		rendered[x.V] = i
	}
	for _, m := range r.Msgs {
		if m.Type != string(graph.MessageDiff) || m.V <= from {
			continue
		}
		i, ok := rendered[m.V]
		if !ok {
			continue
		}
		apply = append(apply, r.Rendered[i].T-m.T)
		if r.Rendered[i].Paint > 0 {
			paint = append(paint, r.Rendered[i].Paint-m.T)
		}
		bytes = append(bytes, m.Bytes)
	}
	return apply, paint, bytes
}

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

func intsToFloats(xs []int) []float64 {
	out := make([]float64, len(xs))
	for i, x := range xs {
		out[i] = float64(x) / 1024
	}
	return out
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
			p = openBrowser(t, 1280, 800)
			p.addInitScript(perfScript)
			cold = append(cold, measureLoad(p, s.base+"/"))
		}
		for range 3 {
			warm = append(warm, measureLoad(p, s.base+"/"))
		}
		logLoads(t, "shop (8 nodes), fresh profile", cold)
		logLoads(t, "shop (8 nodes), reload", warm)
		from := p.perf().Rendered
		diffLoop(t, p, f, s, 10, func(r *rand.Rand) []call {
			return shopCalls()
		}, from[len(from)-1].V)
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
		from := p.perf().Rendered
		diffLoop(t, p, f, s, 12, func(r *rand.Rand) []call {
			// 10% of the edges get calls, a third of them failing.
			var out []call
			for _, i := range r.Perm(len(edges))[:len(edges)/10] {
				e := edges[i]
				out = append(out, call{from: e.from, to: e.to, fail: r.IntN(3) == 0, dur: time.Duration(5+r.IntN(50)) * time.Millisecond})
			}
			return out
		}, from[len(from)-1].V)
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

// diffLoop sends a batch of calls made by next every second for rounds
// seconds, then logs how long the page took to apply and draw each diff
// after version from.
func diffLoop(t *testing.T, p *browserPage, f *feeder, s *liveServer, rounds int, next func(*rand.Rand) []call, from uint64) {
	t.Helper()
	r := rand.New(rand.NewPCG(3, 4))
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for range rounds {
		f.send(t, next(r))
		<-tick.C
	}
	// Wait for the last diff to be drawn.
	p.waitFor(stepTimeout, "the last diff is drawn", func() (bool, string) {
		r := p.perf()
		last := uint64(0)
		for _, m := range r.Msgs {
			last = max(last, m.V)
		}
		drawn := uint64(0)
		for _, x := range r.Rendered {
			drawn = max(drawn, x.V)
		}
		return drawn >= last && last > from, fmt.Sprintf("received version %d, drawn %d", last, drawn)
	})
	rec := p.perf()
	apply, paint, bytes := diffFigures(rec, from)
	received := 0
	for _, m := range rec.Msgs {
		if m.Type == string(graph.MessageDiff) && m.V > from {
			received++
		}
	}
	if len(apply) == 0 {
		t.Fatalf("no diff drawn in %d rounds (%d received)", rounds, received)
	}
	// A page busy drawing applies the diffs that queued meanwhile together
	// and draws only the last version.
	t.Logf("%s: %d diffs received, %d of their versions drawn", t.Name(), received, len(apply))
	t.Logf("%s: diff arrival to DOM updated: %s", t.Name(), summary(apply, " ms"))
	t.Logf("%s: diff arrival to next frame: %s", t.Name(), summary(paint, " ms"))
	t.Logf("%s: diff message size: %s", t.Name(), summary(intsToFloats(bytes), " KB"))
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
