package graph

// NodeKind says what a node stands for.
type NodeKind string

// Node kinds. Service nodes are instrumented; database, messaging and
// external nodes are virtual, named from client/producer peer attributes;
// user is the virtual caller of root server spans; group is a collapsed
// namespace (or other grouping) box.
const (
	NodeService   NodeKind = "service"
	NodeDatabase  NodeKind = "database"
	NodeMessaging NodeKind = "messaging"
	NodeExternal  NodeKind = "external"
	NodeUser      NodeKind = "user"
	NodeGroup     NodeKind = "group"
)

// IsVirtual reports whether nodes of this kind are inferred rather than
// instrumented.
func (k NodeKind) IsVirtual() bool {
	return k == NodeDatabase || k == NodeMessaging || k == NodeExternal || k == NodeUser
}

// EdgeKind classifies a call.
type EdgeKind string

// Edge kinds.
const (
	EdgeRPC       EdgeKind = "rpc"
	EdgeMessaging EdgeKind = "messaging"
	EdgeDatabase  EdgeKind = "database"
	EdgeExternal  EdgeKind = "external"
)

// Health is the traffic-light state of a node or edge.
type Health string

// Health states, from thresholds on error rate and latency.
const (
	HealthUnknown  Health = ""
	HealthOK       Health = "ok"
	HealthDegraded Health = "degraded"
	HealthFailing  Health = "failing"
)

// Latency holds latency quantiles in milliseconds. Zero values mean "no data".
type Latency struct {
	P50 float64 `json:"p50"`
	P90 float64 `json:"p90"`
	P95 float64 `json:"p95"`
	P99 float64 `json:"p99"`
}

// IsZero reports whether no quantile is set.
func (l Latency) IsZero() bool { return l == Latency{} }

// Stats are the aggregated figures of a node or edge over a window.
type Stats struct {
	// Calls is the number of calls in the window.
	Calls int64 `json:"calls"`
	// Errors is the number of failed calls in the window.
	Errors int64 `json:"errors"`
	// Rate is calls per second over the window.
	Rate float64 `json:"rate"`
	// ErrorRate is Errors/Calls, 0 when there are no calls.
	ErrorRate float64 `json:"error_rate"`
	// Latency is the latency seen by the caller when known (client side),
	// otherwise the server side.
	Latency Latency `json:"latency_ms"`
	// ClientLatency is what the caller waited (client/producer span duration).
	ClientLatency *Latency `json:"client_latency_ms,omitempty"`
	// ServerLatency is the callee's own span duration.
	ServerLatency *Latency `json:"server_latency_ms,omitempty"`
	// QueueLag is consumer start minus producer start, for messaging edges.
	QueueLag *Latency `json:"queue_lag_ms,omitempty"`
}

// Trust says how much an edge's figures can be relied upon.
type Trust struct {
	// Paired counts calls seen from both sides (client and server span).
	Paired int64 `json:"paired"`
	// Unpaired counts calls seen from one side only.
	Unpaired int64 `json:"unpaired"`
	// Dropped counts spans involving this edge's services that were dropped
	// (pairing store full or expired before completion).
	Dropped int64 `json:"dropped"`
	// LastSeen is the Unix time in milliseconds of the latest call.
	LastSeen int64 `json:"last_seen_ms"`
	// SamplingRate is the sampling probability the spans carried, 0 if unknown.
	SamplingRate float64 `json:"sampling_rate,omitempty"`
}

// Exemplar points at one trace that shows an edge's behaviour.
type Exemplar struct {
	// Role is "slowest", "error" or "typical".
	Role string `json:"role"`
	// TraceID is the hex trace ID.
	TraceID string `json:"trace_id"`
	// Source names the backend the trace came from (for deep links).
	Source string `json:"source,omitempty"`
	// DurationMs is the call's latency.
	DurationMs float64 `json:"duration_ms"`
	// Time is the call's start, Unix milliseconds.
	Time int64 `json:"time_ms"`
}

// Point is a layout coordinate in points, origin top-left.
type Point struct {
	X float64 `json:"x"`
	Y float64 `json:"y"`
}

// Node is a service or virtual peer in the map.
type Node struct {
	// ID is unique within a snapshot: the service name, or "kind:name" for
	// virtual nodes that could clash with a service name.
	ID string `json:"id"`
	// Name is the label shown to users.
	Name string `json:"name"`
	// Kind is the node kind.
	Kind NodeKind `json:"kind"`
	// Namespace is service.namespace, when known.
	Namespace string `json:"namespace,omitempty"`
	// Group is the ID of the group node this node belongs to, if any.
	Group string `json:"group,omitempty"`
	// Stats are the node's inbound (served) calls.
	Stats Stats `json:"stats"`
	// Operations lists the operations the node serves, sorted.
	Operations []string `json:"operations,omitempty"`
	// Sources names the sources that saw this node, sorted.
	Sources []string `json:"sources,omitempty"`
	// Health is the node's state.
	Health Health `json:"health,omitempty"`
	// Pos is the node centre, set by layout.
	Pos *Point `json:"pos,omitempty"`
	// Width and Height are the node's laid-out size in points.
	Width  float64 `json:"width,omitempty"`
	Height float64 `json:"height,omitempty"`
}

// Edge is a caller -> callee relation.
type Edge struct {
	// ID is "FROM->TO", or "FROM->TO#OPERATION" for operation-level edges.
	ID string `json:"id"`
	// From and To are node IDs.
	From string `json:"from"`
	To   string `json:"to"`
	// Kind is the edge kind.
	Kind EdgeKind `json:"kind"`
	// Operation is set for operation-level edges.
	Operation string `json:"operation,omitempty"`
	Stats
	// Trust is the edge's data quality.
	Trust Trust `json:"trust"`
	// Exemplars are up to three example traces.
	Exemplars []Exemplar `json:"exemplars,omitempty"`
	// Sources names the sources that saw this edge, sorted.
	Sources []string `json:"sources,omitempty"`
	// Health is the edge's state.
	Health Health `json:"health,omitempty"`
	// Path is the laid-out edge spline (cubic Bezier control points), if any.
	Path []Point `json:"path,omitempty"`
}

// EdgeID returns the canonical edge ID for from, to and an optional operation.
func EdgeID(from, to, operation string) string {
	if operation == "" {
		return from + "->" + to
	}
	return from + "->" + to + "#" + operation
}

// Snapshot is the full state of one View at one version.
type Snapshot struct {
	// Version increases with every change of this View's graph.
	Version uint64 `json:"version"`
	// View is the canonical query string of the View.
	View string `json:"view,omitempty"`
	// From and To bound the data window, Unix milliseconds.
	From int64 `json:"from_ms,omitempty"`
	To   int64 `json:"to_ms,omitempty"`
	// Width and Height are the drawing's bounding box in points.
	Width  float64 `json:"width,omitempty"`
	Height float64 `json:"height,omitempty"`
	// Nodes are sorted by ID.
	Nodes []Node `json:"nodes"`
	// Edges are sorted by ID.
	Edges []Edge `json:"edges"`
}
