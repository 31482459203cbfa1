package derive

import (
	"github.com/spanmap/spanmap/graph"
	"github.com/spanmap/spanmap/graph/span"
)

// Endpoint is one side of a derived call.
type Endpoint struct {
	// ID is the node ID (service name, or a virtual node's ID).
	ID string
	// Name is the display name.
	Name string
	// Kind is the node kind.
	Kind graph.NodeKind
	// Namespace is service.namespace, when known.
	Namespace string
}

// Observation is one call derived from spans: the unit aggregation counts.
// A client/server pair yields exactly one Observation.
type Observation struct {
	From, To Endpoint
	// Kind is the edge kind.
	Kind graph.EdgeKind
	// Operation is the callee's operation (server/consumer span name), or the
	// caller's span name for calls to virtual nodes.
	Operation string
	// Time is the call's start in Unix nanoseconds (caller side if known).
	Time int64
	// ClientDuration is the caller's span duration in ns, -1 if no caller span.
	ClientDuration int64
	// ServerDuration is the callee's span duration in ns, -1 if no callee span.
	ServerDuration int64
	// QueueLag is consumer start minus producer start in ns for messaging
	// edges, -1 otherwise.
	QueueLag int64
	// Error reports a failed call (either side).
	Error bool
	// Paired reports that both sides of the call were seen.
	Paired bool
	// TraceID is the trace the call belongs to (for exemplars).
	TraceID span.TraceID
	// SamplingProbability is the sampling probability, 0 if unknown.
	SamplingProbability float64
	// Evicted reports that the call was settled before its TTL because the
	// pairing store was full: a counterpart may have been missed.
	Evicted bool
}

// Latency returns the latency to aggregate: client side when known,
// otherwise server side.
func (o *Observation) Latency() int64 {
	if o.ClientDuration >= 0 {
		return o.ClientDuration
	}
	return o.ServerDuration
}
