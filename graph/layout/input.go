package layout

import (
	"bytes"
	"fmt"
	"hash/fnv"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/spanmap/spanmap/graph"
)

// seed makes every random start of neato and fdp repeatable.
const seed = 1

// input is the graphviz source for one layout plus the way back from
// graphviz names to snapshot indexes. Nodes are named n0..nN in ID order and
// edges carry id=e0..eM in ID order, so nothing the user controls ever
// reaches the graphviz parser except quoted cluster labels.
type input struct {
	dot   []byte
	nodes []int // graphviz node k is s.Nodes[nodes[k]]
	edges []int // graphviz edge k is s.Edges[edges[k]]
}

// buildInput writes the graphviz source for s. It reads only topology
// fields, plus opt.Previous for engines that take initial positions.
func buildInput(s *graph.Snapshot, opt Options) (*input, error) {
	in := &input{nodes: sortedNodes(s), edges: sortedEdges(s)}
	name := make(map[string]int, len(s.Nodes))
	for k, i := range in.nodes {
		id := s.Nodes[i].ID
		if _, dup := name[id]; dup {
			return nil, fmt.Errorf("%w: %q", ErrDuplicateNode, id)
		}
		name[id] = k
	}
	for _, i := range in.edges {
		e := &s.Edges[i]
		for _, end := range []string{e.From, e.To} {
			if _, ok := name[end]; !ok {
				return nil, fmt.Errorf("edge %q: %w: %q", e.ID, ErrUnknownNode, end)
			}
		}
	}
	eng := opt.engine()
	var seeds map[int]seedPos
	if eng.usesPositions() && len(opt.Previous) > 0 {
		seeds = seedPositions(s, in, name, opt)
	}

	var b bytes.Buffer
	b.WriteString("digraph L {\n")
	writeGraphAttrs(&b, eng, len(s.Nodes))
	b.WriteString("node [label=\"\", fixedsize=true, shape=box];\n")
	if eng == Neato {
		fmt.Fprintf(&b, "edge [dir=none, len=%s];\n", num(neatoEdgeLength(len(s.Nodes))))
	} else {
		b.WriteString("edge [dir=none];\n")
	}
	members, groups := groupMembers(s, in)
	for gi, g := range groups {
		fmt.Fprintf(&b, "subgraph cluster_%d {\nlabel=%s;\n", gi, quote(groupLabel(s, name, g)))
		for _, k := range members[g] {
			writeNode(&b, s, in, k, seeds)
		}
		b.WriteString("}\n")
	}
	for k, i := range in.nodes {
		if g := s.Nodes[i].Group; g == "" || len(members[g]) == 0 {
			writeNode(&b, s, in, k, seeds)
		}
	}
	writeEdges(&b, s, in, name)
	b.WriteString("}\n")
	in.dot = b.Bytes()
	return in, nil
}

// largeDot is the node count above which dot trades some crossing
// minimisation for speed: at 1,000 nodes this cuts the time about eightfold.
const largeDot = 300

// neatoEdgeLength is the ideal edge length, in inches, for neato: long
// enough that the stress layout rarely overlaps nodes, so that overlap
// removal (which moves nodes unpredictably) has little to do, and shorter
// for small maps so that they stay compact.
func neatoEdgeLength(nodes int) float64 {
	return math.Min(5, 2+0.25*math.Sqrt(float64(nodes)))
}

func writeGraphAttrs(b *bytes.Buffer, eng Engine, nodes int) {
	b.WriteString("graph [fontsize=12, fontname=\"Helvetica\"")
	switch eng {
	case DotLR:
		b.WriteString(", rankdir=LR, nodesep=0.3, ranksep=1.5")
	case DotTB:
		b.WriteString(", rankdir=TB, nodesep=0.35, ranksep=0.8")
	case Neato:
		fmt.Fprintf(b, ", overlap=voronoi, sep=\"+10\", start=%d, inputscale=72", seed)
	case FDP:
		fmt.Fprintf(b, ", overlap=voronoi, K=3, sep=\"+10\", start=%d, inputscale=72", seed)
	}
	if eng.isDot() && nodes > largeDot {
		b.WriteString(", mclimit=0.1, nslimit=2, nslimit1=2, searchsize=10")
	}
	b.WriteString("];\n")
}

func writeNode(b *bytes.Buffer, s *graph.Snapshot, in *input, k int, seeds map[int]seedPos) {
	n := s.Nodes[in.nodes[k]]
	w, h := NodeSize(n)
	fmt.Fprintf(b, "n%d [shape=%s, width=%s, height=%s", k, Shape(n.Kind), inches(w), inches(h))
	if p, ok := seeds[k]; ok {
		pin := ""
		if p.pin {
			pin = "!"
		}
		fmt.Fprintf(b, ", pos=\"%s,%s%s\"", num(p.x), num(p.y), pin)
	}
	b.WriteString("];\n")
}

// writeEdges writes the edges of in, graphviz edge k with id "ek", between
// the nodes numbered by name.
func writeEdges(b *bytes.Buffer, s *graph.Snapshot, in *input, name map[string]int) {
	for k, i := range in.edges {
		e := &s.Edges[i]
		fmt.Fprintf(b, "n%d -> n%d [id=e%d];\n", name[e.From], name[e.To], k)
	}
}

type seedPos struct {
	x, y float64 // graphviz coordinates (y up), points
	pin  bool
}

// seedPositions gives every node found in opt.Previous its old position and
// every new node the centre of its previously placed neighbours, nudged by a
// hash of its ID so that siblings do not start on top of each other.
func seedPositions(s *graph.Snapshot, in *input, name map[string]int, opt Options) map[int]seedPos {
	seeds := make(map[int]seedPos, len(opt.Previous))
	for k, i := range in.nodes {
		if p, ok := opt.Previous[s.Nodes[i].ID]; ok {
			seeds[k] = seedPos{x: p.X, y: -p.Y, pin: opt.Pin}
		}
	}
	if len(seeds) == 0 {
		return nil
	}
	type acc struct {
		x, y float64
		n    int
	}
	sums := map[int]*acc{}
	add := func(to, from int) {
		if _, known := seeds[to]; known {
			return
		}
		p, ok := seeds[from]
		if !ok {
			return
		}
		a := sums[to]
		if a == nil {
			a = &acc{}
			sums[to] = a
		}
		a.x, a.y, a.n = a.x+p.x, a.y+p.y, a.n+1
	}
	for _, i := range in.edges {
		e := &s.Edges[i]
		add(name[e.From], name[e.To])
		add(name[e.To], name[e.From])
	}
	for k, a := range sums {
		angle := float64(hashID(s.Nodes[in.nodes[k]].ID)%360) * math.Pi / 180
		seeds[k] = seedPos{x: a.x/float64(a.n) + 60*math.Cos(angle), y: a.y/float64(a.n) + 60*math.Sin(angle)}
	}
	return seeds
}

// groupMembers returns, per group ID, the graphviz indexes of its member
// nodes, and the group IDs in sorted order.
func groupMembers(s *graph.Snapshot, in *input) (map[string][]int, []string) {
	members := map[string][]int{}
	for k, i := range in.nodes {
		if g := s.Nodes[i].Group; g != "" && g != s.Nodes[i].ID {
			members[g] = append(members[g], k)
		}
	}
	groups := make([]string, 0, len(members))
	for g := range members {
		groups = append(groups, g)
	}
	sort.Strings(groups)
	return members, groups
}

// groupLabel is the name of the group node with ID g, or g itself.
func groupLabel(s *graph.Snapshot, name map[string]int, g string) string {
	if _, ok := name[g]; ok {
		for i := range s.Nodes {
			if s.Nodes[i].ID == g {
				return Label(s.Nodes[i])
			}
		}
	}
	return g
}

func sortedNodes(s *graph.Snapshot) []int {
	idx := make([]int, len(s.Nodes))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return s.Nodes[idx[a]].ID < s.Nodes[idx[b]].ID })
	return idx
}

func sortedEdges(s *graph.Snapshot) []int {
	idx := make([]int, len(s.Edges))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return s.Edges[idx[a]].ID < s.Edges[idx[b]].ID })
	return idx
}

func hashID(id string) uint32 {
	h := fnv.New32a()
	h.Write([]byte(id))
	return h.Sum32()
}

// num formats a coordinate for graphviz: at most two decimals, no exponent.
func num(v float64) string {
	return strconv.FormatFloat(math.Round(v*100)/100, 'f', -1, 64)
}

// inches converts points to graphviz inches with enough digits that the
// size survives the round trip to a hundredth of a point.
func inches(pt float64) string {
	return strconv.FormatFloat(pt/72, 'f', 5, 64)
}

// quote returns s as a graphviz double-quoted string whose escString
// meaning is s itself: backslashes are doubled, quotes escaped, and line
// breaks become \n.
func quote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '\\':
			b.WriteString(`\\`)
		case '"':
			b.WriteString(`\"`)
		case '\n':
			b.WriteString(`\n`)
		default:
			if r < 0x20 || r == 0x7f {
				r = ' '
			}
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}
