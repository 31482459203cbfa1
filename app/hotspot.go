package app

import (
	"math"
	"slices"
	"sort"
	"strings"

	"github.com/spanmap/spanmap/graph"
)

// Map element kinds, used by hotspots and selections.
const (
	// KindNode marks a node.
	KindNode = "node"
	// KindEdge marks an edge.
	KindEdge = "edge"
)

// Hotspot is one ranked trouble spot: a node or edge with failing calls.
type Hotspot struct {
	// Kind is KindNode or KindEdge.
	Kind string
	// ID is the node or edge ID.
	ID string
	// Label is the human name ("checkout" or "frontend → checkout").
	Label string
	// Score orders hotspots; higher is worse.
	Score float64
	// ErrorRate is the fraction of failed calls.
	ErrorRate float64
	// Rate is calls per second.
	Rate float64
	// Health is the node or edge state.
	Health graph.Health
}

// HotspotScore weighs an error rate by traffic: the error fraction times
// log10(1 + calls per minute). A 50% error rate on one call a minute ranks
// below a 10% error rate on a thousand calls a second, while error rate
// still dominates among edges of similar traffic.
func HotspotScore(errorRate, rate float64) float64 {
	if errorRate <= 0 || rate <= 0 {
		return 0
	}
	return errorRate * math.Log10(1+rate*60)
}

// RankHotspots returns the nodes and edges of s that have errors, ranked
// by HotspotScore (highest first, then by ID), at most limit of them
// (limit <= 0 means all).
func RankHotspots(s graph.Snapshot, limit int) []Hotspot {
	// Rank first, then describe only the hotspots kept: a large map has
	// hundreds of failing edges and lists ten, and a live update ranks
	// them all again.
	type candidate struct {
		score float64
		kind  string
		id    string
		at    int // index in s.Nodes or s.Edges
	}
	worse := func(a, b *candidate) int {
		switch {
		case a.score != b.score:
			if a.score > b.score {
				return -1
			}
			return 1
		case a.kind != b.kind:
			return strings.Compare(a.kind, b.kind)
		default:
			return strings.Compare(a.id, b.id)
		}
	}
	var kept []candidate
	if limit > 0 {
		kept = make([]candidate, 0, limit+1)
	}
	consider := func(c candidate) {
		if limit <= 0 {
			kept = append(kept, c)
			return
		}
		// The worst limit of them, kept sorted, each after the ones that
		// rank the same: the order of a stable sort.
		if len(kept) == limit && worse(&c, &kept[limit-1]) >= 0 {
			return
		}
		at := sort.Search(len(kept), func(k int) bool { return worse(&c, &kept[k]) < 0 })
		kept = slices.Insert(kept, at, c)
		if len(kept) > limit {
			kept = kept[:limit]
		}
	}
	for i := range s.Nodes {
		n := &s.Nodes[i]
		if n.Stats.Errors > 0 || n.Stats.ErrorRate > 0 {
			consider(candidate{HotspotScore(n.Stats.ErrorRate, n.Stats.Rate), KindNode, n.ID, i})
		}
	}
	for i := range s.Edges {
		e := &s.Edges[i]
		if e.Errors > 0 || e.ErrorRate > 0 {
			consider(candidate{HotspotScore(e.ErrorRate, e.Rate), KindEdge, e.ID, i})
		}
	}
	if limit <= 0 {
		slices.SortStableFunc(kept, func(a, b candidate) int { return worse(&a, &b) })
	}
	// The labels of the nodes the kept edges join (the last node with an
	// ID, as a map from every ID would hold).
	names := map[string]string{}
	for _, c := range kept {
		if c.kind == KindEdge {
			e := &s.Edges[c.at]
			names[e.From], names[e.To] = "", ""
		}
	}
	if len(names) > 0 {
		for i := range s.Nodes {
			if _, ok := names[s.Nodes[i].ID]; ok {
				names[s.Nodes[i].ID] = nodeLabel(s.Nodes[i])
			}
		}
	}
	if len(kept) == 0 {
		return nil
	}
	ranked := make([]Hotspot, len(kept))
	for i, c := range kept {
		h := Hotspot{Kind: c.kind, ID: c.id, Score: c.score}
		if c.kind == KindNode {
			n := &s.Nodes[c.at]
			h.Label, h.ErrorRate, h.Rate, h.Health = nodeLabel(*n), n.Stats.ErrorRate, n.Stats.Rate, n.Health
		} else {
			e := &s.Edges[c.at]
			h.Label, h.ErrorRate, h.Rate, h.Health = edgeLabel(*e, names), e.ErrorRate, e.Rate, e.Health
		}
		ranked[i] = h
	}
	return ranked
}

// edgeLabel names an edge by its endpoints' labels, with the operation
// for operation-level edges.
func edgeLabel(e graph.Edge, names map[string]string) string {
	from, to := names[e.From], names[e.To]
	if from == "" {
		from = e.From
	}
	if to == "" {
		to = e.To
	}
	s := from + " → " + to
	if e.Operation != "" {
		s += " · " + e.Operation
	}
	return s
}
