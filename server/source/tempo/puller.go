package tempo

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/spanmap/spanmap/graph/span"
	"github.com/spanmap/spanmap/server/poll"
	"github.com/spanmap/spanmap/server/source/conn"
)

// Puller reads traces from Tempo's HTTP API. It is safe for concurrent use.
type Puller struct {
	cfg    Config
	base   string
	client *http.Client
	// v1Tags is set once the v2 tag values endpoint answered 404.
	v1Tags atomic.Bool

	malformed, missing, partial atomic.Int64
}

var _ poll.Backend = (*Puller)(nil)

// NewPuller returns a puller for the Tempo at c.Conn.URL. Zero
// Concurrency, MaxResponseBytes and TraceAPI take their defaults.
func NewPuller(c Config, log *slog.Logger) (*Puller, error) {
	d := DefaultConfig()
	if c.TraceAPI == "" {
		c.TraceAPI = d.TraceAPI
	}
	if c.Concurrency == 0 {
		c.Concurrency = d.Concurrency
	}
	if c.MaxResponseBytes == 0 {
		c.MaxResponseBytes = d.MaxResponseBytes
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	client, err := c.connConfig().HTTPClient(log)
	if err != nil {
		return nil, fmt.Errorf("tempo source: %w", err)
	}
	return &Puller{cfg: c, base: strings.TrimRight(c.Conn.URL, "/"), client: client}, nil
}

// Malformed counts responses that could not be decoded.
func (p *Puller) Malformed() int64 { return p.malformed.Load() }

// Missing counts traces the search listed that were not found by ID.
func (p *Puller) Missing() int64 { return p.missing.Load() }

// Partial counts traces Tempo returned partially.
func (p *Puller) Partial() int64 { return p.partial.Load() }

// tagValuesV2 is the body of /api/v2/search/tag/<tag>/values.
type tagValuesV2 struct {
	TagValues []struct {
		Type  string `json:"type"`
		Value string `json:"value"`
	} `json:"tagValues"`
}

// tagValuesV1 is the body of /api/search/tag/<tag>/values.
type tagValuesV1 struct {
	TagValues []string `json:"tagValues"`
}

// Services lists the values of resource.service.name Tempo knows, sorted.
func (p *Puller) Services(ctx context.Context) ([]string, error) {
	var names []string
	if !p.v1Tags.Load() {
		const path = "/api/v2/search/tag/resource.service.name/values"
		body, status, err := p.get(ctx, path, nil, "application/json")
		switch {
		case status == http.StatusNotFound:
			p.v1Tags.Store(true)
		case err != nil:
			return nil, err
		default:
			var v tagValuesV2
			if err := json.Unmarshal(body, &v); err != nil {
				return nil, p.malformedErr(path, err)
			}
			for _, tv := range v.TagValues {
				names = append(names, tv.Value)
			}
			return sortedSet(names), nil
		}
	}
	const path = "/api/search/tag/service.name/values"
	body, _, err := p.get(ctx, path, nil, "application/json")
	if err != nil {
		return nil, err
	}
	var v tagValuesV1
	if err := json.Unmarshal(body, &v); err != nil {
		return nil, p.malformedErr(path, err)
	}
	return sortedSet(v.TagValues), nil
}

func sortedSet(s []string) []string {
	out := s[:0]
	sort.Strings(s)
	for i, v := range s {
		if v != "" && (i == 0 || v != s[i-1]) {
			out = append(out, v)
		}
	}
	return out
}

// searchResponse is the body of /api/search.
type searchResponse struct {
	Traces []struct {
		TraceID string `json:"traceID"`
	} `json:"traces"`
}

// Traces returns up to limit traces with spans of service in w: a TraceQL
// search, then each trace by ID. Tempo searches whole seconds, so the
// search covers the seconds around w.
func (p *Puller) Traces(ctx context.Context, service string, w poll.Window, limit int) ([]poll.Trace, error) {
	ids, err := p.search(ctx, service, w, limit)
	if err != nil {
		return nil, err
	}
	return p.fetchAll(ctx, ids)
}

// Query returns the TraceQL query that selects the traces of service.
func Query(service string) string {
	return `{ resource.service.name = ` + strconv.Quote(service) + ` }`
}

// search returns the trace IDs the TraceQL search finds, in Tempo's order.
func (p *Puller) search(ctx context.Context, service string, w poll.Window, limit int) ([]string, error) {
	start := w.From.Unix()
	end := w.To.Unix()
	if w.To.Nanosecond() != 0 || end <= start {
		end++ // round the exclusive end up to a whole second
	}
	q := url.Values{
		"q":     {Query(service)},
		"start": {strconv.FormatInt(start, 10)},
		"end":   {strconv.FormatInt(end, 10)},
		"limit": {strconv.Itoa(limit)},
		"spss":  {"1"},
	}
	const path = "/api/search"
	body, _, err := p.get(ctx, path, q, "application/json")
	if err != nil {
		return nil, err
	}
	var r searchResponse
	if err := json.Unmarshal(body, &r); err != nil {
		return nil, p.malformedErr(path, err)
	}
	ids := make([]string, 0, len(r.Traces))
	for i, t := range r.Traces {
		if _, err := parseTraceID(t.TraceID); err != nil {
			return nil, p.malformedErr(path, fmt.Errorf("trace %d: %w", i, err))
		}
		ids = append(ids, t.TraceID)
	}
	return ids, nil
}

// fetchAll fetches the traces ids with at most Concurrency requests at
// once, in the order of ids; traces not found are skipped. The first error
// cancels the other requests and is returned.
func (p *Puller) fetchAll(ctx context.Context, ids []string) ([]poll.Trace, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	got := make([]poll.Trace, len(ids))
	var (
		next  atomic.Int64
		wg    sync.WaitGroup
		once  sync.Once
		first error
	)
	for range min(p.cfg.Concurrency, len(ids)) {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= len(ids) || ctx.Err() != nil {
					return
				}
				tr, err := p.Trace(ctx, ids[i])
				switch {
				case err == nil:
					got[i] = tr
				case errors.Is(err, ErrTraceNotFound):
					p.missing.Add(1)
				default:
					once.Do(func() { first = err; cancel() })
					return
				}
			}
		})
	}
	wg.Wait()
	if first != nil {
		return nil, first
	}
	out := got[:0]
	for _, tr := range got {
		if len(tr.Spans) > 0 {
			out = append(out, tr)
		}
	}
	return out, nil
}

// Trace fetches one trace by its hex ID. A trace Tempo does not know gives
// an error wrapping ErrTraceNotFound.
func (p *Puller) Trace(ctx context.Context, id string) (poll.Trace, error) {
	tid, err := parseTraceID(id)
	if err != nil {
		return poll.Trace{}, fmt.Errorf("tempo trace %q: %w", id, err)
	}
	path := "/api/v2/traces/" + url.PathEscape(id)
	if p.cfg.TraceAPI == TraceAPIv1 {
		path = "/api/traces/" + url.PathEscape(id)
	}
	body, status, err := p.get(ctx, path, nil, "application/protobuf")
	if status == http.StatusNotFound {
		return poll.Trace{}, fmt.Errorf("tempo %s: %w", path, ErrTraceNotFound)
	}
	if err != nil {
		return poll.Trace{}, err
	}
	spans, partial, err := decodeTrace(body, p.cfg.TraceAPI)
	if err != nil {
		return poll.Trace{}, p.malformedErr(path, err)
	}
	if partial {
		p.partial.Add(1)
	}
	return poll.Trace{ID: tid, Spans: spans}, nil
}

// parseTraceID parses Tempo's hex trace ID, which drops leading zeros.
func parseTraceID(s string) (span.TraceID, error) {
	var t span.TraceID
	if s == "" || len(s) > 32 {
		return t, fmt.Errorf("trace ID %q: want 1 to 32 hex digits", s)
	}
	padded := strings.Repeat("0", 32-len(s)) + s
	if _, err := hex.Decode(t[:], []byte(padded)); err != nil {
		return t, fmt.Errorf("trace ID %q: %w", s, err)
	}
	if t.IsZero() {
		return t, fmt.Errorf("trace ID %q is zero", s)
	}
	return t, nil
}

func (p *Puller) malformedErr(path string, err error) error {
	p.malformed.Add(1)
	return fmt.Errorf("tempo %s: %w: %w", path, ErrMalformed, err)
}

// get fetches path and returns the body of a 200 answer. For other answers
// it returns the status with an error quoting Tempo's message.
func (p *Puller) get(ctx context.Context, path string, q url.Values, accept string) ([]byte, int, error) {
	u := p.base + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, 0, fmt.Errorf("tempo %s: %w", path, err)
	}
	req.Header.Set("Accept", accept)
	resp, err := p.client.Do(req)
	if err != nil {
		return nil, 0, fmt.Errorf("tempo %s: %w", path, err)
	}
	defer resp.Body.Close()
	limit := p.cfg.MaxResponseBytes
	body, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, resp.StatusCode, fmt.Errorf("tempo %s: read response: %w", path, err)
	}
	if int64(len(body)) > limit {
		return nil, resp.StatusCode, fmt.Errorf("tempo %s: %w: more than %d bytes", path, ErrTooLarge, limit)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, resp.StatusCode, fmt.Errorf("tempo %s: %s: %s", path, resp.Status, conn.ErrorText(body))
	}
	if accept == "application/protobuf" && strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		return nil, resp.StatusCode, p.malformedErr(path, fmt.Errorf("answered JSON to a request for protobuf"))
	}
	return body, resp.StatusCode, nil
}
