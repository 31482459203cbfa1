package app

import (
	"math"
	"sort"

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
	names := make(map[string]string, len(s.Nodes))
	var out []Hotspot
	for _, n := range s.Nodes {
		names[n.ID] = nodeLabel(n)
		if n.Stats.Errors <= 0 && n.Stats.ErrorRate <= 0 {
			continue
		}
		out = append(out, Hotspot{
			Kind: KindNode, ID: n.ID, Label: nodeLabel(n),
			Score:     HotspotScore(n.Stats.ErrorRate, n.Stats.Rate),
			ErrorRate: n.Stats.ErrorRate, Rate: n.Stats.Rate, Health: n.Health,
		})
	}
	for _, e := range s.Edges {
		if e.Errors <= 0 && e.ErrorRate <= 0 {
			continue
		}
		out = append(out, Hotspot{
			Kind: KindEdge, ID: e.ID, Label: edgeLabel(e, names),
			Score:     HotspotScore(e.ErrorRate, e.Rate),
			ErrorRate: e.ErrorRate, Rate: e.Rate, Health: e.Health,
		})
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Score != out[j].Score {
			return out[i].Score > out[j].Score
		}
		if out[i].Kind != out[j].Kind {
			return out[i].Kind < out[j].Kind
		}
		return out[i].ID < out[j].ID
	})
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out
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
