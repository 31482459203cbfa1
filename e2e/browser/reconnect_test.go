package browser

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/spanmap/spanmap/graph"
)

// liveState returns the class list and text of the live status.
func (p *browserPage) liveState() (class, text string) {
	p.t.Helper()
	v := eval[[]string](p, `(() => {
		const e = document.querySelector('.live-status');
		return e ? [e.getAttribute('class'), e.innerText.trim()] : ['', ''];
	})()`)
	return v[0], v[1]
}

// TestStream_serverRestart_resyncs stops the server under an open page and
// starts a new one on the same address. The page says it is disconnected,
// reconnects by itself, takes the new server's snapshot (the old edges are
// gone) and then draws an edge made of spans sent to the new server, all
// without a page load.
func TestStream_serverRestart_resyncs(t *testing.T) {
	p := openBrowser(t, 1280, 800)
	cfg := serverConfig()
	s1 := startServer(t, cfg)
	newFeeder(t, s1.otlp).send(t, []call{{from: "alpha", to: "beta"}})
	s1.waitGraph(t, "", stepTimeout, "alpha->beta", func(g graph.Snapshot) bool { return hasEdges(g, "alpha->beta") })
	p.navigate(s1.base + "/")
	p.waitFirstMap()
	p.waitMapEquals(stepTimeout, "the first server's map", []string{"alpha", "beta"}, []string{"alpha->beta"}, nil)
	eval[bool](p, `window.spanmapTestMarker = true`)

	s1.stop(t)
	down := time.Now()
	p.waitFor(stepTimeout, "the page says it is disconnected", func() (bool, string) {
		class, text := p.liveState()
		return strings.Contains(" "+class+" ", " offline ") && strings.HasPrefix(text, "disconnected"), class + ": " + text
	})
	// The server stays away for a few seconds, so the page fails to
	// reconnect more than once and backs off.
	time.Sleep(3 * time.Second)
	if m := p.readMap(); len(m.Edges) != 1 {
		t.Errorf("while disconnected the map draws %v, want the last map kept", m)
	}

	cfg.HTTPAddr = strings.TrimPrefix(s1.base, "http://")
	s2 := startServer(t, cfg)
	restarted := time.Now()
	p.waitFor(40*time.Second, "the page reconnects", func() (bool, string) {
		class, text := p.liveState()
		return strings.Contains(" "+class+" ", " live "), class + ": " + text
	})
	t.Logf("reconnected %s after the new server started (%s after the old one stopped)",
		time.Since(restarted).Round(time.Millisecond), time.Since(down).Round(time.Millisecond))
	// The new server knows nothing yet: its empty snapshot replaces the map.
	p.waitFor(stepTimeout, "the old map is replaced by the new server's snapshot", func() (bool, string) {
		m := p.readMap()
		return len(m.Nodes) == 0 && len(m.Edges) == 0, fmt.Sprint(m, " | ", p.pageState())
	})

	sent := time.Now()
	newFeeder(t, s2.otlp).send(t, []call{{from: "gamma", to: "delta"}})
	p.waitMapEquals(stepTimeout, "the new server's edge", []string{"delta", "gamma"}, []string{"gamma->delta"}, nil)
	t.Logf("new edge drawn %s after its spans were sent to the new server", time.Since(sent).Round(time.Millisecond))
	if !eval[bool](p, `window.spanmapTestMarker === true`) {
		t.Fatal("the page was reloaded")
	}
	nodes, edges, _ := drawnIDs(s2.graph(t, ""))
	p.waitMapEquals(stepTimeout, "the map matches the new server's API", nodes, edges, nil)
}
