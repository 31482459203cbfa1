package browser

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/spanmap/spanmap/app"
	"github.com/spanmap/spanmap/graph"
)

// detailsDOM is what the details panel shows.
type detailsDOM struct {
	// Title is the panel heading.
	Title string `json:"title"`
	// Stats maps each label of the first figures list (calls/s, calls,
	// errors, p50, p90, p99) to its value.
	Stats map[string]string `json:"stats"`
	// Trust maps the labels of the trust list to their values.
	Trust map[string]string `json:"trust"`
	// TraceIDs are the exemplars' trace IDs shown as text.
	TraceIDs []string `json:"traceIDs"`
	// Links are the exemplars' links to a trace UI.
	Links []string `json:"links"`
}

// readDetails returns the content of the details panel.
func (p *browserPage) readDetails() detailsDOM {
	p.t.Helper()
	d := eval[detailsDOM](p, `(() => {
		const panel = document.querySelector('section.details');
		if (!panel) return {stats: {}, trust: {}, traceIDs: [], links: []};
		const list = dl => {
			const out = {};
			if (!dl) return out;
			dl.querySelectorAll('dt').forEach(dt => { out[dt.innerText.trim()] = dt.nextElementSibling.innerText.trim(); });
			return out;
		};
		const dls = panel.querySelectorAll('dl.stats');
		const title = panel.querySelector('.panel-title');
		return {
			title: title ? title.innerText.trim() : '',
			stats: list(dls[0]),
			trust: list(dls[1]),
			traceIDs: [...panel.querySelectorAll('li.exemplar code.trace-id')].map(c => c.innerText.trim()),
			links: [...panel.querySelectorAll('li.exemplar a.trace-link')].map(a => a.href),
		};
	})()`)
	return d
}

// edgeFigures is what the details panel must show for e, formatted as the
// app formats it.
func edgeFigures(e graph.Edge) map[string]string {
	return map[string]string{
		"calls/s": app.FormatRate(e.Rate),
		"calls":   strconv.FormatInt(e.Calls, 10),
		"errors":  app.FormatPercent(e.ErrorRate) + " (" + strconv.FormatInt(e.Errors, 10) + ")",
		"p50":     app.FormatMillis(e.Latency.P50),
		"p90":     app.FormatMillis(e.Latency.P90),
		"p99":     app.FormatMillis(e.Latency.P99),
	}
}

// TestDetails_edgeClick_showsFigures clicks an edge on the map and checks
// that the details panel shows its figures as the API reports them (rate,
// calls, error percentage, latency quantiles, pairing), and its exemplar
// traces: with no trace UI configured for the receiving source, the full
// trace ID of calls that were sent, and no link.
func TestDetails_edgeClick_showsFigures(t *testing.T) {
	p := openBrowser(t, 1280, 800)
	s, _, calls := startShop(t)
	const id = "checkout->payment"
	sent := map[string]bool{}
	for _, c := range calls {
		if edgeID(c.from, c.to) == id {
			sent[c.traceID] = true
		}
	}
	p.navigate(s.base + "/")
	p.waitFirstMap()
	if d := p.readDetails(); d.Title != "" {
		t.Fatalf("details panel shows %q before any click", d.Title)
	}
	p.clickEdge(id)

	var d detailsDOM
	var want map[string]string
	var edge graph.Edge
	p.waitFor(stepTimeout, "the details panel describes "+id, func() (bool, string) {
		d = p.readDetails()
		edge = findEdge(t, s.graph(t, ""), id)
		want = edgeFigures(edge)
		for k, v := range want {
			if d.Stats[k] != v {
				return false, fmt.Sprintf("panel %+v, want figures %v", d, want)
			}
		}
		return d.Title == "checkout → payment", fmt.Sprintf("panel %+v", d)
	})
	if edge.Calls != 4 || edge.Errors != 1 {
		t.Errorf("API edge %s has %d calls, %d errors; 4 and 1 were sent", id, edge.Calls, edge.Errors)
	}
	if got, want := d.Trust["seen from both sides"], app.FormatPercent(1)+" of 4"; got != want {
		t.Errorf("trust: seen from both sides = %q, want %q (trust list %v)", got, want, d.Trust)
	}

	// Exemplars: the receiver has no trace UI, so the panel shows the
	// trace IDs themselves; they are those of the API and of calls sent.
	var apiIDs []string
	for _, x := range edge.Exemplars {
		apiIDs = append(apiIDs, x.TraceID)
	}
	if len(apiIDs) == 0 {
		t.Fatalf("the API keeps no exemplar for %s", id)
	}
	got := slices.Clone(d.TraceIDs)
	sort.Strings(got)
	sort.Strings(apiIDs)
	if !slices.Equal(got, apiIDs) {
		t.Errorf("panel shows exemplar traces %v, the API %v", got, apiIDs)
	}
	for _, tid := range d.TraceIDs {
		if !sent[strings.ToLower(tid)] {
			t.Errorf("exemplar trace %s is not one of the %s calls sent %v", tid, id, sent)
		}
	}
	if len(d.Links) != 0 {
		t.Errorf("exemplars link to %v, but no source has a trace UI", d.Links)
	}

	// The map marks the selection and dims what is not next to it.
	cls := eval[map[string]string](p, `(() => {
		const out = {};
		document.querySelectorAll('svg.map-svg [data-edge-id], svg.map-svg [data-node-id]').forEach(e => {
			const dim = getComputedStyle(e).opacity < 1 ? ' dimmed' : '';
			out[e.getAttribute('data-edge-id') || e.getAttribute('data-node-id')] = ' ' + e.getAttribute('class') + dim + ' ';
		});
		return out;
	})()`)
	for el, c := range cls {
		near := el == id || el == "checkout" || el == "payment"
		switch {
		case el == id && !strings.Contains(c, " selected "):
			t.Errorf("clicked edge has classes %q, want selected", c)
		case near && strings.Contains(c, " dimmed "):
			t.Errorf("%s next to the selection is dimmed: %q", el, c)
		case !near && !strings.Contains(c, " dimmed "):
			t.Errorf("%s away from the selection is not dimmed: %q", el, c)
		}
	}

	// Closing the panel clears the selection.
	p.do(clickSelector("section.details button.close"))
	p.waitFor(stepTimeout, "the details panel closes", func() (bool, string) {
		d := p.readDetails()
		return d.Title == "", fmt.Sprintf("panel %+v", d)
	})
}

// findEdge returns edge id of snap, failing the test when it is missing.
func findEdge(t testing.TB, snap graph.Snapshot, id string) graph.Edge {
	t.Helper()
	for _, e := range snap.Edges {
		if e.ID == id {
			return e
		}
	}
	t.Fatalf("edge %s is not in the API graph", id)
	return graph.Edge{}
}
