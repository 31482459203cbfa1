package zipkin

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/spanmap/spanmap/graph/decode"
	"github.com/spanmap/spanmap/server/poll"
	"github.com/spanmap/spanmap/server/source/conn"
)

// maxResponseBytes bounds one response from a Zipkin server.
const maxResponseBytes = 256 << 20

// ErrMalformed is wrapped by the Puller's errors about responses that could
// not be decoded. It is poll.ErrMalformed, so the poller can tell them from
// a server that is down.
var ErrMalformed = poll.ErrMalformed

// Puller reads traces from a Zipkin server's v2 API: GET /api/v2/services
// and GET /api/v2/traces?serviceName=&endTs=&lookback=&limit=.
type Puller struct {
	base      string
	client    *http.Client
	malformed atomic.Int64
}

var _ poll.Backend = (*Puller)(nil)

// NewPuller returns a puller for the Zipkin server at c.URL (e.g.
// http://zipkin:9411).
func NewPuller(c conn.Config, log *slog.Logger) (*Puller, error) {
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("zipkin source: %w", err)
	}
	client, err := c.HTTPClient(log)
	if err != nil {
		return nil, fmt.Errorf("zipkin source: %w", err)
	}
	return &Puller{base: strings.TrimRight(c.URL, "/"), client: client}, nil
}

// Malformed counts responses that could not be decoded.
func (p *Puller) Malformed() int64 { return p.malformed.Load() }

// Services lists the services Zipkin knows.
func (p *Puller) Services(ctx context.Context) ([]string, error) {
	body, err := p.get(ctx, "/api/v2/services", nil)
	if err != nil {
		return nil, err
	}
	var svcs []string
	if err := json.Unmarshal(body, &svcs); err != nil {
		return nil, p.malformedErr("/api/v2/services", err)
	}
	return svcs, nil
}

// Traces returns up to limit traces of service in w. Zipkin's query is
// endTs (ms) and lookback (ms), inclusive of both ends.
func (p *Puller) Traces(ctx context.Context, service string, w poll.Window, limit int) ([]poll.Trace, error) {
	endMs := w.To.UnixMilli() - 1 // [From, To): the last millisecond before To
	lookback := endMs - w.From.UnixMilli()
	if lookback < 1 {
		lookback = 1
	}
	q := url.Values{
		"serviceName": {service},
		"endTs":       {strconv.FormatInt(endMs, 10)},
		"lookback":    {strconv.FormatInt(lookback, 10)},
		"limit":       {strconv.Itoa(limit)},
	}
	body, err := p.get(ctx, "/api/v2/traces", q)
	if err != nil {
		return nil, err
	}
	var raw []json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil {
		return nil, p.malformedErr("/api/v2/traces", err)
	}
	out := make([]poll.Trace, 0, len(raw))
	for i, tr := range raw {
		spans, err := decode.Bytes(tr, decode.Zipkin)
		if err != nil {
			return nil, p.malformedErr("/api/v2/traces", fmt.Errorf("trace %d: %w", i, err))
		}
		if len(spans) == 0 {
			continue
		}
		out = append(out, poll.Trace{ID: spans[0].TraceID, Spans: spans})
	}
	return out, nil
}

// Dependency is one link of Zipkin's /api/v2/dependencies.
type Dependency struct {
	Parent     string `json:"parent"`
	Child      string `json:"child"`
	CallCount  int64  `json:"callCount"`
	ErrorCount int64  `json:"errorCount"`
}

// Dependencies reads Zipkin's own dependency links for [w.From, w.To): a
// fallback topology with counts but no latency.
func (p *Puller) Dependencies(ctx context.Context, w poll.Window) ([]Dependency, error) {
	endMs := w.To.UnixMilli()
	q := url.Values{
		"endTs":    {strconv.FormatInt(endMs, 10)},
		"lookback": {strconv.FormatInt(endMs-w.From.UnixMilli(), 10)},
	}
	body, err := p.get(ctx, "/api/v2/dependencies", q)
	if err != nil {
		return nil, err
	}
	var deps []Dependency
	if err := json.Unmarshal(body, &deps); err != nil {
		return nil, p.malformedErr("/api/v2/dependencies", err)
	}
	return deps, nil
}

// malformedErr counts a response of path that could not be decoded and
// returns the error about it.
func (p *Puller) malformedErr(path string, err error) error {
	p.malformed.Add(1)
	return fmt.Errorf("zipkin %s: %w: %w", path, ErrMalformed, err)
}

func (p *Puller) get(ctx context.Context, path string, q url.Values) ([]byte, error) {
	u := p.base + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := p.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("zipkin %s: %w", path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes+1))
	if err != nil {
		return nil, fmt.Errorf("zipkin %s: read response: %w", path, err)
	}
	if len(body) > maxResponseBytes {
		return nil, fmt.Errorf("zipkin %s: response larger than %d bytes", path, maxResponseBytes)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("zipkin %s: %s: %s", path, resp.Status, conn.ErrorText(body))
	}
	return body, nil
}
