package app

import "github.com/spanmap/spanmap/graph"

// Highlight classes for recently changed map elements.
const (
	// ClassNew marks a node or edge that appeared in the latest update.
	ClassNew = "is-new"
	// ClassSpike marks a node or edge whose errors jumped.
	ClassSpike = "is-spike"
)

// Spike thresholds: an error rate counts as a spike when it rose by at
// least SpikeMinRise (absolute) and at least doubled, or when health fell
// to failing.
const SpikeMinRise = 0.05

// Changes lists the highlight class of each changed node and edge ID.
type Changes struct {
	Nodes map[string]string
	Edges map[string]string
}

// Empty reports whether nothing changed.
func (c Changes) Empty() bool { return len(c.Nodes) == 0 && len(c.Edges) == 0 }

// DetectChanges compares two consecutive snapshots of one view: nodes and
// edges missing from old get ClassNew, those whose errors spiked get
// ClassSpike. A first snapshot (old without nodes) highlights nothing.
func DetectChanges(old, cur graph.Snapshot) Changes {
	c := Changes{Nodes: map[string]string{}, Edges: map[string]string{}}
	if len(old.Nodes) == 0 {
		return c
	}
	oldNodes := make(map[string]graph.Node, len(old.Nodes))
	for _, n := range old.Nodes {
		oldNodes[n.ID] = n
	}
	for _, n := range cur.Nodes {
		o, ok := oldNodes[n.ID]
		switch {
		case !ok:
			c.Nodes[n.ID] = ClassNew
		case isSpike(o.Stats.ErrorRate, n.Stats.ErrorRate, o.Health, n.Health):
			c.Nodes[n.ID] = ClassSpike
		}
	}
	oldEdges := make(map[string]graph.Edge, len(old.Edges))
	for _, e := range old.Edges {
		oldEdges[e.ID] = e
	}
	for _, e := range cur.Edges {
		o, ok := oldEdges[e.ID]
		switch {
		case !ok:
			c.Edges[e.ID] = ClassNew
		case isSpike(o.ErrorRate, e.ErrorRate, o.Health, e.Health):
			c.Edges[e.ID] = ClassSpike
		}
	}
	return c
}

func isSpike(before, after float64, hb, ha graph.Health) bool {
	if ha == graph.HealthFailing && hb != graph.HealthFailing {
		return true
	}
	return after-before >= SpikeMinRise && after >= 2*before
}
