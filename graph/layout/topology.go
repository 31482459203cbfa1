package layout

import (
	"encoding/binary"
	"hash/fnv"
	"sort"

	"github.com/spanmap/spanmap/graph"
)

// TopologyKey fingerprints everything a layout depends on: node IDs, kinds,
// labels and groups, and edge IDs and endpoints. Stats, health, sources and
// positions are left out, so two snapshots that differ only in figures have
// the same key and lay out identically. The key does not depend on the order
// of Nodes and Edges. Callers skip Layout when the key did not change.
func TopologyKey(s *graph.Snapshot) uint64 {
	h := fnv.New64a()
	var buf []byte
	put := func(str string) {
		buf = binary.AppendUvarint(buf[:0], uint64(len(str)))
		buf = append(buf, str...)
		h.Write(buf)
	}
	nodes := make([]int, len(s.Nodes))
	for i := range nodes {
		nodes[i] = i
	}
	sort.SliceStable(nodes, func(a, b int) bool { return s.Nodes[nodes[a]].ID < s.Nodes[nodes[b]].ID })
	put("nodes")
	for _, i := range nodes {
		n := &s.Nodes[i]
		put(n.ID)
		put(string(n.Kind))
		put(Label(*n))
		put(n.Group)
	}
	edges := make([]int, len(s.Edges))
	for i := range edges {
		edges[i] = i
	}
	sort.SliceStable(edges, func(a, b int) bool { return s.Edges[edges[a]].ID < s.Edges[edges[b]].ID })
	put("edges")
	for _, i := range edges {
		e := &s.Edges[i]
		put(e.ID)
		put(e.From)
		put(e.To)
	}
	return h.Sum64()
}
