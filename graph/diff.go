package graph

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// ErrVersionMismatch is returned by Apply when a diff's base version is not
// the snapshot's version. The receiver should ask for a fresh snapshot.
var ErrVersionMismatch = errors.New("diff base version does not match snapshot version")

// ErrConflict is wrapped by Apply's errors when a diff does not fit the
// snapshot although the versions match: it adds a node or edge that is
// already there, updates or removes one that is not, or its lists (or the
// snapshot's) are not sorted by ID without duplicates. The receiver should
// ask for a fresh snapshot.
var ErrConflict = errors.New("diff does not fit snapshot")

// Bounds is the size of a drawing's bounding box in points.
type Bounds struct {
	Width  float64 `json:"width"`
	Height float64 `json:"height"`
}

// Diff turns the snapshot at version Base into the one at Version. Added
// nodes and edges are sent whole, removed ones by ID. A changed node or edge
// is sent as a patch of the fields that changed (PatchedNodes,
// PatchedEdges), or whole (UpdatedNodes, UpdatedEdges) when what identifies
// or sizes it changed; see NodePatch and EdgePatch. Every list is sorted by
// ID without duplicates, and an ID is in at most one list.
//
// From and To always carry the new snapshot's data window, since a live
// window moves with every version; View and Bounds are only set when they
// changed.
type Diff struct {
	// Base is the version this diff applies to.
	Base uint64 `json:"base"`
	// Version is the version of the result.
	Version uint64 `json:"version"`
	// View is the new canonical view string, set only when it changed.
	View *string `json:"view,omitempty"`
	// From and To are the new data window, Unix milliseconds.
	From int64 `json:"from_ms,omitempty"`
	To   int64 `json:"to_ms,omitempty"`
	// Bounds is the new drawing size, set only when it changed.
	Bounds *Bounds `json:"bounds,omitempty"`
	// AddedNodes are nodes absent from the base.
	AddedNodes []Node `json:"added_nodes,omitempty"`
	// UpdatedNodes replace the base's nodes with the same IDs.
	UpdatedNodes []Node `json:"updated_nodes,omitempty"`
	// PatchedNodes change some fields of the base's nodes with the same IDs.
	PatchedNodes []NodePatch `json:"patched_nodes,omitempty"`
	// RemovedNodes are the IDs of base nodes that are gone.
	RemovedNodes []string `json:"removed_nodes,omitempty"`
	// AddedEdges are edges absent from the base.
	AddedEdges []Edge `json:"added_edges,omitempty"`
	// UpdatedEdges replace the base's edges with the same IDs.
	UpdatedEdges []Edge `json:"updated_edges,omitempty"`
	// PatchedEdges change some fields of the base's edges with the same IDs.
	PatchedEdges []EdgePatch `json:"patched_edges,omitempty"`
	// RemovedEdges are the IDs of base edges that are gone.
	RemovedEdges []string `json:"removed_edges,omitempty"`
}

// Empty reports whether d changes no node, edge, view or bounds. The data
// window (From, To) is not considered: it moves with every live version.
func (d *Diff) Empty() bool {
	return d.View == nil && d.Bounds == nil &&
		len(d.AddedNodes) == 0 && len(d.UpdatedNodes) == 0 && len(d.PatchedNodes) == 0 && len(d.RemovedNodes) == 0 &&
		len(d.AddedEdges) == 0 && len(d.UpdatedEdges) == 0 && len(d.PatchedEdges) == 0 && len(d.RemovedEdges) == 0
}

// Topology reports whether d adds or removes a node or an edge, the changes
// that call for a new layout. Updates alone (figures, health, positions)
// do not.
func (d *Diff) Topology() bool {
	return len(d.AddedNodes) > 0 || len(d.RemovedNodes) > 0 ||
		len(d.AddedEdges) > 0 || len(d.RemovedEdges) > 0
}

// Compute returns the diff that turns a into b: Base is a.Version and
// Version is b.Version. Nodes and edges are matched by ID in one merge pass
// over both sorted lists, and compared with Equal, so a node or edge whose
// only change is nil versus empty slices is not sent; one that changed is
// patched when it can be (see NodePatch, EdgePatch). Snapshots that are
// not sorted by ID are sorted on a copy first; IDs must be unique. Compute
// never changes a or b, and the diff shares slices and pointers with b.
func Compute(a, b Snapshot) Diff {
	d := Diff{Base: a.Version, Version: b.Version, From: b.From, To: b.To}
	if a.View != b.View {
		v := b.View
		d.View = &v
	}
	if a.Width != b.Width || a.Height != b.Height {
		d.Bounds = &Bounds{Width: b.Width, Height: b.Height}
	}
	d.AddedNodes, d.UpdatedNodes, d.PatchedNodes, d.RemovedNodes = compareSorted(
		sortedByID(a.Nodes, nodeID), sortedByID(b.Nodes, nodeID), nodeID, (*Node).Equal, diffNode)
	d.AddedEdges, d.UpdatedEdges, d.PatchedEdges, d.RemovedEdges = compareSorted(
		sortedByID(a.Edges, edgeID), sortedByID(b.Edges, edgeID), edgeID, (*Edge).Equal, diffEdge)
	return d
}

// Apply returns s with d applied. It fails with ErrVersionMismatch when
// d.Base is not s.Version, and with an error wrapping ErrConflict when d
// does not fit s (see ErrConflict); s must be sorted by ID.
//
// Apply never writes to s or d: the browser keeps old snapshots to animate
// from. The result has its own Nodes and Edges slices (never nil, so they
// encode as [] rather than null), sorted by ID, but the nodes and edges in
// them share their slices and pointers with s and d. Treat snapshots as
// immutable, or Clone the result before changing it in place.
func Apply(s Snapshot, d Diff) (Snapshot, error) {
	if d.Base != s.Version {
		return Snapshot{}, fmt.Errorf("%w: diff base %d, snapshot version %d", ErrVersionMismatch, d.Base, s.Version)
	}
	nodes, err := mergeSorted("node", s.Nodes, changes[Node, NodePatch]{
		added: d.AddedNodes, updated: d.UpdatedNodes, patched: d.PatchedNodes, removed: d.RemovedNodes,
		id: nodeID, patchID: nodePatchID, patch: patchNode,
	})
	if err != nil {
		return Snapshot{}, err
	}
	edges, err := mergeSorted("edge", s.Edges, changes[Edge, EdgePatch]{
		added: d.AddedEdges, updated: d.UpdatedEdges, patched: d.PatchedEdges, removed: d.RemovedEdges,
		id: edgeID, patchID: edgePatchID, patch: patchEdge,
	})
	if err != nil {
		return Snapshot{}, err
	}
	out := s
	out.Version = d.Version
	out.From, out.To = d.From, d.To
	if d.View != nil {
		out.View = *d.View
	}
	if d.Bounds != nil {
		out.Width, out.Height = d.Bounds.Width, d.Bounds.Height
	}
	out.Nodes, out.Edges = nodes, edges
	return out, nil
}

func nodeID(n *Node) string { return n.ID }
func edgeID(e *Edge) string { return e.ID }

// sortedByID returns xs when it is sorted by ID, otherwise a sorted copy.
func sortedByID[T any](xs []T, id func(*T) string) []T {
	for i := 1; i < len(xs); i++ {
		if id(&xs[i-1]) > id(&xs[i]) {
			c := slices.Clone(xs)
			slices.SortStableFunc(c, func(a, b T) int { return strings.Compare(id(&a), id(&b)) })
			return c
		}
	}
	return xs
}

// compareSorted merges a and b, both sorted by ID, into what b adds, what
// it changes (whole, or as a patch when diff can make one) and the IDs it
// no longer has.
func compareSorted[T, P any](a, b []T, id func(*T) string, equal func(*T, *T) bool,
	diff func(a, b *T) (P, bool)) (added, updated []T, patched []P, removed []string) {
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		ai, bj := id(&a[i]), id(&b[j])
		switch {
		case ai < bj:
			removed = append(removed, ai)
			i++
		case ai > bj:
			added = append(added, b[j])
			j++
		default:
			if !equal(&a[i], &b[j]) {
				if p, ok := diff(&a[i], &b[j]); ok {
					patched = append(patched, p)
				} else {
					updated = append(updated, b[j])
				}
			}
			i++
			j++
		}
	}
	for ; i < len(a); i++ {
		removed = append(removed, id(&a[i]))
	}
	added = append(added, b[j:]...)
	return added, updated, patched, removed
}

// changes are the lists of a Diff that concern one kind of element (T,
// with patches P), and how to read and apply them.
type changes[T, P any] struct {
	added, updated []T
	patched        []P
	removed        []string
	id             func(*T) string
	patchID        func(*P) string
	patch          func(*T, *P) T
}

// mergeSorted builds a new list from base (sorted by ID) with c.added
// inserted, c.updated replacing, c.patched applied and c.removed dropped,
// in one pass.
func mergeSorted[T, P any](what string, base []T, c changes[T, P]) ([]T, error) {
	id := c.id
	if err := checkSorted(what, "added", c.added, id); err != nil {
		return nil, err
	}
	if err := checkSorted(what, "updated", c.updated, id); err != nil {
		return nil, err
	}
	if err := checkSorted(what, "patched", c.patched, c.patchID); err != nil {
		return nil, err
	}
	removed := c.removed
	for k := 1; k < len(removed); k++ {
		if removed[k-1] >= removed[k] {
			return nil, fmt.Errorf("%w: removed %ss not sorted by ID at %q", ErrConflict, what, removed[k])
		}
	}
	added, updated, patched := c.added, c.updated, c.patched
	out := make([]T, 0, max(len(base)+len(added)-len(removed), 0))
	ai, ui, pi, ri := 0, 0, 0, 0
	prev := ""
	// Unchanged elements, most of a live diff's, are copied in runs.
	run := 0 // the first base element of the run not copied yet
	flush := func(i int) {
		out = append(out, base[run:i]...)
	}
	for i := 0; i < len(base) || ai < len(added); {
		if ai < len(added) && (i == len(base) || id(&added[ai]) < id(&base[i])) {
			flush(i)
			run = i
			out = append(out, added[ai])
			ai++
			continue
		}
		bid := id(&base[i])
		if i > 0 && bid <= prev {
			return nil, fmt.Errorf("%w: snapshot %ss not sorted by ID at %q", ErrConflict, what, bid)
		}
		prev = bid
		switch {
		case ai < len(added) && id(&added[ai]) == bid:
			return nil, fmt.Errorf("%w: %s %q added but already present", ErrConflict, what, bid)
		case ri < len(removed) && removed[ri] < bid:
			return nil, fmt.Errorf("%w: %s %q removed but not present", ErrConflict, what, removed[ri])
		case ui < len(updated) && id(&updated[ui]) < bid:
			return nil, fmt.Errorf("%w: %s %q updated but not present", ErrConflict, what, id(&updated[ui]))
		case pi < len(patched) && c.patchID(&patched[pi]) < bid:
			return nil, fmt.Errorf("%w: %s %q patched but not present", ErrConflict, what, c.patchID(&patched[pi]))
		}
		removing := ri < len(removed) && removed[ri] == bid
		updating := ui < len(updated) && id(&updated[ui]) == bid
		patching := pi < len(patched) && c.patchID(&patched[pi]) == bid
		if removing || updating || patching {
			flush(i)
			run = i + 1
		}
		switch {
		case removing && (updating || patching):
			return nil, fmt.Errorf("%w: %s %q both changed and removed", ErrConflict, what, bid)
		case updating && patching:
			return nil, fmt.Errorf("%w: %s %q both updated and patched", ErrConflict, what, bid)
		case removing:
			ri++
		case updating:
			out = append(out, updated[ui])
			ui++
		case patching:
			out = append(out, c.patch(&base[i], &patched[pi]))
			pi++
		}
		i++
	}
	flush(len(base))
	if ri < len(removed) {
		return nil, fmt.Errorf("%w: %s %q removed but not present", ErrConflict, what, removed[ri])
	}
	if ui < len(updated) {
		return nil, fmt.Errorf("%w: %s %q updated but not present", ErrConflict, what, id(&updated[ui]))
	}
	if pi < len(patched) {
		return nil, fmt.Errorf("%w: %s %q patched but not present", ErrConflict, what, c.patchID(&patched[pi]))
	}
	return out, nil
}

func checkSorted[T any](what, list string, xs []T, id func(*T) string) error {
	for k := 1; k < len(xs); k++ {
		if id(&xs[k-1]) >= id(&xs[k]) {
			return fmt.Errorf("%w: %s %ss not sorted by ID at %q", ErrConflict, list, what, id(&xs[k]))
		}
	}
	return nil
}
