package prometheus

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/spanmap/spanmap/graph/agg"
	"github.com/spanmap/spanmap/server/poll"
)

// Kind is the source kind reported in status.
const Kind = "prometheus"

// Sink accepts edge figures for an interval; *agg.Aggregator is one.
type Sink interface {
	AddExternal(source string, from, to time.Time, edges []agg.ExternalEdge)
}

// Source polls a Prometheus-compatible API for service-graph metrics and
// hands them to a Sink. Its methods are safe for concurrent use.
type Source struct {
	cfg     Config
	base    string
	client  *http.Client
	sink    Sink
	queries []promQuery
	log     *slog.Logger
	now     func() time.Time
	rand    func() float64

	malformedN atomic.Int64

	mu sync.Mutex
	st poll.Status
	// next is the start of the next interval to query (zero: none yet).
	next    time.Time
	failed  int   // consecutive failed polls
	skipped int64 // intervals given up
	edges   int64 // edge figures handed to the sink
}

// New returns a Source for cfg. A nil log discards; a nil now is
// time.Now.
func New(cfg Config, sink Sink, log *slog.Logger, now func() time.Time) (*Source, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if now == nil {
		now = time.Now
	}
	client, err := cfg.connConfig().HTTPClient(log)
	if err != nil {
		return nil, fmt.Errorf("source %s: %w", cfg.Name, err)
	}
	return &Source{
		cfg: cfg, base: strings.TrimRight(cfg.Conn.URL, "/"), client: client, sink: sink,
		queries: cfg.queries(), log: log, now: now, rand: rand.Float64,
		st: poll.Status{Name: cfg.Name, Kind: Kind, State: poll.StateStarting},
	}, nil
}

// Status returns the current status in the poller's terms: Lag is how far
// the end of the last interval handed to the sink trails now, PollsBehind
// how many whole intervals are still to query, Malformed the responses
// that could not be decoded. TracesFetched, Duplicates and CapsHit stay
// zero.
func (s *Source) Status() poll.Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.st
	st.Malformed = s.malformedN.Load()
	if !st.LastSuccess.IsZero() {
		st.Lag = s.now().Sub(s.next)
	}
	return st
}

// Skipped counts the intervals given up because they fell out of the
// lookback before they could be queried.
func (s *Source) Skipped() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.skipped
}

// Edges counts the edge figures handed to the sink.
func (s *Source) Edges() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.edges
}

// Run polls until ctx is done.
func (s *Source) Run(ctx context.Context) error { return poll.Loop(ctx, s.Poll, s.delay) }

// delay is the wait before the next poll: until the next interval is
// complete and settled after a success (the minimum backoff while catching
// up), capped exponential backoff with full jitter after a failure.
func (s *Source) delay(err error) time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err == nil {
		if s.st.PollsBehind > 0 {
			return s.cfg.MinBackoff
		}
		d := s.next.Add(s.cfg.Interval + s.cfg.Settle).Sub(s.now())
		return min(max(d, 100*time.Millisecond), s.cfg.Interval)
	}
	return poll.Backoff(s.failed, s.cfg.MinBackoff, s.cfg.MaxBackoff, s.rand())
}

// plan returns the intervals the next poll queries. Must be called holding
// the lock.
func (s *Source) plan(now time.Time) []poll.Window {
	iv := int64(s.cfg.Interval)
	end := time.Unix(0, floorDiv(now.Add(-s.cfg.Settle).UnixNano(), iv)*iv)
	oldest := time.Unix(0, -floorDiv(-end.Add(-s.cfg.Lookback).UnixNano(), iv)*iv)
	switch {
	case s.next.IsZero():
		s.next = oldest
	case s.next.Before(oldest):
		n := int64(oldest.Sub(s.next) / s.cfg.Interval)
		s.skipped += n
		s.log.Warn("intervals fell out of the lookback before they could be queried", "source", s.cfg.Name,
			"skipped", n, "from", s.next, "to", oldest)
		s.next = oldest
	}
	var out []poll.Window
	for from := s.next; !from.Add(s.cfg.Interval).After(end) && len(out) < s.cfg.MaxCatchUp; from = from.Add(s.cfg.Interval) {
		out = append(out, poll.Window{From: from, To: from.Add(s.cfg.Interval)})
	}
	behind := int64(0)
	if len(out) > 0 {
		behind = int64(end.Sub(out[len(out)-1].To) / s.cfg.Interval)
	}
	s.st.PollsBehind = behind
	return out
}

// Poll queries the intervals that are due, oldest first, and hands each to
// the sink; it stops at the first failure, which the next poll retries. Run
// calls it; tests may too.
func (s *Source) Poll(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	s.mu.Lock()
	windows := s.plan(s.now())
	s.mu.Unlock()
	var err error
	for i, w := range windows {
		var edges []agg.ExternalEdge
		edges, err = s.interval(ctx, w)
		if err != nil {
			s.mu.Lock()
			s.st.PollsBehind += int64(len(windows) - i)
			s.mu.Unlock()
			break
		}
		s.sink.AddExternal(s.cfg.Name, w.From, w.To, edges)
		s.mu.Lock()
		s.next = w.To
		s.edges += int64(len(edges))
		s.mu.Unlock()
	}
	s.finish(err)
	return err
}

// interval runs the queries of w concurrently and converts their results.
// The first failure cancels the other queries and is returned.
func (s *Source) interval(ctx context.Context, w poll.Window) ([]agg.ExternalEdge, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	got := make([][]sample, len(s.queries))
	var (
		wg    sync.WaitGroup
		once  sync.Once
		first error
	)
	for i, q := range s.queries {
		wg.Go(func() {
			res, err := s.query(ctx, q.expr, w.To)
			if err != nil {
				once.Do(func() {
					first = fmt.Errorf("source %s: query %s at %s: %w", s.cfg.Name, q.name, w.To.UTC().Format(time.RFC3339), err)
					cancel()
				})
				return
			}
			got[i] = res
		})
	}
	wg.Wait()
	if first != nil {
		return nil, first
	}
	r := results{cfg: &s.cfg, pairs: map[pairKey]*pair{}}
	for i, q := range s.queries { // the calls query is first
		r.add(q, got[i])
	}
	return r.edges(), nil
}

// finish records a poll's outcome.
func (s *Source) finish(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.Polls++
	if err != nil {
		s.failed++
		s.st.Failures++
		s.st.LastError = err.Error()
		s.st.State = poll.StateDegraded
		if s.failed >= s.cfg.DownAfter {
			s.st.State = poll.StateDown
		}
		s.log.Warn("poll failed", "source", s.cfg.Name, "err", err, "consecutive", s.failed)
		return
	}
	s.failed = 0
	s.st.LastSuccess = s.now()
	s.st.LastError = ""
	s.st.State = poll.StateOK
}

// floorDiv divides rounding towards minus infinity.
func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}
