package app

import (
	"strconv"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
	"github.com/spanmap/spanmap/graph"
)

// actionHistory moves the page in time or changes its history mode; Value
// is a historyNav.
const actionHistory = "spanmap/history"

// historyNav is the value of actionHistory: the View and history state to
// show. Replace swaps the current history entry instead of adding one
// (replay steps), so back leaves the replay rather than stepping it back.
type historyNav struct {
	View    graph.View
	Params  HistoryParams
	Replace bool
}

// ReplayEvery is how often a replay advances, in real time; each step
// moves the View's range by the replay speed times this.
const ReplayEvery = time.Second

// sliderStep is the slider's resolution for a span: about a hundred stops.
func sliderStep(scale time.Duration) time.Duration {
	switch {
	case scale <= time.Hour:
		return time.Minute
	case scale <= 6*time.Hour:
		return 5 * time.Minute
	case scale <= 24*time.Hour:
		return 15 * time.Minute
	default:
		return time.Hour
	}
}

// viewSpan is how long a range v shows: its fixed range or its window.
func viewSpan(v graph.View) time.Duration {
	if v.Fixed() {
		return v.To.Sub(v.From)
	}
	if v.Window <= 0 {
		return graph.DefaultWindow
	}
	return v.Window
}

// LiveView returns v as a moving window as long as its range, the way
// the "live" button shows it.
func LiveView(v graph.View) graph.View {
	w := viewSpan(v).Round(time.Second)
	w = max(graph.MinWindow, min(graph.MaxWindow, w))
	v.From, v.To, v.Window = time.Time{}, time.Time{}, w
	return v.Normalize()
}

// AnchorView returns v fixed at the range of v's length that ends at end,
// or v live (LiveView) when end is not before now.
func AnchorView(v graph.View, end, now time.Time) graph.View {
	if !end.Before(now) {
		return LiveView(v)
	}
	span := viewSpan(v).Round(time.Second)
	end = end.UTC().Truncate(time.Second)
	v.Window, v.From, v.To = 0, end.Add(-span), end
	return v.Normalize()
}

// ReplayStep advances a replayed View by speed times ReplayEvery. A View
// that reaches now turns live, and done is set: the replay has caught up.
func ReplayStep(v graph.View, speed int, now time.Time) (next graph.View, done bool) {
	if !v.Fixed() {
		return v, true
	}
	next = AnchorView(v, v.To.Add(time.Duration(max(speed, 1))*ReplayEvery), now)
	return next, !next.Fixed()
}

// ReplayStart is where a replay starts from a live View: the range of
// v's length at the start of the slider's span.
func ReplayStart(v graph.View, scale time.Duration, now time.Time) graph.View {
	return AnchorView(v, now.Add(-scale).Add(viewSpan(v)), now)
}

// AutoScale is the slider span for v when the URL names none: the
// smallest span that reaches back to the start of v's range.
func AutoScale(v graph.View, now time.Time) time.Duration {
	scales := SliderScales()
	start := now.Add(-viewSpan(v))
	if v.Fixed() {
		start = v.From
	}
	for _, s := range scales {
		if !start.Before(now.Add(-s)) {
			return s
		}
	}
	return scales[len(scales)-1]
}

// sliderAxis maps slider positions to times: position i is start+i*step,
// and the last position, Max, is now (live).
type sliderAxis struct {
	Start time.Time
	Step  time.Duration
	Max   int
	Now   time.Time
}

// newSliderAxis returns the axis of a slider of span scale at now, with
// positions aligned to whole steps.
func newSliderAxis(scale time.Duration, now time.Time) sliderAxis {
	step := sliderStep(scale)
	start := now.Add(-scale).Truncate(step)
	n := int((now.Sub(start) + step - 1) / step)
	return sliderAxis{Start: start, Step: step, Max: max(n, 1), Now: now}
}

// Time returns the time of position i; the last position is now.
func (a sliderAxis) Time(i int) time.Time {
	if i >= a.Max {
		return a.Now
	}
	return a.Start.Add(time.Duration(max(i, 0)) * a.Step)
}

// Pos returns the position nearest to t, clamped to the axis.
func (a sliderAxis) Pos(t time.Time) int {
	if !t.Before(a.Now) {
		return a.Max
	}
	i := int((t.Sub(a.Start) + a.Step/2) / a.Step)
	return max(0, min(a.Max-1, i))
}

// Percent returns where t lies on the axis, 0 to 100.
func (a sliderAxis) Percent(t time.Time) float64 {
	total := a.Now.Sub(a.Start)
	if total <= 0 {
		return 100
	}
	p := float64(t.Sub(a.Start)) / float64(total) * 100
	return max(0, min(100, p))
}

// FormatRange writes a View's range for people: "live · last 5m" or
// "2026-11-24 10:00:00 – 10:05:00 UTC".
func FormatRange(v graph.View) string {
	if !v.Fixed() {
		return "live · last " + WindowLabel(viewSpan(v))
	}
	from, to := v.From.UTC(), v.To.UTC()
	if from.Format(time.DateOnly) == to.Format(time.DateOnly) {
		return from.Format("2006-01-02 15:04:05") + " – " + to.Format("15:04:05") + " UTC"
	}
	return from.Format("2006-01-02 15:04:05") + " – " + to.Format("2006-01-02 15:04:05") + " UTC"
}

// tickLabel writes a time on the slider axis for a span.
func tickLabel(t time.Time, scale time.Duration) string {
	if scale > 24*time.Hour {
		return t.UTC().Format("Mon 15:04")
	}
	return t.UTC().Format("15:04")
}

// timeSlider is the bar under the toolbar that moves the map in time: a
// slider over the last hour to seven days (span presets), a live button,
// replay with a speed, and the compare toggle. Every change posts
// actionHistory; the page turns it into a URL.
type timeSlider struct {
	app.Compo

	// View is the View shown.
	View graph.View
	// Params is the page's history state.
	Params HistoryParams
	// Now is the page clock.
	Now time.Time
	// Events are the recent changes, drawn as marks on the slider.
	Events []graph.Event

	// preview is the position being dragged to, -1 when not dragging.
	preview int
}

// newTimeSlider returns a slider for the default View.
func newTimeSlider() *timeSlider {
	return &timeSlider{View: graph.DefaultView(), preview: -1}
}

// scale is the span shown.
func (s *timeSlider) scale() time.Duration {
	if s.Params.Scale > 0 {
		return s.Params.Scale
	}
	return AutoScale(s.View, s.now())
}

func (s *timeSlider) now() time.Time {
	if s.Now.IsZero() {
		return time.Now()
	}
	return s.Now
}

func (s *timeSlider) axis() sliderAxis { return newSliderAxis(s.scale(), s.now()) }

// post asks the page for v with params p.
func (s *timeSlider) post(ctx app.Context, v graph.View, p HistoryParams) {
	ctx.NewActionWithValue(actionHistory, historyNav{View: v, Params: p})
}

// move anchors the View at slider position i.
func (s *timeSlider) move(ctx app.Context, i int) {
	s.preview = -1
	a := s.axis()
	v := AnchorView(s.View, a.Time(i), a.Now)
	p := s.Params
	if !v.Fixed() {
		p.Replay = false
	}
	s.post(ctx, v, p)
}

func (s *timeSlider) onPreview(ctx app.Context, e app.Event) {
	if i, err := strconv.Atoi(value(ctx)); err == nil {
		s.setPreview(i)
	}
}

// setPreview shows where a drag would go; back at the View's own
// position (no change event follows) there is nothing to preview.
func (s *timeSlider) setPreview(i int) {
	s.preview = i
	if i == s.viewPos(s.axis()) {
		s.preview = -1
	}
}

// viewPos is the slider position of the View's end.
func (s *timeSlider) viewPos(a sliderAxis) int {
	if !s.View.Fixed() {
		return a.Max
	}
	return a.Pos(s.View.To)
}

func (s *timeSlider) onMove(ctx app.Context, e app.Event) {
	if i, err := strconv.Atoi(value(ctx)); err == nil {
		s.move(ctx, i)
	}
}

func (s *timeSlider) onLive(ctx app.Context, e app.Event) { s.goLive(ctx) }

// goLive returns to the moving window and ends a replay.
func (s *timeSlider) goLive(ctx app.Context) {
	p := s.Params
	p.Replay = false
	s.post(ctx, LiveView(s.View), p)
}

func (s *timeSlider) onPlay(ctx app.Context, e app.Event) { s.togglePlay(ctx) }

// togglePlay starts or pauses the replay; a replay started from the live
// View starts at the beginning of the slider's span.
func (s *timeSlider) togglePlay(ctx app.Context) {
	p := s.Params
	p.Replay = !p.Replay
	v := s.View
	if p.Replay && !v.Fixed() {
		v = ReplayStart(v, s.scale(), s.now())
	}
	s.post(ctx, v, p)
}

func (s *timeSlider) onSpeed(ctx app.Context, e app.Event) {
	if n, err := strconv.Atoi(value(ctx)); err == nil {
		s.setSpeed(ctx, n)
	}
}

// setSpeed sets the replay speed.
func (s *timeSlider) setSpeed(ctx app.Context, n int) {
	p := s.Params
	p.Speed = n
	s.post(ctx, s.View, p)
}

func (s *timeSlider) onScale(ctx app.Context, e app.Event) {
	if d := scaleFromLabel(ctx.JSSrc().Get("dataset").Get("scale").String()); d > 0 {
		s.setScale(ctx, d)
	}
}

// setScale sets the slider's span.
func (s *timeSlider) setScale(ctx app.Context, d time.Duration) {
	p := s.Params
	p.Scale = d
	s.post(ctx, s.View, p)
}

func (s *timeSlider) onCompare(ctx app.Context, e app.Event) { s.toggleCompare(ctx) }

// toggleCompare turns compare mode on (against the previous window) or off.
func (s *timeSlider) toggleCompare(ctx app.Context) {
	p := s.Params
	if p.Compare == "" {
		p.Compare = ComparePrevious
	} else {
		p.Compare = ""
	}
	s.post(ctx, s.View, p)
}

// Render draws the bar.
func (s *timeSlider) Render() app.UI {
	scale := s.scale()
	a := s.axis()
	live := !s.View.Fixed()
	pos := s.viewPos(a)
	label := FormatRange(s.View)
	if s.preview >= 0 {
		pos = s.preview
		label = "to " + FormatRange(AnchorView(s.View, a.Time(pos), a.Now))
	}
	playText, playLabel := "▶ replay", "replay from here"
	if s.Params.Replay {
		playText, playLabel = "❚❚ pause", "pause the replay"
	}
	cmpClass := "button small history-compare"
	if s.Params.Compare != "" {
		cmpClass += " on"
	}
	liveClass := "button small history-live"
	if live {
		liveClass += " on"
	}
	return app.Div().Class("history-bar").Role("group").Aria("label", "time").Body(
		s.renderScales(scale),
		app.Div().Class("slider").Body(
			s.renderTrack(a),
			app.Input().ID("history-slider").Class("slider-input").Type("range").
				Min(0).Max(a.Max).Step(1).Value(strconv.Itoa(pos)).
				Aria("label", "time: end of the range shown").Aria("valuetext", label).
				OnInput(s.onPreview).OnChange(s.onMove),
			s.renderTicks(a, scale),
		),
		app.Span().ID("history-range").Class("history-range").Aria("live", "polite").Text(label),
		app.Button().ID("history-live").Class(liveClass).Aria("pressed", live).
			Title("follow the present").OnClick(s.onLive).Text("● live"),
		app.Button().ID("history-play").Class("button small").Aria("label", playLabel).
			Title(playLabel).OnClick(s.onPlay).Text(playText),
		s.renderSpeed(),
		app.Button().ID("history-compare").Class(cmpClass).Aria("pressed", s.Params.Compare != "").
			Title("compare with an earlier range").OnClick(s.onCompare).Text("⇄ compare"),
	)
}

func (s *timeSlider) renderScales(scale time.Duration) app.UI {
	var bs []app.UI
	for _, d := range SliderScales() {
		l := ScaleLabel(d)
		bs = append(bs, app.Button().Class("icon-button scale").DataSet("scale", l).
			Aria("pressed", d == scale).Title("show the last "+l).OnClick(s.onScale).Text(l))
	}
	return app.Div().Class("history-scales").Role("group").Aria("label", "time span").Body(bs...)
}

// renderTrack draws the shaded range shown and the change marks.
func (s *timeSlider) renderTrack(a sliderAxis) app.UI {
	from, to := a.Now.Add(-viewSpan(s.View)), a.Now
	if s.View.Fixed() {
		from, to = s.View.From, s.View.To
	}
	left, right := a.Percent(from), a.Percent(to)
	marks := []app.UI{app.Div().Class("slider-range").
		Style("left", pct(left)).Style("width", pct(max(right-left, 0.5)))}
	for _, e := range s.Events {
		t := time.UnixMilli(e.Time)
		if t.Before(a.Start) || t.After(a.Now) {
			continue
		}
		marks = append(marks, app.Span().Class("slider-event", "event-"+e.Kind).
			Style("left", pct(a.Percent(t))).Title(eventTitle(e)))
	}
	return app.Div().Class("slider-track").Aria("hidden", true).Body(marks...)
}

func (s *timeSlider) renderTicks(a sliderAxis, scale time.Duration) app.UI {
	const n = 4
	var ticks []app.UI
	for i := 0; i < n; i++ {
		t := a.Start.Add(a.Now.Sub(a.Start) * time.Duration(i) / n)
		ticks = append(ticks, app.Span().Style("left", pct(a.Percent(t))).Text(tickLabel(t, scale)))
	}
	ticks = append(ticks, app.Span().Style("left", "100%").Text("now"))
	return app.Div().Class("slider-ticks").Aria("hidden", true).Body(ticks...)
}

func (s *timeSlider) renderSpeed() app.UI {
	var opts []app.UI
	for _, n := range ReplaySpeeds() {
		opts = append(opts, app.Option().Value(strconv.Itoa(n)).Selected(n == s.Params.speed()).
			Text(strconv.Itoa(n)+"×"))
	}
	return app.Select().ID("history-speed").Class("history-speed").Aria("label", "replay speed").
		OnChange(s.onSpeed).Body(opts...)
}

func pct(f float64) string { return strconv.FormatFloat(f, 'f', 2, 64) + "%" }
