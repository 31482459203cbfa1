package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/spanmap/spanmap/graph"
	"github.com/spanmap/spanmap/graph/agg"
	"github.com/spanmap/spanmap/graph/layout"
	"github.com/spanmap/spanmap/server/history"
	"github.com/spanmap/spanmap/server/hub"
	"github.com/spanmap/spanmap/server/ingest"
	"github.com/spanmap/spanmap/server/layoutproc"
	"github.com/spanmap/spanmap/server/source/otlp"
	"github.com/spanmap/spanmap/server/source/zipkin"
)

// Server is a running spanmap instance.
type Server struct {
	cfg      Config
	log      *slog.Logger
	now      func() time.Time
	pipeline *ingest.Pipeline
	layouter *layout.Layouter
	hub      *hub.Hub
	sources  *registry
	metrics  *metrics
	echo     *echo.Echo
	ui       http.Handler
	otlp     *otlp.Receiver
	zipkin   *zipkin.Receiver
	history  *history.Store // nil without a data dir
	timeline *timeline      // what the hub reads: memory, and history before it
	events   *events

	mu        sync.Mutex
	listeners map[string]net.Listener // by flag name
	pullers   []component
	closers   []func() error
	ready     chan struct{}
}

// New builds a server from cfg. ui serves the browser app (the go-app
// handler); it may be nil in tests.
func New(cfg Config, log *slog.Logger, ui http.Handler) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.Sources = append([]SourceConfig(nil), cfg.Sources...)
	if err := nameSources(cfg.Sources); err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if cfg.StaleAfter == 0 {
		cfg.StaleAfter = DefaultStaleAfter
	}
	if cfg.Health == (graph.HealthRules{}) {
		cfg.Health = agg.DefaultConfig().Health()
	}
	cfg.Ingest.Agg.SetHealth(cfg.Health)
	s := &Server{
		cfg:       cfg,
		log:       log,
		now:       time.Now,
		ui:        ui,
		sources:   newRegistry(cfg.StaleAfter),
		listeners: map[string]net.Listener{},
		ready:     make(chan struct{}),
	}
	p, err := ingest.New(cfg.Ingest, log.With("component", "ingest"), s.now)
	if err != nil {
		return nil, err
	}
	s.pipeline = p
	if err := s.newReceivers(); err != nil {
		return nil, err
	}
	l, err := layout.New(layout.DefaultConfig())
	if err != nil {
		return nil, err
	}
	s.layouter = l
	var hl hub.Layouter = l
	if len(cfg.LayoutCommand) > 0 {
		pl, err := layoutproc.New(layoutproc.Config{Command: cfg.LayoutCommand, Workers: cfg.LayoutWorkers}, log.With("component", "layout"))
		if err != nil {
			return nil, err
		}
		s.closers = append(s.closers, pl.Close)
		hl = pl
	}
	cfg.Hub.AllowedOrigins = append(cfg.Hub.AllowedOrigins, cfg.AllowedOrigins...)
	s.timeline = newTimeline(p.Aggregator(), func() time.Time { return s.now() })
	h, err := hub.New(cfg.Hub, s.timeline, hl, s.status, log.With("component", "hub"), s.now)
	if err != nil {
		return nil, err
	}
	s.hub = h
	if s.pullers, err = s.pullerComponents(); err != nil {
		return nil, err
	}
	if cfg.DataDir != "" {
		if err := s.openHistory(); err != nil {
			return nil, err
		}
		s.timeline.useStore(s.history)
	}
	s.events = s.newEvents()
	s.metrics = newMetrics(s)
	s.echo = s.routes()
	return s, nil
}

// listen opens every configured listener up front, so a port in use is
// reported naming its flag before anything starts.
func (s *Server) listen() error {
	for _, l := range []struct{ flag, addr string }{
		{"--http-addr", s.cfg.HTTPAddr},
		{"--otlp-grpc-addr", s.cfg.OTLPGRPCAddr},
		{"--otlp-http-addr", s.cfg.OTLPHTTPAddr},
		{"--zipkin-addr", s.cfg.ZipkinAddr},
	} {
		if l.addr == "" {
			continue
		}
		ln, err := net.Listen("tcp", l.addr)
		if err != nil {
			s.closeListeners()
			return &ListenError{Flag: l.flag, Addr: l.addr, Err: listenErr(err)}
		}
		s.listeners[l.flag] = ln
	}
	return nil
}

// ListenError reports an address that could not be bound, naming its flag.
type ListenError struct {
	// Flag is the flag that set the address, e.g. "--http-addr".
	Flag string
	// Addr is the address.
	Addr string
	// Err is the cause, e.g. "address already in use".
	Err error
}

// Error implements error.
func (e *ListenError) Error() string {
	return fmt.Sprintf("%s %s: %v", e.Flag, e.Addr, e.Err)
}

// Unwrap returns the cause.
func (e *ListenError) Unwrap() error { return e.Err }

// IsListenError reports whether err is a ListenError.
func IsListenError(err error) bool {
	var le *ListenError
	return errors.As(err, &le)
}

func listenErr(err error) error {
	var op *net.OpError
	if errors.As(err, &op) && op.Err != nil {
		return op.Err
	}
	return err
}

func (s *Server) closeListeners() {
	for _, ln := range s.listeners {
		ln.Close()
	}
}

// Addr returns the address a listener bound to, by flag name
// ("--http-addr"), once Run has started; empty when it is off.
func (s *Server) Addr(flag string) string {
	<-s.ready
	s.mu.Lock()
	defer s.mu.Unlock()
	if ln, ok := s.listeners[flag]; ok {
		return ln.Addr().String()
	}
	return ""
}

// Run serves until ctx is done, then shuts down gracefully.
func (s *Server) Run(ctx context.Context) error {
	s.mu.Lock()
	err := s.listen()
	s.mu.Unlock()
	if err != nil {
		close(s.ready)
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	var wg sync.WaitGroup
	errc := make(chan error, 8)
	goRun := func(name string, f func(context.Context) error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := f(ctx); err != nil && !errors.Is(err, context.Canceled) {
				errc <- fmt.Errorf("%s: %w", name, err)
				cancel()
			}
		}()
	}
	goRun("ingest", s.pipeline.Run)
	goRun("hub", s.hub.Run)
	for _, c := range s.components() {
		goRun(c.name, c.run)
	}

	httpSrv := &http.Server{Handler: s.echo, ReadHeaderTimeout: 10 * time.Second, ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelWarn)}
	goRun("http", func(ctx context.Context) error {
		return serveHTTP(ctx, httpSrv, s.listeners["--http-addr"], s.cfg.ShutdownTimeout)
	})
	close(s.ready)
	s.log.Info("spanmap serving", "url", "http://"+s.listeners["--http-addr"].Addr().String()+"/")

	<-ctx.Done()
	wg.Wait()
	for _, c := range s.closers {
		_ = c()
	}
	close(errc)
	return <-errc // nil when every part stopped cleanly
}

// serveHTTP serves srv on ln until ctx is done, then shuts it down.
func serveHTTP(ctx context.Context, srv *http.Server, ln net.Listener, timeout time.Duration) error {
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		srv.Close()
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// component is a long-running part started by Run.
type component struct {
	name string
	run  func(context.Context) error
}
