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
	// Rank first, then label only the hotspots kept: a large map has
	// hundreds of failing edges and lists ten.
	var out []Hotspot
	var at []int // index in s.Nodes or s.Edges of each of out
	for i := range s.Nodes {
		n := &s.Nodes[i]
		if n.Stats.Errors <= 0 && n.Stats.ErrorRate <= 0 {
			continue
		}
		out = append(out, Hotspot{
			Kind: KindNode, ID: n.ID,
			Score:     HotspotScore(n.Stats.ErrorRate, n.Stats.Rate),
			ErrorRate: n.Stats.ErrorRate, Rate: n.Stats.Rate, Health: n.Health,
		})
		at = append(at, i)
	}
	for i := range s.Edges {
		e := &s.Edges[i]
		if e.Errors <= 0 && e.ErrorRate <= 0 {
			continue
		}
		out = append(out, Hotspot{
			Kind: KindEdge, ID: e.ID,
			Score:     HotspotScore(e.ErrorRate, e.Rate),
			ErrorRate: e.ErrorRate, Rate: e.Rate, Health: e.Health,
		})
		at = append(at, i)
	}
	worse := func(i, j int) int {
		a, b := &out[i], &out[j]
		switch {
		case a.Score != b.Score:
			if a.Score > b.Score {
				return -1
			}
			return 1
		case a.Kind != b.Kind:
			return strings.Compare(a.Kind, b.Kind)
		default:
			return strings.Compare(a.ID, b.ID)
		}
	}
	var order []int
	if limit > 0 && len(out) > limit {
		// The worst limit of them, kept sorted: a large map has hundreds
		// of failing edges and lists ten.
		order = make([]int, 0, limit+1)
		for i := range out {
			if len(order) == limit && worse(i, order[limit-1]) >= 0 {
				continue
			}
			// After the ones that rank the same: the order of a stable sort.
			at := sort.Search(len(order), func(k int) bool { return worse(i, order[k]) < 0 })
			order = slices.Insert(order, at, i)
			if len(order) > limit {
				order = order[:limit]
			}
		}
	} else {
		order = make([]int, len(out))
		for i := range order {
			order[i] = i
		}
		slices.SortStableFunc(order, worse)
	}
	// The labels of the nodes the kept edges join (the last node with an
	// ID, as a map from every ID would hold).
	names := map[string]string{}
	for _, k := range order {
		if out[k].Kind == KindEdge {
			e := &s.Edges[at[k]]
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
	ranked := make([]Hotspot, len(order))
	for i, k := range order {
		h := out[k]
		if h.Kind == KindNode {
			h.Label = nodeLabel(s.Nodes[at[k]])
		} else {
			h.Label = edgeLabel(s.Edges[at[k]], names)
		}
		ranked[i] = h
	}
	if len(ranked) == 0 {
		return nil
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
