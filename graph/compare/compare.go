package compare

import (
	"cmp"
	"fmt"
	"math"
	"slices"

	"github.com/spanmap/spanmap/graph"
)

// Significance limits, fixed rather than configurable: they keep chance
// fluctuations of small counts from being reported.
const (
	// minZ is the z-score a change of error share or call rate must reach
	// (about 95% confidence, two-sided) on top of its threshold.
	minZ = 2.0
	// maxRel caps relative changes in the score, so that one element going
	// from 0.1 ms to 100 ms does not outrank everything else.
	maxRel = 10.0
	// errorPtsPerUnit is the error-share change, in percentage points, that
	// weighs as much in the score as a doubling of latency.
	errorPtsPerUnit = 5.0
)

// Compare reports how snapshot b differs from snapshot a: the nodes and
// edges added and removed, and those whose errors, latency or traffic
// changed beyond th, each list ranked by Score, highest first (ties by ID).
// Delta IDs are the element IDs of a and b. The result's View, ranges (from
// the snapshots' From and To) and Thresholds are set; Graph is left empty
// (see Union).
//
// An element is present in a range when it is in the snapshot with at
// least th.MinRate calls/s (a node: inbound, or on one of its outbound
// edges). Present in b only, it is Added; in a only, Removed; in neither,
// it is not reported. Present in both, it is compared:
//
//   - latency (p50 and p99 separately) when both ranges have at least
//     th.MinCalls calls and both quantiles are known: the relative change
//     must reach th.MinRel and the absolute one th.MinLatencyMs;
//   - error share under the same call minimum: the change must reach
//     th.MinErrorPts percentage points and be significant (two-proportion
//     z-test, z >= 2);
//   - call rate: the rate must grow by th.MinRateRel or shrink by the
//     same factor (b/a >= 1+MinRateRel or <= 1/(1+MinRateRel)), and the
//     change must be significant (Poisson counts, z >= 2).
//
// Worse latency or errors make it Regressed (even when something else got
// better), better ones Improved, and a traffic change alone Traffic.
//
// Score = log10(1 + calls per minute) × magnitude, with calls per minute
// the larger rate of the two ranges, so busier elements rank higher but a
// large change of a quiet one still shows. The magnitude is 1 + error% /
// 10 for an added or removed element (error% of the range it is present
// in), and otherwise the sum over the reported changes of: the larger
// |relative latency change| (capped at 10), |error points| / 5 (five
// points weigh like a doubling of latency), and |log2(rate b / rate a)| / 2
// (capped at 5).
func Compare(a, b graph.Snapshot, th Thresholds) Result {
	c := comparer{th: th, secsA: seconds(a), secsB: seconds(b)}
	res := Result{
		View:       b.View,
		A:          Range{From: a.From, To: a.To},
		B:          Range{From: b.From, To: b.To},
		Thresholds: th,
		Nodes:      []Delta{},
		Edges:      []Delta{},
	}
	outA, outB := outboundRates(a), outboundRates(b)
	nodesA, nodesB := indexNodes(a), indexNodes(b)
	for _, id := range unionIDs(nodesA, nodesB) {
		na, nb := nodesA[id], nodesB[id]
		d := Delta{Kind: KindNode, ID: id}
		var sa, sb *graph.Stats
		if na != nil {
			sa = &na.Stats
		}
		if nb != nil {
			sb = &nb.Stats
		}
		if c.delta(&d, sa, sb, max(outA[id], 0), max(outB[id], 0)) {
			res.Nodes = append(res.Nodes, d)
		}
	}
	edgesA, edgesB := indexEdges(a), indexEdges(b)
	for _, id := range unionIDs(edgesA, edgesB) {
		ea, eb := edgesA[id], edgesB[id]
		d := Delta{Kind: KindEdge, ID: id}
		var sa, sb *graph.Stats
		if ea != nil {
			sa, d.From, d.To = &ea.Stats, ea.From, ea.To
		}
		if eb != nil {
			sb, d.From, d.To = &eb.Stats, eb.From, eb.To
		}
		if c.delta(&d, sa, sb, 0, 0) {
			res.Edges = append(res.Edges, d)
		}
	}
	rank(res.Nodes)
	rank(res.Edges)
	return res
}

// comparer holds what every element's comparison needs.
type comparer struct {
	th           Thresholds
	secsA, secsB float64 // range lengths, 0 when unknown
}

// delta fills d from the stats of one element in a and b (nil when
// absent) and reports whether it is a change worth reporting. extraA and
// extraB are rates that also make the element present (a node's outbound
// traffic).
func (c *comparer) delta(d *Delta, sa, sb *graph.Stats, extraA, extraB float64) bool {
	presentA := sa != nil && (sa.Rate >= c.th.MinRate && sa.Calls > 0 || extraA >= c.th.MinRate && extraA > 0)
	presentB := sb != nil && (sb.Rate >= c.th.MinRate && sb.Calls > 0 || extraB >= c.th.MinRate && extraB > 0)
	if sa != nil && sa.Calls > 0 {
		d.A = figures(sa)
	}
	if sb != nil && sb.Calls > 0 {
		d.B = figures(sb)
	}
	traffic := func(s *graph.Stats, extra float64) float64 {
		if s == nil {
			return extra
		}
		return max(s.Rate, extra)
	}
	weight := math.Log10(1 + 60*max(traffic(sa, extraA), traffic(sb, extraB)))
	switch {
	case !presentA && !presentB:
		return false
	case !presentA:
		d.Change = Added
		d.Reasons = []string{presenceReason("new", d.B, extraB)}
		d.Score = weight * (1 + errPct(d.B)/10)
		return true
	case !presentB:
		d.Change = Removed
		d.Reasons = []string{presenceReason("gone, was", d.A, extraA)}
		d.Score = weight * (1 + errPct(d.A)/10)
		return true
	}
	if d.A == nil || d.B == nil {
		return false // present through outbound traffic only: nothing to compare
	}
	return c.changes(d, sa, sb, weight)
}

// changes compares the figures of an element present in both ranges.
func (c *comparer) changes(d *Delta, sa, sb *graph.Stats, weight float64) bool {
	fa, fb := d.A, d.B
	d.RateRel = rel(fa.Rate, fb.Rate)
	d.ErrorPts = fb.ErrorPct - fa.ErrorPct
	if fa.P50Ms > 0 && fb.P50Ms > 0 {
		d.P50Rel = rel(fa.P50Ms, fb.P50Ms)
	}
	if fa.P99Ms > 0 && fb.P99Ms > 0 {
		d.P99Rel = rel(fa.P99Ms, fb.P99Ms)
	}
	enough := sa.Calls >= c.th.MinCalls && sb.Calls >= c.th.MinCalls
	var worse, better bool
	var mag, latMag float64
	note := func(up bool, reason string) {
		if up {
			worse = true
		} else {
			better = true
		}
		d.Reasons = append(d.Reasons, reason)
	}
	if enough {
		for _, q := range []struct {
			name   string
			a, b   float64
			relChg float64
		}{{"p99", fa.P99Ms, fb.P99Ms, d.P99Rel}, {"p50", fa.P50Ms, fb.P50Ms, d.P50Rel}} {
			if q.a <= 0 || q.b <= 0 || math.Abs(q.relChg) < c.th.MinRel || math.Abs(q.b-q.a) < c.th.MinLatencyMs {
				continue
			}
			note(q.b > q.a, fmt.Sprintf("%s %s → %s (%s)", q.name, ms(q.a), ms(q.b), pct(q.relChg)))
			latMag = max(latMag, min(math.Abs(q.relChg), maxRel))
		}
		if math.Abs(d.ErrorPts) >= c.th.MinErrorPts && proportionZ(sa, sb) >= minZ {
			note(d.ErrorPts > 0, fmt.Sprintf("errors %s → %s (%+.1f pts)", percent(fa.ErrorPct), percent(fb.ErrorPct), d.ErrorPts))
			mag += math.Abs(d.ErrorPts) / errorPtsPerUnit
		}
	}
	mag += latMag
	trafficChanged := false
	if ratio := fb.Rate / fa.Rate; c.th.MinRateRel > 0 && (ratio >= 1+c.th.MinRateRel || ratio <= 1/(1+c.th.MinRateRel)) && c.rateZ(sa, sb) >= minZ {
		trafficChanged = true
		d.Reasons = append(d.Reasons, fmt.Sprintf("rate %s → %s (%s)", rate(fa.Rate), rate(fb.Rate), pct(d.RateRel)))
		mag += min(math.Abs(math.Log2(ratio)), maxRel) / 2
	}
	switch {
	case worse:
		d.Change = Regressed
	case better:
		d.Change = Improved
	case trafficChanged:
		d.Change = Traffic
	default:
		d.Reasons = nil
		return false
	}
	d.Score = weight * mag
	return true
}

// rateZ is the z-score of the difference of two Poisson rates: the call
// counts over the range lengths. Without known lengths it is taken as
// significant.
func (c *comparer) rateZ(sa, sb *graph.Stats) float64 {
	if c.secsA <= 0 || c.secsB <= 0 {
		return math.Inf(1)
	}
	ra, rb := float64(sa.Calls)/c.secsA, float64(sb.Calls)/c.secsB
	v := float64(sa.Calls)/(c.secsA*c.secsA) + float64(sb.Calls)/(c.secsB*c.secsB)
	if v == 0 {
		return 0
	}
	return math.Abs(rb-ra) / math.Sqrt(v)
}

// proportionZ is the two-proportion z-score of the error shares.
func proportionZ(sa, sb *graph.Stats) float64 {
	na, nb := float64(sa.Calls), float64(sb.Calls)
	ea, eb := float64(min(sa.Errors, sa.Calls)), float64(min(sb.Errors, sb.Calls))
	p := (ea + eb) / (na + nb)
	v := p * (1 - p) * (1/na + 1/nb)
	if v <= 0 {
		if ea/na != eb/nb {
			return math.Inf(1)
		}
		return 0
	}
	return math.Abs(eb/nb-ea/na) / math.Sqrt(v)
}

// figures returns the Figures of s.
func figures(s *graph.Stats) *Figures {
	return &Figures{
		Calls:    s.Calls,
		Rate:     s.Rate,
		ErrorPct: 100 * s.ErrorRate,
		P50Ms:    s.Latency.P50,
		P99Ms:    s.Latency.P99,
	}
}

// seconds returns the length of a snapshot's range in seconds, 0 when it
// is not set.
func seconds(s graph.Snapshot) float64 {
	if s.To <= s.From {
		return 0
	}
	return float64(s.To-s.From) / 1000
}

// rel returns the relative change from a to b, 0 when a is 0.
func rel(a, b float64) float64 {
	if a == 0 {
		return 0
	}
	return b/a - 1
}

func errPct(f *Figures) float64 {
	if f == nil {
		return 0
	}
	return f.ErrorPct
}

// presenceReason describes an element present in one range only.
func presenceReason(prefix string, f *Figures, outbound float64) string {
	if f == nil {
		return fmt.Sprintf("%s: calls out at %s", prefix, rate(outbound))
	}
	s := fmt.Sprintf("%s: %s, %s errors", prefix, rate(f.Rate), percent(f.ErrorPct))
	if f.P99Ms > 0 {
		s += ", p99 " + ms(f.P99Ms)
	}
	return s
}

// outboundRates returns the largest outbound edge rate of every node.
func outboundRates(s graph.Snapshot) map[string]float64 {
	out := make(map[string]float64, len(s.Nodes))
	for i := range s.Edges {
		e := &s.Edges[i]
		out[e.From] = max(out[e.From], e.Rate)
	}
	return out
}

func indexNodes(s graph.Snapshot) map[string]*graph.Node {
	m := make(map[string]*graph.Node, len(s.Nodes))
	for i := range s.Nodes {
		m[s.Nodes[i].ID] = &s.Nodes[i]
	}
	return m
}

func indexEdges(s graph.Snapshot) map[string]*graph.Edge {
	m := make(map[string]*graph.Edge, len(s.Edges))
	for i := range s.Edges {
		m[s.Edges[i].ID] = &s.Edges[i]
	}
	return m
}

// unionIDs returns the keys of a and b, sorted.
func unionIDs[T any](a, b map[string]T) []string {
	ids := make([]string, 0, max(len(a), len(b)))
	for id := range a {
		ids = append(ids, id)
	}
	for id := range b {
		if _, ok := a[id]; !ok {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids
}

// rank sorts deltas by score, highest first, then by ID.
func rank(ds []Delta) {
	slices.SortStableFunc(ds, func(x, y Delta) int {
		if c := cmp.Compare(y.Score, x.Score); c != 0 {
			return c
		}
		return cmp.Compare(x.ID, y.ID)
	})
}
