package graph

import (
	"slices"
	"strings"
)

// NamespaceGroupPrefix starts the IDs of namespace group nodes; node IDs
// starting with it are reserved for them.
const NamespaceGroupPrefix = "ns:"

// NamespaceGroupID returns the ID of the group node of namespace ns.
func NamespaceGroupID(ns string) string { return NamespaceGroupPrefix + ns }

// Filter returns the part of s that v shows. It is a pure function: s is
// not changed (the result shares slices and pointers with it), the output
// depends only on s and v, and its nodes and edges are sorted by ID. Edges
// whose endpoints are missing from the result are never kept. Window, From,
// To and Layout are not looked at; the result's View is v.Encode().
//
// The steps, in order:
//
//  1. With v.Group set, group nodes already in s are dropped (step 8 makes
//     them anew), so filtering twice gives what filtering once does.
//  2. Unless v.Operations, operation-level edges (Operation set) are dropped.
//  3. With v.HideVirtual, virtual nodes (NodeKind.IsVirtual) and their
//     edges are dropped; the focus node is kept even if virtual.
//  4. With v.MinRate > 0, edges whose Rate is below it are dropped.
//  5. With v.ErrorsOnly, edges without errors (Errors == 0) are dropped.
//  6. With v.MinRate > 0 or v.ErrorsOnly, nodes left as endpoint of no
//     edge are dropped, except the focus node and, with v.ErrorsOnly, nodes
//     with failed calls of their own (Stats.Errors > 0).
//  7. With v.Focus set, a breadth-first search from the focus node walks
//     the remaining edges up to v.Up hops upstream (against edge direction,
//     towards callers) and v.Down hops downstream (towards callees). The
//     result keeps the nodes reached and the edges walked: an edge into a
//     node found upstream at distance d < v.Up, or out of a node found
//     downstream at distance d < v.Down. So with Up = 1 two callers of the
//     focus are shown without an edge between them; with Up = 2 that edge
//     is walked too. A focus that names no remaining node gives an empty
//     graph.
//  8. With v.Group == GroupNamespace, every node left with a Namespace
//     gets Group = NamespaceGroupID(Namespace), and one node of kind
//     NodeGroup is added per namespace, with that ID, Name and Namespace
//     set to the namespace, and figures aggregated over the members left
//     after steps 1 to 7 (a focused View's group sums only what is drawn):
//     Calls, Errors and Rate summed, ErrorRate = Errors/Calls, each
//     Latency quantile the largest among members (an upper bound; the
//     per-side latencies stay unset), Health the worst among members,
//     Sources the sorted union. Nodes without a namespace get no group. A
//     group node whose ID another node already has is not added.
func Filter(s Snapshot, v View) Snapshot {
	f := newFilter(s, v)
	f.dropGroupNodes()
	f.dropOperationEdges()
	f.dropVirtual()
	f.dropQuietEdges()
	f.dropDangling()
	f.dropIsolated()
	f.focus()
	out := s
	out.View = v.Encode()
	out.Nodes = f.nodes()
	out.Edges = f.edges()
	if v.Group == GroupNamespace {
		out.Nodes = groupByNamespace(out.Nodes)
	}
	return out
}

// filter tracks which nodes and edges of a snapshot are still kept.
type filter struct {
	v         View
	ns        []Node
	es        []Edge
	keepNode  []bool
	keepEdge  []bool
	index     map[string]int // node ID -> position in ns
	focusNode int            // position of the focus node in ns, -1 if none
}

func newFilter(s Snapshot, v View) *filter {
	f := &filter{
		v:         v,
		ns:        sortedByID(s.Nodes, nodeID),
		es:        sortedByID(s.Edges, edgeID),
		index:     make(map[string]int, len(s.Nodes)),
		focusNode: -1,
	}
	f.keepNode = make([]bool, len(f.ns))
	f.keepEdge = make([]bool, len(f.es))
	for i := range f.ns {
		f.keepNode[i] = true
		f.index[f.ns[i].ID] = i
	}
	for i := range f.keepEdge {
		f.keepEdge[i] = true
	}
	if v.Focus != "" {
		if i, ok := f.index[v.Focus]; ok {
			f.focusNode = i
		}
	}
	return f
}

func (f *filter) dropGroupNodes() {
	if f.v.Group == GroupNone {
		return
	}
	for i := range f.ns {
		if f.ns[i].Kind == NodeGroup {
			f.keepNode[i] = false
		}
	}
}

func (f *filter) dropOperationEdges() {
	if f.v.Operations {
		return
	}
	for i := range f.es {
		if f.es[i].Operation != "" {
			f.keepEdge[i] = false
		}
	}
}

func (f *filter) dropVirtual() {
	if !f.v.HideVirtual {
		return
	}
	for i := range f.ns {
		if f.ns[i].Kind.IsVirtual() && i != f.focusNode {
			f.keepNode[i] = false
		}
	}
}

func (f *filter) dropQuietEdges() {
	for i := range f.es {
		e := &f.es[i]
		if (f.v.MinRate > 0 && e.Rate < f.v.MinRate) || (f.v.ErrorsOnly && e.Errors == 0) {
			f.keepEdge[i] = false
		}
	}
}

// dropDangling drops kept edges with an endpoint that is not a kept node.
func (f *filter) dropDangling() {
	for i := range f.es {
		if f.keepEdge[i] && !(f.kept(f.es[i].From) && f.kept(f.es[i].To)) {
			f.keepEdge[i] = false
		}
	}
}

func (f *filter) kept(id string) bool {
	i, ok := f.index[id]
	return ok && f.keepNode[i]
}

func (f *filter) dropIsolated() {
	if f.v.MinRate <= 0 && !f.v.ErrorsOnly {
		return
	}
	linked := make([]bool, len(f.ns))
	for i := range f.es {
		if f.keepEdge[i] {
			linked[f.index[f.es[i].From]] = true
			linked[f.index[f.es[i].To]] = true
		}
	}
	for i := range f.ns {
		own := f.v.ErrorsOnly && f.ns[i].Stats.Errors > 0
		if !linked[i] && !own && i != f.focusNode {
			f.keepNode[i] = false
		}
	}
}

// focus keeps what the hop-limited search from the focus node reaches.
func (f *filter) focus() {
	if f.v.Focus == "" {
		return
	}
	reached := make([]bool, len(f.ns))
	walked := make([]bool, len(f.es))
	if f.focusNode >= 0 && f.keepNode[f.focusNode] {
		in := make([][]int, len(f.ns))
		out := make([][]int, len(f.ns))
		for i := range f.es {
			if f.keepEdge[i] {
				from, to := f.index[f.es[i].From], f.index[f.es[i].To]
				out[from] = append(out[from], i)
				in[to] = append(in[to], i)
			}
		}
		reached[f.focusNode] = true
		f.walk(in, f.v.Up, walked, reached, func(e *Edge) string { return e.From })
		f.walk(out, f.v.Down, walked, reached, func(e *Edge) string { return e.To })
	}
	f.keepNode, f.keepEdge = reached, walked
}

// walk runs a breadth-first search from the focus node over adj (edge
// positions by node position) up to hops deep, marking the edges it walks
// and the nodes it reaches; next gives the far end of an edge.
func (f *filter) walk(adj [][]int, hops int, walked, reached []bool, next func(*Edge) string) {
	seen := make([]bool, len(f.ns))
	seen[f.focusNode] = true
	frontier := []int{f.focusNode}
	for d := 0; d < hops && len(frontier) > 0; d++ {
		var following []int
		for _, n := range frontier {
			for _, ei := range adj[n] {
				walked[ei] = true
				m := f.index[next(&f.es[ei])]
				reached[m] = true
				if !seen[m] {
					seen[m] = true
					following = append(following, m)
				}
			}
		}
		frontier = following
	}
}

func (f *filter) nodes() []Node {
	out := make([]Node, 0, len(f.ns))
	for i := range f.ns {
		if f.keepNode[i] {
			out = append(out, f.ns[i])
		}
	}
	return out
}

func (f *filter) edges() []Edge {
	out := make([]Edge, 0, len(f.es))
	for i := range f.es {
		if f.keepEdge[i] {
			out = append(out, f.es[i])
		}
	}
	return out
}

// groupByNamespace sets the members' Group and adds one group node per
// namespace (see Filter, step 8). nodes is the caller's own slice, sorted
// by ID; the result is sorted by ID.
func groupByNamespace(nodes []Node) []Node {
	groups := map[string]*Node{}
	taken := make(map[string]bool, len(nodes))
	var order []string
	for i := range nodes {
		n := &nodes[i]
		taken[n.ID] = true
		if n.Namespace == "" {
			n.Group = ""
			continue
		}
		id := NamespaceGroupID(n.Namespace)
		n.Group = id
		g := groups[id]
		if g == nil {
			g = &Node{ID: id, Name: n.Namespace, Kind: NodeGroup, Namespace: n.Namespace}
			groups[id] = g
			order = append(order, id)
		}
		addMember(g, n)
	}
	if len(order) == 0 {
		return nodes
	}
	slices.Sort(order)
	for _, id := range order {
		if taken[id] {
			continue
		}
		g := groups[id]
		if g.Stats.Calls > 0 {
			g.Stats.ErrorRate = float64(g.Stats.Errors) / float64(g.Stats.Calls)
		}
		nodes = append(nodes, *g)
	}
	slices.SortFunc(nodes, func(a, b Node) int { return strings.Compare(a.ID, b.ID) })
	return nodes
}

// addMember folds member n's figures into group node g.
func addMember(g, n *Node) {
	g.Stats.Calls += n.Stats.Calls
	g.Stats.Errors += n.Stats.Errors
	g.Stats.Rate += n.Stats.Rate
	l, m := &g.Stats.Latency, n.Stats.Latency
	l.P50, l.P90, l.P95, l.P99 = max(l.P50, m.P50), max(l.P90, m.P90), max(l.P95, m.P95), max(l.P99, m.P99)
	if HealthRank(n.Health) > HealthRank(g.Health) {
		g.Health = n.Health
	}
	for _, src := range n.Sources {
		if i, found := slices.BinarySearch(g.Sources, src); !found {
			g.Sources = slices.Insert(g.Sources, i, src)
		}
	}
}

// HealthRank orders health states from best to worst: unknown 0, ok 1,
// degraded 2, failing 3; any other value ranks as unknown.
func HealthRank(h Health) int {
	switch h {
	case HealthOK:
		return 1
	case HealthDegraded:
		return 2
	case HealthFailing:
		return 3
	}
	return 0
}
