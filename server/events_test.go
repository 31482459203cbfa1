package server

import (
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/spanmap/spanmap/graph"
	"github.com/spanmap/spanmap/graph/agg"
)

// fakeSnaps answers every Snapshot with s.
type fakeSnaps struct{ s graph.Snapshot }

func (f *fakeSnaps) Config() agg.Config { return agg.DefaultConfig() }

func (f *fakeSnaps) Snapshot(time.Time, time.Time, agg.Options) graph.Snapshot { return f.s }

// es is an edge "from->to" with calls, error rate and health, last called
// at last.
func es(id string, calls int64, errRate float64, h graph.Health, last time.Time) graph.Edge {
	from, to, _ := graph.EdgeEnds(id)
	return graph.Edge{ID: id, From: from, To: to, Stats: graph.Stats{Calls: calls, ErrorRate: errRate}, Health: h,
		Trust: graph.Trust{LastSeen: last.UnixMilli()}}
}

func ns(id string, calls int64, h graph.Health) graph.Node {
	return graph.Node{ID: id, Name: id, Kind: graph.NodeService, Stats: graph.Stats{Calls: calls}, Health: h}
}

type evKey struct{ kind, id, from, to string }

func keys(evs []graph.Event) []evKey {
	var out []evKey
	for _, e := range evs {
		out = append(out, evKey{e.Kind, e.ID, e.From, e.To})
	}
	return out
}

var tNow = time.Unix(1_700_000_000, 0)

func TestDetector_step_edgeLifecycle(t *testing.T) {
	f := &fakeSnaps{}
	d := newDetector(DefaultEventsConfig())
	d.baseline(f, tNow)
	edge := func(at time.Time) graph.Snapshot {
		return graph.Snapshot{Edges: []graph.Edge{es("a->b", 3, 0, graph.HealthOK, at)}}
	}
	steps := []struct {
		at   time.Duration
		snap graph.Snapshot
		want []evKey
	}{
		{0, edge(tNow), []evKey{{graph.EventEdgeAdded, "a->b", "", ""}}},
		{10 * time.Second, edge(tNow.Add(10 * time.Second)), nil},
		// Quiet, but not for the quiet period (5m since the last call).
		{2 * time.Minute, graph.Snapshot{}, nil},
		{5*time.Minute + 9*time.Second, graph.Snapshot{}, nil},
		{5*time.Minute + 10*time.Second, graph.Snapshot{}, []evKey{{graph.EventEdgeRemoved, "a->b", "", ""}}},
		{6 * time.Minute, graph.Snapshot{}, nil},
		{7 * time.Minute, edge(tNow.Add(7 * time.Minute)), []evKey{{graph.EventEdgeAdded, "a->b", "", ""}}},
	}
	for i, st := range steps {
		f.s = st.snap
		got := d.step(f, tNow.Add(st.at))
		if !slices.Equal(keys(got), st.want) {
			t.Fatalf("step %d (+%v): %+v, want %+v", i, st.at, got, st.want)
		}
		for _, e := range got {
			if e.Time != tNow.Add(st.at).UnixMilli() || e.Element != graph.ElementEdge || e.Detail == "" {
				t.Fatalf("step %d: event %+v", i, e)
			}
		}
	}
}

func TestDetector_step_healthHysteresis(t *testing.T) {
	f := &fakeSnaps{s: graph.Snapshot{
		Nodes: []graph.Node{ns("b", 20, graph.HealthOK)},
		Edges: []graph.Edge{es("a->b", 20, 0, graph.HealthOK, tNow)},
	}}
	cfg := DefaultEventsConfig()
	d := newDetector(cfg)
	d.baseline(f, tNow)
	at := tNow
	state := func(h graph.Health, calls int64, errRate float64) []graph.Event {
		at = at.Add(10 * time.Second)
		f.s = graph.Snapshot{
			Nodes: []graph.Node{ns("b", calls, h)},
			Edges: []graph.Edge{es("a->b", calls, errRate, h, at)},
		}
		return d.step(f, at)
	}
	// Flapping between ok and degraded, and a failing state that does not
	// last Confirm evaluations, record nothing.
	for i, h := range []graph.Health{graph.HealthDegraded, graph.HealthOK, graph.HealthDegraded, graph.HealthOK,
		graph.HealthFailing, graph.HealthFailing, graph.HealthOK} {
		if evs := state(h, 20, 0); len(evs) != 0 {
			t.Fatalf("flap step %d (%s): %+v", i, h, evs)
		}
	}
	if evs := state(graph.HealthFailing, 40, 0.125); len(evs) != 0 {
		t.Fatal(evs)
	}
	// Too few calls to judge neither confirms nor breaks the change.
	if evs := state(graph.HealthOK, 3, 0); len(evs) != 0 {
		t.Fatal(evs)
	}
	if evs := state(graph.HealthFailing, 40, 0.125); len(evs) != 0 {
		t.Fatal(evs)
	}
	evs := state(graph.HealthFailing, 40, 0.125)
	want := []evKey{
		{graph.EventHealthChanged, "b", "ok", "failing"},
		{graph.EventHealthChanged, "a->b", "ok", "failing"},
	}
	if !slices.Equal(keys(evs), want) {
		t.Fatalf("after %d failing evaluations: %+v, want %+v", cfg.Confirm, evs, want)
	}
	if evs[0].Element != graph.ElementNode || evs[1].Element != graph.ElementEdge {
		t.Fatalf("elements: %+v", evs)
	}
	if d := evs[1].Detail; d != "error rate 12.5% over 1m, 40 calls" {
		t.Fatalf("detail %q", d)
	}
	for range cfg.Confirm - 1 {
		if evs := state(graph.HealthOK, 20, 0); len(evs) != 0 {
			t.Fatal(evs)
		}
	}
	if evs := state(graph.HealthOK, 20, 0); !slices.Equal(keys(evs), []evKey{
		{graph.EventHealthChanged, "b", "failing", "ok"},
		{graph.EventHealthChanged, "a->b", "failing", "ok"},
	}) {
		t.Fatalf("recovery: %+v", evs)
	}
}

func TestDetector_baseline_knownStateIsNoChange(t *testing.T) {
	last := tNow.Add(-2 * time.Minute)
	f := &fakeSnaps{s: graph.Snapshot{
		Nodes: []graph.Node{ns("b", 50, graph.HealthFailing)},
		Edges: []graph.Edge{es("a->b", 50, 0.5, graph.HealthFailing, last)},
	}}
	d := newDetector(DefaultEventsConfig())
	d.baseline(f, tNow)
	for i := range 5 {
		if evs := d.step(f, tNow.Add(time.Duration(i)*10*time.Second)); len(evs) != 0 {
			t.Fatalf("step %d on the baseline: %+v", i, evs)
		}
	}
	// The edge went quiet before the baseline: it is removed once its last
	// call is a quiet period old.
	f.s = graph.Snapshot{}
	if evs := d.step(f, last.Add(5*time.Minute-time.Second)); len(evs) != 0 {
		t.Fatal(evs)
	}
	if evs := d.step(f, last.Add(5*time.Minute)); !slices.Equal(keys(evs), []evKey{{graph.EventEdgeRemoved, "a->b", "", ""}}) {
		t.Fatalf("%+v", evs)
	}
}

func TestMemRing_ListEvents(t *testing.T) {
	r := newMemRing(3)
	for i := range 5 {
		if err := r.AppendEvents([]graph.Event{{Time: int64(i * 1000), Kind: graph.EventEdgeAdded, ID: string(rune('a' + i))}}); err != nil {
			t.Fatal(err)
		}
	}
	list := func(from, to int64, limit int) (string, bool) {
		evs, tr, err := r.ListEvents(time.UnixMilli(from), time.UnixMilli(to), limit, nil)
		if err != nil {
			t.Fatal(err)
		}
		var s string
		for _, e := range evs {
			s += e.ID
		}
		return s, tr
	}
	for _, tc := range []struct {
		from, to int64
		limit    int
		want     string
		trunc    bool
	}{
		{0, 10_000, 10, "edc", false}, // a and b were overwritten
		{0, 10_000, 2, "ed", true},
		{0, 4000, 10, "dc", false},
		{3000, 4001, 10, "ed", false},
		{5000, 10_000, 10, "", false},
	} {
		if got, tr := list(tc.from, tc.to, tc.limit); got != tc.want || tr != tc.trunc {
			t.Errorf("[%d, %d) limit %d = %q %v, want %q %v", tc.from, tc.to, tc.limit, got, tr, tc.want, tc.trunc)
		}
	}
}

func eventsConfig() Config {
	cfg := testConfig()
	cfg.FlushInterval = 100 * time.Millisecond
	return cfg
}

func listEvents(t *testing.T, base, query string) graph.EventList {
	t.Helper()
	code, body := get(t, base+"/api/v1/events?"+query)
	if code != 200 {
		t.Fatalf("GET /api/v1/events?%s = %d: %s", query, code, body)
	}
	var l graph.EventList
	if err := json.Unmarshal([]byte(body), &l); err != nil {
		t.Fatal(err)
	}
	if l.Events == nil {
		t.Fatalf("events encoded as null: %s", body)
	}
	return l
}

// waitEvent polls the events until one of kind about id shows.
func waitEvent(t *testing.T, base, kind, id string) graph.Event {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		for _, e := range listEvents(t, base, "limit=1000").Events {
			if e.Kind == kind && e.ID == id {
				return e
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %s event for %s: %+v", kind, id, listEvents(t, base, "").Events)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestServer_Events_memory(t *testing.T) {
	s := start(t, eventsConfig())
	base := "http://" + s.Addr("--http-addr")
	if l := listEvents(t, base, ""); len(l.Events) != 0 || l.Truncated {
		t.Fatalf("before any traffic: %+v", l)
	}
	sendPair(t, s.Addr("--otlp-http-addr"), "checkout", "payment")
	e := waitEvent(t, base, graph.EventEdgeAdded, "checkout->payment")
	waitEvent(t, base, graph.EventEdgeAdded, "user->checkout")
	if e.Element != graph.ElementEdge || time.Since(time.UnixMilli(e.Time)) > time.Minute {
		t.Fatalf("event %+v", e)
	}
	if l := listEvents(t, base, "limit=1"); len(l.Events) != 1 || !l.Truncated {
		t.Fatalf("limit=1: %+v", l)
	}
	// Focused on payment (one hop each way): checkout->payment shows,
	// user->checkout does not.
	l := listEvents(t, base, "view="+url.QueryEscape("focus=payment"))
	if len(l.Events) != 1 || l.Events[0].ID != "checkout->payment" {
		t.Fatalf("focus=payment: %+v", l.Events)
	}
	if l := listEvents(t, base, "view="+url.QueryEscape("window=15m")); len(l.Events) != 2 {
		t.Fatalf("an unfocused view filters nothing: %+v", l.Events)
	}
	after := strconvMs(e.Time + 1)
	for _, ev := range listEvents(t, base, "from="+after).Events {
		if ev.ID == "checkout->payment" {
			t.Fatalf("from=%s lists %+v", after, ev)
		}
	}
	for _, ev := range listEvents(t, base, "to="+strconvMs(e.Time)+"&from=0").Events {
		if ev.Time >= e.Time {
			t.Fatalf("to=%d lists %+v", e.Time, ev)
		}
	}
	rfc := time.UnixMilli(e.Time).UTC().Format(time.RFC3339Nano)
	if l := listEvents(t, base, "from="+url.QueryEscape(rfc)); len(l.Events) == 0 {
		t.Fatalf("from=%s (RFC 3339) lists nothing", rfc)
	}
}

func strconvMs(ms int64) string { return strconv.FormatInt(ms, 10) }

func TestServer_Events_badParams(t *testing.T) {
	s := start(t, eventsConfig())
	base := "http://" + s.Addr("--http-addr")
	for _, tc := range []struct{ q, want string }{
		{"since=1", `unknown parameter \"since\"`},
		{"limit=0", "limit"},
		{"limit=10001", "from 1 to 10000"},
		{"limit=ten", "limit"},
		{"from=yesterday", `from \"yesterday\" is neither Unix milliseconds nor an RFC 3339 time`},
		{"to=-5", "to \\\"-5\\\" is out of range"},
		{"from=2000&to=1000", "must be before to"},
		{"from=1&from=2", "given 2 times"},
		{"view=" + url.QueryEscape("focus=a&up=99"), "events: view: view parameter up"},
		{"view=" + url.QueryEscape("bogus=1"), "bogus"},
	} {
		code, body := get(t, base+"/api/v1/events?"+tc.q)
		if code != 400 || !strings.Contains(body, tc.want) {
			t.Errorf("GET ?%s = %d %s, want 400 with %s", tc.q, code, body, tc.want)
		}
	}
}

// TestServer_Events_restart: events are kept in the data dir, and the
// restored map is the new baseline, so nothing it holds is added again.
func TestServer_Events_restart(t *testing.T) {
	cfg := eventsConfig()
	cfg.DataDir = t.TempDir()
	s1, stop := runUntilStopped(t, cfg)
	base := "http://" + s1.Addr("--http-addr")
	sendPair(t, s1.Addr("--otlp-http-addr"), "checkout", "payment")
	added := waitEvent(t, base, graph.EventEdgeAdded, "checkout->payment")
	_, metrics := get(t, base+"/metrics")
	for _, m := range []string{`spanmap_events_recorded_total{kind="edge_added"} `, "spanmap_history_bytes ", "spanmap_history_flushes_total ",
		"spanmap_history_flush_errors_total 0", "spanmap_history_rollups_written_total ", "spanmap_history_flush_seconds_total "} {
		if !strings.Contains(metrics, m) {
			t.Errorf("/metrics lacks %q", m)
		}
	}
	if strings.Contains(metrics, `spanmap_events_recorded_total{kind="edge_added"} 0`) {
		t.Error("/metrics counts no edge_added event")
	}
	stop()
	if _, err := os.Stat(filepath.Join(cfg.DataDir, "spanmap.db")); err != nil {
		t.Fatal(err)
	}

	s2, _ := runUntilStopped(t, cfg)
	base = "http://" + s2.Addr("--http-addr")
	if evs := s2.events.step(time.Now()); len(evs) != 0 {
		t.Fatalf("the restored map reported as changes: %+v", evs)
	}
	n := 0
	for _, e := range listEvents(t, base, "limit=1000").Events {
		if e.Kind == graph.EventEdgeAdded && e.ID == "checkout->payment" {
			if e != added {
				t.Fatalf("restored event %+v, want %+v", e, added)
			}
			n++
		}
	}
	if n != 1 {
		t.Fatalf("%d edge_added events for checkout->payment after restart, want 1", n)
	}
}
