package graph

import "slices"

// Field-level patches keep the common live diff small: from one version to
// the next most nodes and edges only get new figures, while their layout
// (edge paths, node positions), exemplars and sources stay the same. A patch
// names the element by ID and carries only the groups of fields that
// changed; a nil field keeps the base's value. A field that changed to an
// empty slice is sent as an empty slice (never null), so that it is not
// taken for "unchanged" after a JSON round trip.

// NodePatch changes some fields of a base node. A node whose name, kind,
// namespace, group or size changed, or that gained or lost its position,
// is sent whole in Diff.UpdatedNodes instead.
type NodePatch struct {
	// ID is the patched node's ID.
	ID string `json:"id"`
	// Stats replaces the node's figures when set.
	Stats *Stats `json:"stats,omitempty"`
	// Health replaces the node's state when set.
	Health *Health `json:"health,omitempty"`
	// Pos moves the node when set.
	Pos *Point `json:"pos,omitempty"`
	// Operations replaces the node's operations when set.
	Operations *[]string `json:"operations,omitempty"`
	// Sources replaces the node's sources when set.
	Sources *[]string `json:"sources,omitempty"`
}

// EdgePatch changes some fields of a base edge. An edge whose endpoints,
// kind or operation changed is sent whole in Diff.UpdatedEdges instead.
type EdgePatch struct {
	// ID is the patched edge's ID.
	ID string `json:"id"`
	// Stats replaces the edge's figures when set.
	Stats *Stats `json:"stats,omitempty"`
	// Trust replaces the edge's data quality when set.
	Trust *Trust `json:"trust,omitempty"`
	// Health replaces the edge's state when set.
	Health *Health `json:"health,omitempty"`
	// Exemplars replaces the edge's example traces when set.
	Exemplars *[]Exemplar `json:"exemplars,omitempty"`
	// Sources replaces the edge's sources when set.
	Sources *[]string `json:"sources,omitempty"`
	// Path replaces the edge's spline when set; an empty path removes it.
	Path *[]Point `json:"path,omitempty"`
}

func nodePatchID(p *NodePatch) string { return p.ID }
func edgePatchID(p *EdgePatch) string { return p.ID }

// diffNode returns the patch that turns a into b (which differ), or false
// when b must be sent whole.
func diffNode(a, b *Node) (NodePatch, bool) {
	if a.Name != b.Name || a.Kind != b.Kind || a.Namespace != b.Namespace || a.Group != b.Group ||
		a.Width != b.Width || a.Height != b.Height || (a.Pos == nil) != (b.Pos == nil) {
		return NodePatch{}, false
	}
	p := NodePatch{ID: b.ID}
	if !a.Stats.Equal(&b.Stats) {
		p.Stats = &b.Stats
	}
	if a.Health != b.Health {
		p.Health = &b.Health
	}
	if !pointPtrEqual(a.Pos, b.Pos) {
		p.Pos = b.Pos
	}
	p.Operations = changedSlice(a.Operations, b.Operations)
	p.Sources = changedSlice(a.Sources, b.Sources)
	return p, true
}

// diffEdge returns the patch that turns a into b (which differ), or false
// when b must be sent whole.
func diffEdge(a, b *Edge) (EdgePatch, bool) {
	if a.From != b.From || a.To != b.To || a.Kind != b.Kind || a.Operation != b.Operation {
		return EdgePatch{}, false
	}
	p := EdgePatch{ID: b.ID}
	if !a.Stats.Equal(&b.Stats) {
		p.Stats = &b.Stats
	}
	if a.Trust != b.Trust {
		p.Trust = &b.Trust
	}
	if a.Health != b.Health {
		p.Health = &b.Health
	}
	p.Exemplars = changedSlice(a.Exemplars, b.Exemplars)
	p.Sources = changedSlice(a.Sources, b.Sources)
	p.Path = changedSlice(a.Path, b.Path)
	return p, true
}

// changedSlice returns nil when a and b are equal, otherwise a pointer to
// b, or to a new empty slice when b is empty so that it encodes as [].
func changedSlice[T comparable](a, b []T) *[]T {
	if slices.Equal(a, b) {
		return nil
	}
	if len(b) == 0 {
		empty := []T{}
		return &empty
	}
	return &b
}

// patchNode returns base with p applied.
func patchNode(base *Node, p *NodePatch) Node {
	n := *base
	if p.Stats != nil {
		n.Stats = *p.Stats
	}
	if p.Health != nil {
		n.Health = *p.Health
	}
	if p.Pos != nil {
		n.Pos = p.Pos
	}
	if p.Operations != nil {
		n.Operations = *p.Operations
	}
	if p.Sources != nil {
		n.Sources = *p.Sources
	}
	return n
}

// patchEdge returns base with p applied.
func patchEdge(base *Edge, p *EdgePatch) Edge {
	e := *base
	if p.Stats != nil {
		e.Stats = *p.Stats
	}
	if p.Trust != nil {
		e.Trust = *p.Trust
	}
	if p.Health != nil {
		e.Health = *p.Health
	}
	if p.Exemplars != nil {
		e.Exemplars = *p.Exemplars
	}
	if p.Sources != nil {
		e.Sources = *p.Sources
	}
	if p.Path != nil {
		e.Path = *p.Path
	}
	return e
}
