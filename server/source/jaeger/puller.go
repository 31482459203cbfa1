package jaeger

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/jaegertracing/jaeger-idl/proto-gen/api_v2"
	"google.golang.org/grpc"

	"github.com/spanmap/spanmap/server/poll"
)

// Puller reads traces from a Jaeger query service. It is safe for
// concurrent use.
type Puller struct {
	cfg  Config
	log  *slog.Logger
	base string // http(s) base URL without a trailing slash

	http  *http.Client     // api_v3 and legacy
	cc    *grpc.ClientConn // api_v2 gRPC
	query api_v2.QueryServiceClient

	mu    sync.Mutex
	proto Protocol // resolved protocol; Auto until a probe got an answer

	malformed atomic.Int64
}

var _ poll.Backend = (*Puller)(nil)

// NewPuller returns a puller for the Jaeger query service cfg.Conn.URL, e.g.
// http://jaeger:16686 (api_v3 or legacy) or grpc://jaeger:16685 (api_v2).
// It does not connect: the first Services call does, and reports a backend
// that is down.
func NewPuller(cfg Config, log *slog.Logger) (*Puller, error) {
	if cfg.Protocol == "" {
		cfg.Protocol = Auto
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	proto, _ := ParseProtocol(string(cfg.Protocol)) // canonical spelling; Validate checked it
	p := &Puller{cfg: cfg, log: log, proto: proto}
	if isGRPC(cfg.Conn.URL) {
		if p.proto != APIv3GRPC {
			p.proto = APIv2GRPC
		}
		if err := p.dial(); err != nil {
			return nil, fmt.Errorf("jaeger source: %w", err)
		}
		return p, nil
	}
	client, err := cfg.Conn.HTTPClient(log)
	if err != nil {
		return nil, fmt.Errorf("jaeger source: %w", err)
	}
	p.http = client
	p.base = strings.TrimRight(cfg.Conn.URL, "/")
	return p, nil
}

// Close releases the gRPC connection and idle HTTP connections.
func (p *Puller) Close() error {
	if p.http != nil {
		p.http.CloseIdleConnections()
	}
	if p.cc != nil {
		return p.cc.Close()
	}
	return nil
}

// Malformed counts responses that could not be decoded.
func (p *Puller) Malformed() int64 { return p.malformed.Load() }

// Protocol returns the protocol in use: the configured one, or with Auto
// the one detected (Auto until a probe got an answer).
func (p *Puller) Protocol() Protocol {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.proto
}

// Services lists the services Jaeger knows. With Auto over HTTP the first
// call that gets an answer also picks the API.
func (p *Puller) Services(ctx context.Context) ([]string, error) {
	var (
		svcs []string
		err  error
	)
	switch p.Protocol() {
	case APIv2GRPC:
		svcs, err = p.grpcServices(ctx)
	case APIv3GRPC:
		svcs, err = p.v3grpcServices(ctx)
	case APIv3:
		svcs, err = p.v3Services(ctx)
	case Legacy:
		svcs, err = p.legacyServices(ctx)
	default:
		svcs, err = p.detect(ctx)
	}
	return svcs, p.count(err)
}

// Traces returns up to limit traces with a span of service starting in w,
// each with all its spans.
func (p *Puller) Traces(ctx context.Context, service string, w poll.Window, limit int) ([]poll.Trace, error) {
	proto := p.Protocol()
	if proto == Auto {
		if _, err := p.detect(ctx); err != nil {
			return nil, p.count(err)
		}
		proto = p.Protocol()
	}
	var (
		traces []poll.Trace
		err    error
	)
	switch proto {
	case APIv2GRPC:
		traces, err = p.grpcTraces(ctx, service, w, limit)
	case APIv3GRPC:
		traces, err = p.v3grpcTraces(ctx, service, w, limit)
	case APIv3:
		traces, err = p.v3Traces(ctx, service, w, limit)
	default:
		traces, err = p.legacyTraces(ctx, service, w, limit)
	}
	return traces, p.count(err)
}

// Dependency is one link of Jaeger's dependency graph.
type Dependency struct {
	Parent    string `json:"parent"`
	Child     string `json:"child"`
	CallCount int64  `json:"callCount"`
}

// Dependencies reads Jaeger's own dependency links for w: a fallback
// topology with call counts but no latency or errors. Over HTTP it uses
// /api/dependencies, which both v3-era and legacy Jaeger serve.
func (p *Puller) Dependencies(ctx context.Context, w poll.Window) ([]Dependency, error) {
	var (
		deps []Dependency
		err  error
	)
	if proto := p.Protocol(); proto == APIv2GRPC || proto == APIv3GRPC {
		deps, err = p.grpcDependencies(ctx, w)
	} else {
		deps, err = p.httpDependencies(ctx, w)
	}
	return deps, p.count(err)
}

// count counts a malformed response and returns err.
func (p *Puller) count(err error) error {
	if errors.Is(err, ErrMalformed) {
		p.malformed.Add(1)
	}
	return err
}

// detect probes the v3 API, falling back to the legacy API, and records the
// protocol that answered. It returns that API's services. A v3 answer that
// is not the services object (a UI page) is a miss, not a malformed
// response; the caller counts only the error it returns.
func (p *Puller) detect(ctx context.Context) ([]string, error) {
	svcs, v3err := p.v3Services(ctx)
	if v3err == nil {
		p.settle(APIv3)
		return svcs, nil
	}
	var he *httpError
	fallback := errors.Is(v3err, ErrMalformed) || (errors.As(v3err, &he) && he.status == http.StatusNotFound)
	if !fallback {
		return nil, v3err
	}
	svcs, err := p.legacyServices(ctx)
	if err != nil {
		return nil, fmt.Errorf("jaeger: neither API answered: %w (after %v)", err, v3err)
	}
	p.settle(Legacy)
	return svcs, nil
}

// settle records the detected protocol once.
func (p *Puller) settle(proto Protocol) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.proto == Auto {
		p.proto = proto
		p.log.Info("jaeger query API detected", "url", p.cfg.Conn.URL, "protocol", string(proto))
	}
}
