package render

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/spanmap/spanmap/graph"
	"github.com/spanmap/spanmap/graph/layout"
)

// fontName is the font list every output asks for; browsers take the first
// one they have.
const fontName = "Helvetica,Arial,sans-serif"

// Group boxes drawn around laid-out members, in points.
const (
	groupPad   = 12.0
	groupLabel = 18.0
)

// DOT writes s as graphviz DOT source: quoted IDs, labels with the name and
// figures, shapes by kind, colours and line styles by health, edge widths by
// rate, and group boxes as clusters. When every node has a position (and
// opt.NoPositions is false) the positions are included, in points with
// graphviz's bottom-left origin, so that "neato -n2" draws the same picture.
func DOT(w io.Writer, s graph.Snapshot, opt Options) error {
	src, err := dotSource(&s, opt, false)
	if err != nil {
		return err
	}
	_, err = w.Write(src)
	return err
}

// dotWriter builds DOT source for one snapshot.
type dotWriter struct {
	b       bytes.Buffer
	s       *graph.Snapshot
	opt     Options
	pal     Palette
	drawing bool // source for graphviz to draw (SVG, PNG), not for users
	placed  bool // write positions
}

// dotSource returns DOT for s. drawing selects the variant fed to graphviz
// for SVG and PNG: positions always, a legend, no tooltips (the SVG gets
// <title> hover text instead).
func dotSource(s *graph.Snapshot, opt Options, drawing bool) ([]byte, error) {
	if err := check(s); err != nil {
		return nil, err
	}
	d := &dotWriter{s: s, opt: opt, pal: opt.palette(), drawing: drawing}
	d.placed = laidOut(s) && (drawing || !opt.NoPositions)
	if d.placed {
		d.b.WriteString("// Positions are in points; \"neato -n2\" keeps them.\n")
	}
	d.b.WriteString("digraph \"spanmap\" {\n")
	d.graphAttrs()
	members, groups := groupsOf(s)
	for _, g := range groups {
		d.cluster(g, members[g])
	}
	for i := range s.Nodes {
		if g := s.Nodes[i].Group; g == "" || len(members[g]) == 0 {
			d.node(&s.Nodes[i], "\t")
		}
	}
	for i := range s.Edges {
		d.edge(&s.Edges[i])
	}
	if drawing && !opt.NoLegend {
		d.legend()
	}
	d.b.WriteString("}\n")
	return d.b.Bytes(), nil
}

func (d *dotWriter) graphAttrs() {
	attrs := []string{
		"rankdir=" + rankDir(d.opt.engine()),
		`bgcolor="white"`, "pad=0.2",
		"fontname=" + quote(fontName), "fontsize=14",
	}
	if c := d.opt.caption(d.s); c != "" {
		attrs = append(attrs, "label="+quoteLeft(c), "labelloc=t", "labeljust=l")
	}
	if d.placed {
		attrs = append(attrs, "bb="+quote(fmt.Sprintf("0,0,%s,%s", num(d.s.Width), num(d.s.Height))))
	}
	fmt.Fprintf(&d.b, "\tgraph [%s];\n", strings.Join(attrs, ", "))
	fmt.Fprintf(&d.b, "\tnode [fontname=%s, fontsize=11, margin=\"0.12,0.04\"];\n", quote(fontName))
	fmt.Fprintf(&d.b, "\tedge [fontname=%s, fontsize=9, arrowsize=0.8];\n", quote(fontName))
}

func rankDir(e layout.Engine) string {
	if e == layout.DotTB {
		return "TB"
	}
	return "LR"
}

func (d *dotWriter) cluster(group string, members []int) {
	attrs := []string{
		"label=" + quote(groupName(d.s, group)),
		`style="rounded,dashed"`, `color="#7F7F7F"`, `fontcolor="#4D4D4D"`, "fontsize=12",
		"id=" + quote("group-"+EscapeID(group)),
	}
	if d.placed {
		attrs = append(attrs, "bb="+quote(d.groupBox(members)))
	}
	fmt.Fprintf(&d.b, "\tsubgraph %s {\n\t\tgraph [%s];\n", quote("cluster_"+group), strings.Join(attrs, ", "))
	for _, i := range members {
		d.node(&d.s.Nodes[i], "\t\t")
	}
	d.b.WriteString("\t}\n")
}

// groupBox is the graphviz bb of a group drawn around its laid-out members.
func (d *dotWriter) groupBox(members []int) string {
	minX, minY := math.Inf(1), math.Inf(1)
	maxX, maxY := math.Inf(-1), math.Inf(-1)
	for _, i := range members {
		n := &d.s.Nodes[i]
		minX = math.Min(minX, n.Pos.X-n.Width/2)
		maxX = math.Max(maxX, n.Pos.X+n.Width/2)
		minY = math.Min(minY, n.Pos.Y-n.Height/2)
		maxY = math.Max(maxY, n.Pos.Y+n.Height/2)
	}
	h := d.s.Height
	return fmt.Sprintf("%s,%s,%s,%s", num(minX-groupPad), num(h-maxY-groupPad), num(maxX+groupPad), num(h-minY+groupPad+groupLabel))
}

func (d *dotWriter) node(n *graph.Node, indent string) {
	st, stale := d.style(n.Health, n.Sources)
	style := []string{"filled"}
	if n.Kind == graph.NodeService || n.Kind == "" {
		style = append(style, "rounded")
	}
	if st.Graphviz != "" && st.Graphviz != "solid" {
		style = append(style, st.Graphviz)
	}
	label := layout.Label(*n)
	if hasTraffic(n.Stats) {
		label += "\n" + nodeFigures(n.Stats)
	}
	attrs := []string{
		"id=" + quote(NodeElementID(n.ID)),
		"label=" + quote(label),
		"shape=" + layout.Shape(n.Kind),
		"style=" + quote(strings.Join(style, ",")),
		"color=" + quote(st.Stroke), "fillcolor=" + quote(st.Fill), "fontcolor=" + quote(st.Text),
		"penwidth=" + num(st.StrokeWidth),
		"class=" + quote("health-"+className(n.Health)+" kind-"+kindClass(string(n.Kind), "service")+stale),
	}
	if !d.drawing {
		attrs = append(attrs, "tooltip="+quote(nodeTooltip(*n)))
	}
	if d.placed {
		attrs = append(attrs,
			"pos="+quote(num(n.Pos.X)+","+num(d.s.Height-n.Pos.Y)+"!"),
			"width="+num(n.Width/72), "height="+num(n.Height/72), "fixedsize=true")
	}
	fmt.Fprintf(&d.b, "%s%s [%s];\n", indent, quote(n.ID), strings.Join(attrs, ", "))
}

// style is the drawing style of an element of health h seen by srcs, its
// colours faded when it is stale, and the class suffix that says so.
func (d *dotWriter) style(h graph.Health, srcs []string) (Style, string) {
	st := d.pal.For(h)
	if !d.opt.staleBy(srcs) {
		return st, ""
	}
	st.Stroke, st.Fill, st.Text = fade(st.Stroke), fade(st.Fill), fade(st.Text)
	return st, " stale"
}

// kindClass is a CSS-safe class suffix for a node or edge kind.
func kindClass(kind, def string) string {
	if kind == "" {
		return def
	}
	return EscapeID(kind)
}

// nodeFigures is the short second line of a node label.
func nodeFigures(s graph.Stats) string {
	out := FormatRate(s.Rate)
	if s.Errors > 0 || s.ErrorRate > 0 {
		out += " · " + FormatErrorRate(s.ErrorRate)
	}
	return out
}

func (d *dotWriter) edge(e *graph.Edge) {
	st, stale := d.style(e.Health, e.Sources)
	attrs := []string{
		"id=" + quote(EdgeElementID(e.ID)),
		"label=" + quote(d.edgeLabel(e)),
		"color=" + quote(st.Stroke), "fontcolor=" + quote(st.Text),
		"penwidth=" + num(EdgeWidth(e.Rate, st)),
		"class=" + quote("health-"+className(e.Health)+" kind-"+kindClass(string(e.Kind), "rpc")+stale),
	}
	if st.Graphviz != "" && st.Graphviz != "solid" {
		attrs = append(attrs, "style="+st.Graphviz)
	}
	if e.Kind == graph.EdgeMessaging {
		attrs = append(attrs, "arrowhead=vee")
	}
	if !d.drawing {
		attrs = append(attrs, "tooltip="+quote(edgeTooltip(*e)))
	}
	if d.placed && len(e.Path) >= 4 && len(e.Path)%3 == 1 {
		attrs = append(attrs, "pos="+quote(d.edgePos(e.Path)))
		if lp, ok := labelPoint(e.Path); ok {
			attrs = append(attrs, "lp="+quote(num(lp.X)+","+num(d.s.Height-lp.Y)))
		}
	}
	fmt.Fprintf(&d.b, "\t%s -> %s [%s];\n", quote(e.From), quote(e.To), strings.Join(attrs, ", "))
}

// edgeLabel is StatsLabel for DOT output; drawings break it after the
// error rate so that it fits between ranks.
func (d *dotWriter) edgeLabel(e *graph.Edge) string {
	l := StatsLabel(e.Stats)
	if d.drawing {
		if i := strings.Index(l, " · p99 "); i >= 0 {
			l = l[:i] + "\n" + l[i+len(" · "):]
		}
	}
	return l
}

// EdgeWidth is the line width, in points, of an edge carrying rate calls per
// second drawn in style st: 1 point plus 1.5 per decade of rate, at most 7,
// plus st.StrokeWidth-1 so that failing edges stay bold even when quiet.
func EdgeWidth(rate float64, st Style) float64 {
	w := 1 + 1.5*math.Log10(1+math.Max(rate, 0))
	return math.Min(w, 7) + math.Max(st.StrokeWidth-1, 0)
}

// arrowLength is how far before the callee's outline the line of an edge
// stops so that graphviz draws the arrowhead up to the outline.
const arrowLength = 8.0

// edgePos converts a laid-out path (which ends on the callee's outline) into
// a graphviz pos: the line is cut arrowLength short and the outline point
// becomes the arrowhead's tip ("e,x,y").
func (d *dotWriter) edgePos(path []graph.Point) string {
	tip := path[len(path)-1]
	line := trimEnd(path, arrowLength)
	var b strings.Builder
	fmt.Fprintf(&b, "e,%s,%s", num(tip.X), num(d.s.Height-tip.Y))
	for _, p := range line {
		fmt.Fprintf(&b, " %s,%s", num(p.X), num(d.s.Height-p.Y))
	}
	return b.String()
}

// trimEnd returns path with its last Bezier segment cut where it comes
// within length of the end point. Paths shorter than that are cut in half.
func trimEnd(path []graph.Point, length float64) []graph.Point {
	n := len(path)
	p0, p1, p2, p3 := path[n-4], path[n-3], path[n-2], path[n-1]
	dist := func(t float64) float64 {
		q := bezier(p0, p1, p2, p3, t)
		return math.Hypot(q.X-p3.X, q.Y-p3.Y)
	}
	t := 0.5
	if dist(0) > length {
		lo, hi := 0.0, 1.0
		for range 40 {
			t = (lo + hi) / 2
			if dist(t) > length {
				lo = t
			} else {
				hi = t
			}
		}
		t = lo
	}
	a, b, c, e := splitBezier(p0, p1, p2, p3, t)
	out := append([]graph.Point(nil), path[:n-4]...)
	return append(out, a, b, c, e)
}

// bezier evaluates a cubic Bezier at t.
func bezier(p0, p1, p2, p3 graph.Point, t float64) graph.Point {
	u := 1 - t
	return graph.Point{
		X: u*u*u*p0.X + 3*u*u*t*p1.X + 3*u*t*t*p2.X + t*t*t*p3.X,
		Y: u*u*u*p0.Y + 3*u*u*t*p1.Y + 3*u*t*t*p2.Y + t*t*t*p3.Y,
	}
}

// splitBezier returns the control points of the part [0, t] of a cubic
// Bezier (de Casteljau).
func splitBezier(p0, p1, p2, p3 graph.Point, t float64) (a, b, c, d graph.Point) {
	lerp := func(p, q graph.Point) graph.Point { return graph.Point{X: p.X + (q.X-p.X)*t, Y: p.Y + (q.Y-p.Y)*t} }
	q0, q1, q2 := lerp(p0, p1), lerp(p1, p2), lerp(p2, p3)
	r0, r1 := lerp(q0, q1), lerp(q1, q2)
	return p0, q0, r0, lerp(r0, r1)
}

// labelPoint is where an edge label goes: the middle of the path's middle
// segment.
func labelPoint(path []graph.Point) (graph.Point, bool) {
	segs := (len(path) - 1) / 3
	if segs == 0 {
		return graph.Point{}, false
	}
	k := segs / 2 * 3
	return bezier(path[k], path[k+1], path[k+2], path[k+3], 0.5), true
}

// legend writes a row of sample nodes under the drawing, one per health
// state drawn in that state's style, and a note on edge widths.
func (d *dotWriter) legend() {
	const fontSize, gap, height = 10.0, 8.0, 22.0
	type item struct {
		id, label, attrs string
		width            float64
	}
	var items []item
	for _, h := range states() {
		st := d.pal.For(h)
		style := "filled"
		if st.Graphviz != "" && st.Graphviz != "solid" {
			style += "," + st.Graphviz
		}
		items = append(items, item{
			id: "legend-" + className(h), label: st.Name,
			attrs: fmt.Sprintf("shape=box, style=%s, color=%s, fillcolor=%s, fontcolor=%s, penwidth=%s",
				quote(style), quote(st.Stroke), quote(st.Fill), quote(st.Text), num(st.StrokeWidth)),
			width: layout.TextWidth(st.Name, fontSize) + 20,
		})
	}
	note := "line width: calls/s"
	items = append(items, item{id: "legend-width", label: note, attrs: `shape=plaintext, fontcolor="#4D4D4D"`, width: layout.TextWidth(note, fontSize) + 8})
	total := -gap
	for _, it := range items {
		total += it.width + gap
	}
	x := math.Max(0, d.s.Width/2-total/2)
	y := -height/2 - 24
	taken := make(map[string]bool, len(d.s.Nodes))
	for i := range d.s.Nodes {
		taken[d.s.Nodes[i].ID] = true
	}
	for _, it := range items {
		// The legend's graphviz names must not clash with node IDs.
		name := "spanmap " + it.id
		for taken[name] {
			name += "'"
		}
		fmt.Fprintf(&d.b, "\t%s [id=%s, class=\"legend\", label=%s, %s, fontsize=%s, width=%s, height=%s, fixedsize=true, pos=\"%s,%s!\"];\n",
			quote(name), quote(it.id), quote(it.label), it.attrs, num(fontSize), num(it.width/72), num(height/72), num(x+it.width/2), num(y))
		x += it.width + gap
	}
}

// groupsOf returns, per group ID, the indexes of its member nodes, and the
// group IDs sorted.
func groupsOf(s *graph.Snapshot) (map[string][]int, []string) {
	members := map[string][]int{}
	for i := range s.Nodes {
		if g := s.Nodes[i].Group; g != "" && g != s.Nodes[i].ID {
			members[g] = append(members[g], i)
		}
	}
	groups := make([]string, 0, len(members))
	for g := range members {
		groups = append(groups, g)
	}
	sort.Strings(groups)
	return members, groups
}

// groupName is the label of group g: the name of the node with that ID, if
// any, else g.
func groupName(s *graph.Snapshot, g string) string {
	for i := range s.Nodes {
		if s.Nodes[i].ID == g {
			return layout.Label(s.Nodes[i])
		}
	}
	return g
}

// laidOut reports whether every node of s has a position.
func laidOut(s *graph.Snapshot) bool {
	if len(s.Nodes) == 0 || s.Width <= 0 || s.Height <= 0 {
		return false
	}
	for i := range s.Nodes {
		if s.Nodes[i].Pos == nil || s.Nodes[i].Width <= 0 || s.Nodes[i].Height <= 0 {
			return false
		}
	}
	return true
}

// check rejects snapshots that no output could draw faithfully.
func check(s *graph.Snapshot) error {
	seen := make(map[string]bool, len(s.Nodes))
	for i := range s.Nodes {
		id := s.Nodes[i].ID
		if seen[id] {
			return fmt.Errorf("render: %w: %q", layout.ErrDuplicateNode, id)
		}
		seen[id] = true
	}
	for i := range s.Edges {
		e := &s.Edges[i]
		for _, end := range []string{e.From, e.To} {
			if !seen[end] {
				return fmt.Errorf("render: edge %q: %w: %q", e.ID, layout.ErrUnknownNode, end)
			}
		}
	}
	return nil
}

// num formats a number for graphviz: at most two decimals, no exponent.
func num(v float64) string {
	return strconv.FormatFloat(math.Round(v*100)/100, 'f', -1, 64)
}

// quote returns s as a DOT double-quoted string that graphviz reads back as
// s: backslashes doubled (labels treat \N, \n, \l as escapes), quotes
// escaped, line breaks as \n, other control characters as spaces.
func quote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '\\':
			b.WriteString(`\\`)
		case r == '"':
			b.WriteString(`\"`)
		case r == '\n':
			b.WriteString(`\n`)
		case r < 0x20 || r == 0x7f:
			b.WriteByte(' ')
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// quoteLeft is quote for a multi-line label whose lines are all
// left-justified (graphviz ends such lines with \l).
func quoteLeft(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		q := quote(l)
		lines[i] = q[1 : len(q)-1]
	}
	return `"` + strings.Join(lines, `\l`) + `\l"`
}
