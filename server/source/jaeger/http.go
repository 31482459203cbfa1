package jaeger

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/spanmap/spanmap/server/poll"
)

// httpError is a response with a status other than 200.
type httpError struct {
	path   string
	status int
	msg    string // Jaeger's error message, or the body's first line
	// jaeger is set when the body was one of Jaeger's error objects (not,
	// say, a proxy's page or a mux's "404 page not found").
	jaeger bool
}

func (e *httpError) Error() string {
	return fmt.Sprintf("jaeger %s: %d %s: %s", e.path, e.status, http.StatusText(e.status), e.msg)
}

// get fetches base+path?q and returns the body of a 200 response. Other
// statuses give an *httpError whose message is taken from Jaeger's error
// object when the body holds one. A 200 body larger than MaxResponseBytes
// fails with ErrTooLarge.
func (p *Puller) get(ctx context.Context, path string, q url.Values) ([]byte, error) {
	u := p.base + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, fmt.Errorf("jaeger %s: %w", path, err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := p.http.Do(req)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) || isTimeout(err) {
			return nil, fmt.Errorf("jaeger %s: timed out: %w", path, err)
		}
		return nil, fmt.Errorf("jaeger %s: %w", path, err)
	}
	defer resp.Body.Close()
	limit := p.cfg.MaxResponseBytes
	if resp.StatusCode != http.StatusOK {
		limit = min(limit, 64<<10) // only the error message is read
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, fmt.Errorf("jaeger %s: read response: %w", path, err)
	}
	if resp.StatusCode != http.StatusOK {
		msg, ok := errorMessage(body)
		return nil, &httpError{path: path, status: resp.StatusCode, msg: msg, jaeger: ok}
	}
	if int64(len(body)) > limit {
		return nil, fmt.Errorf("jaeger %s: %w: more than %d bytes", path, ErrTooLarge, limit)
	}
	return body, nil
}

// isTimeout reports a network timeout.
func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// errorBody holds the error shapes of both APIs: the v3 gateway's
// {"error":{"httpCode":404,"message":"..."}} and the legacy
// {"errors":[{"code":500,"msg":"..."}]}.
type errorBody struct {
	Error *struct {
		HTTPCode int    `json:"httpCode"`
		Message  string `json:"message"`
	} `json:"error"`
	Errors []struct {
		Code int    `json:"code"`
		Msg  string `json:"msg"`
	} `json:"errors"`
}

// message returns the error message the body carries, if any.
func (e *errorBody) message() string {
	if e.Error != nil && e.Error.Message != "" {
		return e.Error.Message
	}
	msgs := make([]string, 0, len(e.Errors))
	for _, x := range e.Errors {
		msgs = append(msgs, x.Msg)
	}
	return strings.Join(msgs, "; ")
}

// errorMessage returns Jaeger's error message from body and true, else the
// body's first line, shortened, and false.
func errorMessage(body []byte) (string, bool) {
	var eb errorBody
	if json.Unmarshal(body, &eb) == nil {
		if m := eb.message(); m != "" {
			return m, true
		}
	}
	s := strings.TrimSpace(string(body))
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if len(s) > 200 {
		s = s[:200] + "..."
	}
	return s, false
}

// malformed wraps a decoding failure of path's response.
func malformed(path string, err error) error {
	return fmt.Errorf("jaeger %s: %w: %w", path, ErrMalformed, err)
}

// legacyWindow returns the legacy API's bounds for w: whole microseconds,
// both inclusive, compared by Jaeger with each span's exact start. Rounding
// both ends down leaves no gap between consecutive windows; they share one
// microsecond, and a trace starting exactly there is fetched twice and
// counted once by the poller's de-duplication.
func legacyWindow(w poll.Window) (start, end int64) {
	return w.From.UnixMicro(), w.To.UnixMicro()
}

// httpDependencies reads /api/dependencies?endTs=&lookback= (milliseconds).
func (p *Puller) httpDependencies(ctx context.Context, w poll.Window) ([]Dependency, error) {
	const path = "/api/dependencies"
	endMs := w.To.UnixMilli()
	lookback := max(endMs-w.From.UnixMilli(), 1)
	q := url.Values{
		"endTs":    {strconv.FormatInt(endMs, 10)},
		"lookback": {strconv.FormatInt(lookback, 10)},
	}
	body, err := p.get(ctx, path, q)
	if err != nil {
		return nil, err
	}
	var resp struct {
		Data []Dependency `json:"data"`
		errorBody
	}
	if err := json.Unmarshal(body, &resp); err != nil {
		return nil, malformed(path, err)
	}
	if m := resp.message(); m != "" {
		return nil, fmt.Errorf("jaeger %s: %s", path, m)
	}
	if resp.Data == nil {
		resp.Data = []Dependency{}
	}
	return resp.Data, nil
}
