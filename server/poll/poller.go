package poll

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"github.com/spanmap/spanmap/graph/span"
)

// Window is a half-open time range [From, To).
type Window struct {
	From, To time.Time
}

// Duration returns To - From.
func (w Window) Duration() time.Duration { return w.To.Sub(w.From) }

// Trace is one trace as a backend returned it.
type Trace struct {
	ID    span.TraceID
	Spans []span.Span
}

// Backend is what a pulled tracing backend offers.
type Backend interface {
	// Services lists the services the backend knows.
	Services(ctx context.Context) ([]string, error)
	// Traces returns up to limit traces with spans of service in w. An
	// answer that came but could not be decoded is an error wrapping
	// ErrMalformed.
	Traces(ctx context.Context, service string, w Window, limit int) ([]Trace, error)
}

// ErrMalformed is wrapped by a Backend's errors about responses it got but
// could not decode (as opposed to a backend that is down, slow or failing
// with a server error). The same answer to the same query is likely to
// come again, so the poller gives up on a service's window after
// Config.SkipMalformedAfter such answers in a row. Every backend package's
// ErrMalformed is this value.
var ErrMalformed = errors.New("malformed response")

// Sink accepts spans; an error means busy (the poller retries the batch).
type Sink interface {
	Submit(source string, spans []span.Span) error
}

// Config configures one poller.
type Config struct {
	// Name is the source name recorded on edges and in status.
	Name string
	// Kind is the backend kind ("jaeger", "zipkin", "tempo").
	Kind string
	// Interval is the time between polls.
	Interval time.Duration
	// Lookback is how far back the first poll reaches.
	Lookback time.Duration
	// Settle is how far the window trails now, so late spans are in.
	Settle time.Duration
	// MaxWindow caps one poll's window; a poller further behind catches up
	// over several polls and reports how many it is behind.
	MaxWindow time.Duration
	// Limit is the most traces asked for per service and window.
	Limit int
	// MaxSplits is how many times a capped window is halved (per service).
	MaxSplits int
	// Timeout bounds each query of a poll (the service list, each
	// service's traces), so a poll of many services is not cut short while
	// every answer comes in time.
	Timeout time.Duration
	// MinBackoff and MaxBackoff bound the retry delay after failures.
	MinBackoff, MaxBackoff time.Duration
	// DownAfter is the number of consecutive failed polls after which the
	// source is reported down (before that: degraded).
	DownAfter int
	// DedupeTTL is how long trace IDs are remembered to avoid counting a
	// trace twice.
	DedupeTTL time.Duration
	// SkipMalformedAfter is how many polls in a row a service's traces
	// may come back malformed (ErrMalformed) for the same window before
	// the poller skips that service's window: the poll then goes on with
	// the other services, the window advances, the skip is counted in
	// Status.SkippedWindows and the source is degraded. Before that, and
	// always for other errors (down, time-outs, server errors), the poll
	// fails and the window is retried. Negative: never skip; 0 is invalid.
	SkipMalformedAfter int
}

// DefaultConfig returns the poller defaults.
func DefaultConfig() Config {
	return Config{
		Interval: 15 * time.Second, Lookback: 5 * time.Minute, Settle: 10 * time.Second,
		MaxWindow: 5 * time.Minute, Limit: 500, MaxSplits: 4, Timeout: 30 * time.Second,
		MinBackoff: time.Second, MaxBackoff: 2 * time.Minute, DownAfter: 3, DedupeTTL: 30 * time.Minute,
		SkipMalformedAfter: 3,
	}
}

// Validate reports the first invalid field.
func (c Config) Validate() error {
	switch {
	case c.Name == "":
		return errors.New("poll: source name must not be empty")
	case c.Interval <= 0, c.Lookback <= 0, c.MaxWindow <= 0, c.Timeout <= 0:
		return fmt.Errorf("source %s: interval, lookback, max window and timeout must be positive", c.Name)
	case c.Settle < 0:
		return fmt.Errorf("source %s: settle delay must not be negative", c.Name)
	case c.Limit <= 0:
		return fmt.Errorf("source %s: limit must be positive, got %d", c.Name, c.Limit)
	case c.MinBackoff <= 0 || c.MaxBackoff < c.MinBackoff:
		return fmt.Errorf("source %s: need 0 < min backoff <= max backoff", c.Name)
	case c.DownAfter <= 0:
		return fmt.Errorf("source %s: down-after must be positive", c.Name)
	case c.SkipMalformedAfter == 0:
		return fmt.Errorf("source %s: skip-malformed-after must not be 0: the number of malformed answers in a row that skip a service's window, or negative to never skip", c.Name)
	}
	return nil
}

// State is a source's health.
type State string

// Source states.
const (
	StateStarting State = "starting"
	StateOK       State = "ok"
	StateDegraded State = "degraded"
	StateDown     State = "down"
)

// Status is what the poller reports about its source.
type Status struct {
	Name, Kind string
	State      State
	// LastSuccess is the end of the last successful poll (zero: none yet).
	LastSuccess time.Time
	// LastError is the last poll error, empty after a success.
	LastError string
	// Lag is how far the data trails now: now minus the end of the last
	// window fully fetched.
	Lag time.Duration
	// Polls, Failures count polls and failed polls.
	Polls, Failures int64
	// TracesFetched counts new traces (after de-duplication).
	TracesFetched int64
	// Duplicates counts traces skipped as already fetched.
	Duplicates int64
	// CapsHit counts queries that returned the limit even after narrowing:
	// traces may be missing from those windows.
	CapsHit int64
	// PollsBehind is how many intervals the window trails its target.
	PollsBehind int64
	// Malformed counts responses the backend package could not decode.
	Malformed int64
	// SkippedWindows counts service windows given up after
	// Config.SkipMalformedAfter malformed answers in a row: that service's
	// traces in that window are missing.
	SkippedWindows int64
}

// Poller polls one backend.
type Poller struct {
	cfg     Config
	backend Backend
	sink    Sink
	log     *slog.Logger
	now     func() time.Time
	rand    func() float64

	mu     sync.Mutex
	st     Status
	next   time.Time // window start of the next poll
	seen   map[span.TraceID]time.Time
	failed int // consecutive failures
	// malformedRuns counts, per service, the malformed answers in a row to
	// the window starting at next; cleared when the window advances.
	malformedRuns map[string]int
}

// New returns a poller.
func New(cfg Config, b Backend, sink Sink, log *slog.Logger, now func() time.Time) (*Poller, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if now == nil {
		now = time.Now
	}
	return &Poller{
		cfg: cfg, backend: b, sink: sink, log: log, now: now, rand: rand.Float64,
		st:   Status{Name: cfg.Name, Kind: cfg.Kind, State: StateStarting},
		seen: map[span.TraceID]time.Time{}, malformedRuns: map[string]int{},
	}, nil
}

// Status returns the current status.
func (p *Poller) Status() Status {
	p.mu.Lock()
	defer p.mu.Unlock()
	st := p.st
	if !st.LastSuccess.IsZero() {
		st.Lag = p.now().Sub(p.next)
	}
	return st
}

// Run polls until ctx is done.
func (p *Poller) Run(ctx context.Context) error { return Loop(ctx, p.Poll, p.delay) }

// delay is the wait before the next poll: the interval after a success
// (shorter while catching up), capped exponential backoff with full jitter
// after a failure.
func (p *Poller) delay(err error) time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	if err == nil {
		if p.st.PollsBehind > 0 {
			return p.cfg.MinBackoff
		}
		return p.cfg.Interval
	}
	return Backoff(p.failed, p.cfg.MinBackoff, p.cfg.MaxBackoff, p.rand())
}

// nextWindow returns the window of the next poll and whether there is one.
func (p *Poller) nextWindow(now time.Time) (Window, bool) {
	end := now.Add(-p.cfg.Settle)
	if p.next.IsZero() {
		// Fixed at the first attempt, so failed first polls do not let the
		// start drift forward.
		p.next = end.Add(-p.cfg.Lookback)
	}
	from := p.next
	if !end.After(from) {
		return Window{}, false
	}
	to := end
	behind := int64(0)
	if to.Sub(from) > p.cfg.MaxWindow {
		to = from.Add(p.cfg.MaxWindow)
		behind = int64(end.Sub(to) / p.cfg.Interval)
	}
	p.st.PollsBehind = behind
	return Window{From: from, To: to}, true
}

// Poll runs one poll now. Run calls it; tests may too.
func (p *Poller) Poll(ctx context.Context) error {
	p.mu.Lock()
	w, ok := p.nextWindow(p.now())
	p.mu.Unlock()
	if !ok {
		return nil
	}
	res, err := p.fetch(ctx, w)
	if err == nil {
		err = p.submit(res.spans)
	}
	p.finish(w, res, err)
	return err
}

// fetchResult is one poll's outcome.
type fetchResult struct {
	spans             []span.Span
	traces, dups, cap int64
	skipped           []skip
}

// skip is a service whose window a poll gave up on after malformed
// answers.
type skip struct {
	service  string
	attempts int
	err      error
}

// fetch fetches every service's traces in w. A transport failure, time-out
// or server error fails the poll at once. A malformed answer fails it too,
// but the other services are still queried, so that every service that
// answers malformed counts its attempt; a service whose answers to w were
// malformed SkipMalformedAfter times in a row is skipped instead.
func (p *Poller) fetch(ctx context.Context, w Window) (fetchResult, error) {
	var res fetchResult
	sctx, cancel := context.WithTimeout(ctx, p.cfg.Timeout)
	services, err := p.backend.Services(sctx)
	cancel()
	if err != nil {
		return res, fmt.Errorf("list services of %s: %w", p.cfg.Name, err)
	}
	now := p.now()
	fresh := map[span.TraceID]bool{}
	var malformed []error
	for _, svc := range services {
		err := p.fetchService(ctx, svc, w, 0, now, fresh, &res)
		if err != nil {
			err = fmt.Errorf("fetch traces of %s from %s: %w", svc, p.cfg.Name, err)
		}
		if err == nil || !errors.Is(err, ErrMalformed) || ctx.Err() != nil {
			p.mu.Lock()
			delete(p.malformedRuns, svc)
			p.mu.Unlock()
			if err != nil {
				return res, err
			}
			continue
		}
		p.mu.Lock()
		p.malformedRuns[svc]++
		n := p.malformedRuns[svc]
		p.mu.Unlock()
		if p.cfg.SkipMalformedAfter > 0 && n >= p.cfg.SkipMalformedAfter {
			res.skipped = append(res.skipped, skip{service: svc, attempts: n, err: err})
			continue
		}
		malformed = append(malformed, err)
	}
	switch len(malformed) {
	case 0:
		return res, nil
	case 1:
		return res, malformed[0]
	}
	return res, fmt.Errorf("%w (and %d more services answered malformed responses)", malformed[0], len(malformed)-1)
}

// fetchService fetches service's traces in w, halving w while the limit is
// hit, up to MaxSplits times.
func (p *Poller) fetchService(ctx context.Context, svc string, w Window, depth int, now time.Time, fresh map[span.TraceID]bool, res *fetchResult) error {
	tctx, cancel := context.WithTimeout(ctx, p.cfg.Timeout)
	traces, err := p.backend.Traces(tctx, svc, w, p.cfg.Limit)
	cancel()
	if err != nil {
		return err
	}
	if len(traces) >= p.cfg.Limit {
		if depth < p.cfg.MaxSplits && w.Duration() > 2*time.Millisecond {
			mid := w.From.Add(w.Duration() / 2)
			if err := p.fetchService(ctx, svc, Window{w.From, mid}, depth+1, now, fresh, res); err != nil {
				return err
			}
			return p.fetchService(ctx, svc, Window{mid, w.To}, depth+1, now, fresh, res)
		}
		res.cap++
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, t := range traces {
		if fresh[t.ID] {
			continue // same trace listed under another service in this poll
		}
		if _, dup := p.seen[t.ID]; dup {
			res.dups++
			continue
		}
		fresh[t.ID] = true
		p.seen[t.ID] = now.Add(p.cfg.DedupeTTL)
		res.traces++
		res.spans = append(res.spans, t.Spans...)
	}
	return nil
}

// submit hands spans to the sink in batches; a busy sink fails the poll,
// which is retried (its traces are forgotten so the retry fetches them).
func (p *Poller) submit(spans []span.Span) error {
	const batch = 4096
	for len(spans) > 0 {
		n := min(batch, len(spans))
		if err := p.sink.Submit(p.cfg.Name, spans[:n]); err != nil {
			return fmt.Errorf("submit spans of %s: %w", p.cfg.Name, err)
		}
		spans = spans[n:]
	}
	return nil
}

// finish records a poll's outcome and advances the window on success.
func (p *Poller) finish(w Window, res fetchResult, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	p.st.Polls++
	if err != nil {
		p.failed++
		p.st.Failures++
		p.st.LastError = err.Error()
		p.st.State = StateDegraded
		if p.failed >= p.cfg.DownAfter {
			p.st.State = StateDown
		}
		p.log.Warn("poll failed", "source", p.cfg.Name, "err", err, "consecutive", p.failed)
		// Forget this poll's traces so the retry of the window counts them.
		for _, s := range res.spans {
			delete(p.seen, s.TraceID)
		}
		return
	}
	p.st.TracesFetched += res.traces
	p.st.Duplicates += res.dups
	p.st.CapsHit += res.cap
	p.st.SkippedWindows += int64(len(res.skipped))
	p.failed = 0
	p.next = w.To
	clear(p.malformedRuns)
	p.st.LastSuccess = now
	p.st.LastError = ""
	p.st.State = StateOK
	var problems []string
	for _, sk := range res.skipped {
		p.log.Warn("skipped a window of malformed responses", "source", p.cfg.Name, "service", sk.service,
			"from", w.From, "to", w.To, "attempts", sk.attempts, "err", sk.err)
		problems = append(problems, fmt.Sprintf("skipped the traces of %s from %s to %s after %d malformed responses in a row: %v",
			sk.service, w.From.UTC().Format(time.RFC3339Nano), w.To.UTC().Format(time.RFC3339Nano), sk.attempts, sk.err))
	}
	if res.cap > 0 {
		problems = append(problems, fmt.Sprintf("%d queries hit the limit of %d traces: raise the limit or shorten the interval", res.cap, p.cfg.Limit))
	}
	if len(problems) > 0 {
		p.st.State = StateDegraded
		p.st.LastError = strings.Join(problems, "; ")
	}
	for id, exp := range p.seen {
		if now.After(exp) {
			delete(p.seen, id)
		}
	}
}
