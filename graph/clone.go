package graph

import "slices"

// Clone returns a deep copy of n: its slices and Pos are its own.
func (n *Node) Clone() Node {
	c := *n
	c.Stats = n.Stats.Clone()
	c.Operations = slices.Clone(n.Operations)
	c.Sources = slices.Clone(n.Sources)
	if n.Pos != nil {
		p := *n.Pos
		c.Pos = &p
	}
	return c
}

// Clone returns a deep copy of e: its slices and latencies are its own.
func (e *Edge) Clone() Edge {
	c := *e
	c.Stats = e.Stats.Clone()
	c.Exemplars = slices.Clone(e.Exemplars)
	c.Sources = slices.Clone(e.Sources)
	c.Path = slices.Clone(e.Path)
	return c
}

// Clone returns a copy of s whose optional latencies are its own.
func (s *Stats) Clone() Stats {
	c := *s
	c.ClientLatency = cloneLatency(s.ClientLatency)
	c.ServerLatency = cloneLatency(s.ServerLatency)
	c.QueueLag = cloneLatency(s.QueueLag)
	return c
}

// Clone returns a deep copy of s that shares no memory with it, for callers
// that want to change a snapshot in place. Nil slices stay nil.
func (s *Snapshot) Clone() Snapshot {
	c := *s
	if s.Nodes != nil {
		c.Nodes = make([]Node, len(s.Nodes))
		for i := range s.Nodes {
			c.Nodes[i] = s.Nodes[i].Clone()
		}
	}
	if s.Edges != nil {
		c.Edges = make([]Edge, len(s.Edges))
		for i := range s.Edges {
			c.Edges[i] = s.Edges[i].Clone()
		}
	}
	return c
}

func cloneLatency(l *Latency) *Latency {
	if l == nil {
		return nil
	}
	c := *l
	return &c
}
