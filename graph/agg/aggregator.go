package agg

import (
	"fmt"
	"math"
	"sort"
	"sync"
	"time"

	"github.com/DataDog/sketches-go/ddsketch/mapping"
	"github.com/spanmap/spanmap/graph"
	"github.com/spanmap/spanmap/graph/derive"
)

// Aggregator turns observations into time-bucketed series and merges them
// into snapshots. It is safe for concurrent use.
type Aggregator struct {
	cfg   Config
	m     *mapping.CubicallyInterpolatedMapping
	width int64 // bucket width in ns

	mu sync.RWMutex
	// nodes is the registry of node IDs referenced by edges.
	nodes map[string]*node
	edges map[edgeKey]*edge
	// sources are the interned source names; srcIdx maps them back.
	sources []string
	srcIdx  map[string]int
	// perSource counts observations and drops by source index.
	perSource []SourceCounters
	// clock is the latest call time seen (Unix ns); clockSet reports one was.
	clock    int64
	clockSet bool
	// firstCall and lastCall are the earliest and latest call times given
	// to Add (Unix ns); anyCall reports one was.
	firstCall, lastCall int64
	anyCall             bool
	// pendingDrops hold drops reported before any call, by service.
	pendingDrops map[string]int64
	skipped      int64
	// packBuf and typBuf are Import's scratch buffers for packing buckets
	// and converting typical candidates.
	packBuf []byte
	typBuf  []candidate
	// packArena is the unused rest of the chunk imported packed buckets
	// are copied into.
	packArena []byte
}

// New returns an empty Aggregator. It panics if cfg does not pass Validate;
// callers validate configuration when they load it.
func New(cfg Config) *Aggregator {
	if err := cfg.Validate(); err != nil {
		panic(fmt.Sprintf("agg.New: %v", err))
	}
	m, err := mapping.NewCubicallyInterpolatedMapping(cfg.RelativeAccuracy)
	if err != nil {
		panic(fmt.Sprintf("agg.New: %v", err))
	}
	return &Aggregator{
		cfg:          cfg,
		m:            m,
		width:        int64(cfg.BucketWidth),
		nodes:        map[string]*node{},
		edges:        map[edgeKey]*edge{},
		srcIdx:       map[string]int{},
		pendingDrops: map[string]int64{},
	}
}

// Config returns the configuration the Aggregator was built with.
func (a *Aggregator) Config() Config { return a.cfg }

// Add counts calls reported by source. Each call lands in the bucket of its
// Time, in the series of its edge (From.ID, To.ID, Kind) and operation.
// Calls without a From or To ID are skipped (see Counters.Skipped).
func (a *Aggregator) Add(source string, obs []derive.Observation) {
	if len(obs) == 0 {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	src := a.source(source)
	k := a.cfg.ExemplarCandidates
	var e *edge
	var s *series
	var added int64
	for i := range obs {
		o := &obs[i]
		if o.From.ID == "" || o.To.ID == "" {
			a.skipped++
			continue
		}
		if e == nil || e.key.from != o.From.ID || e.key.to != o.To.ID || e.key.kind != o.Kind {
			e, s = a.edge(o.From.ID, o.To.ID, o.Kind), nil
		}
		if o.From != e.fromEP {
			e.from.update(&o.From)
			e.fromEP = o.From
		}
		if o.To != e.toEP {
			e.to.update(&o.To)
			e.toEP = o.To
		}
		if s == nil || s.op != o.Operation {
			s = a.series(e, o.Operation)
		}
		s.bucket(floorDiv(o.Time, a.width), a.width, k).observe(a.m, o, src, k)
		if !a.clockSet || o.Time > a.clock {
			a.clock, a.clockSet = o.Time, true
		}
		if !a.anyCall {
			a.firstCall, a.lastCall, a.anyCall = o.Time, o.Time, true
		} else {
			a.firstCall, a.lastCall = min(a.firstCall, o.Time), max(a.lastCall, o.Time)
		}
		if o.Evicted {
			// Settled early because the pairing store was full: its
			// pairing may be incomplete, which the edges of the callee
			// report in Trust.Dropped.
			a.perSource[src].Dropped++
			a.addDrop(o.To.ID, 1)
		}
		added++
	}
	a.perSource[src].Observations += added
	a.flushPendingDrops()
}

// flushPendingDrops places the drops that waited for a clock. Must be called
// holding the write lock.
func (a *Aggregator) flushPendingDrops() {
	if len(a.pendingDrops) == 0 || !a.clockSet {
		return
	}
	for svc, n := range a.pendingDrops {
		a.addDrop(svc, n)
	}
	clear(a.pendingDrops)
}

// AddDropped counts n spans of service that the pairing store dropped. The
// drops land in the bucket of the latest call time seen so far (drops carry
// no time of their own), or wait for the first call when none was seen yet.
// Edges touching service report them in Trust.Dropped.
func (a *Aggregator) AddDropped(source, service string, n int64) {
	if n <= 0 || service == "" {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	src := a.source(source)
	a.perSource[src].Dropped += n
	if !a.clockSet {
		a.pendingDrops[service] += n
		return
	}
	a.addDrop(service, n)
}

// addDrop must be called holding the write lock.
func (a *Aggregator) addDrop(service string, n int64) {
	nd := a.node(service)
	nd.drops = addDrop(nd.drops, floorDiv(a.clock, a.width), n)
}

// source interns a source name. Must be called holding the write lock.
func (a *Aggregator) source(name string) int {
	if i, ok := a.srcIdx[name]; ok {
		return i
	}
	i := len(a.sources)
	a.sources = append(a.sources, name)
	a.srcIdx[name] = i
	a.perSource = append(a.perSource, SourceCounters{Source: name})
	return i
}

// node returns the registry entry of id, creating it. Must be called holding
// the write lock.
func (a *Aggregator) node(id string) *node {
	n := a.nodes[id]
	if n == nil {
		n = &node{id: id}
		a.nodes[id] = n
	}
	return n
}

// edge returns the edge series, creating it. Must be called holding the
// write lock.
func (a *Aggregator) edge(from, to string, kind graph.EdgeKind) *edge {
	key := edgeKey{from: from, to: to, kind: kind}
	e := a.edges[key]
	if e == nil {
		e = &edge{key: key, from: a.node(from), to: a.node(to), ops: map[string]*series{}}
		e.from.out++
		e.to.in = append(e.to.in, e)
		a.edges[key] = e
	}
	return e
}

// series returns the series of op on e, or the OtherOperation series when e
// already tracks MaxOperationsPerEdge operations. Must be called holding the
// write lock.
func (a *Aggregator) series(e *edge, op string) *series {
	if s := e.ops[op]; s != nil {
		return s
	}
	if op != OtherOperation && e.named >= a.cfg.MaxOperationsPerEdge {
		op = OtherOperation
		if s := e.ops[op]; s != nil {
			return s
		}
	}
	s := &series{op: op}
	e.ops[op] = s
	if op != OtherOperation {
		e.named++
	}
	return s
}

// Prune drops the buckets that ended at least Retention before now (none
// when Retention is zero) and forgets series, edges and nodes left without
// data; it then packs the buckets that ended at least CompactAfter before
// now (none when CompactAfter is zero).
func (a *Aggregator) Prune(now time.Time) {
	cut := int64(math.MinInt64)
	if a.cfg.Retention > 0 {
		cut = floorDiv(now.Add(-a.cfg.Retention).UnixNano(), a.width)
	}
	pack := int64(math.MinInt64)
	if a.cfg.CompactAfter > 0 {
		pack = floorDiv(now.Add(-a.cfg.CompactAfter).UnixNano(), a.width)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	var scratch []byte
	for key, e := range a.edges {
		for op, s := range e.ops {
			s.dropBefore(cut)
			scratch = s.compact(pack, a.width, scratch)
			if s.isEmpty() {
				delete(e.ops, op)
				if op != OtherOperation {
					e.named--
				}
			}
		}
		if len(e.ops) == 0 {
			delete(a.edges, key)
			e.from.out--
			e.to.in = removeEdge(e.to.in, e)
		}
	}
	for id, n := range a.nodes {
		k := sort.Search(len(n.drops), func(k int) bool { return n.drops[k].idx >= cut })
		n.drops = n.drops[:copy(n.drops, n.drops[k:])]
		if n.out == 0 && len(n.in) == 0 && len(n.drops) == 0 {
			delete(a.nodes, id)
		}
	}
}

func removeEdge(es []*edge, e *edge) []*edge {
	for i, x := range es {
		if x == e {
			last := len(es) - 1
			es[i] = es[last]
			es[last] = nil
			return es[:last]
		}
	}
	return es
}

// Bounds returns the start of the earliest bucket and the end of the latest
// bucket that hold calls; both are zero when there is no data. Snapshot over
// Bounds covers everything held, whatever its time range.
func (a *Aggregator) Bounds() (from, to time.Time) {
	a.mu.RLock()
	defer a.mu.RUnlock()
	lo, hi := int64(math.MaxInt64), int64(math.MinInt64)
	for _, e := range a.edges {
		for _, s := range e.ops {
			if l, h, ok := s.bounds(); ok {
				lo, hi = min(lo, l), max(hi, h)
			}
		}
	}
	if lo > hi {
		return time.Time{}, time.Time{}
	}
	return time.Unix(0, lo*a.width), time.Unix(0, (hi+1)*a.width)
}

// CallRange returns the range of the call times given to Add, rounded out
// to whole steps: from the start of the step of the first call to the end
// of the step of the last. With no calls it is an empty range at the
// epoch.
func (a *Aggregator) CallRange(step time.Duration) (from, to time.Time) {
	a.mu.RLock()
	defer a.mu.RUnlock()
	if !a.anyCall {
		return time.Unix(0, 0), time.Unix(0, 0)
	}
	w := int64(step)
	return time.Unix(0, floorDiv(a.firstCall, w)*w), time.Unix(0, (floorDiv(a.lastCall, w)+1)*w)
}

// Services returns the IDs of the nodes seen as instrumented services,
// sorted.
func (a *Aggregator) Services() []string {
	a.mu.RLock()
	defer a.mu.RUnlock()
	var out []string
	for id, n := range a.nodes {
		if n.service {
			out = append(out, id)
		}
	}
	sort.Strings(out)
	return out
}

// SourceCounters are the totals of one source since the Aggregator started.
type SourceCounters struct {
	// Source is the source name.
	Source string
	// Observations counts the calls added.
	Observations int64
	// Dropped counts the spans reported through AddDropped.
	Dropped int64
}

// Counters describe what an Aggregator holds, for self-monitoring.
type Counters struct {
	// Nodes, Edges and Series count the registry entries, edge series
	// (from, to, kind) and operation series held.
	Nodes, Edges, Series int
	// Buckets counts the buckets held over all series, Packed those of
	// them that are packed and PackedBytes the bytes these take.
	Buckets, Packed, PackedBytes int
	// Skipped counts calls without a From or To ID.
	Skipped int64
	// Sources are the per-source totals, sorted by name.
	Sources []SourceCounters
}

// Counters returns the current counters.
func (a *Aggregator) Counters() Counters {
	a.mu.RLock()
	defer a.mu.RUnlock()
	c := Counters{Nodes: len(a.nodes), Edges: len(a.edges), Skipped: a.skipped}
	for _, e := range a.edges {
		c.Series += len(e.ops)
		for _, s := range e.ops {
			c.Buckets += len(s.buckets) + len(s.packed)
			c.Packed += len(s.packed)
			for _, p := range s.packed {
				c.PackedBytes += len(p.data)
			}
		}
	}
	c.Sources = append([]SourceCounters(nil), a.perSource...)
	sort.Slice(c.Sources, func(i, j int) bool { return c.Sources[i].Source < c.Sources[j].Source })
	return c
}
