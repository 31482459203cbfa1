package app

import (
	"maps"
	"unsafe"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
	"github.com/spanmap/spanmap/graph"
)

// mapLayers draws the layer contents of one mounted canvas with a
// layerSync per layer, and skips the work when nothing they show changed
// (a pan or zoom within the same label thresholds).
type mapLayers struct {
	sync  [len(layerClasses)]layerSync
	geo   geoCache
	key   drawKey
	hl    Changes
	drawn bool
	// the minimap's dots: their layer, descriptions, and the key and
	// element of their last draw
	mini       layerSync
	miniDots   slots[memo[miniDotIn]]
	miniKey    drawKey
	miniParent app.Value
	// version is the snapshot version last written on the map's <svg>
	version uint64
}

// drawKey is what the layer contents depend on. Snapshots are immutable
// values, so the same node and edge arrays mean the same graph.
type drawKey struct {
	nodes      *graph.Node
	nNodes     int
	edges      *graph.Edge
	nEdges     int
	version    uint64
	collapsed  int
	selected   Selection
	labels     LabelMode
	showLabels bool
	stale      string // StaleSet.Key
}

// snapshotKey is the part of drawKey that names the snapshot shown.
func (c *mapCanvas) snapshotKey() drawKey {
	return drawKey{
		nodes: unsafe.SliceData(c.Snapshot.Nodes), nNodes: len(c.Snapshot.Nodes),
		edges: unsafe.SliceData(c.Snapshot.Edges), nEdges: len(c.Snapshot.Edges),
		version: c.Snapshot.Version,
	}
}

// drawKey returns the key of what c shows now.
func (c *mapCanvas) drawKey() drawKey {
	k := c.snapshotKey()
	k.collapsed, k.selected, k.labels, k.showLabels = c.collapseGen, c.Selected, c.Labels, c.vp.ShowLabels()
	k.stale = c.Stale.Key
	return k
}

// drawLayers brings the layer elements parents (in layerClasses order) up
// to date through dom and reports what it did per layer; nothing when
// neither what is shown nor the layer elements changed since the last
// call.
func (c *mapCanvas) drawLayers(dom domOps, parents [len(layerClasses)]domRef) (st [len(layerClasses)]syncStats, drew bool) {
	l := &c.layers
	key := c.drawKey()
	if l.drawn && l.key == key && changesEqual(l.hl, c.Highlights) && sameParents(dom, l, parents) {
		return st, false
	}
	start := perfNow()
	d := newDrawing(c.Snapshot, c.collapsed, c.Selected, c.Labels, c.Highlights, c.vp)
	d.stale = c.Stale
	d.geo = &l.geo
	l.geo.begin()
	layers := d.layers()
	perfMeasure(measureDescribe, start)
	start = perfNow()
	for i, want := range layers {
		st[i] = l.sync[i].sync(dom, parents[i], want)
	}
	perfMeasure(measureCompare, start)
	l.geo.done()
	l.key, l.drawn = key, true
	l.hl = c.Highlights
	l.hl.Nodes, l.hl.Edges = maps.Clone(c.Highlights.Nodes), maps.Clone(c.Highlights.Edges)
	return st, true
}

func sameParents(dom domOps, l *mapLayers, parents [len(layerClasses)]domRef) bool {
	for i := range parents {
		if l.sync[i].parent == nil || !dom.same(l.sync[i].parent, parents[i]) {
			return false
		}
	}
	return true
}

// changesEqual reports whether a and b highlight the same elements alike,
// for the same update (whose gone elements are shared, never changed).
func changesEqual(a, b Changes) bool {
	return a.Gen == b.Gen && maps.Equal(a.Nodes, b.Nodes) && maps.Equal(a.Edges, b.Edges) &&
		len(a.GoneNodes) == len(b.GoneNodes) && unsafe.SliceData(a.GoneNodes) == unsafe.SliceData(b.GoneNodes) &&
		len(a.GoneEdges) == len(b.GoneEdges) && unsafe.SliceData(a.GoneEdges) == unsafe.SliceData(b.GoneEdges)
}

// flushLayers draws the layers into the mounted canvas.
func (c *mapCanvas) flushLayers(ctx app.Context) {
	root := ctx.JSSrc()
	var parents [len(layerClasses)]app.Value
	for i, cls := range layerClasses {
		p := c.find(root, i, "g."+cls)
		if !p.Truthy() {
			return // not in a browser, or not drawn yet
		}
		parents[i] = p
	}
	perfMeasureSince(measureUpdate, &updateAt)
	perf := app.Window().Get("performance")
	start := perf.Call("now").Float()
	if c.batch == nil {
		c.batch = newBatchDOM()
	}
	var refs [len(layerClasses)]domRef
	for i, p := range parents {
		refs[i] = c.batch.parent(p)
	}
	_, drew := c.drawLayers(c.batch, refs)
	if c.drawMinimapIn(root) {
		drew = true
	}
	flushStart := perfNow()
	ops := c.batch.flush()
	if v := c.Snapshot.Version; drew && v != c.layers.version {
		// The version drawn, for tests and embedders to wait on.
		parents[0].Get("ownerSVGElement").Call("setAttribute", attrVersion, formatUint(v))
		c.layers.version = v
	}
	if drew {
		perfMeasure(measureFlush, flushStart)
		// A User Timing entry, for browser profiles and the figures
		// test, with the number of DOM operations.
		perf.Call("measure", layersMeasure, map[string]any{"start": start, "detail": map[string]any{"ops": ops}})
	}
}

// find returns the element under root that sel selects: the one found
// before, numbered i, while it is still in the page (go-app keeps its
// elements while it updates them in place), else a new search. Searching
// for the minimap's dots means walking the thousands of map elements
// before them.
func (c *mapCanvas) find(root app.Value, i int, sel string) app.Value {
	if v := c.found[i]; v != nil && v.Truthy() && v.Get("isConnected").Bool() {
		return v
	}
	c.found[i] = root.Call("querySelector", sel)
	return c.found[i]
}

// drawMinimapIn draws the minimap's dots into its <g> under root, and
// forgets them when the minimap is not shown. It reports whether it drew.
func (c *mapCanvas) drawMinimapIn(root app.Value) bool {
	l := &c.layers
	g := c.find(root, len(layerClasses), "g."+miniDotsClass)
	if l.miniParent != nil && (!g.Truthy() || !l.miniParent.Equal(g)) {
		c.batch.forget(l.miniParent, l.mini.order)
		l.mini, l.miniParent = layerSync{}, nil
	}
	if !g.Truthy() {
		return false
	}
	if l.miniParent == nil {
		l.miniParent = g
	}
	_, drew := c.drawMinimap(c.batch, c.batch.parent(g))
	return drew
}

// drawMinimap brings the minimap's dots in parent up to date through dom;
// nothing when neither the nodes nor the element changed since the last
// call.
func (c *mapCanvas) drawMinimap(dom domOps, parent domRef) (syncStats, bool) {
	l := &c.layers
	key := c.snapshotKey()
	if l.miniKey == key && l.mini.parent != nil && dom.same(l.mini.parent, parent) {
		return syncStats{}, false
	}
	bounds := c.bounds()
	scale, ox, oy := MinimapScale(bounds, minimapW, minimapH)
	st := l.mini.sync(dom, parent, minimapDotsOf(c.Snapshot.Nodes, bounds, scale, ox, oy, &l.miniDots))
	l.miniKey = key
	return st, true
}

// attrVersion is the map <svg> attribute that holds the version of the
// snapshot whose layers are drawn.
const attrVersion = "data-version"

// layersMeasure names the performance entry of each draw of the layers.
const layersMeasure = "spanmap-draw-layers"

// resetLayers forgets what was drawn (the canvas left the page).
func (c *mapCanvas) resetLayers() {
	c.layers, c.batch, c.found = mapLayers{}, nil, [len(layerClasses) + 1]app.Value{}
}
