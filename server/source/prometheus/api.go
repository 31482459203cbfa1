package prometheus

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/spanmap/spanmap/server/poll"
	"github.com/spanmap/spanmap/server/source/conn"
)

// ErrMalformed is wrapped by errors about responses that could not be
// decoded. It is poll.ErrMalformed, the one value every source uses.
var ErrMalformed = poll.ErrMalformed

// maxResponseBytes bounds one query response.
const maxResponseBytes = 64 << 20

// sample is one element of an instant vector.
type sample struct {
	labels map[string]string
	value  float64
}

// apiResponse is the envelope of every Prometheus API answer.
type apiResponse struct {
	Status    string          `json:"status"`
	Data      json.RawMessage `json:"data"`
	ErrorType string          `json:"errorType"`
	Error     string          `json:"error"`
}

// queryData is the data of an instant query.
type queryData struct {
	ResultType string `json:"resultType"`
	Result     []struct {
		Metric map[string]string  `json:"metric"`
		Value  [2]json.RawMessage `json:"value"`
	} `json:"result"`
}

// query evaluates an instant vector query at t.
func (s *Source) query(ctx context.Context, q string, t time.Time) ([]sample, error) {
	v := url.Values{
		"query": {q},
		"time":  {strconv.FormatFloat(float64(t.UnixMilli())/1e3, 'f', -1, 64)},
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.base+"/api/v1/query?"+v.Encode(), nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read response: %w", err)
	}
	if len(body) > maxResponseBytes {
		return nil, fmt.Errorf("response larger than %d bytes", maxResponseBytes)
	}
	var r apiResponse
	if err := json.Unmarshal(body, &r); err != nil {
		if resp.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("%s: %s", resp.Status, conn.ErrorText(body))
		}
		return nil, s.malformed(err)
	}
	if r.Status != "success" {
		if r.Status == "error" {
			return nil, fmt.Errorf("%s: %s: %s", resp.Status, r.ErrorType, r.Error)
		}
		return nil, s.malformed(fmt.Errorf("status %q", r.Status))
	}
	return s.vector(r.Data)
}

// vector decodes the data of a successful instant query.
func (s *Source) vector(raw json.RawMessage) ([]sample, error) {
	var d queryData
	if err := json.Unmarshal(raw, &d); err != nil {
		return nil, s.malformed(err)
	}
	if d.ResultType != "vector" {
		return nil, s.malformed(fmt.Errorf("result type %q, want vector", d.ResultType))
	}
	out := make([]sample, 0, len(d.Result))
	for i, r := range d.Result {
		var str string
		if err := json.Unmarshal(r.Value[1], &str); err != nil {
			return nil, s.malformed(fmt.Errorf("sample %d: value: %w", i, err))
		}
		v, err := strconv.ParseFloat(str, 64)
		if err != nil {
			return nil, s.malformed(fmt.Errorf("sample %d: value %q: %w", i, str, err))
		}
		out = append(out, sample{labels: r.Metric, value: v})
	}
	return out, nil
}

func (s *Source) malformed(err error) error {
	s.malformedN.Add(1)
	return fmt.Errorf("%w: %w", ErrMalformed, err)
}

// finite reports whether v is a usable number (histogram_quantile gives NaN
// for series without observations in the range).
func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
