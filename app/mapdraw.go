package app

import (
	"math"
	"slices"
	"strings"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
	"github.com/spanmap/spanmap/graph"
)

// svgNS is the SVG namespace; go-app and the layer reconciler create
// elements in it with createElementNS.
const svgNS = "http://www.w3.org/2000/svg"

// NodeLabelZoom is the scale below which node names are hidden (edge
// labels and node figures already disappear below LabelZoom).
const NodeLabelZoom = 0.3

// Classes of the map container that CSS reads, so that zooming and
// selecting do not rewrite every element.
const (
	// classZoomedOut hides node figures (below LabelZoom).
	classZoomedOut = "zoomed-out"
	// classZoomedFar hides node names too (below NodeLabelZoom).
	classZoomedFar = "zoomed-far"
	// classHasSelection dims the elements not marked classNear.
	classHasSelection = "has-selection"
	// classNear marks the selection and its neighbourhood.
	classNear = "near"
)

// Map layers, bottom to top: the class of each layer's <g>. The map's
// <svg> holds the first fxLayer of them; each of the others is in an
// overlay <svg> of its own (fxOverlays), whose animation runs on the
// compositor: an animation on elements inside the map would restyle and
// repaint all of it on every frame.
var layerClasses = [...]string{"layer-groups", "layer-edges", "layer-nodes", "layer-labels",
	"layer-fx-new", "layer-fx-spike", "layer-fx-gone"}

// fxLayer is the index in layerClasses of the first change effect layer.
const fxLayer = 4

// fxOverlays are the classes of the change effect overlays, in the order
// of their layers: new elements flash and fade, spiking ones pulse, and
// gone ones fade out.
var fxOverlays = [len(layerClasses) - fxLayer]string{"fx-new", "fx-spike", "fx-gone"}

// Indices of fxOverlays.
const (
	fxNew = iota
	fxSpike
	fxGone
)

// svgElem returns an SVG element.
func svgElem(tag string) app.HTMLElem { return app.Elem(tag).XMLNS(svgNS) }

// drawing is everything one draw of the map needs, computed once.
type drawing struct {
	snap       graph.Snapshot
	nodes      map[string]int // positions in snap.Nodes by ID, see nodeMap
	groups     []GroupBox
	collapsed  map[string]bool
	selected   Selection
	near       map[string]bool // node and edge IDs adjacent to the selection
	labels     LabelMode
	highlights Changes
	showLabels bool      // edge labels are legible at this zoom
	stale      StaleSet  // the stale sources: what only they saw is faded
	geo        *geoCache // nil: compute every path and shape
	// fx are the change effects, by fxOverlays index
	fx [len(fxOverlays)][]keyed
}

// newDrawing prepares snap for drawing: groups collapsed, unpositioned
// nodes placed, the neighbourhood of the selection computed.
func newDrawing(snap graph.Snapshot, collapsed map[string]bool, sel Selection, labels LabelMode, hl Changes, vp Viewport) drawing {
	groups := GroupBoxes(snap)
	snap = CollapseGroups(snap, collapsed)
	snap.Nodes = withoutFramedGroups(snap.Nodes, groups, collapsed)
	if slices.ContainsFunc(snap.Nodes, func(n graph.Node) bool { return n.Pos == nil }) {
		snap.Nodes = PlaceUnpositioned(snap.Nodes)
	}
	d := drawing{
		snap: snap, groups: groups, collapsed: collapsed, selected: sel,
		labels: labels, highlights: hl, showLabels: vp.ShowLabels(),
	}
	d.near = neighbourhood(snap, sel)
	return d
}

// nodeMap returns the nodes by ID, made on first use: a live update finds
// the nodes of its edges by position (slots) and never needs it.
func (d *drawing) nodeMap() map[string]int {
	if d.nodes == nil {
		d.nodes = make(map[string]int, len(d.snap.Nodes))
		for i := range d.snap.Nodes {
			d.nodes[d.snap.Nodes[i].ID] = i
		}
	}
	return d.nodes
}

// nodeByID returns the node id, the zero Node when there is none.
func (d *drawing) nodeByID(id string) graph.Node { return *d.nodeRef(id) }

// noNode is what nodeRef returns for an ID without a node; never written.
var noNode graph.Node

// nodeRef returns the node id, or noNode.
func (d *drawing) nodeRef(id string) *graph.Node {
	if i := d.nodeIndex(id); i >= 0 {
		return &d.snap.Nodes[i]
	}
	return &noNode
}

// nodeIndex returns the position of node id in the drawing's nodes, -1
// when there is none.
func (d *drawing) nodeIndex(id string) int {
	if i, ok := d.nodeMap()[id]; ok {
		return i
	}
	return -1
}

// ends returns the nodes of e, from the positions kept in x when the
// node list is the one they were found in.
func (d *drawing) ends(e *graph.Edge, x *edgeEntry) (from, to *graph.Node) {
	if x == nil {
		return d.nodeRef(e.From), d.nodeRef(e.To)
	}
	if x.ends != d.geo.nodes.layout {
		x.from, x.to, x.ends = d.nodeIndex(e.From), d.nodeIndex(e.To), d.geo.nodes.layout
	}
	from, to = &noNode, &noNode
	if x.from >= 0 {
		from = &d.snap.Nodes[x.from]
	}
	if x.to >= 0 {
		to = &d.snap.Nodes[x.to]
	}
	return from, to
}

// withoutFramedGroups drops the group nodes drawn as an expanded frame;
// it returns nodes itself when there are none.
func withoutFramedGroups(nodes []graph.Node, groups []GroupBox, collapsed map[string]bool) []graph.Node {
	framed := map[string]bool{}
	for _, g := range groups {
		if !collapsed[g.ID] {
			framed[g.ID] = true
		}
	}
	if !slices.ContainsFunc(nodes, func(n graph.Node) bool { return n.Kind == graph.NodeGroup && framed[n.ID] }) {
		return nodes
	}
	out := make([]graph.Node, 0, len(nodes))
	for _, n := range nodes {
		if n.Kind == graph.NodeGroup && framed[n.ID] {
			continue
		}
		out = append(out, n)
	}
	return out
}

// neighbourhood returns the selected element, its edges and their
// endpoints; nil when nothing is selected.
func neighbourhood(s graph.Snapshot, sel Selection) map[string]bool {
	if sel.IsZero() {
		return nil
	}
	near := map[string]bool{sel.ID: true}
	for _, e := range s.Edges {
		switch {
		case sel.Kind == KindEdge && e.ID == sel.ID:
			near[e.From], near[e.To] = true, true
		case sel.Kind == KindNode && (e.From == sel.ID || e.To == sel.ID):
			near[e.ID], near[e.From], near[e.To] = true, true, true
		}
	}
	return near
}

// classes joins the non-empty class names.
func classes(names ...string) string {
	out := names[:0:0]
	for _, n := range names {
		if n != "" {
			out = append(out, n)
		}
	}
	return strings.Join(out, " ")
}

// classIf returns name when on, else "" (which classes leaves out).
func classIf(on bool, name string) string {
	if on {
		return name
	}
	return ""
}

// state returns the selection classes of id: "selected" for the
// selection, "near" for it and its neighbourhood. The map container's
// classHasSelection dims every element without "near".
func (d *drawing) state(id string) (selected, near string) {
	if d.selected.ID == id {
		selected = "selected"
	}
	if d.near[id] {
		near = classNear
	}
	return selected, near
}

// markers defines one arrow head per health state, in user space so that
// thick edges do not get huge arrows.
func markers() app.UI {
	var ms []app.UI
	for _, h := range LegendHealths() {
		st := HealthStyleOf(h)
		ms = append(ms, svgElem("marker").
			ID("arrow-%s", st.Class).
			Class("arrow", st.Class).
			Attr("viewBox", "0 0 10 10").
			Attr("refX", "9").Attr("refY", "5").
			Attr("markerUnits", "userSpaceOnUse").
			Attr("markerWidth", "11").Attr("markerHeight", "11").
			Attr("orient", "auto-start-reverse").
			Body(svgElem("path").Attr("d", "M 0 0 L 10 5 L 0 10 Z")))
	}
	return svgElem("defs").Body(ms...)
}

// layers returns the contents of every layer, in layerClasses order.
func (d *drawing) layers() [len(layerClasses)][]keyed {
	if d.geo != nil {
		nodes, edges := d.snap.Nodes, d.snap.Edges
		d.geo.nodes.begin(len(nodes), func(i int) string { return nodes[i].ID })
		d.geo.edges.begin(len(edges), func(i int) string { return edges[i].ID })
	}
	for i := range d.fx {
		d.fx[i] = d.buffer(fxLayer+i, 0)
	}
	edges, labels := d.edgeLayers()
	nodes := d.nodeLayer()
	d.goneLayer()
	return [...][]keyed{d.groupLayer(), edges, nodes, labels, d.fx[fxNew], d.fx[fxSpike], d.fx[fxGone]}
}

// fxIndex returns the effect overlay of a highlight class, -1 for none.
func fxIndex(hl string) int {
	switch hl {
	case ClassNew:
		return fxNew
	case ClassSpike:
		return fxSpike
	}
	return -1
}

// edgeFx is the effect of an edge: its path, stroked by the overlay.
func edgeFx(id, path string) keyed {
	return keyed{Key: "edge:" + id, El: elem("path", attr("class", "fx-edge"), attr("data-fx-for", id), attr("d", path))}
}

// nodeFx is the effect of a node: its outline, stroked by the overlay.
func (d *drawing) nodeFx(n *graph.Node) keyed {
	w, h := nodeSize(*n)
	outline, _ := d.geo.nodeShape(n.Kind, w, h)
	return keyed{Key: "node:" + n.ID, El: elem("path", attr("class", "fx-node"), attr("data-fx-for", n.ID),
		attr("transform", "translate("+fmtNum(n.Pos.X)+","+fmtNum(n.Pos.Y)+")"), attr("d", outline))}
}

// goneLayer draws the nodes and edges gone since the snapshot before as
// they were, for the overlay that fades them out.
func (d *drawing) goneLayer() {
	gone := d.highlights.GoneNodes
	for i := range gone {
		if gone[i].Pos != nil {
			d.fx[fxGone] = append(d.fx[fxGone], d.nodeFx(&gone[i]))
		}
	}
	for i := range d.highlights.GoneEdges {
		e := &d.highlights.GoneEdges[i]
		var from, to graph.Node
		if len(e.Path) < 2 { // drawn between its nodes, here or gone
			from, to = d.goneEnd(e.From), d.goneEnd(e.To)
		}
		if path, _ := EdgePath(*e, from, to); path != "" {
			d.fx[fxGone] = append(d.fx[fxGone], edgeFx(e.ID, path))
		}
	}
}

// goneEnd returns the node id of the drawing, else of the gone nodes.
func (d *drawing) goneEnd(id string) graph.Node {
	if i := d.nodeIndex(id); i >= 0 {
		return d.snap.Nodes[i]
	}
	gone := d.highlights.GoneNodes
	if i, ok := slices.BinarySearchFunc(gone, id, func(n graph.Node, id string) int { return strings.Compare(n.ID, id) }); ok {
		return gone[i]
	}
	return graph.Node{}
}

// elem returns an element description.
func elem(tag string, attrs ...vattr) velem { return velem{Tag: tag, Attrs: attrs} }

// attr returns an attribute.
func attr(name, value string) vattr { return vattr{Name: name, Value: value} }

// withText returns v with text content s.
func (v velem) withText(s string) velem { v.Text = s; return v }

// with returns v with children kids.
func (v velem) with(kids ...velem) velem { v.Kids = kids; return v }

// groupLayer draws the frames of the expanded groups.
func (d *drawing) groupLayer() []keyed {
	out := d.buffer(0, len(d.groups))
	for _, g := range d.groups {
		if d.collapsed[g.ID] {
			continue
		}
		out = append(out, keyed{Key: g.ID, El: elem("g",
			attr("class", classes("group", HealthStyleOf(g.Health).Class)),
			attr("data-group-id", g.ID),
		).with(
			elem("title").withText("group "+g.Label+": click the header to collapse"),
			elem("rect", attr("class", "group-box"),
				attr("x", fmtNum(g.Box.X)), attr("y", fmtNum(g.Box.Y)),
				attr("width", fmtNum(g.Box.W)), attr("height", fmtNum(g.Box.H)),
				attr("rx", "6")),
			elem("text", attr("class", "group-label"),
				attr("x", fmtNum(g.Box.X+8)), attr("y", fmtNum(g.Box.Y+15))).
				withText("▾ "+g.Label),
		)})
	}
	return out
}

// edgeLayers draws the edges, each with a wide transparent hit path, and
// their labels, in one pass over the edges.
func (d *drawing) edgeLayers() (edges, labels []keyed) {
	edges = d.buffer(1, len(d.snap.Edges))
	withLabels := d.showLabels && d.labels != LabelNone
	if withLabels {
		labels = d.buffer(3, len(d.snap.Edges))
	}
	minorBelow := minorRate(d.snap.Edges)
	for i := range d.snap.Edges {
		e := &d.snap.Edges[i]
		var x *edgeEntry
		var g *edgeGeo
		if d.geo != nil {
			x = d.geo.edges.at(i, e.ID)
			g = &x.geo
		}
		from, to := d.ends(e, x)
		path, at := edgePath(g, e, from, to)
		if path == "" {
			continue
		}
		sel, near := d.state(e.ID)
		st := HealthStyleOf(e.Health)
		w := drawnEdgeWidth(e.Rate) + st.ExtraWidth
		in := edgeIn{
			id: e.ID, op: e.Operation, path: path,
			fromID: from.ID, fromLabel: labelOf(from), toLabel: labelOf(to),
			kind: e.Kind, health: e.Health, width: w,
			hl: d.highlights.Edges[e.ID], selected: sel != "", near: near != "",
			minor: e.Rate < minorBelow, stale: d.stale.Marks(e.Sources),
		}
		var edgeMemo *memo[edgeIn]
		var labelMemo *memo[labelIn]
		if x != nil {
			edgeMemo, labelMemo = &x.desc, &x.label
		}
		v, ok := edgeMemo.get(in)
		if !ok {
			// The arrow head and dash pattern come from the health class
			// (spanmap.css), so that a health change rewrites one
			// attribute.
			v = elem("g",
				attr("class", classes("edge", "edge-"+string(e.Kind), st.Class, in.hl, sel, near, classIf(in.minor, classMinor), classIf(in.stale, classStale))),
				attr("data-edge-id", e.ID),
			).with(
				elem("title").withText(edgeTitle(*e, *from, *to)),
				elem("path", attr("class", "edge-hit"), attr("d", path)),
				elem("path", attr("class", "edge-line"), attr("d", path), attr("stroke-width", fmtNum(w))),
			)
			edgeMemo.put(in, v)
		}
		edges = append(edges, keyed{Key: e.ID, El: v})
		if fx := fxIndex(in.hl); fx >= 0 {
			d.fx[fx] = append(d.fx[fx], edgeFx(e.ID, path))
		}
		if !withLabels {
			continue
		}
		lin := labelIn{mode: d.labels, figure: edgeFigure(e, d.labels), at: at, health: e.Health, near: near != ""}
		l, ok := labelMemo.get(lin)
		if !ok {
			l = velem{} // no label
			if text := EdgeLabel(*e, d.labels); text != "" {
				l = elem("text",
					attr("class", classes("edge-label", st.Class, near)),
					attr("data-label-for", e.ID),
					attr("x", fmtNum(at.X)), attr("y", fmtNum(at.Y-4)),
					attr("text-anchor", "middle"),
				).withText(text)
			}
			labelMemo.put(lin, l)
		}
		if l.Tag != "" {
			labels = append(labels, keyed{Key: e.ID, El: l})
		}
	}
	return edges, labels
}

// MinorEdgeShare is the share of the busiest edge's calls per second below
// which an edge is minor: zoomed out, the map fades minor edges, and far
// out hides them unless they are unhealthy or next to the selection
// (spanmap.css), so that a map of a thousand nodes stays readable.
const MinorEdgeShare = 0.01

// classMinor marks a minor edge.
const classMinor = "minor"

// minorRate is the rate below which an edge of edges is minor.
func minorRate(edges []graph.Edge) float64 {
	busiest := 0.0
	for i := range edges {
		busiest = max(busiest, edges[i].Rate)
	}
	return busiest * MinorEdgeShare
}

// edgeFigure is the figure EdgeLabel formats for mode.
func edgeFigure(e *graph.Edge, mode LabelMode) float64 {
	switch mode {
	case LabelRate:
		return e.Rate
	case LabelErrors:
		return e.ErrorRate
	case LabelP50:
		return e.Latency.P50
	case LabelP99:
		return e.Latency.P99
	default:
		return 0
	}
}

// buffer returns an empty list for layer i with room for n elements,
// reusing the cache's list of the previous draw.
func (d *drawing) buffer(i, n int) []keyed {
	if d.geo == nil {
		return make([]keyed, 0, n)
	}
	b := d.geo.layers[i]
	clear(b)
	if cap(b) < n {
		b = make([]keyed, 0, n)
	}
	d.geo.layers[i] = b[:0]
	return b[:0]
}

// edgeTitle is the tooltip of an edge: what it joins. Its figures are on
// its label and in the details panel; keeping them out of the tooltip
// spares a live update a DOM write per changed edge.
func edgeTitle(e graph.Edge, from, to graph.Node) string {
	s := nodeLabel(from) + " → " + nodeLabel(to)
	if from.ID == "" {
		s = e.From + " → " + e.To
	}
	if e.Operation != "" {
		s += " · " + e.Operation
	}
	return s + "\nclick for figures and example traces"
}

// edgeWidthStep is the granularity of drawn edge widths: finer changes
// are not visible, and rounding spares a live update most width writes.
const edgeWidthStep = 0.5

// drawnEdgeWidth is EdgeWidth rounded to edgeWidthStep.
func drawnEdgeWidth(rate float64) float64 {
	return math.Round(EdgeWidth(rate)/edgeWidthStep) * edgeWidthStep
}

// nodeLayer draws the nodes.
func (d *drawing) nodeLayer() []keyed {
	out := d.buffer(2, len(d.snap.Nodes))
	for i := range d.snap.Nodes {
		n := &d.snap.Nodes[i]
		var x *nodeEntry
		if d.geo != nil {
			x = d.geo.nodes.at(i, n.ID)
		}
		if n.Pos == nil {
			continue
		}
		sel, near := d.state(n.ID)
		in := nodeIn{
			id: n.ID, name: n.Name, namespace: n.Namespace, kind: n.Kind, health: n.Health,
			pos: *n.Pos, w: n.Width, h: n.Height,
			calls: n.Stats.Calls, rate: n.Stats.Rate, errRate: n.Stats.ErrorRate,
			hl: d.highlights.Nodes[n.ID], selected: sel != "", near: near != "",
			collapsible: n.Kind == graph.NodeGroup && d.collapsed[n.ID],
			stale:       d.stale.Marks(n.Sources),
		}
		var m *memo[nodeIn]
		if x != nil {
			m = &x.desc
		}
		v, ok := m.get(in)
		if !ok {
			v = d.node(n, x, in.stale)
			m.put(in, v)
		}
		out = append(out, keyed{Key: n.ID, El: v})
		if fx := fxIndex(in.hl); fx >= 0 {
			d.fx[fx] = append(d.fx[fx], d.nodeFx(n))
		}
	}
	return out
}

// nodeParts are the parts of a node's description that its figures,
// health and position do not change, shared by its descriptions: a live
// update describes a node anew with few allocations.
type nodeParts struct {
	in     nodePartsIn
	static []velem  // title, shape and, for some kinds, detail
	name   [2]velem // the name, without and with figures below it
	badge  [4]velem // the badge, by health (badgeIndex)
	badgeT string   // the badge's transform
	kind   string   // the node's kind class
	// virtual is the class of the kinds not instrumented, or ""
	virtual string
}

// nodePartsIn is what a node's parts are made from.
type nodePartsIn struct {
	id, name, namespace string
	kind                graph.NodeKind
	w, h                float64
	collapsible         bool
}

// figuresAttrs are the attributes of every node's figures text.
var figuresAttrs = []vattr{{"class", "node-figures"}, {"y", "13"}, {"text-anchor", "middle"}}

// badgeIndex numbers the health states for nodeParts.badge.
func badgeIndex(h graph.Health) int {
	switch h {
	case graph.HealthOK:
		return 0
	case graph.HealthDegraded:
		return 1
	case graph.HealthFailing:
		return 2
	default:
		return 3
	}
}

// parts returns the parts of n, those kept in x (which may be nil) when
// n's name, kind and size did not change.
func (d *drawing) parts(n *graph.Node, x *nodeEntry, collapsible bool) *nodeParts {
	in := nodePartsIn{id: n.ID, name: n.Name, namespace: n.Namespace, kind: n.Kind, w: n.Width, h: n.Height, collapsible: collapsible}
	if x != nil && x.parts != nil && x.parts.in == in {
		return x.parts
	}
	p := &nodeParts{in: in}
	if x != nil {
		x.parts = p
	}
	w, h := nodeSize(*n)
	outline, detail := d.geo.nodeShape(n.Kind, w, h)
	kind := n.Kind
	if kind == "" {
		kind = graph.NodeService
	}
	p.kind = "kind-" + string(kind)
	if kind.IsVirtual() {
		p.virtual = "virtual"
	}
	p.static = []velem{
		elem("title").withText(nodeTitle(*n, collapsible)),
		elem("path", attr("class", "node-shape"), attr("d", outline)),
	}
	if detail != "" {
		p.static = append(p.static, elem("path", attr("class", "node-detail"), attr("d", detail)))
	}
	label := labelOf(n)
	if collapsible {
		label = "▸ " + label
	}
	label = truncate(label, int((w-16)/charWidth))
	p.name[0] = elem("text", attr("class", "node-label"), attr("y", "4"), attr("text-anchor", "middle")).withText(label)
	p.name[1] = elem("text", attr("class", "node-label with-figures"), attr("y", "-2"), attr("text-anchor", "middle")).withText(label)
	p.badgeT = "translate(" + fmtNum(w/2-2) + "," + fmtNum(-h/2+2) + ")"
	return p
}

// node draws one node. Its name and figures are always drawn; the map
// container's zoom classes hide them when they would not be legible. The
// children are the same for every state of a node of one kind, so that a
// live update rewrites attributes and texts, never elements.
func (d *drawing) node(n *graph.Node, x *nodeEntry, stale bool) velem {
	collapsible := n.Kind == graph.NodeGroup && d.collapsed[n.ID]
	p := d.parts(n, x, collapsible)
	st := HealthStyleOf(n.Health)
	sel, near := d.state(n.ID)
	attrs := make([]vattr, 0, 4)
	attrs = append(attrs,
		attr("class", classes("node", p.kind, st.Class, p.virtual, d.highlights.Nodes[n.ID], sel, near, classIf(stale, classStale))),
		attr("data-node-id", n.ID))
	if collapsible {
		attrs = append(attrs, attr("data-group-id", n.ID))
	}
	attrs = append(attrs, attr("transform", "translate("+fmtNum(n.Pos.X)+","+fmtNum(n.Pos.Y)+")"))
	body := make([]velem, 0, len(p.static)+3)
	body = append(body, p.static...)
	figures := ""
	if n.Stats.Calls > 0 || n.Stats.Rate > 0 {
		figures = FormatRate(n.Stats.Rate) + " · " + FormatPercent(n.Stats.ErrorRate)
		body = append(body, p.name[1])
	} else {
		body = append(body, p.name[0])
	}
	b := badgeIndex(n.Health)
	if p.badge[b].Tag == "" {
		// The badge shows for the states with a symbol (spanmap.css).
		p.badge[b] = elem("g", attr("class", "node-badge"), attr("transform", p.badgeT)).with(
			elem("circle", attr("r", "8")),
			elem("text", attr("text-anchor", "middle"), attr("y", "4")).withText(st.Symbol),
		)
	}
	body = append(body, velem{Tag: "text", Attrs: figuresAttrs, Text: figures}, p.badge[b])
	return velem{Tag: "g", Attrs: attrs, Kids: body}
}

// nodeTitle is the tooltip of a node.
func nodeTitle(n graph.Node, collapsible bool) string {
	s := nodeLabel(n) + " (" + string(n.Kind) + ")"
	if n.Namespace != "" {
		s += " in " + n.Namespace
	}
	if collapsible {
		return s + "\nclick to expand"
	}
	return s + "\nclick for figures and connections"
}

// truncate shortens s to at most n runes, ending with "…" when cut.
func truncate(s string, n int) string {
	r := []rune(s)
	if n < 2 || len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
