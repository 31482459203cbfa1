package app

import (
	"strings"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
	"github.com/spanmap/spanmap/graph"
)

// svgNS is the SVG namespace; go-app creates elements in it with
// createElementNS.
const svgNS = "http://www.w3.org/2000/svg"

// NodeLabelZoom is the scale below which node names are hidden (edge
// labels and node figures already disappear below LabelZoom).
const NodeLabelZoom = 0.3

// svgElem returns an SVG element.
func svgElem(tag string) app.HTMLElem { return app.Elem(tag).XMLNS(svgNS) }

// drawing is everything one render of the map needs, computed once.
type drawing struct {
	snap       graph.Snapshot
	nodes      map[string]graph.Node
	groups     []GroupBox
	collapsed  map[string]bool
	selected   Selection
	near       map[string]bool // node and edge IDs adjacent to the selection
	labels     LabelMode
	highlights Changes
	vp         Viewport
}

// newDrawing prepares snap for drawing: groups collapsed, unpositioned
// nodes placed, the neighbourhood of the selection computed.
func newDrawing(snap graph.Snapshot, collapsed map[string]bool, sel Selection, labels LabelMode, hl Changes, vp Viewport) drawing {
	groups := GroupBoxes(snap)
	snap = CollapseGroups(snap, collapsed)
	snap.Nodes = PlaceUnpositioned(withoutFramedGroups(snap.Nodes, groups, collapsed))
	d := drawing{
		snap: snap, nodes: make(map[string]graph.Node, len(snap.Nodes)),
		groups: groups, collapsed: collapsed, selected: sel,
		labels: labels, highlights: hl, vp: vp,
	}
	for _, n := range snap.Nodes {
		d.nodes[n.ID] = n
	}
	d.near = neighbourhood(snap, sel)
	return d
}

// withoutFramedGroups drops the group nodes drawn as an expanded frame.
func withoutFramedGroups(nodes []graph.Node, groups []GroupBox, collapsed map[string]bool) []graph.Node {
	framed := map[string]bool{}
	for _, g := range groups {
		if !collapsed[g.ID] {
			framed[g.ID] = true
		}
	}
	if len(framed) == 0 {
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

// state returns the selection, dimming and highlight classes of id.
func (d drawing) state(id string) (selected, dim string) {
	if d.selected.ID == id {
		selected = "selected"
	}
	if d.near != nil && !d.near[id] {
		dim = "dim"
	}
	return selected, dim
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

// groupLayer draws the frames of the expanded groups.
func (d drawing) groupLayer() app.UI {
	var out []app.UI
	for _, g := range d.groups {
		if d.collapsed[g.ID] {
			continue
		}
		out = append(out, svgElem("g").
			Class("group", HealthStyleOf(g.Health).Class).
			DataSet("group-id", g.ID).
			Body(
				svgElem("title").Text("group "+g.Label+": click the header to collapse"),
				svgElem("rect").Class("group-box").
					Attr("x", fmtNum(g.Box.X)).Attr("y", fmtNum(g.Box.Y)).
					Attr("width", fmtNum(g.Box.W)).Attr("height", fmtNum(g.Box.H)).
					Attr("rx", "6"),
				svgElem("text").Class("group-label").
					Attr("x", fmtNum(g.Box.X+8)).Attr("y", fmtNum(g.Box.Y+15)).
					Text("▾ "+g.Label),
			))
	}
	return svgElem("g").Class("layer-groups").Body(out...)
}

// edgeLayer draws the edges, each with a wide transparent hit path.
func (d drawing) edgeLayer() app.UI {
	out := make([]app.UI, 0, len(d.snap.Edges))
	for _, e := range d.snap.Edges {
		from, to := d.nodes[e.From], d.nodes[e.To]
		path, _ := EdgePath(e, from, to)
		if path == "" {
			continue
		}
		st := HealthStyleOf(e.Health)
		w := EdgeWidth(e.Rate) + st.ExtraWidth
		sel, dim := d.state(e.ID)
		line := svgElem("path").Class("edge-line").
			Attr("d", path).
			Attr("stroke-width", fmtNum(w)).
			Attr("marker-end", "url(#arrow-"+st.Class+")")
		if st.Dash != "" {
			line = line.Attr("stroke-dasharray", st.Dash)
		}
		out = append(out, svgElem("g").
			Class(classes("edge", "edge-"+string(e.Kind), st.Class, d.highlights.Edges[e.ID], sel, dim)).
			DataSet("edge-id", e.ID).
			Body(
				svgElem("title").Text(edgeTitle(e, from, to)),
				svgElem("path").Class("edge-hit").Attr("d", path).Attr("stroke-width", fmtNum(w+10)),
				line,
			))
	}
	return svgElem("g").Class("layer-edges").Body(out...)
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
func (d drawing) nodeLayer() app.UI {
	out := make([]app.UI, 0, len(d.snap.Nodes))
	showName := d.vp.K >= NodeLabelZoom
	showFigures := d.vp.ShowLabels()
	for _, n := range d.snap.Nodes {
		if n.Pos == nil {
			continue
		}
		out = append(out, d.node(n, showName, showFigures))
	}
	return svgElem("g").Class("layer-nodes").Body(out...)
}

func (d drawing) node(n graph.Node, showName, showFigures bool) app.UI {
	w, h := nodeSize(n)
	outline, detail := NodeShape(n.Kind, w, h)
	st := HealthStyleOf(n.Health)
	sel, dim := d.state(n.ID)
	kind := n.Kind
	if kind == "" {
		kind = graph.NodeService
	}
	virtual := ""
	if kind.IsVirtual() {
		virtual = "virtual"
	}
	label := nodeLabel(n)
	g := svgElem("g").
		Class(classes("node", "kind-"+string(kind), st.Class, virtual, d.highlights.Nodes[n.ID], sel, dim)).
		DataSet("node-id", n.ID).
		Attr("transform", "translate("+fmtNum(n.Pos.X)+","+fmtNum(n.Pos.Y)+")")
	collapsible := kind == graph.NodeGroup && d.collapsed[n.ID]
	if collapsible {
		g = g.DataSet("group-id", n.ID)
		label = "▸ " + label
	}
	body := []app.UI{
		svgElem("title").Text(nodeTitle(n, collapsible)),
		svgElem("path").Class("node-shape").Attr("d", outline),
	}
	if detail != "" {
		body = append(body, svgElem("path").Class("node-detail").Attr("d", detail))
	}
	nameY, figures := 4.0, ""
	if showFigures && (n.Stats.Calls > 0 || n.Stats.Rate > 0) {
		nameY, figures = -2, FormatRate(n.Stats.Rate)+" · "+FormatPercent(n.Stats.ErrorRate)
	}
	if showName {
		body = append(body, svgElem("text").Class("node-label").
			Attr("y", fmtNum(nameY)).Attr("text-anchor", "middle").
			Text(truncate(label, int((w-16)/charWidth))))
	}
	if figures != "" {
		body = append(body, svgElem("text").Class("node-figures").
			Attr("y", "13").Attr("text-anchor", "middle").Text(figures))
	}
	if st.Symbol != "" {
		body = append(body, svgElem("g").Class("node-badge").
			Attr("transform", "translate("+fmtNum(w/2-2)+","+fmtNum(-h/2+2)+")").
			Body(
				svgElem("circle").Attr("r", "8"),
				svgElem("text").Attr("text-anchor", "middle").Attr("y", "4").Text(st.Symbol),
			))
	}
	return g.Body(body...)
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
func (d drawing) labelLayer() app.UI {
	g := svgElem("g").Class("layer-labels")
	if !d.vp.ShowLabels() || d.labels == LabelNone {
		return g
	}
	out := make([]app.UI, 0, len(d.snap.Edges))
	for _, e := range d.snap.Edges {
		text := EdgeLabel(e, d.labels)
		if text == "" {
			continue
		}
		path, at := EdgePath(e, d.nodes[e.From], d.nodes[e.To])
		if path == "" {
			continue
		}
		_, dim := d.state(e.ID)
		out = append(out, svgElem("text").
			Class(classes("edge-label", HealthStyleOf(e.Health).Class, dim)).
			Attr("data-label-for", e.ID).
			Attr("x", fmtNum(at.X)).Attr("y", fmtNum(at.Y-4)).
			Attr("text-anchor", "middle").
			Text(text))
	}
	return g.Body(out...)
}

// truncate shortens s to at most n runes, ending with "…" when cut.
func truncate(s string, n int) string {
	r := []rune(s)
	if n < 2 || len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
