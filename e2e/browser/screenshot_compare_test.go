package browser

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/spanmap/spanmap/graph"
	"github.com/spanmap/spanmap/server/demo"
)

// TestScreenshots_compare regenerates docs/img/compare.png, when
// SPANMAP_SCREENSHOTS=1: compare mode on the demo system, a range with the
// latency spike and the new dependency against the range before it, which
// had the error burst. The demo's traffic for both ranges is sent with
// past timestamps, inside the server's in-memory window.
func TestScreenshots_compare(t *testing.T) {
	if os.Getenv(envScreenshots) != "1" {
		t.Skip("set " + envScreenshots + "=1 to regenerate docs/img/*.png")
	}
	p := openBrowser(t, shotWidth, shotHeight)
	p.darkScheme()
	s := startServer(t, serverConfig())

	cfg := demo.DefaultConfig()
	gen, err := demo.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	// A whole incident cycle that ended at least a minute ago.
	period := cfg.IncidentPeriod
	start := time.Now().Add(-period - time.Minute).Truncate(period)
	sink := demo.NewHTTPSink("http://"+s.otlp, nil)
	for at := start.Add(time.Second); !at.After(start.Add(period)); at = at.Add(time.Second) {
		if err := sink.Export(context.Background(), gen.Batch(at, int(cfg.Rate))); err != nil {
			t.Fatal(err)
		}
	}
	rfc := func(d time.Duration) string { return start.Add(d).UTC().Format(time.RFC3339) }
	// a: 0:05-1:05, the error burst; b: 1:10-2:50, the latency spike and
	// the new dependency.
	q := fmt.Sprintf("from=%s&to=%s&compare=%s/%s", rfc(70*time.Second), rfc(170*time.Second), rfc(5*time.Second), rfc(65*time.Second))
	s.waitGraph(t, fmt.Sprintf("from=%s&to=%s", rfc(70*time.Second), rfc(170*time.Second)), time.Minute, "the later range", func(g graph.Snapshot) bool {
		return len(g.Edges) > 20
	})
	p.navigate(s.base + "/?" + q)
	p.waitFor(loadTimeout, "compare marks on the map", func() (bool, string) {
		added := eval[int](p, `document.querySelectorAll('svg.map-svg .cmp-added').length`)
		changed := eval[int](p, `document.querySelectorAll('svg.map-svg .cmp-regressed, svg.map-svg .cmp-improved').length`)
		return added > 0 && changed > 0, fmt.Sprintf("%d added, %d regressed or improved; %s", added, changed, p.pageState())
	})
	time.Sleep(time.Second)
	p.saveShot("compare.png")
}
