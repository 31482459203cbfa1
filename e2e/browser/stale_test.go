package browser

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/resource"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/spanmap/spanmap/graph"
	"github.com/spanmap/spanmap/internal/zipkintest"
	"github.com/spanmap/spanmap/server"
	"github.com/spanmap/spanmap/server/source/conn"
)

// switchableZipkin answers the Zipkin v2 API with one trace
// (frontend -> backend) while up, and 503 while down.
func switchableZipkin(t *testing.T) (*httptest.Server, *atomic.Bool) {
	t.Helper()
	var down atomic.Bool
	zb := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if down.Load() {
			http.Error(w, "storage unavailable", http.StatusServiceUnavailable)
			return
		}
		zipkintest.Serve(w, r)
	}))
	t.Cleanup(zb.Close)
	return zb, &down
}

// staleDOM is how the map and panels show staleness.
type staleDOM struct {
	// Stale maps each drawn node and edge ID to whether it has the stale
	// class and is drawn faded (computed opacity under 1).
	Stale map[string]bool `json:"stale"`
	// Opacity is the computed opacity of each drawn element.
	Opacity map[string]float64 `json:"opacity"`
	// Legend is the text of the legend's stale row, "" without one.
	Legend string `json:"legend"`
	// Note is the text of the details panel's stale note, "" without one.
	Note string `json:"note"`
	// Banner is the text of the whole-map stale banner, "" without one.
	Banner string `json:"banner"`
}

func (p *browserPage) readStale() staleDOM {
	p.t.Helper()
	return eval[staleDOM](p, `(() => {
		const stale = {}, opacity = {};
		document.querySelectorAll('svg.map-svg g.viewport [data-edge-id], svg.map-svg g.viewport [data-node-id]').forEach(e => {
			const id = e.getAttribute('data-edge-id') || e.getAttribute('data-node-id');
			stale[id] = e.classList.contains('stale');
			opacity[id] = parseFloat(getComputedStyle(e).opacity);
		});
		const t = sel => { const e = document.querySelector(sel); return e ? e.innerText.trim() : ''; };
		return {stale, opacity, legend: t('.legend-stale'), note: t('section.details .stale-note'), banner: t('.banner.stale')};
	})()`)
}

// TestMap_staleSource_fadesWhatOnlyItSaw runs a map fed by two sources: a
// Zipkin puller and the OTLP receiver, which keeps receiving. When the
// Zipkin backend stops answering for longer than stale_after, the nodes
// and edge only it saw are drawn faded, the legend explains it, the
// details panel says why, the OTLP-fed edge stays as it was, and the map
// as a whole is not stale. When the backend answers again, the marks go.
func TestMap_staleSource_fadesWhatOnlyItSaw(t *testing.T) {
	p := openBrowser(t, 1280, 800)
	zb, zipkinDown := switchableZipkin(t)
	cfg := serverConfig()
	c := conn.Config{URL: zb.URL, Timeout: time.Second}
	cfg.Sources = []server.SourceConfig{{Kind: "zipkin", Name: "zk", Conn: c, Interval: 200 * time.Millisecond, Settle: time.Second}}
	cfg.StaleAfter = 1500 * time.Millisecond
	s := startServer(t, cfg)

	// The OTLP receiver keeps receiving shop-web -> shop-api calls.
	f := newFeeder(t, s.otlp)
	ctx, cancel := context.WithCancel(context.Background())
	fed := make(chan struct{})
	t.Cleanup(func() { cancel(); <-fed })
	go func() {
		defer close(fed)
		res := func(svc, ns string) *resource.Resource {
			return resource.NewSchemaless(attribute.String("service.name", svc))
		}
		tick := time.NewTicker(250 * time.Millisecond)
		defer tick.Stop()
		for {
			c := call{from: "shop-web", to: "shop-api"}
			stubs := tracetest.SpanStubs(c.spans(res))
			if err := f.exp.ExportSpans(ctx, stubs.Snapshots()); err != nil && ctx.Err() == nil {
				t.Errorf("export: %v", err)
			}
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
	}()
	const zkEdge, otlpEdge = "frontend->backend", "shop-web->shop-api"
	s.waitGraph(t, "", stepTimeout, "both sources' edges", func(snap graph.Snapshot) bool {
		return hasEdges(snap, zkEdge, otlpEdge)
	})

	p.navigate(s.base + "/")
	p.waitFirstMap()
	p.waitFor(stepTimeout, "both edges drawn, none stale", func() (bool, string) {
		d := p.readStale()
		_, a := d.Stale[zkEdge]
		_, b := d.Stale[otlpEdge]
		return a && b && !d.Stale[zkEdge] && !d.Stale[otlpEdge] && d.Legend == "", fmt.Sprintf("%+v", d)
	})

	// The Zipkin backend fails: past stale_after, what only it saw fades.
	zipkinDown.Store(true)
	var d staleDOM
	p.waitFor(stepTimeout, "what only zk saw is drawn stale", func() (bool, string) {
		d = p.readStale()
		return d.Stale[zkEdge] && d.Stale["frontend"] && d.Stale["backend"], fmt.Sprintf("%+v", d)
	})
	for _, id := range []string{zkEdge, "frontend", "backend"} {
		if d.Opacity[id] >= 0.5 {
			t.Errorf("stale %s is drawn with opacity %v, want faded", id, d.Opacity[id])
		}
	}
	for _, id := range []string{otlpEdge, "shop-web", "shop-api"} {
		if d.Stale[id] || d.Opacity[id] < 1 {
			t.Errorf("%s, fed by the OTLP receiver, is stale %v with opacity %v", id, d.Stale[id], d.Opacity[id])
		}
	}
	if !strings.Contains(d.Legend, "stale") {
		t.Errorf("legend stale row %q", d.Legend)
	}
	if d.Banner != "" {
		t.Errorf("the whole map is marked stale while OTLP delivers: %q", d.Banner)
	}
	p.clickEdge(zkEdge)
	p.waitFor(stepTimeout, "the details panel says why the edge is stale", func() (bool, string) {
		d = p.readStale()
		return strings.Contains(d.Note, "Old figures") && strings.Contains(d.Note, "zk: nothing new for") &&
			strings.Contains(d.Note, "503"), fmt.Sprintf("note %q", d.Note)
	})

	// The backend answers again: the marks go once the puller retries,
	// after its backoff (full jitter from 1 s, doubling per failure: a few
	// seconds down can mean up to 16 s before the next try).
	zipkinDown.Store(false)
	p.waitFor(60*time.Second, "nothing is stale once zk answers", func() (bool, string) {
		d = p.readStale()
		return !d.Stale[zkEdge] && !d.Stale["frontend"] && !d.Stale["backend"] && d.Legend == "" && d.Note == "", fmt.Sprintf("%+v", d)
	})
}
