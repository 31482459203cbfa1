package app

import (
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
	"github.com/spanmap/spanmap/graph"
)

// historyProbe is a page stand-in for component tests: it records the
// actions its children post and lends its context to the test.
type historyProbe struct {
	app.Compo

	child app.UI
	e     app.TestEngine
	ctx   app.Context
	navs  []historyNav
	focus []Selection
}

// OnPreRender runs in native tests (OnMount runs only in browsers).
func (h *historyProbe) OnPreRender(ctx app.Context) {
	h.ctx = ctx
	ctx.Handle(actionHistory, func(ctx app.Context, a app.Action) { h.navs = append(h.navs, a.Value.(historyNav)) })
	ctx.Handle(actionFocus, func(ctx app.Context, a app.Action) { h.focus = append(h.focus, a.Value.(Selection)) })
}

func (h *historyProbe) Render() app.UI { return app.Div().Body(h.child) }

// loadProbe mounts child in a test engine under a probe.
func loadProbe(t *testing.T, child app.UI) (app.TestEngine, *historyProbe) {
	t.Helper()
	e := app.NewTestEngine()
	h := &historyProbe{child: child, e: e}
	if err := e.Load(h); err != nil {
		t.Fatal(err)
	}
	e.ConsumeAll()
	return e, h
}

// lastNav returns the latest actionHistory value, once the engine has
// delivered the actions posted.
func (h *historyProbe) lastNav(t *testing.T) historyNav {
	t.Helper()
	h.e.ConsumeAll()
	if len(h.navs) == 0 {
		t.Fatal("no history action posted")
	}
	return h.navs[len(h.navs)-1]
}

var t0 = time.Date(2026, 11, 24, 12, 0, 30, 0, time.UTC)

func fixedView(from, to time.Time) graph.View {
	return graph.View{From: from, To: to}.Normalize()
}

func TestSplitHistoryQuery_roundTrip(t *testing.T) {
	h := HistoryParams{Compare: CompareLastWeek, Replay: true, Speed: 30, Scale: 24 * time.Hour}
	v := graph.View{Focus: "cart", Window: time.Hour}.Normalize()
	u := HistoryURL(PathMap, v, "tok", h)
	for _, w := range []string{"compare=last-week", "replay=play", "speed=30", "scale=24h", "focus=cart", "access_token=tok"} {
		if !strings.Contains(u, w) {
			t.Errorf("HistoryURL = %s, missing %s", u, w)
		}
	}
	pu, _ := url.Parse(u)
	rest, got, err := SplitHistoryQuery(pu.RawQuery)
	if err != nil || got != h {
		t.Fatalf("SplitHistoryQuery = %+v, %v; want %+v", got, err, h)
	}
	gv, tok, err := ViewFromQuery(rest)
	if err != nil || gv != v || tok != "tok" {
		t.Errorf("rest %q reads as %+v %q %v", rest, gv, tok, err)
	}
	if u := HistoryURL(PathMap, graph.DefaultView(), "", HistoryParams{}); u != "/" {
		t.Errorf("default URL = %q, want /", u)
	}
	if u := HistoryURL(PathMap, graph.DefaultView(), "", HistoryParams{Speed: 1, Compare: ComparePrevious}); u != "/?compare=previous" {
		t.Errorf("compare-only URL = %q", u)
	}
}

func TestSplitHistoryQuery_badValues(t *testing.T) {
	tests := []struct {
		query string
		want  HistoryParams
		param string
	}{
		{"compare=tomorrow&speed=10", HistoryParams{Speed: 10}, "compare"},
		{"compare=2026-01-02T10:00:00Z/2026-01-02T09:00:00Z", HistoryParams{}, "compare"},
		{"speed=7&compare=previous", HistoryParams{Compare: ComparePrevious}, "speed"},
		{"replay=yes", HistoryParams{}, "replay"},
		{"scale=3h", HistoryParams{}, "scale"},
		{"scale=1h&scale=6h", HistoryParams{}, "scale"},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			rest, got, err := SplitHistoryQuery(tt.query)
			if !errors.Is(err, ErrHistoryParam) || !strings.Contains(err.Error(), tt.param) {
				t.Errorf("err = %v, want one about %s", err, tt.param)
			}
			if got != tt.want || rest != "" {
				t.Errorf("got %+v rest %q, want %+v", got, rest, tt.want)
			}
		})
	}
	_, h, err := SplitHistoryQuery("compare=2026-01-02T09:00:00Z/2026-01-02T10:00:00Z")
	if err != nil || h.Compare != "2026-01-02T09:00:00Z/2026-01-02T10:00:00Z" {
		t.Errorf("custom range: %+v %v", h, err)
	}
}

func TestSession_ReadURL_historyParams(t *testing.T) {
	s := startedSession(t, "http://h/?window=1m&compare=previous&scale=6h")
	if s.view.Window != time.Minute || s.hist.Compare != ComparePrevious || s.hist.Scale != 6*time.Hour || s.viewErr != "" {
		t.Fatalf("session view %+v hist %+v err %q", s.view, s.hist, s.viewErr)
	}
	u, _ := url.Parse("http://h/?window=1m")
	if s.readURL(u) || s.hist != (HistoryParams{}) {
		t.Errorf("turning compare off changed the View or kept %+v", s.hist)
	}
	u, _ = url.Parse("http://h/?window=1m&speed=2")
	s.readURL(u)
	if !strings.Contains(s.viewErr, "speed") || s.view.Window != time.Minute {
		t.Errorf("bad speed: err %q view %+v", s.viewErr, s.view)
	}
}

func TestAnchorView_rangesAndLive(t *testing.T) {
	live := graph.View{Window: 5 * time.Minute, Focus: "cart", Up: 1, Down: 1}.Normalize()
	end := t0.Add(-time.Hour)
	got := AnchorView(live, end, t0)
	if !got.From.Equal(end.Add(-5*time.Minute)) || !got.To.Equal(end) || got.Focus != "cart" || got.Window != 0 {
		t.Errorf("AnchorView = %+v", got)
	}
	if got := AnchorView(got, t0, t0); got != live {
		t.Errorf("anchoring at now = %+v, want the live %+v", got, live)
	}
	if got := LiveView(fixedView(end.Add(-90*time.Second), end)); got.Window != 90*time.Second || got.Fixed() {
		t.Errorf("LiveView of a 90 s range = %+v", got)
	}
}

func TestReplayStep_advancesThenGoesLive(t *testing.T) {
	v := fixedView(t0.Add(-10*time.Minute), t0.Add(-9*time.Minute))
	next, done := ReplayStep(v, 30, t0)
	if done || !next.From.Equal(v.From.Add(30*time.Second)) || !next.To.Equal(v.To.Add(30*time.Second)) {
		t.Fatalf("step = %+v done %v", next, done)
	}
	near := fixedView(t0.Add(-80*time.Second), t0.Add(-20*time.Second))
	next, done = ReplayStep(near, 60, t0)
	if !done || next.Fixed() || next.Window != time.Minute {
		t.Errorf("catching up = %+v done %v, want live 1m", next, done)
	}
	start := ReplayStart(graph.View{Window: time.Minute}.Normalize(), time.Hour, t0)
	if !start.From.Equal(t0.Add(-time.Hour)) || !start.To.Equal(t0.Add(-59*time.Minute)) {
		t.Errorf("ReplayStart = %+v", start)
	}
}

func TestAutoScale_smallestThatShowsTheRange(t *testing.T) {
	tests := []struct {
		v    graph.View
		want time.Duration
	}{
		{graph.DefaultView(), time.Hour},
		{fixedView(t0.Add(-50*time.Minute), t0.Add(-45*time.Minute)), time.Hour},
		{fixedView(t0.Add(-3*time.Hour), t0.Add(-2*time.Hour)), 6 * time.Hour},
		{fixedView(t0.Add(-30*time.Hour), t0.Add(-29*time.Hour)), 7 * 24 * time.Hour},
		{fixedView(t0.Add(-30*24*time.Hour), t0.Add(-29*24*time.Hour)), 7 * 24 * time.Hour},
	}
	for _, tt := range tests {
		if got := AutoScale(tt.v, t0); got != tt.want {
			t.Errorf("AutoScale(%s) = %v, want %v", tt.v, got, tt.want)
		}
	}
}

func TestSliderAxis_positions(t *testing.T) {
	a := newSliderAxis(time.Hour, t0)
	if a.Step != time.Minute || !a.Start.Equal(t0.Add(-time.Hour).Truncate(time.Minute)) || a.Max != 61 {
		t.Fatalf("axis = %+v", a)
	}
	if !a.Time(a.Max).Equal(t0) || !a.Time(0).Equal(a.Start) {
		t.Error("ends of the axis")
	}
	at := t0.Add(-20 * time.Minute).Truncate(time.Minute)
	if i := a.Pos(at); !a.Time(i).Equal(at) {
		t.Errorf("Pos/Time round trip: %v -> %d -> %v", at, i, a.Time(i))
	}
	if a.Pos(t0) != a.Max || a.Pos(t0.Add(-2*time.Hour)) != 0 {
		t.Error("positions are not clamped")
	}
	if p := a.Percent(a.Start); p != 0 {
		t.Errorf("Percent(start) = %v", p)
	}
	if w := newSliderAxis(7*24*time.Hour, t0); w.Step != time.Hour || w.Max < 168 {
		t.Errorf("week axis %+v", w)
	}
}

func TestTimeSlider_actions_postHistory(t *testing.T) {
	s := newTimeSlider()
	s.View = graph.View{Window: time.Minute}.Normalize()
	s.Now = t0
	_, h := loadProbe(t, s)

	a := newSliderAxis(time.Hour, t0)
	s.move(h.ctx, 30)
	nav := h.lastNav(t)
	if !nav.View.Fixed() || !nav.View.To.Equal(a.Time(30)) || nav.View.To.Sub(nav.View.From) != time.Minute || nav.Replace {
		t.Fatalf("drag to 30 = %+v", nav)
	}

	s.View = nav.View
	s.Params = HistoryParams{Replay: true, Speed: 10}
	s.move(h.ctx, a.Max)
	if nav := h.lastNav(t); nav.View.Fixed() || nav.View.Window != time.Minute || nav.Params.Replay {
		t.Errorf("drag to the end = %+v, want live without replay", nav)
	}
	s.goLive(h.ctx)
	if nav := h.lastNav(t); nav.View.Fixed() || nav.Params.Replay || nav.Params.Speed != 10 {
		t.Errorf("live = %+v", nav)
	}

	s.View, s.Params = graph.View{Window: time.Minute}.Normalize(), HistoryParams{}
	s.togglePlay(h.ctx)
	if nav := h.lastNav(t); !nav.Params.Replay || !nav.View.From.Equal(t0.Add(-time.Hour)) {
		t.Errorf("play from live = %+v, want a replay from the start of the span", nav)
	}
	s.setSpeed(h.ctx, 60)
	s.setScale(h.ctx, 6*time.Hour)
	s.toggleCompare(h.ctx)
	if nav := h.lastNav(t); nav.Params.Compare != ComparePrevious || nav.Params.Replay {
		t.Errorf("compare on = %+v", nav)
	}
	h.e.ConsumeAll()
	if h.navs[len(h.navs)-3].Params.Speed != 60 || h.navs[len(h.navs)-2].Params.Scale != 6*time.Hour {
		t.Errorf("speed and scale: %+v", h.navs)
	}
}

func TestTimeSlider_Render_states(t *testing.T) {
	s := newTimeSlider()
	s.Now = t0
	s.View = graph.View{Window: 5 * time.Minute}.Normalize()
	s.Events = []graph.Event{
		{Time: t0.Add(-10 * time.Minute).UnixMilli(), Kind: graph.EventEdgeAdded, Element: graph.ElementEdge, ID: "a->b"},
		{Time: t0.Add(-3 * time.Hour).UnixMilli(), Kind: graph.EventEdgeRemoved, Element: graph.ElementEdge, ID: "c->d"},
	}
	html := app.HTMLString(s)
	if a := tagAttrs(html, "id", "history-slider"); a == nil || a["value"] != "61" || a["max"] != "61" {
		t.Errorf("live slider %v, want at its end", a)
	}
	if a := tagAttrs(html, "id", "history-live"); !hasClass(a, "on") || !pressed(a) {
		t.Errorf("live button %v", a)
	}
	if a := tagAttrs(html, "data-scale", "1h"); !pressed(a) || pressed(tagAttrs(html, "data-scale", "6h")) {
		t.Errorf("1h span not pressed: %v", a)
	}
	if strings.Count(html, "slider-event ") != 1 || !strings.Contains(html, "event-edge_added") {
		t.Errorf("want one change mark inside the span:\n%s", html)
	}
	for _, w := range []string{"live · last 5m", "▶ replay", "10×", "⇄ compare", ">now<"} {
		if !strings.Contains(html, w) {
			t.Errorf("missing %q", w)
		}
	}

	s.setPreview(20)
	if html := app.HTMLString(s); !strings.Contains(html, "to 2026-11-24 11:15:00 – 11:20:00 UTC") {
		t.Error("a drag does not preview its range")
	}
	if s.setPreview(61); s.preview != -1 {
		t.Error("dragging back to the View's position keeps a preview")
	}

	s.View = fixedView(t0.Add(-3*time.Hour), t0.Add(-3*time.Hour+5*time.Minute))
	s.Params = HistoryParams{Replay: true, Speed: 30, Compare: ComparePrevious}
	html = app.HTMLString(s)
	if a := tagAttrs(html, "data-scale", "6h"); !pressed(a) {
		t.Errorf("6h span not chosen for a range 3 h ago: %v", a)
	}
	if a := tagAttrs(html, "id", "history-live"); hasClass(a, "on") || pressed(a) {
		t.Error("live button on for a past range")
	}
	if a := tagAttrs(html, "value", "30"); a == nil || !pressedAttr(a, "selected") {
		t.Errorf("speed 30 not selected: %v", a)
	}
	if a := tagAttrs(html, "id", "history-compare"); !pressed(a) || !hasClass(a, "on") {
		t.Errorf("compare button %v", a)
	}
	for _, w := range []string{"2026-11-24 09:00:30 – 09:05:30 UTC", "❚❚ pause"} {
		if !strings.Contains(html, w) {
			t.Errorf("missing %q", w)
		}
	}
}

// replayPage is a map page on a test engine's page URL.
func replayPage(t *testing.T, rawURL string) (*mapPage, *historyProbe) {
	t.Helper()
	_, h := loadProbe(t, app.Div())
	u, _ := url.Parse(rawURL)
	h.ctx.Page().ReplaceURL(u)
	p := newMapPage()
	p.s.readURL(u)
	p.s.started = true
	p.s.loading = false
	return p, h
}

func TestMapPage_ReplayStep_oneStepPerSnapshot(t *testing.T) {
	from := t0.Add(-10 * time.Minute)
	v := fixedView(from, from.Add(time.Minute))
	p, h := replayPage(t, HistoryURL(PathMap, v, "", HistoryParams{Replay: true, Speed: 10, Compare: ComparePrevious}))

	p.replayStep(h.ctx, t0)
	if !p.s.view.From.Equal(from.Add(10*time.Second)) || !p.s.loading {
		t.Fatalf("after one step the View is %+v (loading %v)", p.s.view, p.s.loading)
	}
	q := h.ctx.Page().URL().RawQuery
	for _, w := range []string{"replay=play", "speed=10", "compare=previous", "from=2026-11-24T11%3A50%3A40Z"} {
		if !strings.Contains(q, w) {
			t.Errorf("URL %q misses %s", q, w)
		}
	}
	// The step's map has not arrived: no second request.
	p.replayStep(h.ctx, t0.Add(5*time.Second))
	if !p.s.view.From.Equal(from.Add(10 * time.Second)) {
		t.Errorf("stepped while the previous step was loading: %+v", p.s.view)
	}
	p.s.loading = false
	p.replayStep(h.ctx, t0.Add(5*time.Second))
	if !p.s.view.From.Equal(from.Add(20 * time.Second)) {
		t.Errorf("second step: %+v", p.s.view)
	}
	// Near the present the replay ends live.
	p.s.loading = false
	p.s.view = fixedView(t0.Add(-55*time.Second), t0.Add(5*time.Second))
	p.replayStep(h.ctx, t0.Add(10*time.Second))
	if p.s.view.Fixed() || p.s.hist.Replay || p.s.view.Window != time.Minute {
		t.Errorf("caught-up replay: view %+v hist %+v", p.s.view, p.s.hist)
	}
	if q := h.ctx.Page().URL().RawQuery; strings.Contains(q, "replay") || !strings.Contains(q, "compare=previous") {
		t.Errorf("URL after catching up %q", q)
	}
}

func TestMapPage_HandleHistory_replaceFollowsURL(t *testing.T) {
	p, h := replayPage(t, "/?window=1m")
	v := fixedView(t0.Add(-2*time.Hour), t0.Add(-2*time.Hour+time.Minute))
	p.handleHistory(h.ctx, app.Action{Value: historyNav{View: v, Params: HistoryParams{Scale: 6 * time.Hour}, Replace: true}})
	if p.s.view != v || p.s.hist.Scale != 6*time.Hour {
		t.Errorf("page shows %+v %+v", p.s.view, p.s.hist)
	}
	if got := h.ctx.Page().URL().String(); got != HistoryURL(PathMap, v, "", HistoryParams{Scale: 6 * time.Hour}) {
		t.Errorf("page URL %s", got)
	}
}

// pressed reports whether an element's aria-pressed is true (HTMLString
// writes true attributes without a value).
func pressed(a map[string]string) bool { return pressedAttr(a, "aria-pressed") }

func pressedAttr(a map[string]string, name string) bool {
	v, ok := a[name]
	return ok && (v == "" || v == "true")
}

func TestMapPage_FitKey_steadyDuringReplay(t *testing.T) {
	p := newMapPage()
	a := fixedView(t0.Add(-10*time.Minute), t0.Add(-9*time.Minute))
	b := fixedView(t0.Add(-9*time.Minute), t0.Add(-8*time.Minute))
	p.s.shownView = a.Encode()
	if p.fitKey() != a.Encode() {
		t.Errorf("fit key without replay %q", p.fitKey())
	}
	p.s.hist.Replay = true
	ka := p.fitKey()
	p.s.shownView = b.Encode()
	if kb := p.fitKey(); kb != ka {
		t.Errorf("replay steps change the fit key: %q, then %q", ka, kb)
	}
	p.s.hist.Replay = false
	if p.fitKey() == ka {
		t.Error("a dragged range keeps the replay's fit key")
	}
}

func TestSliderNow_pixelPrecision(t *testing.T) {
	t0 := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	for _, scale := range SliderScales() {
		step := max(scale/1000, time.Second).Truncate(time.Second)
		at := t0.Truncate(step) // a step boundary
		if a, b := sliderNow(at.Add(time.Millisecond), scale), sliderNow(at.Add(step-time.Millisecond), scale); !a.Equal(b) {
			t.Errorf("scale %v: %v and %v within one step differ", scale, a, b)
		}
		now := t0.Add(step + 1500*time.Millisecond)
		if got := sliderNow(now, scale); now.Sub(got) >= step || got.After(now) {
			t.Errorf("scale %v: sliderNow(%v) = %v, more than %v behind", scale, now, got, step)
		}
	}
}
