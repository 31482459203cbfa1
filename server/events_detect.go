package server

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spanmap/spanmap/graph"
	"github.com/spanmap/spanmap/graph/agg"
)

// snapshotter is the part of the aggregator the detector reads.
type snapshotter interface {
	Config() agg.Config
	Snapshot(from, to time.Time, opt agg.Options) graph.Snapshot
}

// detector finds topology changes between evaluations of the whole map:
//
//   - edge_added: an edge with calls in the detection window that was not
//     present before (present: it had calls since it was last removed, or
//     in the quiet period before the baseline);
//   - edge_removed: a present edge whose last call is QuietPeriod old;
//   - health_changed: a node or edge judged (at least MinCalls calls in the
//     window) in another state than its settled one Confirm evaluations in
//     a row. The first judged state settles without an event; evaluations
//     with too few calls neither confirm nor break a change.
//
// It is not safe for concurrent use.
type detector struct {
	cfg    EventsConfig
	edges  map[string]time.Time    // present edges by ID: last call
	health map[string]*healthState // by element and ID, see healthKey
}

// healthState is the settled health of one node or edge and the change it
// may be going through.
type healthState struct {
	stable graph.Health
	cand   graph.Health // a state seen count times in a row, not yet settled
	count  int
	seen   time.Time // last evaluation that judged it
}

func newDetector(cfg EventsConfig) *detector {
	return &detector{cfg: cfg, edges: map[string]time.Time{}, health: map[string]*healthState{}}
}

func healthKey(element, id string) string { return element + "\x00" + id }

// window returns the bucket-aligned span of d long that ends with the
// bucket holding now.
func window(a snapshotter, now time.Time, d time.Duration) (time.Time, time.Time) {
	w := a.Config().BucketWidth
	end := now.Truncate(w).Add(w)
	return end.Add(-d), end
}

// baseline takes what a holds as of now as the known state: edges with
// calls in the quiet period are present, and the health judged over the
// window is settled, so none of it is reported as a change later.
func (d *detector) baseline(a snapshotter, now time.Time) {
	from, to := window(a, now, d.cfg.QuietPeriod)
	for _, e := range a.Snapshot(from, to, agg.Options{}).Edges {
		if e.Calls > 0 {
			d.edges[e.ID] = lastCall(&e, now)
		}
	}
	from, to = window(a, now, d.cfg.Window)
	w := a.Snapshot(from, to, agg.Options{})
	for _, n := range w.Nodes {
		if n.Stats.Calls >= d.cfg.MinCalls {
			d.health[healthKey(graph.ElementNode, n.ID)] = &healthState{stable: n.Health, seen: now}
		}
	}
	for _, e := range w.Edges {
		if e.Calls >= d.cfg.MinCalls {
			d.health[healthKey(graph.ElementEdge, e.ID)] = &healthState{stable: e.Health, seen: now}
		}
	}
}

// lastCall is an edge's latest call, now when the edge does not say.
func lastCall(e *graph.Edge, now time.Time) time.Time {
	if e.Trust.LastSeen > 0 {
		return time.UnixMilli(e.Trust.LastSeen)
	}
	return now
}

// step evaluates a as of now and returns the changes since the last step,
// edges added first, then removed, then health changes, each sorted by ID.
func (d *detector) step(a snapshotter, now time.Time) []graph.Event {
	from, to := window(a, now, d.cfg.Window)
	w := a.Snapshot(from, to, agg.Options{})
	ms := now.UnixMilli()
	var evs []graph.Event
	active := make(map[string]bool, len(w.Edges))
	for i := range w.Edges {
		e := &w.Edges[i]
		if e.Calls == 0 {
			continue
		}
		active[e.ID] = true
		last, present := d.edges[e.ID]
		if !present {
			evs = append(evs, graph.Event{Time: ms, Kind: graph.EventEdgeAdded, Element: graph.ElementEdge, ID: e.ID,
				Detail: fmt.Sprintf("%d calls, error rate %s over %s", e.Calls, percent(e.ErrorRate), shortDuration(d.cfg.Window))})
		}
		if l := lastCall(e, now); !present || l.After(last) {
			d.edges[e.ID] = l
		}
	}
	var gone []string
	for id, last := range d.edges {
		if !active[id] && now.Sub(last) >= d.cfg.QuietPeriod {
			gone = append(gone, id)
		}
	}
	slices.Sort(gone)
	for _, id := range gone {
		evs = append(evs, graph.Event{Time: ms, Kind: graph.EventEdgeRemoved, Element: graph.ElementEdge, ID: id,
			Detail: fmt.Sprintf("no calls for %s since %s", shortDuration(d.cfg.QuietPeriod), d.edges[id].UTC().Format(time.RFC3339))})
		delete(d.edges, id)
		delete(d.health, healthKey(graph.ElementEdge, id))
	}
	for i := range w.Nodes {
		n := &w.Nodes[i]
		evs = d.judge(evs, graph.ElementNode, n.ID, n.Health, &n.Stats, now)
	}
	for i := range w.Edges {
		e := &w.Edges[i]
		if _, present := d.edges[e.ID]; present {
			evs = d.judge(evs, graph.ElementEdge, e.ID, e.Health, &e.Stats, now)
		}
	}
	d.forget(now)
	return evs
}

// judge applies the hysteresis to one node or edge with health h over the
// window, appending a health_changed event when a new state settles.
func (d *detector) judge(evs []graph.Event, element, id string, h graph.Health, st *graph.Stats, now time.Time) []graph.Event {
	if st.Calls < d.cfg.MinCalls {
		return evs
	}
	k := healthKey(element, id)
	hs := d.health[k]
	if hs == nil {
		d.health[k] = &healthState{stable: h, seen: now}
		return evs
	}
	hs.seen = now
	switch {
	case h == hs.stable:
		hs.cand, hs.count = "", 0
		return evs
	case h == hs.cand:
		hs.count++
	default:
		hs.cand, hs.count = h, 1
	}
	if hs.count < d.cfg.Confirm {
		return evs
	}
	evs = append(evs, graph.Event{
		Time: now.UnixMilli(), Kind: graph.EventHealthChanged, Element: element, ID: id,
		From: string(hs.stable), To: string(h), Detail: healthDetail(st, d.cfg.Window),
	})
	hs.stable, hs.cand, hs.count = h, "", 0
	return evs
}

// forget drops the health of nodes not judged for a quiet period, so the
// state stays bounded by what the map showed recently. Edge states go
// with their edge_removed.
func (d *detector) forget(now time.Time) {
	for k, hs := range d.health {
		if strings.HasPrefix(k, graph.ElementNode+"\x00") && now.Sub(hs.seen) >= d.cfg.QuietPeriod {
			delete(d.health, k)
		}
	}
}

// healthDetail describes the figures behind a health state.
func healthDetail(st *graph.Stats, w time.Duration) string {
	s := fmt.Sprintf("error rate %s over %s, %d calls", percent(st.ErrorRate), shortDuration(w), st.Calls)
	if st.Latency.P99 > 0 {
		s += ", p99 " + strconv.FormatFloat(st.Latency.P99, 'f', 1, 64) + " ms"
	}
	return s
}

// percent formats a ratio as a percentage with up to three significant
// digits: 0.125 is "12.5%".
func percent(r float64) string {
	return strconv.FormatFloat(r*100, 'g', 3, 64) + "%"
}

// shortDuration formats d without zero units: 1m, 5m, 1h, 90s is 1m30s.
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
