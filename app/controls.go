package app

import (
	"strconv"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
	"github.com/spanmap/spanmap/graph"
)

// MinRateSteps are the stops of the minimum-traffic slider, calls/s.
func MinRateSteps() []float64 {
	return []float64{0, 0.01, 0.1, 0.5, 1, 5, 10, 50, 100, 500, 1000}
}

// MinRateIndex returns the slider stop for rate: the largest stop not
// above it.
func MinRateIndex(rate float64) int {
	i := 0
	for j, s := range MinRateSteps() {
		if s <= rate {
			i = j
		}
	}
	return i
}

// controlsPanel edits the View: window, focus and hops, grouping, virtual
// nodes, minimum traffic, operation-level edges, errors only and layout,
// plus the edge label mode. Every change posts actionView with the new
// View (or actionLabels), which the page turns into a new URL.
type controlsPanel struct {
	app.Compo

	// View is the View shown.
	View graph.View
	// Labels is the edge label mode.
	Labels LabelMode
	// FocusName is the label of the focus node, when it is in the map.
	FocusName string
}

// newControlsPanel returns a controls panel for the default View.
func newControlsPanel() *controlsPanel {
	return &controlsPanel{View: graph.DefaultView(), Labels: LabelRate}
}

// change posts the View edited by f.
func (c *controlsPanel) change(ctx app.Context, f func(v *graph.View)) {
	v := c.View
	f(&v)
	ctx.NewActionWithValue(actionView, v.Normalize())
}

func value(ctx app.Context) string { return ctx.JSSrc().Get("value").String() }
func checked(ctx app.Context) bool { return ctx.JSSrc().Get("checked").Bool() }

func (c *controlsPanel) onWindow(ctx app.Context, e app.Event) {
	d, err := time.ParseDuration(value(ctx))
	if err != nil {
		return
	}
	c.change(ctx, func(v *graph.View) { v.Window, v.From, v.To = d, time.Time{}, time.Time{} })
}

func (c *controlsPanel) onClearFocus(ctx app.Context, e app.Event) {
	c.change(ctx, func(v *graph.View) { v.Focus = "" })
}

func (c *controlsPanel) onHops(ctx app.Context, e app.Event) {
	ds := ctx.JSSrc().Get("dataset")
	dir, delta := ds.Get("dir").String(), ds.Get("delta").String()
	d, err := strconv.Atoi(delta)
	if err != nil {
		return
	}
	c.change(ctx, func(v *graph.View) {
		if dir == "up" {
			v.Up = clampHops(v.Up + d)
		} else {
			v.Down = clampHops(v.Down + d)
		}
	})
}

func clampHops(n int) int {
	if n < 0 {
		return 0
	}
	if n > graph.MaxHops {
		return graph.MaxHops
	}
	return n
}

func (c *controlsPanel) onGroup(ctx app.Context, e app.Event) {
	on := checked(ctx)
	c.change(ctx, func(v *graph.View) {
		v.Group = graph.GroupNone
		if on {
			v.Group = graph.GroupNamespace
		}
	})
}

func (c *controlsPanel) onVirtual(ctx app.Context, e app.Event) {
	hide := checked(ctx)
	c.change(ctx, func(v *graph.View) { v.HideVirtual = hide })
}

func (c *controlsPanel) onOperations(ctx app.Context, e app.Event) {
	on := checked(ctx)
	c.change(ctx, func(v *graph.View) { v.Operations = on })
}

func (c *controlsPanel) onErrorsOnly(ctx app.Context, e app.Event) {
	on := checked(ctx)
	c.change(ctx, func(v *graph.View) { v.ErrorsOnly = on })
}

func (c *controlsPanel) onMinRate(ctx app.Context, e app.Event) {
	i, err := strconv.Atoi(value(ctx))
	steps := MinRateSteps()
	if err != nil || i < 0 || i >= len(steps) {
		return
	}
	c.change(ctx, func(v *graph.View) { v.MinRate = steps[i] })
}

func (c *controlsPanel) onLayout(ctx app.Context, e app.Event) {
	l := value(ctx)
	c.change(ctx, func(v *graph.View) { v.Layout = l })
}

func (c *controlsPanel) onLabels(ctx app.Context, e app.Event) {
	ctx.NewActionWithValue(actionLabels, ParseLabelMode(value(ctx)))
}

// Render draws the controls.
func (c *controlsPanel) Render() app.UI {
	v := c.View.Normalize()
	return app.Section().Class("panel controls").Aria("label", "view controls").Body(
		app.H2().Class("panel-title").Text("view"),
		c.windowSelect(v),
		c.focusControls(v),
		checkbox("ctl-group", "group by namespace", v.Group == graph.GroupNamespace, c.onGroup),
		checkbox("ctl-virtual", "hide virtual nodes", v.HideVirtual, c.onVirtual),
		checkbox("ctl-ops", "operation level", v.Operations, c.onOperations),
		checkbox("ctl-errors", "errors only", v.ErrorsOnly, c.onErrorsOnly),
		c.minRateSlider(v),
		c.layoutSelect(v),
		c.labelSelect(),
	)
}

func (c *controlsPanel) windowSelect(v graph.View) app.UI {
	var opts []app.UI
	known := false
	for _, d := range WindowOptions() {
		known = known || (!v.Fixed() && d == v.Window)
		opts = append(opts, app.Option().Value(d.String()).Selected(!v.Fixed() && d == v.Window).Text("last "+WindowLabel(d)))
	}
	if !known {
		label := "last " + WindowLabel(v.Window)
		if v.Fixed() {
			label = v.From.Format("2006-01-02 15:04") + " – " + v.To.Format("15:04") + " UTC"
		}
		opts = append(opts, app.Option().Value("custom").Selected(true).Disabled(true).Text(label))
	}
	return field("ctl-window", "window", app.Select().ID("ctl-window").OnChange(c.onWindow).Body(opts...))
}

func (c *controlsPanel) focusControls(v graph.View) app.UI {
	if v.Focus == "" {
		return app.Div().Class("field muted focus-hint").Text("focus: whole map (pick a service to focus)")
	}
	name := c.FocusName
	if name == "" {
		name = v.Focus
	}
	step := func(dir, delta, label, text string, off bool) app.UI {
		b := app.Button().Class("icon-button").DataSet("dir", dir).DataSet("delta", delta).
			Aria("label", label).OnClick(c.onHops).Text(text)
		if off {
			b = b.Disabled(true) // only set when true: disabled="false" still disables in HTML
		}
		return b
	}
	stepper := func(dir, label string, n int) app.UI {
		return app.Div().Class("stepper").Body(
			app.Span().Class("stepper-label").Text(label),
			step(dir, "-1", "fewer hops "+label, "−", n <= 0),
			app.Span().Class("stepper-value").Text(strconv.Itoa(n)),
			step(dir, "1", "more hops "+label, "+", n >= graph.MaxHops),
		)
	}
	return app.Div().Class("field focus").Body(
		app.Div().Class("focus-name").Body(
			app.Span().Class("muted").Text("focus "),
			app.Strong().Text(name),
			app.Button().Class("icon-button").Title("show the whole map").Aria("label", "clear focus").
				OnClick(c.onClearFocus).Text("×"),
		),
		stepper("up", "callers", v.Up),
		stepper("down", "callees", v.Down),
	)
}

func (c *controlsPanel) minRateSlider(v graph.View) app.UI {
	steps := MinRateSteps()
	i := MinRateIndex(v.MinRate)
	label := "min traffic: any"
	if v.MinRate > 0 {
		label = "min traffic: " + FormatRate(v.MinRate)
	}
	return field("ctl-minrate", label, app.Input().ID("ctl-minrate").Type("range").
		Min(0).Max(len(steps)-1).Step(1).Value(strconv.Itoa(i)).
		Aria("valuetext", FormatRate(steps[i])).
		OnChange(c.onMinRate))
}

func (c *controlsPanel) layoutSelect(v graph.View) app.UI {
	var opts []app.UI
	for _, l := range LayoutOptions() {
		opts = append(opts, app.Option().Value(l[0]).Selected(v.Layout == l[0]).Text(l[1]))
	}
	return field("ctl-layout", "layout", app.Select().ID("ctl-layout").OnChange(c.onLayout).Body(opts...))
}

func (c *controlsPanel) labelSelect() app.UI {
	var opts []app.UI
	for _, m := range LabelModes() {
		opts = append(opts, app.Option().Value(string(m)).Selected(c.Labels == m).Text(m.Title()))
	}
	return field("ctl-labels", "edge labels", app.Select().ID("ctl-labels").OnChange(c.onLabels).Body(opts...))
}

// field is a labelled form control.
func field(id, label string, control app.UI) app.UI {
	return app.Div().Class("field").Body(app.Label().For(id).Text(label), control)
}

// checkbox is a labelled checkbox.
func checkbox(id, label string, on bool, h app.EventHandler) app.UI {
	return app.Div().Class("field check").Body(
		app.Input().ID(id).Type("checkbox").Checked(on).OnChange(h),
		app.Label().For(id).Text(label),
	)
}
