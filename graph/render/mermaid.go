package render

import (
	"bufio"
	"fmt"
	"hash/fnv"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/spanmap/spanmap/graph"
	"github.com/spanmap/spanmap/graph/layout"
)

// Mermaid writes s as a Mermaid flowchart that GitHub and GitLab render:
//
//   - node IDs are "n_" plus an ASCII slug of the graph ID, with "_2", "_3"
//     suffixes on collisions (in ID order), so they are valid, unique, never
//     a keyword, and stable while the nodes stay the same;
//   - labels are quoted strings with quotes, '#', '<', '>', '&', '|' and
//     backticks written as Mermaid entity codes (#quot; and friends);
//   - shapes follow the node kind: rounded box for services, [( )] for
//     databases, [/ /] for messaging, {{ }} for external, (( )) for users;
//   - edge labels read "12.0/s · 1.2% err · p99 40ms"; messaging edges are
//     dotted;
//   - classDef per health colours the nodes and linkStyle the edges, with
//     dashes and widths as the palette says.
func Mermaid(w io.Writer, s graph.Snapshot, opt Options) error {
	if err := check(&s); err != nil {
		return err
	}
	ids := mermaidIDs(&s)
	bw := bufio.NewWriter(w)
	if c := opt.caption(&s); c != "" {
		fmt.Fprintf(bw, "---\ntitle: %s\n---\n", mermaidTitle(c))
	}
	dir := "LR"
	if opt.engine() == layout.DotTB {
		dir = "TB"
	}
	fmt.Fprintf(bw, "flowchart %s\n", dir)

	members, groups := groupsOf(&s)
	written := make([]bool, len(s.Nodes))
	for gi, g := range groups {
		fmt.Fprintf(bw, "  subgraph g%d[\"%s\"]\n", gi, mermaidText(groupName(&s, g)))
		for _, i := range members[g] {
			writeMermaidNode(bw, "    ", ids[i], &s.Nodes[i])
			written[i] = true
		}
		bw.WriteString("  end\n")
	}
	for i := range s.Nodes {
		if !written[i] {
			writeMermaidNode(bw, "  ", ids[i], &s.Nodes[i])
		}
	}
	index := make(map[string]int, len(s.Nodes))
	for i := range s.Nodes {
		index[s.Nodes[i].ID] = i
	}
	for i := range s.Edges {
		e := &s.Edges[i]
		arrow := "-->"
		if e.Kind == graph.EdgeMessaging {
			arrow = "-.->"
		}
		fmt.Fprintf(bw, "  %s %s|\"%s\"| %s\n", ids[index[e.From]], arrow, mermaidText(StatsLabel(e.Stats)), ids[index[e.To]])
	}
	writeMermaidStyles(bw, &s, ids, opt)
	return bw.Flush()
}

func writeMermaidNode(w *bufio.Writer, indent, id string, n *graph.Node) {
	label := mermaidText(layout.Label(*n))
	if hasTraffic(n.Stats) {
		label += "<br/>" + mermaidText(nodeFigures(n.Stats))
	}
	open, closing := mermaidShape(n.Kind)
	fmt.Fprintf(w, "%s%s%s\"%s\"%s\n", indent, id, open, label, closing)
}

// mermaidShape returns the brackets that draw kind k.
func mermaidShape(k graph.NodeKind) (open, closing string) {
	switch k {
	case graph.NodeDatabase:
		return "[(", ")]"
	case graph.NodeMessaging:
		return "[/", "/]"
	case graph.NodeExternal:
		return "{{", "}}"
	case graph.NodeUser:
		return "((", "))"
	case graph.NodeGroup:
		return "[[", "]]"
	}
	return "(", ")"
}

func writeMermaidStyles(w *bufio.Writer, s *graph.Snapshot, ids []string, opt Options) {
	pal := opt.palette()
	byHealth := map[graph.Health][]string{}
	var stale []string
	for i := range s.Nodes {
		h := s.Nodes[i].Health
		byHealth[h] = append(byHealth[h], ids[i])
		if opt.staleBy(s.Nodes[i].Sources) {
			stale = append(stale, ids[i])
		}
	}
	type linkKey struct {
		h     graph.Health
		stale bool
	}
	links := map[linkKey][]string{}
	for i := range s.Edges {
		k := linkKey{s.Edges[i].Health, opt.staleBy(s.Edges[i].Sources)}
		links[k] = append(links[k], strconv.Itoa(i))
	}
	for _, h := range states() {
		st := pal.For(h)
		if len(byHealth[h]) > 0 {
			fmt.Fprintf(w, "  classDef %s %s\n", className(h), mermaidCSS(st, st.StrokeWidth, true))
			fmt.Fprintf(w, "  class %s %s\n", strings.Join(byHealth[h], ","), className(h))
		}
	}
	if len(stale) > 0 {
		fmt.Fprintf(w, "  classDef stale opacity:0.4\n")
		fmt.Fprintf(w, "  class %s stale\n", strings.Join(stale, ","))
	}
	for _, h := range states() {
		for _, faded := range []bool{false, true} {
			ls := links[linkKey{h, faded}]
			if len(ls) == 0 {
				continue
			}
			st := pal.For(h)
			if faded {
				st.Stroke = fade(st.Stroke)
			}
			fmt.Fprintf(w, "  linkStyle %s %s\n", strings.Join(ls, ","), mermaidCSS(st, EdgeWidth(1, st), false))
		}
	}
}

// mermaidCSS is a classDef or linkStyle body. Mermaid splits it on commas,
// so dash arrays use spaces.
func mermaidCSS(st Style, width float64, fill bool) string {
	parts := []string{"stroke:" + st.Stroke, "stroke-width:" + num(width) + "px"}
	if fill {
		parts = append(parts, "fill:"+st.Fill, "color:"+st.Text)
	}
	if st.Dash != "" {
		parts = append(parts, "stroke-dasharray:"+strings.ReplaceAll(st.Dash, ",", " "))
	}
	return strings.Join(parts, ",")
}

// mermaidIDs returns the Mermaid ID of every node, by index.
func mermaidIDs(s *graph.Snapshot) []string {
	order := make([]int, len(s.Nodes))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return s.Nodes[order[a]].ID < s.Nodes[order[b]].ID })
	used := map[string]bool{}
	ids := make([]string, len(s.Nodes))
	for _, i := range order {
		base := "n_" + slug(s.Nodes[i].ID)
		id := base
		for k := 2; used[id]; k++ {
			id = base + "_" + strconv.Itoa(k)
		}
		used[id] = true
		ids[i] = id
	}
	return ids
}

// slug keeps the ASCII letters and digits of id, joining runs of anything
// else with one '_'. An ID without any gets a hash instead.
func slug(id string) string {
	var b strings.Builder
	gap := false
	for i := 0; i < len(id); i++ {
		c := id[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' {
			if gap && b.Len() > 0 {
				b.WriteByte('_')
			}
			b.WriteByte(c)
			gap = false
			continue
		}
		gap = true
	}
	if b.Len() == 0 {
		h := fnv.New32a()
		h.Write([]byte(id))
		return fmt.Sprintf("x%08x", h.Sum32())
	}
	return b.String()
}

// mermaidText escapes s for use inside a double-quoted Mermaid string.
// Mermaid reads "#name;" and "#123;" as entity codes, and renders labels as
// HTML, so quotes, '#', '<', '>', '&', '|' and backticks become codes; line
// breaks become <br/>; other control characters become spaces.
func mermaidText(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '"':
			b.WriteString("#quot;")
		case r == '#':
			b.WriteString("#35;")
		case r == '<':
			b.WriteString("#lt;")
		case r == '>':
			b.WriteString("#gt;")
		case r == '&':
			b.WriteString("#amp;")
		case r == '|':
			b.WriteString("#124;")
		case r == '`':
			b.WriteString("#96;")
		case r == '\n':
			b.WriteString("<br/>")
		case r < 0x20 || r == 0x7f:
			b.WriteByte(' ')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// mermaidTitle makes the front-matter title a safe single-quoted YAML
// scalar on one line.
func mermaidTitle(s string) string {
	s = strings.ReplaceAll(s, "\n", " · ")
	var b strings.Builder
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			r = ' '
		}
		b.WriteRune(r)
	}
	return "'" + strings.ReplaceAll(b.String(), "'", "''") + "'"
}
