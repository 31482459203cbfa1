package graph

import "slices"

// Equality of nodes, edges and snapshots without reflection, for the diff
// hot path. Floats compare with ==, so 0 and -0 are equal and NaN equals
// nothing (NaN cannot be sent as JSON anyway). Pointer fields are equal when
// both are nil or both point at equal values. A nil slice equals an empty
// one: JSON (with omitempty) cannot tell them apart, so neither does a Diff.

// Equal reports whether p and o are the same point.
func (p Point) Equal(o Point) bool { return p == o }

// Equal reports whether l and o hold the same quantiles.
func (l Latency) Equal(o Latency) bool { return l == o }

// Equal reports whether t and o are the same figures.
func (t Trust) Equal(o Trust) bool { return t == o }

// Equal reports whether e and o point at the same trace the same way.
func (e Exemplar) Equal(o Exemplar) bool { return e == o }

// Equal reports whether s and o hold the same figures, comparing the
// optional latencies by value.
func (s *Stats) Equal(o *Stats) bool {
	return s.Calls == o.Calls &&
		s.Errors == o.Errors &&
		s.Rate == o.Rate &&
		s.ErrorRate == o.ErrorRate &&
		s.Latency == o.Latency &&
		latencyPtrEqual(s.ClientLatency, o.ClientLatency) &&
		latencyPtrEqual(s.ServerLatency, o.ServerLatency) &&
		latencyPtrEqual(s.QueueLag, o.QueueLag)
}

// Equal reports whether n and o would be encoded the same way: every field
// equal, Pos compared by value, nil and empty slices alike.
func (n *Node) Equal(o *Node) bool {
	return n.ID == o.ID &&
		n.Name == o.Name &&
		n.Kind == o.Kind &&
		n.Namespace == o.Namespace &&
		n.Group == o.Group &&
		n.Health == o.Health &&
		n.Width == o.Width &&
		n.Height == o.Height &&
		pointPtrEqual(n.Pos, o.Pos) &&
		n.Stats.Equal(&o.Stats) &&
		slices.Equal(n.Operations, o.Operations) &&
		slices.Equal(n.Sources, o.Sources)
}

// Equal reports whether e and o would be encoded the same way: every field
// equal, nil and empty slices alike.
func (e *Edge) Equal(o *Edge) bool {
	return e.ID == o.ID &&
		e.From == o.From &&
		e.To == o.To &&
		e.Kind == o.Kind &&
		e.Operation == o.Operation &&
		e.Health == o.Health &&
		e.Trust == o.Trust &&
		e.Stats.Equal(&o.Stats) &&
		slices.Equal(e.Sources, o.Sources) &&
		slices.Equal(e.Exemplars, o.Exemplars) &&
		slices.Equal(e.Path, o.Path)
}

// Equal reports whether s and o are the same version of the same graph:
// header fields equal and nodes and edges pairwise Equal, in order. A nil
// node or edge list equals an empty one.
func (s *Snapshot) Equal(o *Snapshot) bool {
	if s.Version != o.Version || s.View != o.View || s.From != o.From || s.To != o.To ||
		s.Width != o.Width || s.Height != o.Height ||
		len(s.Nodes) != len(o.Nodes) || len(s.Edges) != len(o.Edges) {
		return false
	}
	for i := range s.Nodes {
		if !s.Nodes[i].Equal(&o.Nodes[i]) {
			return false
		}
	}
	for i := range s.Edges {
		if !s.Edges[i].Equal(&o.Edges[i]) {
			return false
		}
	}
	return true
}

func latencyPtrEqual(a, b *Latency) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

func pointPtrEqual(a, b *Point) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}
