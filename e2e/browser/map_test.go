package browser

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/spanmap/spanmap/app"
	"github.com/spanmap/spanmap/graph"
)

// shopCalls is a small system in two namespaces: users call frontend,
// which calls catalog and checkout; checkout calls payment (failing now
// and then) and inventory, which queries PostgreSQL (no instrumented
// callee, so a virtual database node appears once the pairing TTL ends).
func shopCalls() []call {
	var calls []call
	for i := range 4 {
		calls = append(calls,
			call{from: "frontend", fromNS: "shop", to: "catalog", toNS: "shop", root: true, dur: 12 * time.Millisecond},
			call{from: "frontend", fromNS: "shop", to: "checkout", toNS: "shop", root: true, dur: 40 * time.Millisecond},
			call{from: "checkout", fromNS: "shop", to: "payment", toNS: "billing", fail: i == 0, dur: 30 * time.Millisecond},
			call{from: "checkout", fromNS: "shop", to: "inventory", toNS: "stock", dur: 8 * time.Millisecond},
			call{from: "inventory", fromNS: "stock", db: "postgresql", dur: 3 * time.Millisecond},
		)
	}
	return calls
}

// shopEdges are edges of shopCalls that need no pairing timeout.
var shopEdges = []string{
	"user->frontend", "frontend->catalog", "frontend->checkout",
	"checkout->payment", "checkout->inventory",
}

// startShop starts a server fed with shopCalls and waits until the API
// shows all of it, the database node included. It returns the calls sent,
// with their trace IDs.
func startShop(t *testing.T) (*liveServer, *feeder, []call) {
	t.Helper()
	s := startServer(t, serverConfig())
	f := newFeeder(t, s.otlp)
	calls := shopCalls()
	f.send(t, calls)
	s.waitGraph(t, "", 20*time.Second, "the shop's edges and the database node", func(snap graph.Snapshot) bool {
		db := false
		for _, n := range snap.Nodes {
			db = db || n.Kind == graph.NodeDatabase
		}
		return db && hasEdges(snap, shopEdges...)
	})
	return s, f, calls
}

// TestMap_render_matchesAPI opens the map for several Views and checks
// that it draws exactly the nodes, edges and group frames of
// GET /api/v1/graph for the same View.
func TestMap_render_matchesAPI(t *testing.T) {
	p := openBrowser(t, 1280, 800)
	s, _, _ := startShop(t)
	outer := t
	for _, view := range []string{"", "virtual=hide", "group=namespace", "errors_only=true", "focus=checkout&up=1&down=1"} {
		name := strings.NewReplacer("=", "-", "&", "+").Replace(view)
		if view == "" {
			name = "default"
		}
		t.Run(name, func(t *testing.T) {
			p.t = t
			defer func() { p.t = outer }()
			snap := s.graph(t, view)
			nodes, edges, groups := drawnIDs(snap)
			if len(nodes) == 0 || len(edges) == 0 {
				t.Fatalf("the API graph of %q is empty, nothing to compare: %v", view, snap)
			}
			url := s.base + "/"
			if view != "" {
				url += "?" + view
			}
			p.navigate(url)
			p.waitFirstMap()
			p.waitMapEquals(stepTimeout, "the map of ?"+view+" matches the API", nodes, edges, groups)
			// The API and the page agree after the wait; check that the
			// API did not move meanwhile, so both show the same graph.
			n2, e2, _ := drawnIDs(s.graph(t, view))
			if fmt.Sprint(n2, e2) != fmt.Sprint(nodes, edges) {
				t.Fatalf("the API graph changed during the check: %v %v, then %v %v", nodes, edges, n2, e2)
			}
		})
	}
}

// drawnIDs returns what the map draws for snap: every node but the group
// nodes (drawn as frames around their members while expanded), every
// edge, and the group frames.
func drawnIDs(snap graph.Snapshot) (nodes, edges, groups []string) {
	nodes, edges, groups = []string{}, []string{}, []string{}
	for _, n := range snap.Nodes {
		if n.Kind == graph.NodeGroup {
			groups = append(groups, n.ID)
			continue
		}
		nodes = append(nodes, n.ID)
	}
	for _, e := range snap.Edges {
		edges = append(edges, e.ID)
	}
	return nodes, edges, groups // snap's nodes and edges are sorted by ID
}

// TestMap_stream_newEdgeWithoutReload sends spans for a new pair of
// services while the page is open and checks that the edge is drawn,
// highlighted as new, within three seconds and without a page load.
func TestMap_stream_newEdgeWithoutReload(t *testing.T) {
	p := openBrowser(t, 1280, 800)
	s, f, _ := startShop(t)
	p.navigate(s.base + "/")
	p.waitFirstMap()
	_, edges, _ := drawnIDs(s.graph(t, ""))
	p.waitMapEquals(stepTimeout, "the initial map", nil, edges, nil)
	// The legend states the server's health rules (the defaults here).
	p.waitFor(stepTimeout, "the legend states the health rules", func() (bool, string) {
		l := p.text(".map-canvas .legend")
		return strings.Contains(l, "errors ≥ 1%") && strings.Contains(l, "errors ≥ 5%"), l
	})
	// A page load would drop this property.
	eval[bool](p, `window.spanmapTestMarker = true`)

	const want = "orders->billing"
	sent := time.Now()
	f.send(t, []call{{from: "orders", to: "billing", dur: 15 * time.Millisecond}})
	var class string
	p.waitFor(3*time.Second, "edge "+want+" drawn", func() (bool, string) {
		var err error
		class, err = tryEval[string](p, fmt.Sprintf(`(() => {
			const e = document.querySelector('svg.map-svg g.layer-edges [data-edge-id=%q]');
			return e ? e.getAttribute('class') : '';
		})()`, want))
		if err != nil {
			return false, err.Error()
		}
		return class != "", fmt.Sprint(p.readMap())
	})
	t.Logf("edge %s drawn %s after its spans were sent", want, time.Since(sent).Round(time.Millisecond))
	if !strings.Contains(" "+class+" ", " "+app.ClassNew+" ") {
		t.Errorf("new edge has classes %q, want the %q highlight", class, app.ClassNew)
	}
	m := p.readMap()
	for _, n := range []string{"orders", "billing"} {
		if !contains(m.Nodes, n) {
			t.Errorf("node %s of the new edge is not drawn: %v", n, m)
		}
	}
	if !eval[bool](p, `window.spanmapTestMarker === true`) {
		t.Fatal("the page was reloaded")
	}
	// The map names the version it shows, the one the status bar names
	// once go-app has rendered the rest of the page.
	p.waitFor(stepTimeout, "the map's data-version is the status bar's version", func() (bool, string) {
		v := eval[[2]string](p, `[document.querySelector('svg.map-svg').getAttribute('data-version') || '',
			((document.querySelector('footer.statusbar').textContent.match(/version (\d+)/)) || [])[1] || '']`)
		return v[0] != "" && v[0] == v[1], fmt.Sprintf("map at %q, status bar at %q", v[0], v[1])
	})
	// Its flash is drawn in the new-elements overlay, whose one animation
	// (on the overlay, not on the map's elements) is running.
	fx := eval[struct {
		Drawn     bool     `json:"drawn"`
		Running   []string `json:"running"`
		MapAnimed int      `json:"mapAnimated"`
	}](p, fmt.Sprintf(`(() => {
		const o = document.querySelector('svg.map-fx.fx-new');
		return {
			drawn: !!(o && o.querySelector('[data-fx-for=%q]')),
			running: o ? o.getAnimations().filter(a => a.playState === 'running').map(a => a.animationName) : [],
			mapAnimated: document.querySelector('svg.map-svg').getAnimations({subtree: true}).length,
		};
	})()`, want))
	if !fx.Drawn || len(fx.Running) != 1 {
		t.Errorf("new-elements overlay: edge drawn %v, running animations %v; want the edge and one animation", fx.Drawn, fx.Running)
	}
	if fx.MapAnimed != 0 {
		t.Errorf("%d animations run on the map's own elements, want none", fx.MapAnimed)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// TestMap_zoomOut_thinsMinorEdges zooms the map out with its button until
// node names go, and checks in the browser's computed style that a minor
// healthy edge fades zoomed out and is hidden far out, while an unhealthy
// minor edge stays.
func TestMap_zoomOut_thinsMinorEdges(t *testing.T) {
	p := openBrowser(t, 1280, 800)
	s, _, _ := startShop(t)
	p.navigate(s.base + "/")
	p.waitFirstMap()
	// Mark two drawn edges minor, one of them failing: which edges the app
	// marks is tested with the drawing; this checks what the page does
	// with them.
	ids := eval[[]string](p, `(() => {
		const es = [...document.querySelectorAll('svg.map-svg g.layer-edges [data-edge-id]')].slice(0, 2);
		es[0].classList.add('minor');
		es[0].classList.remove('health-failing', 'health-degraded');
		es[1].classList.add('minor', 'health-failing');
		return es.map(e => e.getAttribute('data-edge-id'));
	})()`)
	style := func(id string) [2]string {
		return eval[[2]string](p, fmt.Sprintf(`(() => {
			const s = getComputedStyle(document.querySelector('svg.map-svg [data-edge-id=%q]'));
			return [s.display, s.opacity];
		})()`, id))
	}
	if st := style(ids[0]); st != [2]string{"inline", "1"} {
		t.Errorf("minor edge at full zoom: display, opacity %v", st)
	}
	faded := false
	for range 40 {
		cls := eval[string](p, `document.querySelector('.map-canvas').className`)
		if strings.Contains(cls, "zoomed-far") {
			break
		}
		if strings.Contains(cls, "zoomed-out") && !faded {
			if st := style(ids[0]); st[1] != "0.35" {
				t.Errorf("healthy minor edge zoomed out: opacity %q, want 0.35", st[1])
			}
			if st := style(ids[1]); st[1] != "1" {
				t.Errorf("failing minor edge zoomed out: opacity %q, want 1", st[1])
			}
			faded = true
		}
		p.do(clickSelector(`.zoom-controls button[aria-label="zoom out"]`))
	}
	if !faded {
		t.Error("the map went far out without a zoomed-out step")
	}
	if !eval[bool](p, `document.querySelector('.map-canvas').classList.contains('zoomed-far')`) {
		t.Fatal("the map never zoomed far out")
	}
	if st := style(ids[0]); st[0] != "none" {
		t.Errorf("healthy minor edge far out: display %q, want none", st[0])
	}
	if st := style(ids[1]); st[0] == "none" {
		t.Error("failing minor edge hidden far out")
	}
}

// TestMap_stream_goneEdgeFades watches a one-minute window while every
// shop edge but one keeps its traffic: when the quiet edge leaves the
// window it leaves the map, and its last drawn path is in the
// gone-elements overlay, whose fade-out animation runs. It takes the
// minute the edge needs to age out.
func TestMap_stream_goneEdgeFades(t *testing.T) {
	p := openBrowser(t, 1280, 800)
	s, f, calls := startShop(t)
	const quiet = "frontend->catalog"
	p.navigate(s.base + "/?window=1m")
	p.waitFirstMap()
	p.waitFor(stepTimeout, "edge "+quiet+" drawn", func() (bool, string) {
		m := p.readMap()
		return contains(m.Edges, quiet), fmt.Sprint(m.Edges)
	})
	var rest []call
	for _, c := range calls {
		if c.to != "catalog" {
			rest = append(rest, c)
		}
	}
	type goneFx struct {
		Edge    bool     `json:"edge"`
		Drawn   bool     `json:"drawn"`
		Running []string `json:"running"`
	}
	var fx goneFx
	lastSent := time.Time{}
	p.waitFor(100*time.Second, "edge "+quiet+" ages out of the window", func() (bool, string) {
		if time.Since(lastSent) > 10*time.Second {
			f.send(t, rest)
			lastSent = time.Now()
		}
		fx = eval[goneFx](p, fmt.Sprintf(`(() => {
			const o = document.querySelector('svg.map-fx.fx-gone');
			return {
				edge: !!o.querySelector('[data-fx-for=%q]'),
				drawn: !!document.querySelector('svg.map-svg [data-edge-id=%q]'),
				running: o.getAnimations().filter(a => a.playState === 'running').map(a => a.animationName),
			};
		})()`, quiet, quiet))
		return !fx.Drawn, fmt.Sprintf("%+v", fx)
	})
	if !fx.Edge || len(fx.Running) != 1 {
		t.Errorf("gone-elements overlay once %s left the map: %+v; want its path and one running animation", quiet, fx)
	}
}
