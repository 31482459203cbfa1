package browser

import (
	"bytes"
	"context"
	"fmt"
	"image/png"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/spanmap/spanmap/graph"
)

// Screenshot settings for the README images.
const (
	shotWidth, shotHeight = 1280, 800
	// shotMaxBytes is the size an image must stay under.
	shotMaxBytes = 300 << 10
	// docsImg is where the README images live.
	docsImg = moduleRoot + "/docs/img"
)

// darkScheme makes the page see a dark colour-scheme preference, so the
// app starts in its dark theme.
func (p *browserPage) darkScheme() {
	p.t.Helper()
	p.do(chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: "dark"}},
		})
		return err
	}))
}

// saveShot captures the viewport as docs/img/name, re-encoded at the best
// PNG compression, and checks its size.
func (p *browserPage) saveShot(name string) {
	p.t.Helper()
	// Let the frame settle: no highlight animation, no pending layout.
	p.waitFor(stepTimeout, "highlights fade before "+name, func() (bool, string) {
		n := eval[int](p, `document.querySelectorAll('svg.map-svg .is-new, svg.map-svg .is-spike').length`)
		return n == 0, fmt.Sprintf("%d highlighted elements", n)
	})
	ctx, cancel := context.WithTimeout(p.ctx, stepTimeout)
	defer cancel()
	raw, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		p.t.Fatalf("screenshot %s: %v", name, err)
	}
	img, err := png.Decode(bytes.NewReader(raw))
	if err != nil {
		p.t.Fatalf("screenshot %s: %v", name, err)
	}
	if b := img.Bounds(); b.Dx() != shotWidth || b.Dy() != shotHeight {
		p.t.Fatalf("screenshot %s is %dx%d, want %dx%d", name, b.Dx(), b.Dy(), shotWidth, shotHeight)
	}
	var buf bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.BestCompression}).Encode(&buf, img); err != nil {
		p.t.Fatal(err)
	}
	out := buf.Bytes()
	if len(raw) < len(out) {
		out = raw
	}
	if len(out) > shotMaxBytes {
		p.t.Errorf("%s is %d KB, more than %d KB", name, len(out)>>10, shotMaxBytes>>10)
	}
	path := filepath.Join(docsImg, name)
	if err := os.WriteFile(path, out, 0o644); err != nil {
		p.t.Fatal(err)
	}
	p.t.Logf("wrote %s (%d KB)", path, len(out)>>10)
}

// waitDemoGraph waits until the demo system's map is complete: at least
// 15 s of traffic, every demo service present and no node or edge added
// for 5 s.
func waitDemoGraph(t *testing.T, s *liveServer) graph.Snapshot {
	t.Helper()
	start := time.Now()
	last, since := "", time.Now()
	return s.waitGraph(t, "", 2*time.Minute, "a complete, steady demo map", func(g graph.Snapshot) bool {
		n, e := snapshotIDs(g)
		if k := fmt.Sprint(n, e); k != last {
			last, since = k, time.Now()
		}
		services := 0
		for _, node := range g.Nodes {
			if node.Kind == graph.NodeService {
				services++
			}
		}
		time.Sleep(400 * time.Millisecond)
		return services >= 16 && time.Since(start) > 15*time.Second && time.Since(since) > 5*time.Second
	})
}

// TestScreenshots_readme regenerates the README images under docs/img/
// from the demo system, when SPANMAP_SCREENSHOTS=1: the live map
// (map.png), the details panel of an edge (details.png) and the map
// centred on the top hotspot with the hotspots panel (hotspots.png).
func TestScreenshots_readme(t *testing.T) {
	if os.Getenv(envScreenshots) != "1" {
		t.Skip("set " + envScreenshots + "=1 to regenerate docs/img/*.png")
	}
	p := openBrowser(t, shotWidth, shotHeight)
	p.darkScheme()
	cfg := serverConfig()
	cfg.Demo = true
	s := startServer(t, cfg)
	snap := waitDemoGraph(t, s)
	if err := os.MkdirAll(docsImg, 0o755); err != nil {
		t.Fatal(err)
	}

	p.navigate(s.base + "/")
	p.waitFirstMap()
	p.waitMapMatchesAPI(s, "the demo map")
	if theme := eval[string](p, `document.documentElement.getAttribute('data-theme')`); theme != "dark" {
		t.Fatalf("theme %q, want dark", theme)
	}
	p.saveShot("map.png")

	// The details of the busiest call between two services.
	id := busiestServiceEdge(snap)
	p.clickEdge(id)
	p.waitFor(stepTimeout, "the details panel describes "+id, func() (bool, string) {
		d := p.readDetails()
		return strings.Contains(d.Title, "→") && len(d.TraceIDs) > 0, fmt.Sprintf("panel %+v", d)
	})
	p.saveShot("details.png")

	// The top hotspot, clicked: the map centres on it at full size; Escape
	// then clears the selection so the hotspots panel stays in view.
	p.do(clickSelector("section.hotspots li.hotspot"))
	p.waitFor(stepTimeout, "the top hotspot is selected", func() (bool, string) {
		n := eval[int](p, `document.querySelectorAll('section.hotspots li.hotspot.selected').length`)
		return n == 1, p.pageState()
	})
	p.do(chromedp.KeyEvent("\x1b"))
	p.waitFor(stepTimeout, "the selection clears", func() (bool, string) {
		d := p.readDetails()
		return d.Title == "", fmt.Sprintf("panel %+v", d)
	})
	p.saveShot("hotspots.png")
}

// busiestServiceEdge returns the ID of the edge with the most calls
// between two services.
func busiestServiceEdge(snap graph.Snapshot) string {
	kinds := map[string]graph.NodeKind{}
	for _, n := range snap.Nodes {
		kinds[n.ID] = n.Kind
	}
	es := append([]graph.Edge(nil), snap.Edges...)
	sort.Slice(es, func(i, j int) bool { return es[i].Calls > es[j].Calls })
	for _, e := range es {
		if kinds[e.From] == graph.NodeService && kinds[e.To] == graph.NodeService {
			return e.ID
		}
	}
	return es[0].ID
}
