package browser

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/spanmap/spanmap/app"
	"github.com/spanmap/spanmap/graph"
)

// calls returns n calls from -> to that ended at end, a few milliseconds
// apart.
func callsAt(from, to string, n int, end time.Time) []call {
	out := make([]call, n)
	for i := range out {
		out[i] = call{from: from, to: to, dur: 15 * time.Millisecond, end: end.Add(-time.Duration(i) * 50 * time.Millisecond)}
	}
	return out
}

// pageParams reads the page's query string.
func (p *browserPage) pageParams() url.Values {
	p.t.Helper()
	v, err := url.ParseQuery(p.pageQuery())
	if err != nil {
		p.t.Fatalf("page query %q: %v", p.pageQuery(), err)
	}
	return v
}

// viewQuery is the page's View alone, without the history parameters the
// graph API does not take.
func (p *browserPage) viewQuery() string {
	p.t.Helper()
	v := p.pageParams()
	for _, k := range []string{app.ParamCompare, app.ParamReplay, app.ParamSpeed, app.ParamScale} {
		v.Del(k)
	}
	return v.Encode()
}

// edgeClass returns the class attribute of the drawn edge id, "" when it
// is not drawn.
func (p *browserPage) edgeClass(id string) string {
	p.t.Helper()
	return eval[string](p, fmt.Sprintf(`(() => {
		const e = [...document.querySelectorAll('svg.map-svg g.layer-edges [data-edge-id]')]
			.find(e => e.getAttribute('data-edge-id') === %q);
		return e ? e.getAttribute('class') : '';
	})()`, id))
}

// hasClassName reports whether a class attribute holds name.
func hasClassName(class, name string) bool {
	return strings.Contains(" "+class+" ", " "+name+" ")
}

// waitMapShowsView waits until the map draws what the graph API gives for
// the page's own View, and returns that View's query and the API's edges.
func (p *browserPage) waitMapShowsView(s *liveServer, what string) (string, []string) {
	p.t.Helper()
	var q string
	var edges []string
	p.waitFor(stepTimeout, what, func() (bool, string) {
		q = p.viewQuery()
		var nodes []string
		nodes, edges, _ = drawnIDs(s.graph(p.t, q))
		m := p.readMap()
		ok := fmt.Sprint(m.Nodes, m.Edges) == fmt.Sprint(nodes, edges)
		return ok, fmt.Sprintf("page ?%s draws %v; the API has nodes %v, edges %v", q, m, nodes, edges)
	})
	return q, edges
}

// TestCompare_previousWindow_marksAddedAndRemoved feeds an edge only into
// the previous five-minute window, one only into the current window and
// one steady edge into both, turns compare mode on and checks that the
// map draws the union with the new edge marked cmp-added, the vanished
// one cmp-removed and the steady one unmarked, that the ranked list names
// both, and that the compare URL restores the same marks on a fresh load.
func TestCompare_previousWindow_marksAddedAndRemoved(t *testing.T) {
	p := openBrowser(t, 1280, 800)
	s := startServer(t, serverConfig())
	f := newFeeder(t, s.otlp)
	now := time.Now()
	const added, removed, steady = "orders->billing", "legacy->mainframe", "frontend->catalog"
	var calls []call
	calls = append(calls, callsAt("legacy", "mainframe", 40, now.Add(-7*time.Minute))...)
	calls = append(calls, callsAt("orders", "billing", 40, now.Add(-20*time.Second))...)
	calls = append(calls, callsAt("frontend", "catalog", 40, now.Add(-7*time.Minute))...)
	calls = append(calls, callsAt("frontend", "catalog", 40, now.Add(-20*time.Second))...)
	f.send(t, calls)
	s.waitGraph(t, "", stepTimeout, "the current window's edges", func(snap graph.Snapshot) bool {
		return hasEdges(snap, added, steady) && !hasEdges(snap, removed)
	})

	p.navigate(s.base + "/")
	p.waitFirstMap()
	p.waitMapEquals(stepTimeout, "the live map", nil, []string{steady, added}, nil)

	p.do(clickSelector("#history-compare"))
	p.waitFor(stepTimeout, "compare=previous in the URL", func() (bool, string) {
		return p.pageParams().Get(app.ParamCompare) == app.ComparePrevious, p.location()
	})
	checkMarks := func(what string) {
		p.t.Helper()
		p.waitFor(stepTimeout, what, func() (bool, string) {
			a, r, st := p.edgeClass(added), p.edgeClass(removed), p.edgeClass(steady)
			ok := hasClassName(a, "cmp-added") && hasClassName(r, "cmp-removed") && st != "" && !strings.Contains(st, "cmp-")
			return ok, fmt.Sprintf("classes: %s %q, %s %q, %s %q; map %v; %s", added, a, removed, r, steady, st, p.readMap(), p.pageState())
		})
	}
	checkMarks("the comparison marks the new and the vanished edge")
	list := eval[[]string](p, `[...document.querySelectorAll('section.compare li.delta')].map(li => li.dataset.id + ' ' + li.dataset.change)`)
	for _, w := range []string{added + " added", removed + " removed"} {
		if !contains(list, w) {
			t.Errorf("the compare list %v misses %q", list, w)
		}
	}
	if legend := p.text("section.compare .cmp-legend"); !strings.Contains(legend, "removed") || !strings.Contains(legend, "added") {
		t.Errorf("compare legend %q", legend)
	}

	// A click on a listed change selects it, as the hotspots list does.
	p.do(clickSelector(fmt.Sprintf(`section.compare li.delta[data-id=%q]`, removed)))
	p.waitFor(stepTimeout, "the removed edge is selected", func() (bool, string) {
		return hasClassName(p.edgeClass(removed), "selected"), p.edgeClass(removed)
	})

	// The shared link restores compare mode.
	link := p.location()
	p.navigate(link)
	p.waitFirstMap()
	checkMarks("the compare link, loaded afresh, marks the same edges")

	// Off again: the live map, without the vanished edge.
	p.do(clickSelector("#history-compare"))
	p.waitMapEquals(stepTimeout, "the live map after compare mode", nil, []string{steady, added}, nil)
	if p.pageParams().Has(app.ParamCompare) {
		t.Errorf("compare still in the URL: %s", p.location())
	}
}

// TestSlider_pastRange_thenLive feeds an edge half an hour ago and another
// now, drags the time slider back half an hour (the map shows the past
// range's edge only, with from/to in the URL), replays at 60x (the range
// advances, one step per snapshot, until paused) and returns live (the
// map shows the present edge only).
func TestSlider_pastRange_thenLive(t *testing.T) {
	p := openBrowser(t, 1280, 800)
	s := startServer(t, serverConfig())
	f := newFeeder(t, s.otlp)
	now := time.Now()
	const past, present = "batch->archive", "web->api"
	calls := append(callsAt("batch", "archive", 30, now.Add(-30*time.Minute)), callsAt("web", "api", 30, now.Add(-10*time.Second))...)
	f.send(t, calls)
	s.waitGraph(t, "", stepTimeout, "the present edge", func(snap graph.Snapshot) bool { return hasEdges(snap, present) })

	p.navigate(s.base + "/")
	p.waitFirstMap()
	p.waitMapEquals(stepTimeout, "the live map", nil, []string{present}, nil)

	// Drag to 28 minutes ago: the 5-minute range ending there holds the
	// past edge (sent 30 minutes ago).
	eval[bool](p, `(() => {
		const s = document.getElementById('history-slider');
		s.value = String(Number(s.max) - 28);
		s.dispatchEvent(new Event('input', {bubbles: true}));
		s.dispatchEvent(new Event('change', {bubbles: true}));
		return true;
	})()`)
	p.waitFor(stepTimeout, "from and to in the URL", func() (bool, string) {
		v := p.pageParams()
		return v.Get(graph.ParamFrom) != "" && v.Get(graph.ParamTo) != "", p.location()
	})
	q, edges := p.waitMapShowsView(s, "the past range's map")
	if len(edges) != 1 || edges[0] != past {
		t.Fatalf("the past range ?%s has edges %v, want only %s", q, edges, past)
	}
	if live := p.text("#history-live"); live == "" || eval[string](p, `document.getElementById('history-live').getAttribute('aria-pressed')`) != "false" {
		t.Errorf("the live button is pressed on a past range")
	}
	if r := p.text("#history-range"); !strings.Contains(r, "UTC") {
		t.Errorf("range label %q", r)
	}

	// Replay at 60x: each step moves the range by a minute.
	eval[bool](p, `(() => {
		const s = document.getElementById('history-speed');
		s.value = '60';
		return s.dispatchEvent(new Event('change', {bubbles: true}));
	})()`)
	p.waitFor(stepTimeout, "speed=60 in the URL", func() (bool, string) { return p.pageParams().Get(app.ParamSpeed) == "60", p.location() })
	start, err := time.Parse(time.RFC3339, p.pageParams().Get(graph.ParamFrom))
	if err != nil {
		t.Fatal(err)
	}
	p.do(clickSelector("#history-play"))
	p.waitFor(stepTimeout, "the replay advances the range by two minutes or more", func() (bool, string) {
		v := p.pageParams()
		from, err := time.Parse(time.RFC3339, v.Get(graph.ParamFrom))
		return err == nil && v.Get(app.ParamReplay) == "play" && from.Sub(start) >= 2*time.Minute, p.location()
	})
	p.do(clickSelector("#history-play"))
	p.waitFor(stepTimeout, "pause takes replay out of the URL", func() (bool, string) {
		return !p.pageParams().Has(app.ParamReplay), p.location()
	})
	paused := p.pageParams().Get(graph.ParamFrom)
	time.Sleep(3 * time.Second)
	if got := p.pageParams().Get(graph.ParamFrom); got != paused {
		t.Errorf("the range moved after pause: %s, then %s", paused, got)
	}
	p.waitMapShowsView(s, "the paused replay's map")

	p.do(clickSelector("#history-live"))
	p.waitFor(stepTimeout, "live drops from/to", func() (bool, string) {
		v := p.pageParams()
		return !v.Has(graph.ParamFrom) && !v.Has(graph.ParamTo), p.location()
	})
	p.waitMapEquals(stepTimeout, "the live map again", nil, []string{present}, nil)
}

// TestHistory_changesPanel_listsNewEdge sends a new edge while the page is
// open and checks that the changes panel lists it as a new edge (the
// server evaluates changes every flush interval, here one second) and
// that clicking it selects the edge on the map.
func TestHistory_changesPanel_listsNewEdge(t *testing.T) {
	p := openBrowser(t, 1280, 800)
	cfg := serverConfig()
	cfg.FlushInterval = time.Second
	s := startServer(t, cfg)
	f := newFeeder(t, s.otlp)
	f.send(t, callsAt("web", "api", 20, time.Now()))
	s.waitGraph(t, "", stepTimeout, "the first edge", func(snap graph.Snapshot) bool { return hasEdges(snap, "web->api") })

	p.navigate(s.base + "/")
	p.waitFirstMap()
	const fresh = "api->ledger"
	f.send(t, callsAt("api", "ledger", 20, time.Now()))
	// The page reloads its changes every 10 s while live.
	p.waitFor(45*time.Second, "the changes panel lists "+fresh, func() (bool, string) {
		items := eval[[]string](p, `[...document.querySelectorAll('section.changes li.event')].map(li => li.dataset.id + ' ' + li.innerText.replace(/\s+/g, ' '))`)
		for _, it := range items {
			if strings.HasPrefix(it, fresh+" ") && strings.Contains(it, "new edge") {
				return true, ""
			}
		}
		return false, fmt.Sprintf("changes: %v; panel %q", items, p.text("section.changes"))
	})
	if n := eval[int](p, `document.querySelectorAll('.slider-track .slider-event').length`); n == 0 {
		t.Error("the time slider marks no change")
	}
	p.do(clickSelector(fmt.Sprintf(`section.changes li.event[data-id=%q]`, fresh)))
	p.waitFor(stepTimeout, fresh+" is selected", func() (bool, string) {
		return hasClassName(p.edgeClass(fresh), "selected"), p.edgeClass(fresh)
	})
}
