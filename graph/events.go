package graph

import "strings"

// Event kinds.
const (
	// EventEdgeAdded is an edge seen that was not present in the previous
	// detection window.
	EventEdgeAdded = "edge_added"
	// EventEdgeRemoved is an edge that had traffic and has had none for the
	// configured quiet period.
	EventEdgeRemoved = "edge_removed"
	// EventHealthChanged is a node or edge whose health state changed and
	// held the new state long enough not to be a flap.
	EventHealthChanged = "health_changed"
)

// Event elements.
const (
	// ElementNode marks an event about a node; ID is the node ID.
	ElementNode = "node"
	// ElementEdge marks an event about an edge; ID is "FROM->TO".
	ElementEdge = "edge"
)

// Event is one change of the map's topology or health, as served by
// GET /api/v1/events.
type Event struct {
	// Time is when the change was detected, Unix milliseconds.
	Time int64 `json:"time_ms"`
	// Kind is EventEdgeAdded, EventEdgeRemoved or EventHealthChanged.
	Kind string `json:"kind"`
	// Element is ElementNode or ElementEdge.
	Element string `json:"element"`
	// ID is the node ID, or "FROM->TO" for an edge.
	ID string `json:"id"`
	// From and To are the health states before and after, for
	// health_changed ("" is unknown: no calls).
	From string `json:"from,omitempty"`
	To   string `json:"to,omitempty"`
	// Detail explains the change for people, e.g. "error rate 12.5% over 1m".
	Detail string `json:"detail,omitempty"`
}

// EventList is the body of GET /api/v1/events: events newest first, and
// whether more matched than the limit allowed.
type EventList struct {
	// Events are newest first.
	Events []Event `json:"events"`
	// Truncated is true when older matching events were left out.
	Truncated bool `json:"truncated"`
}

// EdgeEnds splits an edge event's ID "FROM->TO" into its node IDs; ok is
// false when id has no "->".
func EdgeEnds(id string) (from, to string, ok bool) {
	return strings.Cut(id, "->")
}
