package graph

import (
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
)

// gen makes random snapshots for property tests. Slices come out nil,
// empty or filled, pointers nil or set, floats whole, fractional, tiny,
// huge or negative zero, so equality and JSON round trips meet every shape.
type gen struct {
	r *rand.Rand
	// pool is the number of distinct node names to draw from; a small pool
	// makes two random snapshots share many IDs.
	pool int
}

func newGen(seed uint64) *gen {
	return &gen{r: rand.New(rand.NewPCG(seed, 0x5eed_0f_5ba7)), pool: 40}
}

func (g *gen) chance(p float64) bool { return g.r.Float64() < p }

func (g *gen) float() float64 {
	switch g.r.IntN(7) {
	case 0:
		return 0
	case 1:
		return float64(g.r.IntN(1000))
	case 2:
		return g.r.Float64() * 1e4
	case 3:
		return g.r.Float64() * 1e-9
	case 4:
		return g.r.Float64() * 1e15
	case 5:
		return math.Copysign(0, -1)
	default:
		return math.Round(g.r.Float64()*1e6) / 1e3
	}
}

func (g *gen) text() string {
	const alphabet = "abcdefghijklmnopqrstuvwxyz-_./:#>é日"
	rs := []rune(alphabet)
	n := g.r.IntN(8)
	var b strings.Builder
	for range n {
		b.WriteRune(rs[g.r.IntN(len(rs))])
	}
	return b.String()
}

// strings returns nil, an empty slice or a few sorted words.
func (g *gen) strs() []string {
	switch g.r.IntN(4) {
	case 0:
		return nil
	case 1:
		return []string{}
	}
	out := make([]string, 1+g.r.IntN(3))
	for i := range out {
		out[i] = g.text()
	}
	slices.Sort(out)
	return out
}

func (g *gen) latency() Latency {
	if g.chance(0.2) {
		return Latency{}
	}
	return Latency{P50: g.float(), P90: g.float(), P95: g.float(), P99: g.float()}
}

func (g *gen) latencyPtr() *Latency {
	if g.chance(0.5) {
		return nil
	}
	l := g.latency()
	return &l
}

func (g *gen) stats() Stats {
	return Stats{
		Calls:         g.r.Int64N(1 << 40),
		Errors:        g.r.Int64N(100),
		Rate:          g.float(),
		ErrorRate:     g.float(),
		Latency:       g.latency(),
		ClientLatency: g.latencyPtr(),
		ServerLatency: g.latencyPtr(),
		QueueLag:      g.latencyPtr(),
	}
}

func (g *gen) health() Health {
	return []Health{HealthUnknown, HealthOK, HealthDegraded, HealthFailing}[g.r.IntN(4)]
}

func (g *gen) pos() *Point {
	if g.chance(0.3) {
		return nil
	}
	return &Point{X: g.float(), Y: g.float()}
}

var genKinds = []NodeKind{NodeService, NodeService, NodeService, NodeDatabase, NodeMessaging, NodeExternal, NodeUser, NodeGroup}

// nodeID returns the ID of pool entry i; its kind follows from i.
func (g *gen) nodeID(i int) (string, NodeKind) {
	k := genKinds[i%len(genKinds)]
	if k == NodeService {
		return "svc-" + strconv.Itoa(i), k
	}
	return string(k) + ":n" + strconv.Itoa(i), k
}

func (g *gen) node(i int) Node {
	id, kind := g.nodeID(i)
	n := Node{
		ID:         id,
		Name:       g.text(),
		Kind:       kind,
		Stats:      g.stats(),
		Operations: g.strs(),
		Sources:    g.strs(),
		Health:     g.health(),
		Pos:        g.pos(),
	}
	if g.chance(0.6) {
		n.Namespace = []string{"shop", "pay", "ops"}[g.r.IntN(3)]
	}
	if g.chance(0.2) {
		n.Group = "ns:" + n.Namespace
	}
	if g.chance(0.5) {
		n.Width, n.Height = g.float(), g.float()
	}
	return n
}

func (g *gen) exemplars() []Exemplar {
	switch g.r.IntN(4) {
	case 0:
		return nil
	case 1:
		return []Exemplar{}
	}
	out := make([]Exemplar, 1+g.r.IntN(3))
	for i := range out {
		out[i] = Exemplar{
			Role:       []string{"slowest", "error", "typical"}[i%3],
			TraceID:    strconv.FormatUint(g.r.Uint64(), 16),
			DurationMs: g.float(),
			Time:       g.r.Int64N(1 << 42),
		}
		if g.chance(0.5) {
			out[i].Source = g.text()
		}
	}
	return out
}

func (g *gen) path() []Point {
	switch g.r.IntN(4) {
	case 0:
		return nil
	case 1:
		return []Point{}
	}
	out := make([]Point, 1+3*g.r.IntN(3))
	for i := range out {
		out[i] = Point{X: g.float(), Y: g.float()}
	}
	return out
}

func (g *gen) edge(from, to string) Edge {
	op := ""
	if g.chance(0.3) {
		op = "op" + strconv.Itoa(g.r.IntN(4))
	}
	e := Edge{
		ID:        EdgeID(from, to, op),
		From:      from,
		To:        to,
		Kind:      []EdgeKind{EdgeRPC, EdgeMessaging, EdgeDatabase, EdgeExternal}[g.r.IntN(4)],
		Operation: op,
		Stats:     g.stats(),
		Trust: Trust{
			Paired: g.r.Int64N(1000), Unpaired: g.r.Int64N(10), Dropped: g.r.Int64N(3),
			LastSeen: g.r.Int64N(1 << 42), SamplingRate: g.float(),
		},
		Exemplars: g.exemplars(),
		Sources:   g.strs(),
		Health:    g.health(),
		Path:      g.path(),
	}
	if g.chance(0.3) {
		e.Errors = 0
	}
	return e
}

// snapshot returns a random snapshot with version v, sorted by ID. Edges
// join the snapshot's nodes, though a few point at absent nodes, which
// Diff and Apply must not care about.
func (g *gen) snapshot(v uint64) Snapshot {
	s := Snapshot{Version: v}
	if g.chance(0.5) {
		s.View = "window=" + strconv.Itoa(1+g.r.IntN(3)) + "m"
	}
	if g.chance(0.8) {
		s.From = g.r.Int64N(1 << 42)
		s.To = s.From + g.r.Int64N(1<<20)
	}
	if g.chance(0.7) {
		s.Width, s.Height = g.float(), g.float()
	}
	n := g.r.IntN(g.pool)
	switch n % 5 {
	case 0:
		// nil node and edge lists stay nil.
		if n < 10 {
			return s
		}
	case 1:
		s.Nodes, s.Edges = []Node{}, []Edge{}
	}
	for _, i := range g.r.Perm(g.pool)[:n] {
		s.Nodes = append(s.Nodes, g.node(i))
	}
	ids := func() string {
		if len(s.Nodes) == 0 || g.chance(0.05) {
			id, _ := g.nodeID(g.pool + g.r.IntN(5))
			return id
		}
		return s.Nodes[g.r.IntN(len(s.Nodes))].ID
	}
	seen := map[string]bool{}
	for range g.r.IntN(3 * (n + 1)) {
		e := g.edge(ids(), ids())
		if !seen[e.ID] {
			seen[e.ID] = true
			s.Edges = append(s.Edges, e)
		}
	}
	sortSnapshot(&s)
	return s
}

// mutate returns a successor of s with version v, the way live data
// changes: most nodes and edges stay as they are (sometimes with a nil
// slice swapped for an empty one, which is no change), some get new
// figures or positions, a few come and go.
func (g *gen) mutate(s Snapshot, v uint64) Snapshot {
	out := s.Clone()
	out.Version = v
	if g.chance(0.5) {
		out.From += 1000
		out.To += 1000
	}
	if g.chance(0.1) {
		out.Width, out.Height = g.float(), g.float()
	}
	if g.chance(0.02) {
		out.View += "&focus=x"
	}
	out.Nodes = out.Nodes[:0:0]
	for _, n := range s.Nodes {
		switch p := g.r.Float64(); {
		case p < 0.05:
			continue
		case p < 0.2:
			n.Stats = g.stats()
			n.Health = g.health()
		case p < 0.3:
			n.Pos = g.pos()
		case p < 0.32:
			n.Pos = nil
		case p < 0.35:
			n = g.node(poolIndex(n.ID))
		case p < 0.4:
			n.Operations = swapEmpty(n.Operations)
		}
		out.Nodes = append(out.Nodes, n)
	}
	for range g.r.IntN(3) {
		out.Nodes = append(out.Nodes, g.node(g.r.IntN(g.pool)))
	}
	out.Edges = out.Edges[:0:0]
	for _, e := range s.Edges {
		switch p := g.r.Float64(); {
		case p < 0.05:
			continue
		case p < 0.2:
			e.Stats = g.stats()
			e.Trust.LastSeen++
		case p < 0.27:
			e.Path = g.path()
		case p < 0.3:
			e.Path = nil
		case p < 0.32:
			e.Kind = EdgeMessaging
		case p < 0.35:
			e.Exemplars = g.exemplars()
		case p < 0.4:
			e.Sources = swapEmpty(e.Sources)
		}
		out.Edges = append(out.Edges, e)
	}
	for range g.r.IntN(4) {
		if len(out.Nodes) > 0 {
			a, b := out.Nodes[g.r.IntN(len(out.Nodes))], out.Nodes[g.r.IntN(len(out.Nodes))]
			out.Edges = append(out.Edges, g.edge(a.ID, b.ID))
		}
	}
	sortSnapshot(&out)
	return out
}

// poolIndex recovers the pool index from a generated node ID.
func poolIndex(id string) int {
	i := strings.LastIndexAny(id, "-n")
	n, _ := strconv.Atoi(id[i+1:])
	return n
}

// swapEmpty turns nil into an empty slice and back; Equal must see no
// change.
func swapEmpty(xs []string) []string {
	switch {
	case xs == nil:
		return []string{}
	case len(xs) == 0:
		return nil
	}
	return xs
}

// sortSnapshot sorts s by ID, keeping the last of duplicate IDs.
func sortSnapshot(s *Snapshot) {
	s.Nodes = dedupe(s.Nodes, nodeID)
	s.Edges = dedupe(s.Edges, edgeID)
}

func dedupe[T any](xs []T, id func(*T) string) []T {
	if xs == nil {
		return nil
	}
	last := map[string]int{}
	for i := range xs {
		last[id(&xs[i])] = i
	}
	out := xs[:0:0]
	for i := range xs {
		if last[id(&xs[i])] == i {
			out = append(out, xs[i])
		}
	}
	slices.SortFunc(out, func(a, b T) int { return strings.Compare(id(&a), id(&b)) })
	return out
}

// normalize maps every empty slice in s to nil, the one place where two
// snapshots that encode alike may differ for reflect.DeepEqual. Everything
// else must match exactly. It works on a deep copy.
func normalize(s Snapshot) Snapshot {
	s = s.Clone()
	if len(s.Nodes) == 0 {
		s.Nodes = nil
	}
	if len(s.Edges) == 0 {
		s.Edges = nil
	}
	for i := range s.Nodes {
		s.Nodes[i] = normalizeNode(s.Nodes[i])
	}
	for i := range s.Edges {
		s.Edges[i] = normalizeEdge(s.Edges[i])
	}
	return s
}

func normalizeNode(n Node) Node {
	n.Operations = nilIfEmpty(n.Operations)
	n.Sources = nilIfEmpty(n.Sources)
	return n
}

func normalizeEdge(e Edge) Edge {
	e.Exemplars = nilIfEmpty(e.Exemplars)
	e.Sources = nilIfEmpty(e.Sources)
	e.Path = nilIfEmpty(e.Path)
	return e
}

func nilIfEmpty[T any](xs []T) []T {
	if len(xs) == 0 {
		return nil
	}
	return xs
}
