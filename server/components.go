package server

import (
	"context"
	"errors"
	"net"
	"net/http"
	"time"

	"google.golang.org/grpc"

	"github.com/spanmap/spanmap/graph"
	"github.com/spanmap/spanmap/graph/span"

	"github.com/spanmap/spanmap/server/history"
	"github.com/spanmap/spanmap/server/source/otlp"
	"github.com/spanmap/spanmap/server/source/zipkin"
)

// components returns the receivers, pullers and demo system configured, each
// as a long-running part for Run.
func (s *Server) components() []component {
	var cs []component
	if ln, ok := s.listeners["--otlp-http-addr"]; ok {
		srv := &http.Server{Handler: s.otlp.HTTPHandler(), ReadHeaderTimeout: 10 * time.Second}
		cs = append(cs, component{"otlp-http", func(ctx context.Context) error {
			return serveHTTP(ctx, srv, ln, s.cfg.ShutdownTimeout)
		}})
	}
	if ln, ok := s.listeners["--otlp-grpc-addr"]; ok {
		gs := s.otlp.GRPCServer()
		cs = append(cs, component{"otlp-grpc", func(ctx context.Context) error {
			return serveGRPC(ctx, gs, ln, s.cfg.ShutdownTimeout)
		}})
	}
	if ln, ok := s.listeners["--zipkin-addr"]; ok {
		srv := &http.Server{Handler: s.zipkin.Handler(), ReadHeaderTimeout: 10 * time.Second}
		cs = append(cs, component{"zipkin-receiver", func(ctx context.Context) error {
			return serveHTTP(ctx, srv, ln, s.cfg.ShutdownTimeout)
		}})
	}
	cs = append(cs, s.pullers...)
	if s.history != nil {
		cs = append(cs, component{"history", func(ctx context.Context) error {
			return s.history.Run(ctx, s.pipeline.Aggregator(), s.now)
		}})
	}
	// Before the demo feeds the aggregate: what it holds now is the baseline.
	cs = append(cs, s.events.component())
	if s.cfg.Demo {
		c, err := s.demoComponent()
		if err != nil {
			s.log.Error("demo disabled", "err", err)
		} else {
			cs = append(cs, c)
		}
	}
	return cs
}

// trackedSink submits to the pipeline and records successful batches in a
// push source's status.
type trackedSink struct {
	s  *Server
	ps *pushStatus
}

func (t trackedSink) Submit(source string, spans []span.Span) error {
	if err := t.s.pipeline.Submit(source, spans); err != nil {
		return err
	}
	t.ps.seen(len(spans), t.s.now())
	return nil
}

// tracked returns a sink for a push receiver.
func (s *Server) tracked() trackedSink {
	return trackedSink{s: s, ps: &pushStatus{}}
}

// registerPush registers a push receiver's status when it is configured.
func (s *Server) registerPush(name, kind, addr string, t trackedSink, malformed func() int64) {
	if addr == "" {
		return
	}
	s.sources.add(name, func() graph.SourceStatus {
		st := t.ps.status(name, kind, s.now())
		st.Malformed = malformed()
		return st
	})
}

// newReceivers builds the push receivers feeding the pipeline.
func (s *Server) newReceivers() error {
	ocfg := otlp.DefaultConfig()
	ocfg.MaxBodyBytes = s.cfg.MaxBodyBytes
	otlpAddr := s.cfg.OTLPHTTPAddr
	if otlpAddr == "" {
		otlpAddr = s.cfg.OTLPGRPCAddr
	}
	ot := s.tracked()
	o, err := otlp.New(ocfg, ot, s.log.With("component", "otlp"))
	if err != nil {
		return err
	}
	s.registerPush(ocfg.Source, "otlp", otlpAddr, ot, func() int64 { return o.Stats().Malformed })
	zcfg := zipkin.DefaultReceiverConfig()
	zcfg.MaxBodyBytes = s.cfg.MaxBodyBytes
	zt := s.tracked()
	z, err := zipkin.NewReceiver(zcfg, zt, s.log.With("component", "zipkin"))
	if err != nil {
		return err
	}
	s.registerPush(zcfg.Source, "zipkin", s.cfg.ZipkinAddr, zt, func() int64 { return z.Stats().Malformed })
	s.otlp, s.zipkin = o, z
	return nil
}

// serveGRPC serves gs on ln until ctx is done, then stops it gracefully
// within timeout.
func serveGRPC(ctx context.Context, gs *grpc.Server, ln net.Listener, timeout time.Duration) error {
	errc := make(chan error, 1)
	go func() { errc <- gs.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	stopped := make(chan struct{})
	go func() { gs.GracefulStop(); close(stopped) }()
	select {
	case <-stopped:
	case <-time.After(timeout):
		gs.Stop()
	}
	// A stop that comes before Serve started makes Serve return
	// ErrServerStopped: a normal shutdown, not a failure.
	if err := <-errc; err != nil && !errors.Is(err, grpc.ErrServerStopped) {
		return err
	}
	return nil
}

// openHistory opens the on-disk history in the data dir and restores the
// aggregator's retention window from it, so the map is complete before the
// server serves. The store is flushed a last time and closed after every
// part stopped.
func (s *Server) openHistory() error {
	opt := s.cfg.historyOptions()
	opt.Log = s.log.With("component", "history")
	st, err := history.Open(s.cfg.DataDir, opt)
	if err != nil {
		return err
	}
	a := s.pipeline.Aggregator()
	window := a.Config().Retention
	if window <= 0 || window > s.cfg.Retention {
		window = s.cfg.Retention
	}
	now := s.now()
	n, err := st.Restore(a, now.Add(-window), now.Add(time.Minute))
	if err != nil {
		s.log.Warn("history restored partly", "path", st.Path(), "err", err)
	}
	s.log.Info("history restored", "path", st.Path(), "periods", n, "window", window)
	s.history = st
	s.closers = append(s.closers, func() error {
		if _, err := st.Flush(a, s.now()); err != nil {
			s.log.Warn("history: last flush failed", "err", err)
		}
		return st.Close()
	})
	return nil
}
