package hub

import (
	"context"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/spanmap/spanmap/graph"
	"github.com/spanmap/spanmap/graph/agg"
	"github.com/spanmap/spanmap/graph/layout"
)

// clock is a fake time source tests advance by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock {
	return &clock{t: time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)}
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// fakeEdge is a service-level edge of fakeGraph with its operations.
type fakeEdge struct {
	e   graph.Edge
	ops []string
}

// fakeGraph is an in-memory Graph whose topology and figures tests change.
type fakeGraph struct {
	mu    sync.Mutex
	nodes map[string]graph.Node
	edges map[string]fakeEdge
	calls int
	// windows records the windows asked for, latest last.
	windows [][2]time.Time
}

var _ Graph = (*fakeGraph)(nil)

func newFakeGraph() *fakeGraph {
	return &fakeGraph{nodes: map[string]graph.Node{}, edges: map[string]fakeEdge{}}
}

// Snapshot returns the current graph, sorted, one edge per operation when
// asked.
func (g *fakeGraph) Snapshot(from, to time.Time, opt agg.Options) graph.Snapshot {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.calls++
	g.windows = append(g.windows, [2]time.Time{from, to})
	s := graph.Snapshot{Nodes: []graph.Node{}, Edges: []graph.Edge{}}
	for _, n := range g.nodes {
		s.Nodes = append(s.Nodes, n.Clone())
	}
	for _, fe := range g.edges {
		if !opt.Operations || len(fe.ops) == 0 {
			s.Edges = append(s.Edges, fe.e.Clone())
			continue
		}
		for i, op := range fe.ops {
			e := fe.e.Clone()
			e.ID, e.Operation = graph.EdgeID(e.From, e.To, op), op
			e.Calls = fe.e.Calls/int64(len(fe.ops)) + int64(i)
			e.Rate = float64(e.Calls) / 60
			s.Edges = append(s.Edges, e)
		}
	}
	sort.Slice(s.Nodes, func(i, j int) bool { return s.Nodes[i].ID < s.Nodes[j].ID })
	sort.Slice(s.Edges, func(i, j int) bool { return s.Edges[i].ID < s.Edges[j].ID })
	return s
}

// window returns the i-th window asked for, counting from the end when
// negative.
func (g *fakeGraph) window(i int) [2]time.Time {
	g.mu.Lock()
	defer g.mu.Unlock()
	if i < 0 {
		i += len(g.windows)
	}
	return g.windows[i]
}

func (g *fakeGraph) callCount() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.calls
}

// addNode adds or replaces a node.
func (g *fakeGraph) addNode(id string, kind graph.NodeKind, ns string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.nodes[id] = graph.Node{ID: id, Name: strings.TrimPrefix(id, string(kind)+":"), Kind: kind, Namespace: ns,
		Sources: []string{"test"}, Operations: []string{"GET /"}}
}

// removeNode drops a node and its edges.
func (g *fakeGraph) removeNode(id string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	delete(g.nodes, id)
	for eid, fe := range g.edges {
		if fe.e.From == id || fe.e.To == id {
			delete(g.edges, eid)
		}
	}
}

// addEdge adds a service-level edge with its operations; both nodes must
// exist.
func (g *fakeGraph) addEdge(from, to string, ops ...string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	id := graph.EdgeID(from, to, "")
	g.edges[id] = fakeEdge{e: graph.Edge{ID: id, From: from, To: to, Kind: graph.EdgeRPC,
		Stats: graph.Stats{Calls: 60, Rate: 1, Latency: graph.Latency{P50: 5, P99: 20}}, Sources: []string{"test"}}, ops: ops}
}

func (g *fakeGraph) removeEdge(from, to string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	delete(g.edges, graph.EdgeID(from, to, ""))
}

// setEdgeCalls sets an edge's figures from calls and errors.
func (g *fakeGraph) setEdgeCalls(from, to string, calls, errs int64) {
	g.mu.Lock()
	defer g.mu.Unlock()
	id := graph.EdgeID(from, to, "")
	fe, ok := g.edges[id]
	if !ok {
		return
	}
	setStats(&fe.e.Stats, calls, errs)
	fe.e.Health = health(fe.e.Stats)
	g.edges[id] = fe
	if n, ok := g.nodes[to]; ok {
		setStats(&n.Stats, calls, errs)
		n.Health = health(n.Stats)
		g.nodes[to] = n
	}
}

func setStats(s *graph.Stats, calls, errs int64) {
	s.Calls, s.Errors = calls, errs
	s.Rate = float64(calls) / 60
	s.ErrorRate = 0
	if calls > 0 {
		s.ErrorRate = float64(errs) / float64(calls)
	}
	s.Latency = graph.Latency{P50: float64(calls%50) + 1, P90: float64(calls%70) + 2, P95: 80, P99: float64(calls%90) + 90}
}

func health(s graph.Stats) graph.Health {
	switch {
	case s.Calls == 0:
		return graph.HealthUnknown
	case s.ErrorRate > 0.2:
		return graph.HealthFailing
	case s.ErrorRate > 0.05:
		return graph.HealthDegraded
	}
	return graph.HealthOK
}

func (g *fakeGraph) nodeIDs() []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	ids := make([]string, 0, len(g.nodes))
	for id := range g.nodes {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

func (g *fakeGraph) edgeEnds() [][2]string {
	g.mu.Lock()
	defer g.mu.Unlock()
	out := make([][2]string, 0, len(g.edges))
	for _, fe := range g.edges {
		out = append(out, [2]string{fe.e.From, fe.e.To})
	}
	slices.SortFunc(out, func(a, b [2]string) int { return strings.Compare(a[0]+"\x00"+a[1], b[0]+"\x00"+b[1]) })
	return out
}

// shop fills g with n services in two namespaces calling each other, a
// user, a database and an external API.
func (g *fakeGraph) shop(n int) {
	g.addNode("user", graph.NodeUser, "")
	g.addNode("database:orders", graph.NodeDatabase, "")
	g.addNode("external:payments.example.com", graph.NodeExternal, "")
	for i := range n {
		g.addNode(svc(i), graph.NodeService, []string{"shop", "ops"}[i%2])
	}
	g.addEdge("user", svc(0), "GET /", "POST /cart")
	for i := 1; i < n; i++ {
		g.addEdge(svc((i-1)/2), svc(i), "GET /item", "POST /order")
		if i%3 == 0 {
			g.addEdge(svc(i), "database:orders", "SELECT")
		}
	}
	g.addEdge(svc(n-1), "external:payments.example.com", "POST /charge")
	for _, e := range g.edgeEnds() {
		g.setEdgeCalls(e[0], e[1], 600, 6)
	}
}

func svc(i int) string { return fmt.Sprintf("svc-%03d", i) }

// churnMetrics changes the figures of a fraction of the edges.
func (g *fakeGraph) churnMetrics(r *rand.Rand, fraction float64) {
	for _, e := range g.edgeEnds() {
		if r.Float64() < fraction {
			calls := int64(r.IntN(5000))
			g.setEdgeCalls(e[0], e[1], calls, int64(r.IntN(int(calls/4)+1)))
		}
	}
}

// churnTopology adds or removes one node or edge.
func (g *fakeGraph) churnTopology(r *rand.Rand, services int) {
	ids := g.nodeIDs()
	switch r.IntN(4) {
	case 0: // a new or returning service, called by an existing one
		id := svc(r.IntN(services))
		g.addNode(id, graph.NodeService, []string{"shop", "ops", "edge"}[r.IntN(3)])
		if len(ids) > 0 {
			g.addEdge(ids[r.IntN(len(ids))], id, "GET /new")
		}
	case 1:
		if len(ids) > 3 {
			g.removeNode(ids[r.IntN(len(ids))])
		}
	case 2:
		if len(ids) > 1 {
			from, to := ids[r.IntN(len(ids))], ids[r.IntN(len(ids))]
			if from != to {
				g.addEdge(from, to, "GET /x", "GET /y")
				g.setEdgeCalls(from, to, int64(r.IntN(1000)), int64(r.IntN(50)))
			}
		}
	default:
		if es := g.edgeEnds(); len(es) > 0 {
			e := es[r.IntN(len(es))]
			g.removeEdge(e[0], e[1])
		}
	}
}

// fakeLayouter places nodes at positions that depend only on their IDs
// (previous positions win), so layouts are deterministic. A gate, when set,
// holds every layout until the test lets one through.
type fakeLayouter struct {
	mu    sync.Mutex
	gate  chan struct{}
	fail  error
	calls int
	done  int
	// engines records the engine of every call.
	engines []layout.Engine
}

var _ Layouter = (*fakeLayouter)(nil)

func (l *fakeLayouter) Layout(ctx context.Context, s *graph.Snapshot, opt layout.Options) error {
	l.mu.Lock()
	l.calls++
	l.engines = append(l.engines, opt.Engine)
	gate, fail := l.gate, l.fail
	l.mu.Unlock()
	defer func() {
		l.mu.Lock()
		l.done++
		l.mu.Unlock()
	}()
	if gate != nil {
		select {
		case <-gate:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if fail != nil {
		return fail
	}
	pos := map[string]graph.Point{}
	for i := range s.Nodes {
		n := &s.Nodes[i]
		p, ok := opt.Previous[n.ID]
		if !ok {
			p = idPoint(n.ID)
		}
		n.Pos, n.Width, n.Height = &p, 54, 36
		pos[n.ID] = p
		s.Width, s.Height = max(s.Width, p.X+27), max(s.Height, p.Y+18)
	}
	for i := range s.Edges {
		e := &s.Edges[i]
		e.Path = []graph.Point{pos[e.From], pos[e.To]}
	}
	return nil
}

func (l *fakeLayouter) setGate(g chan struct{}) {
	l.mu.Lock()
	l.gate = g
	l.mu.Unlock()
}

func (l *fakeLayouter) setFail(err error) {
	l.mu.Lock()
	l.fail = err
	l.mu.Unlock()
}

func (l *fakeLayouter) counts() (calls, done int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.calls, l.done
}

// idPoint is the position fakeLayouter gives a node it has not placed
// before.
func idPoint(id string) graph.Point {
	h := fnv.New64a()
	h.Write([]byte(id))
	v := h.Sum64()
	return graph.Point{X: float64(v % 2000), Y: float64((v / 2000) % 1000)}
}

// mesh fills g with n services and m random calls between them, callers
// before callees, in five namespaces.
func (g *fakeGraph) mesh(r *rand.Rand, n, m int) {
	for i := range n {
		g.addNode(svc(i), graph.NodeService, fmt.Sprintf("ns-%d", i%5))
	}
	for added := 0; added < m; {
		from := r.IntN(n - 1)
		to := from + 1 + r.IntN(min(n-from-1, 40))
		id := graph.EdgeID(svc(from), svc(to), "")
		g.mu.Lock()
		_, dup := g.edges[id]
		g.mu.Unlock()
		if dup {
			continue
		}
		g.addEdge(svc(from), svc(to), "GET /")
		g.setEdgeCalls(svc(from), svc(to), int64(r.IntN(5000)), int64(r.IntN(20)))
		added++
	}
}
