package app

import (
	"sort"
	"strings"

	"github.com/spanmap/spanmap/graph"
)

// SearchNodes returns up to limit nodes whose name, ID or namespace
// contains query (case-insensitive), best match first: exact name, then
// name prefix, then word prefix, then substring; ties go to the busier node,
// then to the name. Group nodes are not searched. An empty query matches
// nothing.
func SearchNodes(nodes []graph.Node, query string, limit int) []graph.Node {
	q := strings.ToLower(strings.TrimSpace(query))
	if q == "" {
		return nil
	}
	type hit struct {
		n    graph.Node
		rank int
	}
	var hits []hit
	for _, n := range nodes {
		if n.Kind == graph.NodeGroup {
			continue
		}
		if r := matchRank(n, q); r > 0 {
			hits = append(hits, hit{n, r})
		}
	}
	sort.SliceStable(hits, func(i, j int) bool {
		a, b := hits[i], hits[j]
		if a.rank != b.rank {
			return a.rank > b.rank
		}
		if a.n.Stats.Rate != b.n.Stats.Rate {
			return a.n.Stats.Rate > b.n.Stats.Rate
		}
		return nodeLabel(a.n) < nodeLabel(b.n)
	})
	if limit > 0 && len(hits) > limit {
		hits = hits[:limit]
	}
	out := make([]graph.Node, len(hits))
	for i, h := range hits {
		out[i] = h.n
	}
	return out
}

// matchRank scores how well node n matches the lower-case query q; 0 is
// no match.
func matchRank(n graph.Node, q string) int {
	name := strings.ToLower(nodeLabel(n))
	switch {
	case name == q:
		return 5
	case strings.HasPrefix(name, q):
		return 4
	case wordPrefix(name, q):
		return 3
	case strings.Contains(name, q), strings.Contains(strings.ToLower(n.ID), q):
		return 2
	case strings.Contains(strings.ToLower(n.Namespace), q):
		return 1
	default:
		return 0
	}
}

// wordPrefix reports whether q starts a word of name, words being split
// at '-', '_', '.', '/', ':' and spaces.
func wordPrefix(name, q string) bool {
	words := strings.FieldsFunc(name, func(r rune) bool {
		return r == '-' || r == '_' || r == '.' || r == '/' || r == ':' || r == ' '
	})
	for _, w := range words {
		if strings.HasPrefix(w, q) {
			return true
		}
	}
	return false
}

// MoveIndex moves a list cursor by delta in a list of n items, wrapping
// around at both ends. A cursor of -1 (nothing selected) moves to the
// first item on a step down and to the last item on a step up. With no
// items it returns -1.
func MoveIndex(cur, delta, n int) int {
	if n <= 0 {
		return -1
	}
	if cur < 0 || cur >= n {
		if delta < 0 {
			return n - 1
		}
		return 0
	}
	return ((cur+delta)%n + n) % n
}
