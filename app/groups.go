package app

import (
	"math"
	"sort"

	"github.com/spanmap/spanmap/graph"
)

// groupPadding is the margin in points between a group box and its members.
const (
	groupPadding = 16.0
	groupHeader  = 22.0
)

// GroupBox is the frame drawn around the nodes of one group (namespace).
type GroupBox struct {
	// ID is the group ID (the members' Node.Group).
	ID string
	// Label is the group's name.
	Label string
	// Box is the frame in map points, header included.
	Box Rect
	// Members are the member node IDs, sorted.
	Members []string
	// Health is the worst health of the members.
	Health graph.Health
}

// GroupBoxes returns the frames of the groups of s, sorted by ID: the
// bounding box of each group's positioned members plus padding and a
// header. The label is the name of the group node with that ID when s has
// one, otherwise the group ID.
func GroupBoxes(s graph.Snapshot) []GroupBox {
	names := map[string]string{}
	for i := range s.Nodes {
		if n := &s.Nodes[i]; n.Kind == graph.NodeGroup {
			names[n.ID] = labelOf(n)
		}
	}
	type building struct {
		box GroupBox
		acc boundsAcc
	}
	boxes := map[string]*building{}
	for i := range s.Nodes {
		n := &s.Nodes[i]
		if n.Group == "" || n.Pos == nil || n.Kind == graph.NodeGroup {
			continue
		}
		g := boxes[n.Group]
		if g == nil {
			label := names[n.Group]
			if label == "" {
				label = n.Group
			}
			g = &building{box: GroupBox{ID: n.Group, Label: label}}
			boxes[n.Group] = g
		}
		g.box.Members = append(g.box.Members, n.ID)
		g.box.Health = worseHealth(g.box.Health, n.Health)
		w, h := nodeSize(*n)
		g.acc.add(n.Pos.X-w/2, n.Pos.Y-h/2, n.Pos.X+w/2, n.Pos.Y+h/2)
	}
	out := make([]GroupBox, 0, len(boxes))
	for _, g := range boxes {
		r := g.acc.rect()
		g.box.Box = Rect{X: r.X - groupPadding, Y: r.Y - groupPadding - groupHeader, W: r.W + 2*groupPadding, H: r.H + 2*groupPadding + groupHeader}
		sort.Strings(g.box.Members)
		out = append(out, g.box)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// CollapseGroups returns s with the members of every group in collapsed
// replaced by one group node at the centre of the group's frame. Edges
// between members of one collapsed group disappear; edges to or from
// collapsed members are re-pointed at the group node, merged per
// (from, to) pair (calls, errors and rates summed, the worst latency
// quantiles and health kept) and drawn straight. Edges untouched by a
// collapse are kept as they are. Nodes and edges stay sorted by ID.
func CollapseGroups(s graph.Snapshot, collapsed map[string]bool) graph.Snapshot {
	if len(collapsed) == 0 {
		return s
	}
	boxes := map[string]GroupBox{}
	for _, g := range GroupBoxes(s) {
		if collapsed[g.ID] {
			boxes[g.ID] = g
		}
	}
	if len(boxes) == 0 {
		return s
	}
	out := s
	out.Nodes = nil
	out.Edges = nil
	moved := map[string]string{}
	groupNodes := map[string]*graph.Node{}
	existing := map[string]graph.Node{}
	for _, n := range s.Nodes {
		if n.Kind == graph.NodeGroup {
			existing[n.ID] = n
		}
	}
	for _, n := range s.Nodes {
		if _, ok := boxes[n.ID]; ok && n.Kind == graph.NodeGroup {
			continue // replaced by the collapsed node below
		}
		box, ok := boxes[n.Group]
		if !ok || n.Pos == nil || n.Kind == graph.NodeGroup {
			out.Nodes = append(out.Nodes, n)
			continue
		}
		moved[n.ID] = box.ID
		g := groupNodes[box.ID]
		if g == nil {
			g = collapsedNode(box, existing[box.ID])
			groupNodes[box.ID] = g
		}
		addStats(&g.Stats, n.Stats)
		g.Health = worseHealth(g.Health, n.Health)
		g.Sources = mergeSorted(g.Sources, n.Sources)
	}
	for _, g := range groupNodes {
		g.Stats.ErrorRate = ratio(g.Stats.Errors, g.Stats.Calls, g.Stats.ErrorRate)
		out.Nodes = append(out.Nodes, *g)
	}
	out.Edges = mergeMovedEdges(s.Edges, moved)
	sort.Slice(out.Nodes, func(i, j int) bool { return out.Nodes[i].ID < out.Nodes[j].ID })
	return out
}

// collapsedNode builds the group node standing for a collapsed box,
// keeping the name and namespace of the snapshot's own group node.
func collapsedNode(box GroupBox, base graph.Node) *graph.Node {
	c := box.Box.Center()
	w := clamp(float64(len([]rune(box.Label)))*charWidth+48, minNodeWidth, maxNodeWidth)
	return &graph.Node{
		ID: box.ID, Name: box.Label, Kind: graph.NodeGroup, Namespace: base.Namespace,
		Pos: &graph.Point{X: c.X, Y: c.Y}, Width: w, Height: 60,
	}
}

// mergeMovedEdges re-points edges at collapsed groups and merges the
// edges that now share endpoints.
func mergeMovedEdges(edges []graph.Edge, moved map[string]string) []graph.Edge {
	var out []graph.Edge
	merged := map[string]int{}
	for _, e := range edges {
		from, to := e.From, e.To
		if g, ok := moved[from]; ok {
			from = g
		}
		if g, ok := moved[to]; ok {
			to = g
		}
		if from == e.From && to == e.To {
			out = append(out, e)
			continue
		}
		if from == to {
			continue
		}
		id := graph.EdgeID(from, to, "")
		if i, ok := merged[id]; ok {
			mergeEdge(&out[i], e)
			continue
		}
		e.ID, e.From, e.To, e.Operation, e.Path = id, from, to, "", nil
		e.Sources = append([]string(nil), e.Sources...)
		e.Exemplars = append([]graph.Exemplar(nil), e.Exemplars...)
		merged[id] = len(out)
		out = append(out, e)
	}
	for _, i := range merged {
		out[i].ErrorRate = ratio(out[i].Errors, out[i].Calls, out[i].ErrorRate)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// mergeEdge folds e into m.
func mergeEdge(m *graph.Edge, e graph.Edge) {
	addStats(&m.Stats, e.Stats)
	m.Trust.Paired += e.Trust.Paired
	m.Trust.Unpaired += e.Trust.Unpaired
	m.Trust.Dropped += e.Trust.Dropped
	if e.Trust.LastSeen > m.Trust.LastSeen {
		m.Trust.LastSeen = e.Trust.LastSeen
	}
	m.Health = worseHealth(m.Health, e.Health)
	m.Sources = mergeSorted(m.Sources, e.Sources)
	for _, x := range e.Exemplars {
		if len(m.Exemplars) < 3 {
			m.Exemplars = append(m.Exemplars, x)
		}
	}
}

// addStats adds the counts and rates of b to a and keeps the worse
// latency quantiles.
func addStats(a *graph.Stats, b graph.Stats) {
	a.Calls += b.Calls
	a.Errors += b.Errors
	a.Rate += b.Rate
	if a.Calls == 0 {
		a.ErrorRate = math.Max(a.ErrorRate, b.ErrorRate)
	}
	a.Latency = maxLatency(a.Latency, b.Latency)
}

func maxLatency(a, b graph.Latency) graph.Latency {
	return graph.Latency{
		P50: math.Max(a.P50, b.P50), P90: math.Max(a.P90, b.P90),
		P95: math.Max(a.P95, b.P95), P99: math.Max(a.P99, b.P99),
	}
}

// ratio returns num/den, or fallback when den is 0.
func ratio(num, den int64, fallback float64) float64 {
	if den == 0 {
		return fallback
	}
	return float64(num) / float64(den)
}

// mergeSorted returns the sorted union of two sorted string slices.
func mergeSorted(a, b []string) []string {
	if len(b) == 0 {
		return a
	}
	set := map[string]bool{}
	for _, s := range a {
		set[s] = true
	}
	for _, s := range b {
		set[s] = true
	}
	out := make([]string, 0, len(set))
	for s := range set {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}
