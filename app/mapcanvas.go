package app

import (
	"math"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
	"github.com/spanmap/spanmap/graph"
)

// dragThreshold is how far, in pixels, a pointer must move between press
// and release for the gesture to be a pan rather than a click.
const dragThreshold = 4.0

// mapCanvas draws a snapshot as SVG: nodes, edges, namespace group frames
// and edge labels, with pan (drag), wheel zoom, zoom buttons, zoom-to-fit
// and a legend. Clicking an element posts actionSelect; it answers
// actionFit, actionZoom and actionFocus.
type mapCanvas struct {
	app.Compo

	// Snapshot is the graph to draw.
	Snapshot graph.Snapshot
	// Selected is the selected element, drawn emphasised with its
	// neighbourhood; everything else is dimmed.
	Selected Selection
	// Labels selects the figure written on edges.
	Labels LabelMode
	// Highlights are recently changed elements, animated by CSS.
	Highlights Changes
	// FitKey identifies what is shown (the view); the map zooms to fit
	// the first time it has something to show for a new key.
	FitKey string
	// Compact hides the legend (embed mode shows it folded).
	Compact bool
	// Health are the server's health rules, for the legend.
	Health *graph.HealthRules
	// Stale are the sources whose data is stale: the nodes and edges only
	// they saw are drawn faded.
	Stale StaleSet
	// Handle, when set, reaches this canvas while it is mounted, for
	// its page to draw live updates at once (canvasHandle).
	Handle *canvasHandle

	vp          Viewport
	fittedKey   string
	hasFit      bool
	collapsed   map[string]bool
	collapseGen int // counts changes of collapsed
	width       float64
	height      float64
	drag        dragState
	wheel       app.Func
	// ctx is the mount context, to draw the layers after each render.
	ctx     app.Context
	mounted bool
	layers  mapLayers
	batch   *batchDOM // the browser DOM the layers are drawn into
	// the bounds of the snapshot and what they were computed from
	geom geomKey
	// found are the layer elements and the minimap's dots element, as
	// found in the page (find)
	found [len(layerClasses) + 1]app.Value
	// fxGen is the Gen of the latest highlights rendered, and fxB says
	// which of the two alike effect animations it runs (renderFx).
	fxGen uint64
	fxB   bool
	// inTree renders the layer contents as go-app elements, where there
	// is no DOM to draw them into (server-side rendering and tests of
	// whole pages).
	inTree bool
}

// dragState tracks one pointer gesture on the map.
type dragState struct {
	active       bool
	startX       float64
	startY       float64
	lastX        float64
	lastY        float64
	moved        bool
	target       Selection
	group        string
	onBackground bool
}

// newMapCanvas returns a canvas with a 1:1 viewport and a default screen
// size used until the real one is measured.
func newMapCanvas() *mapCanvas {
	return &mapCanvas{
		vp: IdentityViewport(), width: 1000, height: 700,
		collapsed: map[string]bool{}, Labels: LabelRate, inTree: app.IsServer,
	}
}

// OnMount measures the canvas, installs the wheel listener (it must call
// preventDefault synchronously, which go-app's dispatched handlers cannot)
// and registers the canvas actions.
func (c *mapCanvas) OnMount(ctx app.Context) {
	c.ctx, c.mounted = ctx, true
	c.Handle.attach(c)
	c.measure(ctx)
	c.autoFit()
	ctx.Defer(c.flushLayers)
	ctx.Handle(actionFit, c.handleFit)
	ctx.Handle(actionZoom, c.handleZoom)
	ctx.Handle(actionFocus, c.handleFocus)

	svg := ctx.JSSrc().Call("querySelector", "svg")
	if !svg.Truthy() {
		return
	}
	c.wheel = app.FuncOf(func(this app.Value, args []app.Value) any {
		if len(args) == 0 {
			return nil
		}
		e := args[0]
		e.Call("preventDefault")
		rect := svg.Call("getBoundingClientRect")
		x := e.Get("clientX").Float() - rect.Get("left").Float()
		y := e.Get("clientY").Float() - rect.Get("top").Float()
		f := WheelZoomFactor(e.Get("deltaY").Float(), e.Get("deltaMode").Int())
		ctx.Dispatch(func(ctx app.Context) { c.vp = c.vp.ZoomAt(f, x, y) })
		return nil
	})
	svg.Call("addEventListener", "wheel", c.wheel, map[string]any{"passive": false})
}

// OnDismount releases the wheel listener and forgets the drawn layers.
func (c *mapCanvas) OnDismount() {
	c.mounted = false
	c.Handle.detach(c)
	c.resetLayers()
	if c.wheel != nil {
		c.wheel.Release()
		c.wheel = nil
	}
}

// OnResize re-measures the canvas.
func (c *mapCanvas) OnResize(ctx app.Context) {
	c.measure(ctx)
}

// OnUpdate zooms to fit when a new view first has something to show.
func (c *mapCanvas) OnUpdate(ctx app.Context) {
	c.autoFit()
}

// measure reads the canvas size from the DOM, keeping the previous size
// when the element is not laid out (hidden, or outside a browser).
func (c *mapCanvas) measure(ctx app.Context) {
	rect := ctx.JSSrc().Call("getBoundingClientRect")
	if !rect.Truthy() {
		return
	}
	if w, h := rect.Get("width").Float(), rect.Get("height").Float(); w > 0 && h > 0 {
		c.width, c.height = w, h
	}
}

// autoFit fits the drawing once per FitKey, as soon as it has nodes.
func (c *mapCanvas) autoFit() {
	if len(c.Snapshot.Nodes) == 0 || (c.hasFit && c.fittedKey == c.FitKey) {
		return
	}
	c.fit()
	c.fittedKey, c.hasFit = c.FitKey, true
}

// fit zooms to show the whole drawing.
func (c *mapCanvas) fit() {
	d := newDrawing(c.Snapshot, c.collapsed, Selection{}, LabelNone, Changes{}, c.vp)
	c.vp = FitViewport(SnapshotBounds(d.snap), c.width, c.height, FitPadding)
}

// zoomBy zooms around the centre of the canvas.
func (c *mapCanvas) zoomBy(f float64) {
	c.vp = c.vp.ZoomAt(f, c.width/2, c.height/2)
}

// focus centres the map on a node, or on the middle of an edge, zooming
// in to at least 1:1.
func (c *mapCanvas) focus(sel Selection) bool {
	d := newDrawing(c.Snapshot, c.collapsed, Selection{}, LabelNone, Changes{}, c.vp)
	var at *graph.Point
	switch sel.Kind {
	case KindNode:
		if i := d.nodeIndex(sel.ID); i >= 0 {
			at = d.snap.Nodes[i].Pos
		} else {
			// A node inside a collapsed group: centre on the group.
			for _, g := range d.groups {
				for _, m := range g.Members {
					if m == sel.ID && c.collapsed[g.ID] {
						p := g.Box.Center()
						at = &p
					}
				}
			}
		}
	case KindEdge:
		for _, e := range d.snap.Edges {
			if e.ID == sel.ID {
				if _, p := EdgePath(e, d.nodeByID(e.From), d.nodeByID(e.To)); p != (graph.Point{}) {
					at = &p
				}
			}
		}
	}
	if at == nil {
		return false
	}
	c.vp.K = math.Max(c.vp.K, 1)
	c.vp = c.vp.CenterOn(*at, c.width, c.height)
	return true
}

func (c *mapCanvas) handleFit(ctx app.Context, a app.Action) { c.fit() }

func (c *mapCanvas) handleZoom(ctx app.Context, a app.Action) {
	if f, ok := a.Value.(float64); ok {
		c.zoomBy(f)
	}
}

func (c *mapCanvas) handleFocus(ctx app.Context, a app.Action) {
	if sel, ok := a.Value.(Selection); ok {
		c.focus(sel)
	}
}

// toggleGroup collapses or expands a group frame.
func (c *mapCanvas) toggleGroup(id string) {
	if c.collapsed[id] {
		delete(c.collapsed, id)
	} else {
		c.collapsed[id] = true
	}
	c.collapseGen++
}

// pointerPos returns the event position relative to the element the
// handler is attached to.
func pointerPos(ctx app.Context, e app.Event) (x, y float64) {
	rect := ctx.JSSrc().Call("getBoundingClientRect")
	return e.Get("clientX").Float() - rect.Get("left").Float(),
		e.Get("clientY").Float() - rect.Get("top").Float()
}

// hitTarget finds the map element under an event.
func hitTarget(e app.Event) (sel Selection, group string, background bool) {
	t := e.Get("target")
	if !t.Truthy() {
		return Selection{}, "", false
	}
	hit := t.Call("closest", "[data-group-id],[data-node-id],[data-edge-id],[data-label-for]")
	if !hit.Truthy() {
		return Selection{}, "", true
	}
	if g := hit.Call("getAttribute", "data-group-id"); g.Truthy() {
		return Selection{}, g.String(), false
	}
	if n := hit.Call("getAttribute", "data-node-id"); n.Truthy() {
		return Selection{Kind: KindNode, ID: n.String()}, "", false
	}
	if ed := hit.Call("getAttribute", "data-edge-id"); ed.Truthy() {
		return Selection{Kind: KindEdge, ID: ed.String()}, "", false
	}
	if l := hit.Call("getAttribute", "data-label-for"); l.Truthy() {
		return Selection{Kind: KindEdge, ID: l.String()}, "", false
	}
	return Selection{}, "", true
}

func (c *mapCanvas) onPointerDown(ctx app.Context, e app.Event) {
	if b := e.Get("button"); b.Truthy() && b.Int() != 0 {
		return
	}
	x, y := pointerPos(ctx, e)
	sel, group, bg := hitTarget(e)
	c.drag = dragState{active: true, startX: x, startY: y, lastX: x, lastY: y,
		target: sel, group: group, onBackground: bg}
	ctx.PreventUpdate()
}

// onPointerMove pans while dragging. It moves the viewport group directly
// and skips the re-render, which is committed on release.
func (c *mapCanvas) onPointerMove(ctx app.Context, e app.Event) {
	ctx.PreventUpdate()
	if !c.drag.active {
		return
	}
	x, y := pointerPos(ctx, e)
	if !c.drag.moved && math.Abs(x-c.drag.startX)+math.Abs(y-c.drag.startY) < dragThreshold {
		return
	}
	c.drag.moved = true
	c.vp = c.vp.Pan(x-c.drag.lastX, y-c.drag.lastY)
	c.drag.lastX, c.drag.lastY = x, y
	// The map's and the effect overlays' viewports.
	gs := ctx.JSSrc().Call("querySelectorAll", "g.viewport")
	for i := range gs.Length() {
		gs.Index(i).Call("setAttribute", "transform", c.vp.Transform())
	}
}

// onPointerUp ends a pan, or treats a short gesture as a click: on a
// group header it toggles the group, on an element it selects it, on the
// background it clears the selection.
func (c *mapCanvas) onPointerUp(ctx app.Context, e app.Event) {
	d := c.drag
	c.drag = dragState{}
	if !d.active || d.moved {
		return
	}
	switch {
	case d.group != "":
		c.toggleGroup(d.group)
	case !d.target.IsZero():
		ctx.NewActionWithValue(actionSelect, d.target)
	case d.onBackground:
		ctx.NewActionWithValue(actionSelect, Selection{})
	}
}

func (c *mapCanvas) onPointerLeave(ctx app.Context, e app.Event) {
	if c.drag.active && !c.drag.moved {
		ctx.PreventUpdate()
	}
	c.drag = dragState{}
}

func (c *mapCanvas) onZoomIn(ctx app.Context, e app.Event)  { c.zoomBy(ZoomStep) }
func (c *mapCanvas) onZoomOut(ctx app.Context, e app.Event) { c.zoomBy(1 / ZoomStep) }
func (c *mapCanvas) onFit(ctx app.Context, e app.Event)     { c.fit() }

// Render draws the map's shell and overlays. The layers are empty <g>
// elements that flushLayers fills once go-app has updated the page.
func (c *mapCanvas) Render() app.UI {
	if c.mounted {
		c.ctx.Defer(c.flushLayers)
	}
	layers := c.renderLayers()
	return app.Div().Class(c.canvasClass()).Body(
		svgElem("svg").
			Class("map-svg").
			Attr("role", "img").
			Aria("label", "service dependency map").
			On("pointerdown", c.onPointerDown).
			On("pointermove", c.onPointerMove).
			On("pointerup", c.onPointerUp).
			On("pointerleave", c.onPointerLeave).
			Body(
				markers(),
				svgElem("g").Class("viewport").Attr("transform", c.vp.Transform()).Body(layers[:fxLayer]...),
			),
		c.renderFx(layers[fxLayer:]),
		c.renderZoomControls(),
		c.renderMinimap(),
		app.If(!c.Compact, func() app.UI { l := newLegend(); l.Rules, l.Stale = c.Health, c.Stale.Key != ""; return l }),
	)
}

// renderFx returns the change effect overlays, each an <svg> over the
// map with the map's viewport and one effect layer. Their class names one
// of two alike animations, the other one for each update's changes, so
// that the animation starts over.
func (c *mapCanvas) renderFx(layers []app.UI) app.UI {
	// A new update's changes switch the name; none (expired, or a new
	// View) keep it, so that the next changes switch it again.
	if g := c.Highlights.Gen; g != 0 && g != c.fxGen {
		c.fxGen, c.fxB = g, !c.fxB
	}
	run := "fx-a"
	if c.fxB {
		run = "fx-b"
	}
	out := make([]app.UI, len(fxOverlays))
	for i, cls := range fxOverlays {
		out[i] = svgElem("svg").Class("map-fx", cls, run).Attr("aria-hidden", "true").Body(
			svgElem("g").Class("viewport").Attr("transform", c.vp.Transform()).Body(layers[i]))
	}
	return app.Div().Class("map-fx-overlays").Body(out...)
}

// renderLayers returns the layer elements: empty, for drawLayers to fill,
// or with their contents when inTree.
func (c *mapCanvas) renderLayers() []app.UI {
	var contents [len(layerClasses)][]keyed
	if c.inTree {
		d := newDrawing(c.Snapshot, c.collapsed, c.Selected, c.Labels, c.Highlights, c.vp)
		d.stale = c.Stale
		contents = d.layers()
	}
	out := make([]app.UI, len(layerClasses))
	for i, cls := range layerClasses {
		body := make([]app.UI, len(contents[i]))
		for j := range contents[i] {
			body[j] = contents[i][j].El.ui()
		}
		out[i] = svgElem("g").Class(cls).Body(body...)
	}
	return out
}

// canvasClass is the class of the map container: the zoom classes hide
// node texts that would not be legible, and a selection dims what is not
// next to it (see the map rules of spanmap.css).
func (c *mapCanvas) canvasClass() string {
	cls := "map-canvas"
	if c.drag.moved {
		cls += " panning"
	}
	if !c.vp.ShowLabels() {
		cls += " " + classZoomedOut
	}
	if c.vp.K < NodeLabelZoom {
		cls += " " + classZoomedFar
	}
	if !c.Selected.IsZero() {
		cls += " " + classHasSelection
	}
	return cls
}

func (c *mapCanvas) renderZoomControls() app.UI {
	return app.Div().Class("zoom-controls").Body(
		app.Button().Class("icon-button").Title("zoom in (+)").Aria("label", "zoom in").
			OnClick(c.onZoomIn).Text("+"),
		app.Button().Class("icon-button").Title("zoom out (-)").Aria("label", "zoom out").
			OnClick(c.onZoomOut).Text("−"),
		app.Button().Class("icon-button").Title("zoom to fit (f)").Aria("label", "zoom to fit").
			OnClick(c.onFit).Text("⤢"),
		app.Span().Class("zoom-level").Text(trimFloat(c.vp.K*100, 0)+"%"),
	)
}
