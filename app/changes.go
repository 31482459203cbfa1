package app

import (
	"slices"
	"strings"

	"github.com/spanmap/spanmap/graph"
)

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

// Changes lists the highlight class of each changed node and edge ID,
// and the nodes and edges gone since the snapshot before, as they were.
type Changes struct {
	Nodes map[string]string
	Edges map[string]string
	// GoneNodes and GoneEdges are sorted by ID.
	GoneNodes []graph.Node
	GoneEdges []graph.Edge
	// Gen tells one update's changes from the next one's, even when they
	// are alike: the map restarts its change animations when it changes.
	Gen uint64
}

// Empty reports whether nothing changed.
func (c Changes) Empty() bool {
	return len(c.Nodes) == 0 && len(c.Edges) == 0 && len(c.GoneNodes) == 0 && len(c.GoneEdges) == 0
}

// DetectChanges compares two consecutive snapshots of one view: nodes and
// edges missing from old get ClassNew, those whose errors spiked get
// ClassSpike, and those of old missing from cur are gone. A first
// snapshot (old without nodes) highlights nothing.
func DetectChanges(old, cur graph.Snapshot) Changes {
	c := Changes{Nodes: map[string]string{}, Edges: map[string]string{}}
	if len(old.Nodes) == 0 {
		return c
	}
	c.GoneNodes = detect(c.Nodes, old.Nodes, cur.Nodes, nodeKey, func(o, n *graph.Node) bool {
		return isSpike(o.Stats.ErrorRate, n.Stats.ErrorRate, o.Health, n.Health)
	})
	c.GoneEdges = detect(c.Edges, old.Edges, cur.Edges, edgeKey, func(o, e *graph.Edge) bool {
		return isSpike(o.ErrorRate, e.ErrorRate, o.Health, e.Health)
	})
	return c
}

func nodeKey(n *graph.Node) string { return n.ID }
func edgeKey(e *graph.Edge) string { return e.ID }

// detect records in out the class of every element of cur that is new or
// spiked since old, and returns the elements of old gone from cur, sorted
// by ID.
func detect[T any](out map[string]string, old, cur []T, id func(*T) string, spiked func(o, n *T) bool) (gone []T) {
	pairs(old, cur, id, func(o, n *T) {
		switch {
		case o == nil:
			out[id(n)] = ClassNew
		case spiked(o, n):
			out[id(n)] = ClassSpike
		}
	}, func(o *T) { gone = append(gone, *o) })
	if !sortedIDs(gone, id) { // the order of old, when it is not sorted
		slices.SortFunc(gone, func(a, b T) int { return strings.Compare(id(&a), id(&b)) })
	}
	return gone
}

// pairs calls fn for every element of cur with the element of old of the
// same ID, or nil, and, when gone is not nil, gone for every element of
// old whose ID cur lacks. Snapshots are sorted by ID, so one merge pass
// finds each element's predecessor; lists that are not fall back to maps
// from ID to the last element with it.
func pairs[T any](old, cur []T, id func(*T) string, fn func(o, n *T), gone func(o *T)) {
	if gone == nil {
		gone = func(*T) {}
	}
	if sortedIDs(old, id) && sortedIDs(cur, id) {
		i := 0
		for j := range cur {
			cid := id(&cur[j])
			for ; i < len(old) && id(&old[i]) < cid; i++ {
				gone(&old[i])
			}
			if i < len(old) && id(&old[i]) == cid {
				fn(&old[i], &cur[j])
				i++
			} else {
				fn(nil, &cur[j])
			}
		}
		for ; i < len(old); i++ {
			gone(&old[i])
		}
		return
	}
	byID := make(map[string]int, len(old))
	for i := range old {
		byID[id(&old[i])] = i
	}
	for j := range cur {
		if i, ok := byID[id(&cur[j])]; ok {
			fn(&old[i], &cur[j])
		} else {
			fn(nil, &cur[j])
		}
	}
	if len(old) > 0 {
		inCur := make(map[string]bool, len(cur))
		for j := range cur {
			inCur[id(&cur[j])] = true
		}
		for i := range old {
			if !inCur[id(&old[i])] {
				gone(&old[i])
			}
		}
	}
}

// sortedIDs reports whether xs is sorted by ID without duplicates.
func sortedIDs[T any](xs []T, id func(*T) string) bool {
	for i := 1; i < len(xs); i++ {
		if id(&xs[i-1]) >= id(&xs[i]) {
			return false
		}
	}
	return true
}

func isSpike(before, after float64, hb, ha graph.Health) bool {
	if ha == graph.HealthFailing && hb != graph.HealthFailing {
		return true
	}
	return after-before >= SpikeMinRise && after >= 2*before
}
