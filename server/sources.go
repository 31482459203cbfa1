package server

import (
	"context"
	"sort"
	"sync"
	"time"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/spanmap/spanmap/graph"
	"github.com/spanmap/spanmap/graph/decode"
	"github.com/spanmap/spanmap/server/demo"
)

// registry knows every source and how to report its status.
type registry struct {
	mu      sync.Mutex
	sources map[string]registered
	// staleAfter is how long a pushed source's data stays fresh after its
	// last batch, and the least a pulled source's does.
	staleAfter time.Duration
}

// registered is one source: its status and how long after its last
// success its data still counts as fresh.
type registered struct {
	status func() graph.SourceStatus
	fresh  time.Duration
}

func newRegistry(staleAfter time.Duration) *registry {
	return &registry{sources: map[string]registered{}, staleAfter: staleAfter}
}

// add registers a pushed source's status function under its name.
func (r *registry) add(name string, status func() graph.SourceStatus) {
	r.addPulled(name, status, 0)
}

// addPulled registers a pulled source polled every interval: its data is
// fresh for two intervals (at least staleAfter) after its last success, so
// a source polled once a minute does not turn the map stale between polls.
func (r *registry) addPulled(name string, status func() graph.SourceStatus, interval time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sources[name] = registered{status: status, fresh: max(r.staleAfter, 2*interval)}
}

// list returns every source's status at now, sorted by name, each marked
// stale when it delivered data once but not within its freshness period,
// and whether any source delivered data within its freshness period.
func (r *registry) list(now time.Time) ([]graph.SourceStatus, bool) {
	r.mu.Lock()
	regs := make([]registered, 0, len(r.sources))
	for _, reg := range r.sources {
		regs = append(regs, reg)
	}
	r.mu.Unlock()
	out := make([]graph.SourceStatus, 0, len(regs))
	fresh := false
	for _, reg := range regs {
		st := reg.status()
		if st.LastSuccess != 0 {
			if now.Sub(time.UnixMilli(st.LastSuccess)) <= reg.fresh {
				fresh = true
			} else {
				st.Stale = true
			}
		}
		out = append(out, st)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, fresh
}

// staleSources returns the names of the sources that are stale now, nil
// when none is.
func (s *Server) staleSources() map[string]bool {
	srcs, _ := s.sources.list(s.now())
	var out map[string]bool
	for _, st := range srcs {
		if st.Stale {
			if out == nil {
				out = map[string]bool{}
			}
			out[st.Name] = true
		}
	}
	return out
}

// DefaultStaleAfter is how long without data from a source makes its data
// stale, and without data from any source the map (longer for a source
// polled less often, see addPulled).
const DefaultStaleAfter = 30 * time.Second

// status is the hub's StatusFunc: sources, staleness and span drops. The
// map is stale when no source delivered data within its freshness period:
// the graph keeps its last figures, and the sources say which are down.
func (s *Server) status() graph.Status {
	srcs, fresh := s.sources.list(s.now())
	ps := s.pipeline.Stats()
	var last int64
	for _, st := range srcs {
		last = max(last, st.LastSuccess)
	}
	stale := len(srcs) > 0 && !fresh
	if last == 0 && ps.Spans == 0 {
		stale = false // nothing has arrived yet: the map is empty, not stale
	}
	health := s.cfg.Health
	return graph.Status{
		Sources:      srcs,
		Stale:        stale,
		DroppedSpans: ps.Derive.Dropped + ps.RejectedSpans,
		PendingSpans: int64(ps.Derive.Pending),
		Health:       &health,
	}
}

// pushStatus reports a push receiver: ok once it received data, with the
// time of the last batch.
type pushStatus struct {
	mu    sync.Mutex
	last  time.Time
	spans int64
}

func (p *pushStatus) seen(n int, now time.Time) {
	p.mu.Lock()
	p.last = now
	p.spans += int64(n)
	p.mu.Unlock()
}

func (p *pushStatus) status(name, kind string, now time.Time) graph.SourceStatus {
	p.mu.Lock()
	defer p.mu.Unlock()
	st := graph.SourceStatus{Name: name, Kind: kind, State: graph.SourceOK, Spans: p.spans}
	if !p.last.IsZero() {
		st.LastSuccess = p.last.UnixMilli()
		st.Lag = now.Sub(p.last).Milliseconds()
	}
	return st
}

// demoComponent runs the built-in demo system, feeding its OTLP batches to
// the pipeline in-process through the same protobuf decoder the OTLP
// receivers use.
func (s *Server) demoComponent() (component, error) {
	cfg := demo.DefaultConfig()
	cfg.Rate = s.cfg.DemoRate
	cfg.Seed = uint64(s.now().UnixNano())
	cfg.Logger = s.log.With("component", "demo")
	gen, err := demo.New(cfg)
	if err != nil {
		return component{}, err
	}
	ps := &pushStatus{}
	s.sources.add("demo", func() graph.SourceStatus {
		st := ps.status("demo", "demo", s.now())
		if e := gen.Stats().LastError; e != "" {
			st.LastError = e
		}
		return st
	})
	sink := demo.SinkFunc(func(_ context.Context, req *coltracepb.ExportTraceServiceRequest) error {
		b, err := proto.Marshal(req)
		if err != nil {
			return err
		}
		spans, err := decode.Bytes(b, decode.OTLPProto)
		if err != nil {
			return err
		}
		if err := s.pipeline.Submit("demo", spans); err != nil {
			return err
		}
		ps.seen(len(spans), s.now())
		return nil
	})
	return component{"demo", func(ctx context.Context) error { return gen.Run(ctx, sink) }}, nil
}
