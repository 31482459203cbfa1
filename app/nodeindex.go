package app

import "github.com/spanmap/spanmap/graph"

// nodeIndex keeps what names the nodes of a snapshot (their identities
// without figures, and the label of each ID) as the same values for as
// long as the nodes' names stay the same. Components that only name nodes
// get these instead of the snapshot, so that go-app, which compares a
// component's fields to decide whether to update it, finds them equal at
// once (the same array, the same map) and a live diff does not update them.
type nodeIndex struct {
	nodes []graph.Node // ID, Name, Kind and Namespace only
	names map[string]string
}

// update follows nodes, rebuilding the index only when a node was added,
// removed or renamed.
func (x *nodeIndex) update(nodes []graph.Node) {
	if x.names != nil && len(nodes) == len(x.nodes) {
		same := true
		for i := range nodes {
			a, b := &nodes[i], &x.nodes[i]
			if a.ID != b.ID || a.Name != b.Name || a.Kind != b.Kind || a.Namespace != b.Namespace {
				same = false
				break
			}
		}
		if same {
			return
		}
	}
	x.nodes = make([]graph.Node, len(nodes))
	x.names = make(map[string]string, len(nodes))
	for i := range nodes {
		n := &nodes[i]
		x.nodes[i] = graph.Node{ID: n.ID, Name: n.Name, Kind: n.Kind, Namespace: n.Namespace}
		x.names[n.ID] = labelOf(n)
	}
}
