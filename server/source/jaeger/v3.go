package jaeger

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/spanmap/spanmap/graph/decode"
	"github.com/spanmap/spanmap/graph/span"
	"github.com/spanmap/spanmap/server/poll"
)

// v3Services reads GET /api/v3/services: {"services":["svc",...]}, or {}
// when there are none.
func (p *Puller) v3Services(ctx context.Context) ([]string, error) {
	const path = "/api/v3/services"
	body, err := p.get(ctx, path, nil)
	if err != nil {
		return nil, err
	}
	var resp struct {
		Services []string `json:"services"`
	}
	if err := json.Unmarshal(body, &resp); err != nil {
		return nil, malformed(path, err)
	}
	if resp.Services == nil {
		resp.Services = []string{}
	}
	return resp.Services, nil
}

// v3Traces reads GET /api/v3/traces. The gateway's bounds are inclusive
// RFC 3339 times with nanoseconds, so the window ends at To-1ns. Jaeger's
// own gateway reads query.num_traces; query.search_depth is the name of the
// same field in the v3 proto, which generated gateways read.
func (p *Puller) v3Traces(ctx context.Context, service string, w poll.Window, limit int) ([]poll.Trace, error) {
	const path = "/api/v3/traces"
	n := strconv.Itoa(limit)
	q := url.Values{
		"query.service_name":   {service},
		"query.start_time_min": {w.From.UTC().Format(time.RFC3339Nano)},
		"query.start_time_max": {w.To.Add(-time.Nanosecond).UTC().Format(time.RFC3339Nano)},
		"query.num_traces":     {n},
		"query.search_depth":   {n},
	}
	body, err := p.get(ctx, path, q)
	if err != nil {
		var he *httpError
		if errors.As(err, &he) && he.status == http.StatusNotFound && he.jaeger {
			return nil, nil // "No traces found"
		}
		return nil, err
	}
	spans, err := decodeV3(body)
	var re *remoteError
	switch {
	case errors.As(err, &re):
		return nil, fmt.Errorf("jaeger %s: %w", path, err)
	case err != nil:
		return nil, malformed(path, err)
	}
	return byTrace(spans), nil
}

// v3Item is one object of a v3 traces response: a result, or an error sent
// instead of (or after) results.
type v3Item struct {
	Result json.RawMessage `json:"result"`
	errorBody
}

// remoteError is an error object Jaeger sent in a 200 response.
type remoteError struct{ msg string }

func (e *remoteError) Error() string { return "error in response: " + e.msg }

// decodeV3 decodes a stream of {"result":TracesData} objects (Jaeger 2.13
// sends one) into spans. An error object in the stream fails the response.
func decodeV3(body []byte) ([]span.Span, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	var out []span.Span
	for i := 0; ; i++ {
		var item v3Item
		err := dec.Decode(&item)
		if errors.Is(err, io.EOF) {
			if i == 0 {
				return nil, errors.New("empty body")
			}
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("object %d: %w", i, err)
		}
		if m := item.message(); m != "" {
			return nil, &remoteError{msg: m}
		}
		if len(item.Result) == 0 || bytes.Equal(item.Result, []byte("null")) {
			return nil, fmt.Errorf("object %d: no result", i)
		}
		spans, err := decode.Bytes(item.Result, decode.OTLPJSON)
		if err != nil {
			return nil, fmt.Errorf("object %d: %w", i, err)
		}
		out = append(out, spans...)
	}
}
