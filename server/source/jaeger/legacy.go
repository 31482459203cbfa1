package jaeger

import (
	"context"
	"encoding/json"
	"net/url"
	"strconv"

	"github.com/spanmap/spanmap/graph/decode"
	"github.com/spanmap/spanmap/server/poll"
)

// legacyServices reads GET /api/services: {"data":["svc",...],...}.
func (p *Puller) legacyServices(ctx context.Context) ([]string, error) {
	const path = "/api/services"
	body, err := p.get(ctx, path, nil)
	if err != nil {
		return nil, err
	}
	var resp struct {
		Data *[]string `json:"data"`
	}
	if err := json.Unmarshal(body, &resp); err != nil {
		return nil, malformed(path, err)
	}
	if resp.Data == nil {
		return nil, malformed(path, errNoField("data"))
	}
	return *resp.Data, nil
}

// legacyTraces reads GET /api/traces?service=&start=&end=&limit= and splits
// the Jaeger JSON traces it returns.
func (p *Puller) legacyTraces(ctx context.Context, service string, w poll.Window, limit int) ([]poll.Trace, error) {
	const path = "/api/traces"
	start, end := legacyWindow(w)
	q := url.Values{
		"service": {service},
		"start":   {strconv.FormatInt(start, 10)},
		"end":     {strconv.FormatInt(end, 10)},
		"limit":   {strconv.Itoa(limit)},
	}
	body, err := p.get(ctx, path, q)
	if err != nil {
		return nil, err
	}
	spans, err := decode.Bytes(body, decode.JaegerJSON)
	if err != nil {
		return nil, malformed(path, err)
	}
	return byTrace(spans), nil
}
