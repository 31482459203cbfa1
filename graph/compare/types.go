package compare

import (
	"github.com/spanmap/spanmap/graph"
)

// Range is a half-open time range [From, To), Unix milliseconds.
type Range struct {
	From int64 `json:"from_ms"`
	To   int64 `json:"to_ms"`
}

// Change says how an element differs between range A and range B.
type Change string

// Changes, in the order a reader cares about them.
const (
	// Added is an element with traffic in B and none (or too little) in A.
	Added Change = "added"
	// Removed is an element with traffic in A and none (or too little) in B.
	Removed Change = "removed"
	// Regressed is an element whose errors or latency got worse.
	Regressed Change = "regressed"
	// Improved is an element whose errors or latency got better.
	Improved Change = "improved"
	// Traffic is an element whose call rate changed while its errors and
	// latency did not.
	Traffic Change = "traffic"
)

// Delta kinds.
const (
	KindNode = "node"
	KindEdge = "edge"
)

// Figures are the figures of one element over one range.
type Figures struct {
	// Calls is the number of calls in the range.
	Calls int64 `json:"calls"`
	// Rate is calls per second over the range.
	Rate float64 `json:"rate"`
	// ErrorPct is the share of failed calls, in percent (0-100).
	ErrorPct float64 `json:"error_pct"`
	// P50Ms and P99Ms are latency quantiles in milliseconds, 0 if unknown.
	P50Ms float64 `json:"p50_ms"`
	P99Ms float64 `json:"p99_ms"`
}

// Delta is one reported change of a node or an edge.
type Delta struct {
	// Kind is KindNode or KindEdge.
	Kind string `json:"kind"`
	// ID is the node or edge ID, as in graph.Snapshot (and Result.Graph).
	ID string `json:"id"`
	// From and To are an edge's ends.
	From string `json:"from,omitempty"`
	To   string `json:"to,omitempty"`
	// Change classifies the delta.
	Change Change `json:"change"`
	// A and B are the figures in each range; nil where the element had no
	// traffic.
	A *Figures `json:"a,omitempty"`
	B *Figures `json:"b,omitempty"`
	// RateRel, P50Rel and P99Rel are relative changes from A to B
	// (0.5 = +50%, -0.5 = -50%); 0 when either side is missing or unknown.
	RateRel float64 `json:"rate_rel"`
	P50Rel  float64 `json:"p50_rel"`
	P99Rel  float64 `json:"p99_rel"`
	// ErrorPts is the change of ErrorPct in percentage points.
	ErrorPts float64 `json:"error_pts"`
	// Score ranks deltas: higher is more significant (see Compare).
	Score float64 `json:"score"`
	// Reasons say in words what changed, e.g. "p99 40 ms → 88 ms (+120%)".
	Reasons []string `json:"reasons"`
}

// Thresholds decide what counts as a change rather than noise.
type Thresholds struct {
	// MinRate is the call rate (calls/s) an element needs in a range to count
	// as present there: below it in both ranges it is not reported, below it
	// in one range only it is added or removed.
	MinRate float64 `json:"min_rate"`
	// MinCalls is the number of calls an element needs in each range before
	// its latency and error figures are compared.
	MinCalls int64 `json:"min_calls"`
	// MinRel is the relative latency change (0.25 = 25%) that counts.
	MinRel float64 `json:"min_rel"`
	// MinLatencyMs is the absolute latency change that counts, so a 1 ms
	// call that takes 2 ms is not a regression.
	MinLatencyMs float64 `json:"min_latency_ms"`
	// MinErrorPts is the change of the error percentage, in points, that
	// counts.
	MinErrorPts float64 `json:"min_error_pts"`
	// MinRateRel is the relative call-rate change that counts (1 = +100%;
	// a drop counts from 1 - 1/(1+MinRateRel), -50% for 1).
	MinRateRel float64 `json:"min_rate_rel"`
}

// DefaultThresholds returns the thresholds the API uses when a request
// names none.
func DefaultThresholds() Thresholds {
	return Thresholds{
		MinRate:      0.01,
		MinCalls:     20,
		MinRel:       0.25,
		MinLatencyMs: 5,
		MinErrorPts:  1,
		MinRateRel:   1,
	}
}

// Result is the answer of a comparison of one View over two ranges.
type Result struct {
	// View is the canonical View string compared.
	View string `json:"view"`
	// A is the earlier (reference) range, B the one compared with it.
	A Range `json:"a"`
	B Range `json:"b"`
	// Thresholds are the thresholds applied.
	Thresholds Thresholds `json:"thresholds"`
	// Nodes and Edges are the reported deltas, most significant first.
	Nodes []Delta `json:"nodes"`
	Edges []Delta `json:"edges"`
	// Graph holds every node and edge of either range (B's figures where
	// present, else A's), filtered by the View and laid out, so removed
	// elements can be drawn. Delta IDs are IDs of this graph.
	Graph graph.Snapshot `json:"graph"`
}
