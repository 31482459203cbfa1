package server

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/spanmap/spanmap/graph"
	"github.com/spanmap/spanmap/graph/agg"
	"github.com/spanmap/spanmap/graph/derive"
	"github.com/spanmap/spanmap/server/poll"
	"github.com/spanmap/spanmap/server/source/jaeger"
	"github.com/spanmap/spanmap/server/source/zipkin"
)

// link is one parent -> child dependency a backend computed itself.
type link struct {
	parent, child string
	calls, errors int64
}

// dependencyReader is a backend that serves its own dependency links.
type dependencyReader func(ctx context.Context, w poll.Window) ([]link, error)

// externalSink takes pre-aggregated edges; *agg.Aggregator is one.
type externalSink interface {
	AddExternal(source string, from, to time.Time, edges []agg.ExternalEdge)
}

// depsSource polls a backend's /api/dependencies: the fallback topology
// (`mode: dependencies`) for backends whose traces spanmap cannot read. It
// has call counts (and errors from Zipkin) but no latency, so edges from it
// carry no latency figures and no exemplars.
type depsSource struct {
	name      string
	read      dependencyReader
	sink      externalSink
	interval  time.Duration
	min, max  time.Duration
	downAfter int
	now       func() time.Time
	log       *slog.Logger

	mu     sync.Mutex
	next   time.Time
	failed int
	st     poll.Status
}

// poll reads the links of the intervals since the last success, one
// interval at a time, and adds them.
func (d *depsSource) poll(ctx context.Context) error {
	d.mu.Lock()
	now := d.now().Truncate(time.Second)
	if d.next.IsZero() {
		d.next = now.Add(-d.interval)
	}
	from := d.next
	d.mu.Unlock()
	if !now.After(from) {
		return nil
	}
	links, err := d.read(ctx, poll.Window{From: from, To: now})
	d.mu.Lock()
	defer d.mu.Unlock()
	d.st.Polls++
	if err != nil {
		d.failed++
		d.st.Failures++
		d.st.LastError = err.Error()
		d.st.State = poll.StateDegraded
		if d.failed >= d.downAfter {
			d.st.State = poll.StateDown
		}
		d.log.Warn("poll failed", "source", d.name, "err", err, "consecutive", d.failed)
		return err
	}
	edges := make([]agg.ExternalEdge, 0, len(links))
	for _, l := range links {
		if l.parent == "" || l.child == "" || l.calls <= 0 {
			continue
		}
		edges = append(edges, agg.ExternalEdge{
			From:  derive.Endpoint{ID: l.parent, Name: l.parent, Kind: graph.NodeService},
			To:    derive.Endpoint{ID: l.child, Name: l.child, Kind: graph.NodeService},
			Kind:  graph.EdgeRPC,
			Calls: l.calls, Errors: min(l.errors, l.calls),
		})
	}
	d.sink.AddExternal(d.name, from, now, edges)
	d.failed = 0
	d.next = now
	d.st.State, d.st.LastError, d.st.LastSuccess = poll.StateOK, "", d.now()
	return nil
}

func (d *depsSource) delay(err error) time.Duration {
	d.mu.Lock()
	defer d.mu.Unlock()
	if err == nil {
		return d.interval
	}
	return poll.Backoff(d.failed, d.min, d.max, rand.Float64())
}

func (d *depsSource) status() poll.Status {
	d.mu.Lock()
	defer d.mu.Unlock()
	st := d.st
	if !st.LastSuccess.IsZero() {
		st.Lag = d.now().Sub(d.next)
	}
	return st
}

// dependencyComponent builds the fallback source of a jaeger or zipkin
// SourceConfig with `mode: dependencies`.
func (s *Server) dependencyComponent(sc SourceConfig) (component, error) {
	backend, err := s.newPuller(sc)
	if err != nil {
		return component{}, err
	}
	var read dependencyReader
	switch b := backend.(type) {
	case *jaeger.Puller:
		read = func(ctx context.Context, w poll.Window) ([]link, error) {
			deps, err := b.Dependencies(ctx, w)
			out := make([]link, len(deps))
			for i, d := range deps {
				out[i] = link{parent: d.Parent, child: d.Child, calls: d.CallCount}
			}
			return out, err
		}
	case *zipkin.Puller:
		read = func(ctx context.Context, w poll.Window) ([]link, error) {
			deps, err := b.Dependencies(ctx, w)
			out := make([]link, len(deps))
			for i, d := range deps {
				out[i] = link{parent: d.Parent, child: d.Child, calls: d.CallCount, errors: d.ErrorCount}
			}
			return out, err
		}
	default:
		return component{}, fmt.Errorf("source %s: mode dependencies works with jaeger and zipkin, not %s", sc.Name, sc.Kind)
	}
	pc := sc.pollConfig()
	d := &depsSource{
		name: sc.Name, read: read, sink: s.pipeline.Aggregator(), interval: pc.Interval,
		min: pc.MinBackoff, max: pc.MaxBackoff, downAfter: pc.DownAfter, now: s.now,
		log: s.log.With("source", sc.Name),
		st:  poll.Status{Name: sc.Name, Kind: sc.Kind, State: poll.StateStarting},
	}
	s.addPulledSource(sc, backend, sc.UIURL, d.status)
	return component{"source " + sc.Name, func(ctx context.Context) error { return poll.Loop(ctx, d.poll, d.delay) }}, nil
}
