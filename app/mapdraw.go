package app

import (
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

// Map layers, bottom to top: the class of each layer's <g>.
var layerClasses = [...]string{"layer-groups", "layer-edges", "layer-nodes", "layer-labels"}

// svgElem returns an SVG element.
func svgElem(tag string) app.HTMLElem { return app.Elem(tag).XMLNS(svgNS) }

// drawing is everything one draw of the map needs, computed once.
type drawing struct {
	snap       graph.Snapshot
	nodes      map[string]*graph.Node // into snap.Nodes
	groups     []GroupBox
	collapsed  map[string]bool
	selected   Selection
	near       map[string]bool // node and edge IDs adjacent to the selection
	labels     LabelMode
	highlights Changes
	showLabels bool      // edge labels are legible at this zoom
	geo        *geoCache // nil: compute every path and shape
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
		snap: snap, nodes: make(map[string]*graph.Node, len(snap.Nodes)),
		groups: groups, collapsed: collapsed, selected: sel,
		labels: labels, highlights: hl, showLabels: vp.ShowLabels(),
	}
	for i := range snap.Nodes {
		d.nodes[snap.Nodes[i].ID] = &snap.Nodes[i]
	}
	d.near = neighbourhood(snap, sel)
	return d
}

// nodeByID returns the node id, the zero Node when there is none.
func (d *drawing) nodeByID(id string) graph.Node {
	if n := d.nodes[id]; n != nil {
		return *n
	}
	return graph.Node{}
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
	return [...][]keyed{d.groupLayer(), d.edgeLayer(), d.nodeLayer(), d.labelLayer()}
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

// edgeLayer draws the edges, each with a wide transparent hit path.
func (d *drawing) edgeLayer() []keyed {
	out := d.buffer(1, len(d.snap.Edges))
	for _, e := range d.snap.Edges {
		from, to := d.nodeByID(e.From), d.nodeByID(e.To)
		path, _ := d.geo.edgePath(e, from, to)
		if path == "" {
			continue
		}
		sel, near := d.state(e.ID)
		in := edgeIn{
			id: e.ID, op: e.Operation, path: path,
			fromID: from.ID, fromLabel: nodeLabel(from), toLabel: nodeLabel(to),
			kind: e.Kind, health: e.Health,
			rate: e.Rate, errRate: e.ErrorRate, p50: e.Latency.P50, p99: e.Latency.P99,
			hl: d.highlights.Edges[e.ID], selected: sel != "", near: near != "",
		}
		cache := d.edgeDescs()
		if v, ok := cache.get(e.ID, in); ok {
			out = append(out, keyed{Key: e.ID, El: v})
			continue
		}
		st := HealthStyleOf(e.Health)
		w := EdgeWidth(e.Rate) + st.ExtraWidth
		line := elem("path", attr("class", "edge-line"),
			attr("d", path),
			attr("stroke-width", fmtNum(w)),
			attr("marker-end", "url(#arrow-"+st.Class+")"))
		if st.Dash != "" {
			line.Attrs = append(line.Attrs, attr("stroke-dasharray", st.Dash))
		}
		v := elem("g",
			attr("class", classes("edge", "edge-"+string(e.Kind), st.Class, in.hl, sel, near)),
			attr("data-edge-id", e.ID),
		).with(
			elem("title").withText(edgeTitle(e, from, to)),
			elem("path", attr("class", "edge-hit"), attr("d", path), attr("stroke-width", fmtNum(w+10))),
			line,
		)
		cache.put(e.ID, in, v)
		out = append(out, keyed{Key: e.ID, El: v})
	}
	return out
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

// edgeDescs, nodeDescs and labelDescs are the description caches, nil
// when the drawing has no cache.
func (d *drawing) edgeDescs() *descCache[edgeIn] {
	if d.geo == nil {
		return nil
	}
	return &d.geo.edgeDesc
}

func (d *drawing) nodeDescs() *descCache[nodeIn] {
	if d.geo == nil {
		return nil
	}
	return &d.geo.nodeDesc
}

func (d *drawing) labelDescs() *descCache[labelIn] {
	if d.geo == nil {
		return nil
	}
	return &d.geo.labelDesc
}

// edgeTitle is the tooltip of an edge.
func edgeTitle(e graph.Edge, from, to graph.Node) string {
	s := nodeLabel(from) + " → " + nodeLabel(to)
	if from.ID == "" {
		s = e.From + " → " + e.To
	}
	if e.Operation != "" {
		s += " · " + e.Operation
	}
	return s + "\n" + FormatRate(e.Rate) + ", " + FormatPercent(e.ErrorRate) + " errors, p50 " +
		FormatMillis(e.Latency.P50) + ", p99 " + FormatMillis(e.Latency.P99)
}

// nodeLayer draws the nodes.
func (d *drawing) nodeLayer() []keyed {
	out := d.buffer(2, len(d.snap.Nodes))
	for _, n := range d.snap.Nodes {
		if n.Pos == nil {
			continue
		}
		sel, near := d.state(n.ID)
		in := nodeIn{
			id: n.ID, name: n.Name, namespace: n.Namespace, kind: n.Kind, health: n.Health,
			pos: *n.Pos, w: n.Width, h: n.Height,
			calls: n.Stats.Calls, rate: n.Stats.Rate, errRate: n.Stats.ErrorRate, p99: n.Stats.Latency.P99,
			hl: d.highlights.Nodes[n.ID], selected: sel != "", near: near != "",
			collapsible: n.Kind == graph.NodeGroup && d.collapsed[n.ID],
		}
		cache := d.nodeDescs()
		v, ok := cache.get(n.ID, in)
		if !ok {
			v = d.node(n)
			cache.put(n.ID, in, v)
		}
		out = append(out, keyed{Key: n.ID, El: v})
	}
	return out
}

// node draws one node. Its name and figures are always drawn; the map
// container's zoom classes hide them when they would not be legible.
func (d *drawing) node(n graph.Node) velem {
	w, h := nodeSize(n)
	outline, detail := d.geo.nodeShape(n.Kind, w, h)
	st := HealthStyleOf(n.Health)
	sel, near := d.state(n.ID)
	kind := n.Kind
	if kind == "" {
		kind = graph.NodeService
	}
	virtual := ""
	if kind.IsVirtual() {
		virtual = "virtual"
	}
	label := nodeLabel(n)
	g := elem("g",
		attr("class", classes("node", "kind-"+string(kind), st.Class, virtual, d.highlights.Nodes[n.ID], sel, near)),
		attr("data-node-id", n.ID))
	collapsible := kind == graph.NodeGroup && d.collapsed[n.ID]
	if collapsible {
		g.Attrs = append(g.Attrs, attr("data-group-id", n.ID))
		label = "▸ " + label
	}
	g.Attrs = append(g.Attrs, attr("transform", "translate("+fmtNum(n.Pos.X)+","+fmtNum(n.Pos.Y)+")"))
	body := make([]velem, 0, 6)
	body = append(body,
		elem("title").withText(nodeTitle(n, collapsible)),
		elem("path", attr("class", "node-shape"), attr("d", outline)))
	if detail != "" {
		body = append(body, elem("path", attr("class", "node-detail"), attr("d", detail)))
	}
	nameY, nameClass, figures := "4", "node-label", ""
	if n.Stats.Calls > 0 || n.Stats.Rate > 0 {
		nameY, nameClass = "-2", "node-label with-figures"
		figures = FormatRate(n.Stats.Rate) + " · " + FormatPercent(n.Stats.ErrorRate)
	}
	body = append(body, elem("text", attr("class", nameClass), attr("y", nameY), attr("text-anchor", "middle")).
		withText(truncate(label, int((w-16)/charWidth))))
	if figures != "" {
		body = append(body, elem("text", attr("class", "node-figures"), attr("y", "13"), attr("text-anchor", "middle")).
			withText(figures))
	}
	if st.Symbol != "" {
		body = append(body, elem("g", attr("class", "node-badge"),
			attr("transform", "translate("+fmtNum(w/2-2)+","+fmtNum(-h/2+2)+")")).with(
			elem("circle", attr("r", "8")),
			elem("text", attr("text-anchor", "middle"), attr("y", "4")).withText(st.Symbol),
		))
	}
	g.Kids = body
	return g
}

// nodeTitle is the tooltip of a node.
func nodeTitle(n graph.Node, collapsible bool) string {
	s := nodeLabel(n) + " (" + string(n.Kind) + ")"
	if n.Namespace != "" {
		s += " in " + n.Namespace
	}
	s += "\n" + FormatRate(n.Stats.Rate) + ", " + FormatPercent(n.Stats.ErrorRate) + " errors, p99 " + FormatMillis(n.Stats.Latency.P99)
	if collapsible {
		s += "\nclick to expand"
	}
	return s
}

// labelLayer draws the edge labels above everything else, when the zoom
// makes them legible and a label mode is on.
func (d *drawing) labelLayer() []keyed {
	if !d.showLabels || d.labels == LabelNone {
		return nil
	}
	out := d.buffer(3, len(d.snap.Edges))
	for _, e := range d.snap.Edges {
		text := EdgeLabel(e, d.labels)
		if text == "" {
			continue
		}
		path, at := d.geo.edgePath(e, d.nodeByID(e.From), d.nodeByID(e.To))
		if path == "" {
			continue
		}
		_, near := d.state(e.ID)
		in := labelIn{text: text, at: at, health: e.Health, near: near != ""}
		cache := d.labelDescs()
		v, ok := cache.get(e.ID, in)
		if !ok {
			v = elem("text",
				attr("class", classes("edge-label", HealthStyleOf(e.Health).Class, near)),
				attr("data-label-for", e.ID),
				attr("x", fmtNum(at.X)), attr("y", fmtNum(at.Y-4)),
				attr("text-anchor", "middle"),
			).withText(text)
			cache.put(e.ID, in, v)
		}
		out = append(out, keyed{Key: e.ID, El: v})
	}
	return out
}

// truncate shortens s to at most n runes, ending with "…" when cut.
func truncate(s string, n int) string {
	r := []rune(s)
	if n < 2 || len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
