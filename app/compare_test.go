package app

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
	"github.com/spanmap/spanmap/graph"
	"github.com/spanmap/spanmap/graph/compare"
)

// sampleComparison is frontend->checkout new, checkout->database:pg gone
// and the checkout node slower, over sampleSnapshot's graph.
func sampleComparison() CompareResult {
	return CompareResult{
		View: "",
		A:    CompareSpan{From: t0.Add(-10 * time.Minute).UnixMilli(), To: t0.Add(-5 * time.Minute).UnixMilli()},
		B:    CompareSpan{From: t0.Add(-5 * time.Minute).UnixMilli(), To: t0.UnixMilli()},
		Nodes: []CompareDelta{
			{Kind: KindNode, ID: "checkout", Change: ChangeRegressed, Score: 2,
				A: &CompareFigures{Rate: 10, P99Ms: 40}, B: &CompareFigures{Rate: 10, P99Ms: 88},
				Reasons: []string{"p99 40 ms → 88 ms (+120%)"}},
		},
		Edges: []CompareDelta{
			{Kind: KindEdge, ID: "frontend->checkout", From: "frontend", To: "checkout", Change: ChangeAdded, Score: 5,
				B: &CompareFigures{Rate: 10}},
			{Kind: KindEdge, ID: "checkout->database:pg", From: "checkout", To: "database:pg", Change: ChangeRemoved, Score: 1,
				A: &CompareFigures{Rate: 20}},
		},
		Graph: sampleSnapshot(),
	}
}

// TestCompareResult_decode_matchesAPI encodes the API's own result type and
// decodes it into the browser's, so a renamed field fails here.
func TestCompareResult_decode_matchesAPI(t *testing.T) {
	api := compare.Result{
		View: "window=1m",
		A:    compare.Range{From: 1, To: 2},
		B:    compare.Range{From: 3, To: 4},
		Edges: []compare.Delta{{Kind: compare.KindEdge, ID: "a->b", From: "a", To: "b", Change: compare.Removed,
			A: &compare.Figures{Calls: 7, Rate: 1.5, ErrorPct: 2, P50Ms: 3, P99Ms: 9}, Score: 4, Reasons: []string{"gone"}}},
		Nodes: []compare.Delta{{Kind: compare.KindNode, ID: "a", Change: compare.Traffic, B: &compare.Figures{Rate: 3}}},
		Graph: graph.Snapshot{Version: 9, Nodes: []graph.Node{{ID: "a"}}, Edges: []graph.Edge{{ID: "a->b", From: "a", To: "b"}}},
	}
	b, err := json.Marshal(api)
	if err != nil {
		t.Fatal(err)
	}
	var got CompareResult
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	want := CompareResult{
		View: "window=1m", A: CompareSpan{1, 2}, B: CompareSpan{3, 4},
		Edges: []CompareDelta{{Kind: KindEdge, ID: "a->b", From: "a", To: "b", Change: ChangeRemoved,
			A: &CompareFigures{Calls: 7, Rate: 1.5, ErrorPct: 2, P50Ms: 3, P99Ms: 9}, Score: 4, Reasons: []string{"gone"}}},
		Nodes: []CompareDelta{{Kind: KindNode, ID: "a", Change: ChangeTraffic, B: &CompareFigures{Rate: 3}}},
		Graph: api.Graph,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("decoded %+v\nwant    %+v", got, want)
	}
}

func TestCompareHighlights_classesByChange(t *testing.T) {
	c := CompareHighlights(sampleComparison())
	want := Changes{
		Nodes: map[string]string{"checkout": "cmp-regressed"},
		Edges: map[string]string{"frontend->checkout": "cmp-added", "checkout->database:pg": "cmp-removed"},
	}
	if !reflect.DeepEqual(c, want) {
		t.Errorf("highlights %+v, want %+v", c, want)
	}
	if CompareClass("sideways") != "" {
		t.Error("an unknown change gets a class")
	}
}

func TestRankDeltas_mergesByScore(t *testing.T) {
	got := RankDeltas(sampleComparison(), 0)
	var ids []string
	for _, d := range got {
		ids = append(ids, d.ID)
	}
	if strings.Join(ids, " ") != "frontend->checkout checkout checkout->database:pg" {
		t.Errorf("ranked %v", ids)
	}
	if n := len(RankDeltas(sampleComparison(), 2)); n != 2 {
		t.Errorf("limit 2 gave %d", n)
	}
}

func TestCompareURL_carriesViewAndRange(t *testing.T) {
	page, _ := url.Parse("https://maps.example/?focus=cart")
	v := graph.View{Focus: "cart", Window: time.Minute}.Normalize()
	u, err := url.Parse(CompareURL(page, v, "tok", CompareYesterday))
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	if u.Path != PathDiff || u.Host != "maps.example" || q.Get("a") != CompareYesterday ||
		q.Get("view") != v.Encode() || q.Get(ParamAccessToken) != "tok" {
		t.Errorf("CompareURL = %s", u)
	}
}

func TestComparePanel_Render_listAndLegend(t *testing.T) {
	c := newComparePanel()
	if html := app.HTMLString(c); !strings.Contains(html, "comparing…") {
		t.Error("loading text missing")
	}
	c.Result, c.Have = sampleComparison(), true
	c.Selected = Selection{Kind: KindEdge, ID: "checkout->database:pg"}
	html := app.HTMLString(c)
	iAdded := strings.Index(html, `data-id="frontend->checkout"`)
	iNode := strings.Index(html, `data-id="checkout"`)
	iGone := strings.Index(html, `data-id="checkout->database:pg"`)
	if iAdded < 0 || iNode < iAdded || iGone < iNode {
		t.Errorf("changes not listed by score: %d %d %d", iAdded, iNode, iGone)
	}
	if a := tagAttrs(html, "data-id", "checkout->database:pg"); !hasClass(a, "delta", "cmp-removed", "selected") {
		t.Errorf("removed edge classes %q", a["class"])
	}
	for _, w := range []string{
		"3 changes", "frontend → checkout", "checkout → pg", "p99 40 ms → 88 ms (+120%)", "new, 10/s", "gone, was 20/s",
		">+</span>", ">−</span>", ">▲</span>", "added (only in the newer range)", "removed (only in the reference range)",
		"reference 2026-11-24 11:50:30 – 11:55:30 UTC", "compared 2026-11-24 11:55:30 – 12:00:30 UTC",
	} {
		if !strings.Contains(html, w) {
			t.Errorf("missing %q", w)
		}
	}
	if a := tagAttrs(html, "value", ComparePrevious); a == nil || !pressedAttr(a, "selected") {
		t.Errorf("previous preset not selected: %v", a)
	}

	c.Result = CompareResult{Graph: sampleSnapshot()}
	if html := app.HTMLString(c); !strings.Contains(html, "Nothing changed beyond the thresholds") {
		t.Error("no-change text missing")
	}
	c.Err = "view parameter focus: too long"
	if html := app.HTMLString(c); !strings.Contains(html, "Comparison failed: view parameter focus: too long") {
		t.Error("error missing")
	}
}

func TestComparePanel_choose_postsCompare(t *testing.T) {
	c := newComparePanel()
	c.View = fixedView(t0.Add(-time.Hour), t0.Add(-55*time.Minute))
	c.Now = t0
	c.Params = HistoryParams{Compare: ComparePrevious, Scale: 6 * time.Hour}
	_, h := loadProbe(t, c)

	c.choose(h.ctx, CompareLastWeek)
	nav := h.lastNav(t)
	if nav.Params.Compare != CompareLastWeek || nav.Params.Scale != 6*time.Hour || nav.View != c.View {
		t.Errorf("preset = %+v", nav)
	}
	n := len(h.navs)
	c.choose(h.ctx, "custom")
	if len(h.navs) != n || !c.custom || c.from != "2026-11-24T10:55" || c.to != "2026-11-24T11:00" {
		t.Errorf("custom: posted %d, inputs %q %q", len(h.navs)-n, c.from, c.to)
	}
	fresh := *c // the mounted panel keeps its last rendering
	fresh.Compo = app.Compo{}
	if html := app.HTMLString(&fresh); !strings.Contains(html, `id="compare-from"`) || !strings.Contains(html, `value="2026-11-24T10:55"`) {
		t.Error("custom inputs not shown filled")
	}
	c.to = "2026-11-24T10:45"
	c.apply(h.ctx)
	if len(h.navs) != n || c.inputErr != "the end must be after the start" {
		t.Errorf("bad range: posted %d, err %q", len(h.navs)-n, c.inputErr)
	}
	c.to = "2026-11-24T11:50"
	c.apply(h.ctx)
	if nav := h.lastNav(t); nav.Params.Compare != "2026-11-24T10:55:00Z/2026-11-24T11:50:00Z" || c.inputErr != "" {
		t.Errorf("custom range = %+v, err %q", nav.Params, c.inputErr)
	}
}

func TestMapPage_Render_compareMode(t *testing.T) {
	p := pageWithSession(t, "http://h/?compare=previous", func(s *session) {
		s.conn = connState{connected: true}
		s.onMessage(app.Context{}, graph.NewSnapshotMessage(snapAt(1, "", "frontend")))
	})
	html := app.HTMLString(p)
	if !strings.Contains(html, "comparing…") || !strings.Contains(html, `data-node-id="frontend"`) {
		t.Error("before the comparison arrives the live map and a comparing note should show")
	}
	key := compareKey(p.s.view, ComparePrevious)
	p.cmp.done(key, sampleComparison(), nil)
	html = app.HTMLString(p)
	if a := tagAttrs(html, "data-edge-id", "checkout->database:pg"); !hasClass(a, "edge", "cmp-removed") {
		t.Errorf("removed edge drawn with %q", a["class"])
	}
	if a := tagAttrs(html, "data-edge-id", "frontend->checkout"); !hasClass(a, "edge", "cmp-added") {
		t.Errorf("added edge drawn with %q", a["class"])
	}
	if a := tagAttrs(html, "data-node-id", "checkout"); !hasClass(a, "node", "cmp-regressed") {
		t.Errorf("regressed node drawn with %q", a["class"])
	}
	for _, w := range []string{`class="map-area comparing"`, "compared with 2026-11-24 11:50:30", `aria-label="compare"`} {
		if !strings.Contains(html, w) {
			t.Errorf("missing %q", w)
		}
	}
	if strings.Contains(html, "connecting to the live map") || strings.Contains(html, "Nothing matches") {
		t.Error("empty state shown over the comparison")
	}
}

// TestMapPage_SyncHistory_loadsFromAPI runs the page's loads against a
// fake server: the comparison and the changes of the View in the URL,
// each once, and the server's error message when it refuses.
func TestMapPage_SyncHistory_loadsFromAPI(t *testing.T) {
	var mu sync.Mutex
	var asked []string
	requests := func() []string { mu.Lock(); defer mu.Unlock(); return slices.Clone(asked) }
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		asked = append(asked, r.URL.Path+"?"+r.URL.RawQuery)
		mu.Unlock()
		switch r.URL.Path {
		case PathDiff:
			if r.URL.Query().Get("a") == "yesterday" {
				w.WriteHeader(http.StatusBadRequest)
				w.Write([]byte(`{"error":"range a: no history that far back"}`))
				return
			}
			json.NewEncoder(w).Encode(sampleComparison())
		case PathEvents:
			json.NewEncoder(w).Encode(sampleEvents())
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()

	e, h := loadProbe(t, app.Div())
	p := pageWithSession(t, srv.URL+"/?window=1m&compare=previous&scale=6h", nil)
	p.s.page, _ = url.Parse(srv.URL + "/")
	p.syncHistory(h.ctx, t0)
	e.ConsumeAll()
	waitFor(t, func() bool { e.ConsumeAll(); return p.cmp.have && p.events.have })
	if len(requests()) != 2 {
		t.Fatalf("asked %v", requests())
	}
	for _, q := range requests() {
		u, _ := url.Parse(q)
		if u.Query().Get("view") != "window=1m" {
			t.Errorf("%s: view %q", u.Path, u.Query().Get("view"))
		}
		if u.Path == PathEvents && (u.Query().Get("from") != "2026-11-24T06:00:30Z" || u.Query().Has("to")) {
			t.Errorf("live events asked for %s", q)
		}
	}
	if len(p.cmp.val.Edges) != 2 || len(p.events.val.Events) != 3 || !p.cmp.current(compareKey(p.s.view, ComparePrevious)) {
		t.Errorf("loaded %+v / %+v", p.cmp.val, p.events.val)
	}
	// Nothing new to ask within the refresh period.
	p.syncHistory(h.ctx, t0.Add(time.Second))
	e.ConsumeAll()
	if len(requests()) != 2 {
		t.Errorf("asked again: %v", requests())
	}
	p.s.hist.Compare = CompareYesterday
	p.syncHistory(h.ctx, t0.Add(2*time.Second))
	waitFor(t, func() bool { e.ConsumeAll(); return p.cmp.err != "" })
	if p.cmp.err != "load /api/v1/diff: range a: no history that far back" {
		t.Errorf("error %q", p.cmp.err)
	}
	if html := app.HTMLString(p); !strings.Contains(html, "Comparison failed: load /api/v1/diff: range a: no history that far back") {
		t.Error("the refused comparison is not explained")
	}
}

// waitFor polls cond for up to ten seconds.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached within 10 s")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
