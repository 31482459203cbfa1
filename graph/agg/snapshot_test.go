package agg

import (
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"sort"
	"testing"
	"time"

	"github.com/spanmap/spanmap/graph"
	"github.com/spanmap/spanmap/graph/derive"
)

func TestAggregator_Snapshot_rates(t *testing.T) {
	a := newAgg(t, nil)
	var obs []derive.Observation
	for i := range 60 {
		o := call("a", "b", time.Duration(i)*time.Second)
		o.Error = i%10 == 0
		obs = append(obs, o)
	}
	a.Add("src", obs)
	tests := []struct {
		name      string
		window    time.Duration
		wantRate  float64
		wantCalls int64
	}{
		{"1m", time.Minute, 1, 60},
		{"5m", 5 * time.Minute, 0.2, 60},
		{"10s", 10 * time.Second, 1, 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := a.Snapshot(t0, t0.Add(tt.window), Options{})
			e := findEdge(t, s, "a->b")
			if e.Calls != tt.wantCalls || math.Abs(e.Rate-tt.wantRate) > 1e-9 {
				t.Errorf("calls %d rate %v, want %d and %v", e.Calls, e.Rate, tt.wantCalls, tt.wantRate)
			}
			if math.Abs(e.ErrorRate-0.1) > 1e-9 {
				t.Errorf("error rate %v, want 0.1", e.ErrorRate)
			}
			n := findNode(t, s, "b")
			if n.Stats.Calls != e.Calls || n.Stats.Rate != e.Rate {
				t.Errorf("node b stats %+v differ from its only inbound edge", n.Stats)
			}
			if s.From != t0.UnixMilli() || s.To != t0.Add(tt.window).UnixMilli() {
				t.Errorf("snapshot bounds %d..%d", s.From, s.To)
			}
		})
	}
}

func TestAggregator_Snapshot_windowMerge(t *testing.T) {
	a := newAgg(t, nil)
	m := testMapping(t)
	var all sketch
	var obs []derive.Observation
	for i := range 600 {
		o := call("a", "b", time.Duration(i)*200*time.Millisecond)
		o.ClientDuration = int64(1e6 + (i*7919)%50e6)
		o.Error = i%13 == 0
		o.Paired = i%5 != 0
		all.add(m, o.ClientDuration)
		obs = append(obs, o)
	}
	a.Add("src", obs)
	end := t0.Add(2 * time.Minute)
	whole := findEdge(t, a.Snapshot(t0, end, Options{}), "a->b")
	for _, split := range []time.Duration{10 * time.Second, 30 * time.Second, 70 * time.Second, 110 * time.Second} {
		x := findEdge(t, a.Snapshot(t0, t0.Add(split), Options{}), "a->b")
		y := findEdge(t, a.Snapshot(t0.Add(split), end, Options{}), "a->b")
		if x.Calls+y.Calls != whole.Calls || x.Errors+y.Errors != whole.Errors ||
			x.Trust.Paired+y.Trust.Paired != whole.Trust.Paired || x.Trust.Unpaired+y.Trust.Unpaired != whole.Trust.Unpaired {
			t.Errorf("split %v: %d+%d calls, %d+%d errors; whole %d calls, %d errors", split,
				x.Calls, y.Calls, x.Errors, y.Errors, whole.Calls, whole.Errors)
		}
		if max(x.Trust.LastSeen, y.Trust.LastSeen) != whole.Trust.LastSeen {
			t.Errorf("split %v: last seen %d/%d, whole %d", split, x.Trust.LastSeen, y.Trust.LastSeen, whole.Trust.LastSeen)
		}
	}
	if whole.Calls != 600 {
		t.Fatalf("whole calls %d", whole.Calls)
	}
	n := all.count()
	want := graph.Latency{P50: all.quantile(m, 0.5, n) / 1e6, P90: all.quantile(m, 0.9, n) / 1e6,
		P95: all.quantile(m, 0.95, n) / 1e6, P99: all.quantile(m, 0.99, n) / 1e6}.Round()
	if whole.Latency != want {
		t.Errorf("merged latency %+v, want %+v", whole.Latency, want)
	}
}

func TestAggregator_Snapshot_latencySides(t *testing.T) {
	clientOnly := call("a", "db", 0)
	clientOnly.To = virt("db", graph.NodeDatabase)
	clientOnly.Kind, clientOnly.ServerDuration, clientOnly.Paired = graph.EdgeDatabase, -1, false
	clientOnly.ClientDuration = 4e6
	serverOnly := call("user", "a", 0)
	serverOnly.From = virt("user", graph.NodeUser)
	serverOnly.ClientDuration, serverOnly.Paired = -1, false
	serverOnly.ServerDuration = 30e6
	paired := call("a", "b", 0)
	mixed := []derive.Observation{call("c", "d", 0), call("c", "d", time.Second), call("c", "d", 2*time.Second)}
	for i := 1; i < 3; i++ {
		mixed[i].ClientDuration, mixed[i].Paired = -1, false
		mixed[i].ServerDuration = 100e6
	}

	a := newAgg(t, nil)
	a.Add("src", append([]derive.Observation{clientOnly, serverOnly, paired}, mixed...))
	s := a.Snapshot(t0, t0.Add(time.Minute), Options{})
	tests := []struct {
		edge                 string
		p50                  float64
		client, server, lagp bool
	}{
		{"a->db", 4, true, false, false},
		{"user->a", 30, false, true, false},
		{"a->b", 10, true, true, false},
		{"c->d", 100, true, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.edge, func(t *testing.T) {
			e := findEdge(t, s, tt.edge)
			if math.Abs(e.Latency.P50-tt.p50) > tt.p50*0.01 {
				t.Errorf("p50 %v, want %v", e.Latency.P50, tt.p50)
			}
			if (e.ClientLatency != nil) != tt.client || (e.ServerLatency != nil) != tt.server || (e.QueueLag != nil) != tt.lagp {
				t.Errorf("client %v server %v lag %v", e.ClientLatency, e.ServerLatency, e.QueueLag)
			}
		})
	}
	// c->d: latency mixes the 10ms client call with the two 100ms
	// server-only calls; server latency mixes 8ms with them; client latency
	// is the 10ms call alone. Quantiles take the value at rank q*(n-1).
	cd := findEdge(t, s, "c->d")
	if math.Abs(cd.Latency.P50-100) > 1 || math.Abs(cd.Latency.P90-100) > 1 ||
		math.Abs(cd.ServerLatency.P50-100) > 1 || math.Abs(cd.ClientLatency.P99-10) > 0.1 {
		t.Errorf("c->d latency %+v server %+v client %+v", cd.Latency, *cd.ServerLatency, *cd.ClientLatency)
	}
	if math.Abs(a.quantileOf(t, "c->d", "server", 0)-8) > 0.08 {
		t.Errorf("c->d fastest server call %v, want 8ms", a.quantileOf(t, "c->d", "server", 0))
	}
}

func TestAggregator_Snapshot_queueLag(t *testing.T) {
	a := newAgg(t, nil)
	var obs []derive.Observation
	for i, lag := range []int64{-5e6, -1e6, 0, 2e6, 40e6} {
		o := call("p", "c", time.Duration(i)*time.Second)
		o.Kind, o.QueueLag = graph.EdgeMessaging, lag
		obs = append(obs, o)
	}
	rpc := call("p", "x", 0) // QueueLag -1 on a non-messaging edge: no lag
	a.Add("src", append(obs, rpc))
	s := a.Snapshot(t0, t0.Add(time.Minute), Options{})
	e := findEdge(t, s, "p->c")
	if e.Kind != graph.EdgeMessaging || e.QueueLag == nil {
		t.Fatalf("edge %+v has no queue lag", e)
	}
	// Nearest ranks of 5 values: p50 is the 3rd (0), p99 the 5th (40ms).
	if got := *e.QueueLag; math.Abs(got.P50) > 1e-9 || math.Abs(got.P99-40) > 0.4 {
		t.Errorf("queue lag %+v, want p50 0 and p99 ~40", got)
	}
	for _, c := range []struct{ q, want float64 }{{0, -5}, {0.25, -1}, {1, 40}} {
		if got := a.quantileOf(t, "p->c", "lag", c.q); math.Abs(got-c.want) > math.Abs(c.want)*0.01 {
			t.Errorf("lag quantile %v = %v, want %v", c.q, got, c.want)
		}
	}
	if findEdge(t, s, "p->x").QueueLag != nil {
		t.Error("rpc edge has a queue lag")
	}
}

func (a *Aggregator) quantileOf(t *testing.T, id, which string, q float64) float64 {
	t.Helper()
	w := a.collect(math.MinInt64/a.width, math.MaxInt64/a.width, Options{})
	e := w.edges[id]
	if e == nil {
		t.Fatalf("no edge %q", id)
	}
	var s sketch
	switch which {
	case "server":
		s = e.acc.servPaired.clone()
		s.merge(&e.acc.servOnly)
	case "lag":
		s = e.acc.lag.clone()
	}
	return s.quantile(a.m, q, s.count()) / 1e6
}

func TestAggregator_Snapshot_exemplars(t *testing.T) {
	a := newAgg(t, nil)
	var obs []derive.Observation
	// 100 calls of 1..100ms; two errors at 5s and 40s; slowest is 300ms.
	for i := range 100 {
		o := call("a", "b", time.Duration(i)*500*time.Millisecond)
		o.ClientDuration = int64(i+1) * 1e6
		obs = append(obs, o)
	}
	obs[10].Error = true
	obs[80].Error = true
	obs[50].ClientDuration = 300e6
	a.Add("jaeger", obs)
	s := a.Snapshot(t0, t0.Add(time.Minute), Options{})
	e := findEdge(t, s, "a->b")
	roles := map[string]graph.Exemplar{}
	for _, x := range e.Exemplars {
		roles[x.Role] = x
	}
	if len(e.Exemplars) != 3 || len(roles) != 3 {
		t.Fatalf("exemplars %+v", e.Exemplars)
	}
	if x := roles["slowest"]; x.DurationMs != 300 || x.TraceID != obs[50].TraceID.String() || x.Source != "jaeger" {
		t.Errorf("slowest %+v", x)
	}
	if x := roles["error"]; x.TraceID != obs[80].TraceID.String() || x.Time != time.Unix(0, obs[80].Time).UnixMilli() {
		t.Errorf("error %+v, want the call at 40s", x)
	}
	// Typical: within the candidates, nearest to p50 (~50ms); with 3
	// candidates per 10s bucket over 6 buckets it lands within 10ms.
	if x := roles["typical"]; math.Abs(x.DurationMs-e.Latency.P50) > 10 {
		t.Errorf("typical %+v far from p50 %v", x, e.Latency.P50)
	}

	// Without errors there is no error exemplar; without candidates no typical.
	b := newAgg(t, func(c *Config) { c.ExemplarCandidates = 0 })
	b.Add("src", []derive.Observation{call("a", "b", 0)})
	ex := findEdge(t, b.Snapshot(t0, t0.Add(time.Minute), Options{}), "a->b").Exemplars
	if len(ex) != 1 || ex[0].Role != "slowest" || ex[0].DurationMs != 10 {
		t.Errorf("exemplars %+v, want only slowest", ex)
	}
}

func TestAggregator_Snapshot_trust(t *testing.T) {
	a := newAgg(t, nil)
	obs := []derive.Observation{call("a", "b", 0), call("a", "b", 3*time.Second), call("a", "b", 7*time.Second), call("c", "d", 0)}
	obs[1].Paired = false
	obs[0].SamplingProbability = 0.5
	obs[1].SamplingProbability = 0.25
	a.AddDropped("src", "b", 2) // before any call: waits for the clock
	a.Add("src", obs)
	a.AddDropped("src", "a", 3)
	a.AddDropped("src", "zzz", 100)
	s := a.Snapshot(t0, t0.Add(time.Minute), Options{})
	ab := findEdge(t, s, "a->b")
	want := graph.Trust{Paired: 2, Unpaired: 1, Dropped: 5, LastSeen: t0.Add(7 * time.Second).UnixMilli(), SamplingRate: 0.375}
	if ab.Trust != want {
		t.Errorf("a->b trust %+v, want %+v", ab.Trust, want)
	}
	if cd := findEdge(t, s, "c->d"); cd.Trust.Dropped != 0 || cd.Trust.SamplingRate != 0 {
		t.Errorf("c->d trust %+v", cd.Trust)
	}
	// Drops land in the bucket of the latest call (7s), outside a later window.
	later := a.Snapshot(t0.Add(10*time.Second), t0.Add(time.Minute), Options{})
	if len(later.Edges) != 0 {
		t.Errorf("later window has edges %+v", later.Edges)
	}
	c := a.Counters()
	if len(c.Sources) != 1 || c.Sources[0].Observations != 4 || c.Sources[0].Dropped != 105 {
		t.Errorf("counters %+v", c)
	}
}

func TestAggregator_Snapshot_health(t *testing.T) {
	tests := []struct {
		name          string
		calls, errors int
		latMs         int64
		degMs, failMs float64
		want          graph.Health
	}{
		{"clean", 1000, 0, 10, 0, 0, graph.HealthOK},
		{"below degraded", 1000, 9, 10, 0, 0, graph.HealthOK},
		{"degraded at 1%", 1000, 10, 10, 0, 0, graph.HealthDegraded},
		{"failing at 5%", 1000, 50, 10, 0, 0, graph.HealthFailing},
		{"latency off by default", 100, 0, 5000, 0, 0, graph.HealthOK},
		{"slow p99 degraded", 100, 0, 300, 200, 1000, graph.HealthDegraded},
		{"slow p99 failing", 100, 0, 1500, 200, 1000, graph.HealthFailing},
		{"worst rule wins", 100, 2, 1500, 200, 1000, graph.HealthFailing},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := newAgg(t, func(c *Config) { c.LatencyDegradedMs, c.LatencyFailingMs = tt.degMs, tt.failMs })
			var obs []derive.Observation
			for i := range tt.calls {
				o := call("a", "b", time.Duration(i)*time.Millisecond)
				o.ClientDuration = tt.latMs * 1e6
				o.Error = i < tt.errors
				obs = append(obs, o)
			}
			a.Add("src", obs)
			s := a.Snapshot(t0, t0.Add(time.Minute), Options{})
			if got := findEdge(t, s, "a->b").Health; got != tt.want {
				t.Errorf("edge health %q, want %q", got, tt.want)
			}
			if got := findNode(t, s, "b").Health; got != tt.want {
				t.Errorf("node health %q, want %q", got, tt.want)
			}
			if got := findNode(t, s, "a").Health; got != graph.HealthUnknown {
				t.Errorf("caller-only node health %q, want unknown", got)
			}
		})
	}
}

func TestAggregator_Snapshot_nodesAndSorting(t *testing.T) {
	a := newAgg(t, nil)
	asVirtual := call("a", "pg", 0)
	asVirtual.To = virt("pg", graph.NodeDatabase)
	asVirtual.Kind = graph.EdgeDatabase
	a.Add("zipkin", []derive.Observation{asVirtual, call("b", "c", 0)})
	s := a.Snapshot(t0, t0.Add(time.Minute), Options{})
	if k := findNode(t, s, "pg").Kind; k != graph.NodeDatabase {
		t.Errorf("pg kind %q, want database", k)
	}
	// pg later seen as an instrumented service: a service node for good.
	asService := call("pg", "d", time.Second)
	asService.From.Namespace = "data"
	a.Add("jaeger", []derive.Observation{asService, asVirtual})
	s = a.Snapshot(t0, t0.Add(time.Minute), Options{})
	pg := findNode(t, s, "pg")
	if pg.Kind != graph.NodeService || pg.Namespace != "data" {
		t.Errorf("pg %+v, want service in namespace data", pg)
	}
	if !reflect.DeepEqual(pg.Sources, []string{"jaeger", "zipkin"}) {
		t.Errorf("pg sources %v", pg.Sources)
	}
	var ids []string
	for _, n := range s.Nodes {
		ids = append(ids, n.ID)
	}
	if !reflect.DeepEqual(ids, []string{"a", "b", "c", "d", "pg"}) {
		t.Errorf("node order %v", ids)
	}
	ids = nil
	for _, e := range s.Edges {
		ids = append(ids, e.ID)
	}
	if !reflect.DeepEqual(ids, []string{"a->pg", "b->c", "pg->d"}) {
		t.Errorf("edge order %v", ids)
	}
	if got := a.Services(); !reflect.DeepEqual(got, []string{"a", "b", "c", "d", "pg"}) {
		t.Errorf("services %v", got)
	}
}

func TestAggregator_Snapshot_kindsShareID(t *testing.T) {
	a := newAgg(t, nil)
	msg := call("a", "b", 0)
	msg.Kind, msg.QueueLag = graph.EdgeMessaging, 3e6
	a.Add("src", []derive.Observation{call("a", "b", 0), call("a", "b", time.Second), msg})
	s := a.Snapshot(t0, t0.Add(time.Minute), Options{})
	if len(s.Edges) != 1 {
		t.Fatalf("edges %+v", s.Edges)
	}
	if e := s.Edges[0]; e.Kind != graph.EdgeRPC || e.Calls != 3 || e.QueueLag == nil {
		t.Errorf("edge %+v", e)
	}
}

func TestAggregator_Snapshot_orderIndependent(t *testing.T) {
	obs := benchObservations(20000, 30, 80, 3, 3*time.Minute)
	for i := range obs {
		obs[i].Error = i%17 == 0
	}
	x := newAgg(t, nil)
	x.Add("src", obs)
	shuffled := append([]derive.Observation(nil), obs...)
	r := rand.New(rand.NewPCG(5, 6))
	r.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	y := newAgg(t, nil)
	for i := 0; i < len(shuffled); i += 333 {
		y.Add("src", shuffled[i:min(i+333, len(shuffled))])
	}
	for _, opt := range []Options{{}, {Operations: true}} {
		a := x.Snapshot(t0, t0.Add(3*time.Minute), opt)
		if b := y.Snapshot(t0, t0.Add(3*time.Minute), opt); !reflect.DeepEqual(a, b) {
			t.Errorf("opt %+v: snapshots differ with input order", opt)
		}
		if b := x.Snapshot(t0, t0.Add(3*time.Minute), opt); !reflect.DeepEqual(a, b) {
			t.Errorf("opt %+v: repeated snapshots differ", opt)
		}
	}
}

func TestAggregator_Snapshot_quantileAccuracy(t *testing.T) {
	for _, d := range distributions[:3] {
		t.Run(d.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(11, 12))
			a := newAgg(t, nil)
			var vals []int64
			var obs []derive.Observation
			for i := range 50000 {
				o := call("a", "b", time.Duration(r.Int64N(int64(5*time.Minute))))
				o.Operation = fmt.Sprint("op", i%7)
				o.ClientDuration = d.gen(r)
				vals = append(vals, o.ClientDuration)
				obs = append(obs, o)
			}
			a.Add("src", obs)
			a.Prune(t0.Add(8 * time.Minute)) // half of the buckets packed
			sort.Slice(vals, func(i, j int) bool { return vals[i] < vals[j] })
			got := findEdge(t, a.Snapshot(t0, t0.Add(5*time.Minute), Options{}), "a->b").Latency
			for _, c := range []struct {
				q   float64
				got float64
			}{{0.5, got.P50}, {0.9, got.P90}, {0.95, got.P95}, {0.99, got.P99}} {
				want := exactQuantile(vals, c.q) / 1e6
				if math.Abs(c.got-want) > 0.02*want {
					t.Errorf("p%v = %vms, exact %vms", c.q*100, c.got, want)
				}
			}
		})
	}
}

func TestAggregator_Add_evictedCallsCountAsDropped(t *testing.T) {
	a := newAgg(t, nil)
	obs := []derive.Observation{call("a", "b", 0), call("a", "b", time.Second), call("c", "d", 0)}
	obs[1].Evicted = true
	a.Add("src", obs)
	s := a.Snapshot(t0, t0.Add(time.Minute), Options{})
	if ab := findEdge(t, s, "a->b"); ab.Calls != 2 || ab.Trust.Dropped != 1 {
		t.Errorf("a->b calls %d, trust %+v: want 2 calls, 1 dropped", ab.Calls, ab.Trust)
	}
	if cd := findEdge(t, s, "c->d"); cd.Trust.Dropped != 0 {
		t.Errorf("c->d trust %+v", cd.Trust)
	}
	if c := a.Counters(); c.Sources[0].Dropped != 1 {
		t.Errorf("counters %+v", c)
	}
}
