package prometheus

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spanmap/spanmap/graph/agg"
)

// series is one edge's metrics over one interval as the fake serves them.
type series struct {
	labels         map[string]string // client, server, connection_type and dimensions
	calls, errors  float64           // increase over the interval
	client, server [4]float64        // quantiles in seconds (NaN: no observations)
	lag            [4]float64
	noErrors       bool // no failed_total series at all
	noHist         bool // no histogram series at all
}

// fakeProm answers GET /api/v1/query for the queries a Source sends, the way
// the Prometheus HTTP API documents it, from series keyed by evaluation
// time (Unix seconds). Unknown times give empty vectors, as for intervals
// without data.
type fakeProm struct {
	mu      sync.Mutex
	data    map[int64][]series
	tenant  string        // non-empty: requests must carry it in X-Scope-OrgID
	status  int           // non-zero: answer with this status and body
	body    string        // with status: the body; alone: the body of every 200 answer
	failOn  string        // non-empty: queries containing it answer 400 bad_data
	delay   time.Duration // every answer waits this long
	queries []string
	times   []int64
}

var (
	sumExpr  = regexp.MustCompile(`^sum by \(([a-z_, ]+)\) \(increase\(([a-z_:]+)(\{[^}]*\})?\[(\d+)s\]\)\)$`)
	histExpr = regexp.MustCompile(`^histogram_quantile\(([0-9.]+), sum by \(le, ([a-z_, ]+)\) \(rate\(([a-z_:]+)_bucket(\{[^}]*\})?\[(\d+)s\]\)\)\)$`)
)

func (f *fakeProm) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	status, body, failOn, delay, tenant := f.status, f.body, f.failOn, f.delay, f.tenant
	f.mu.Unlock()
	if delay > 0 {
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
			return
		}
	}
	if r.URL.Path != "/api/v1/query" || r.Method != http.MethodGet {
		http.NotFound(w, r)
		return
	}
	if tenant != "" && r.Header.Get("X-Scope-OrgID") != tenant {
		http.Error(w, "no org id", http.StatusUnauthorized)
		return
	}
	q := r.URL.Query().Get("query")
	ts, err := strconv.ParseFloat(r.URL.Query().Get("time"), 64)
	if err != nil {
		promError(w, http.StatusBadRequest, "bad_data", "invalid parameter \"time\": cannot parse")
		return
	}
	f.mu.Lock()
	f.queries = append(f.queries, q)
	f.times = append(f.times, int64(ts))
	data := f.data[int64(ts)]
	f.mu.Unlock()
	switch {
	case status != 0:
		w.WriteHeader(status)
		fmt.Fprint(w, body)
		return
	case body != "":
		fmt.Fprint(w, body)
		return
	case failOn != "" && strings.Contains(q, failOn):
		promError(w, http.StatusBadRequest, "bad_data", `1:14: parse error: unexpected "}"`)
		return
	}
	result, ok := f.eval(q, data)
	if !ok {
		promError(w, http.StatusBadRequest, "bad_data", "this fake does not know the query "+q)
		return
	}
	writeVector(w, ts, result)
}

type vecSample struct {
	labels map[string]string
	value  float64
}

// eval evaluates the two query shapes a Source sends.
func (f *fakeProm) eval(q string, data []series) ([]vecSample, bool) {
	if m := sumExpr.FindStringSubmatch(q); m != nil {
		by := strings.Split(m[1], ", ")
		var out []vecSample
		for _, s := range data {
			v := s.calls
			switch {
			case strings.HasSuffix(m[2], "_request_total"):
			case strings.HasSuffix(m[2], "_request_failed_total") && !s.noErrors:
				v = s.errors
			default:
				continue
			}
			out = append(out, vecSample{keep(s.labels, by), v})
		}
		return sumSame(out), true
	}
	if m := histExpr.FindStringSubmatch(q); m != nil {
		qi := map[string]int{"0.5": 0, "0.9": 1, "0.95": 2, "0.99": 3}[m[1]]
		by := strings.Split(m[2], ", ")
		var out []vecSample
		for _, s := range data {
			if s.noHist {
				continue
			}
			var v float64
			switch {
			case strings.HasSuffix(m[3], "_request_client_seconds"):
				v = s.client[qi]
			case strings.HasSuffix(m[3], "_request_server_seconds"):
				v = s.server[qi]
			case strings.HasSuffix(m[3], "_request_messaging_system_seconds"):
				v = s.lag[qi]
			default:
				continue
			}
			out = append(out, vecSample{keep(s.labels, by), v})
		}
		return out, true
	}
	return nil, false
}

// keep returns the labels named in by, as sum by does (absent labels are
// absent from the result).
func keep(l map[string]string, by []string) map[string]string {
	out := map[string]string{}
	for _, k := range by {
		if v, ok := l[k]; ok && v != "" {
			out[k] = v
		}
	}
	return out
}

// sumSame adds samples with equal label sets, as sum by does.
func sumSame(in []vecSample) []vecSample {
	var out []vecSample
	idx := map[string]int{}
	for _, s := range in {
		b, _ := json.Marshal(s.labels)
		if i, ok := idx[string(b)]; ok {
			out[i].value += s.value
			continue
		}
		idx[string(b)] = len(out)
		out = append(out, s)
	}
	return out
}

func formatValue(v float64) string {
	switch {
	case math.IsNaN(v):
		return "NaN"
	case math.IsInf(v, 1):
		return "+Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}

func writeVector(w http.ResponseWriter, ts float64, samples []vecSample) {
	type res struct {
		Metric map[string]string `json:"metric"`
		Value  [2]any            `json:"value"`
	}
	result := []res{}
	for _, s := range samples {
		result = append(result, res{Metric: s.labels, Value: [2]any{ts, formatValue(s.value)}})
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{
		"status": "success",
		"data":   map[string]any{"resultType": "vector", "result": result},
	})
}

func promError(w http.ResponseWriter, status int, typ, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"status": "error", "errorType": typ, "error": msg})
}

func (f *fakeProm) set(fn func(f *fakeProm)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn(f)
}

func (f *fakeProm) evalTimes() map[int64]int {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[int64]int{}
	for _, t := range f.times {
		out[t]++
	}
	return out
}

func (f *fakeProm) serve(t testing.TB) *httptest.Server {
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return srv
}

// interval is one AddExternal call.
type interval struct {
	source   string
	from, to time.Time
	edges    []agg.ExternalEdge
}

// recSink records AddExternal calls.
type recSink struct {
	mu  sync.Mutex
	got []interval
}

func (s *recSink) AddExternal(source string, from, to time.Time, edges []agg.ExternalEdge) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.got = append(s.got, interval{source, from, to, edges})
}

func (s *recSink) intervals() []interval {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]interval(nil), s.got...)
}

// clock is a settable time source.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func newTestSource(t testing.TB, url string, sink Sink, now func() time.Time, mod func(*Config)) *Source {
	t.Helper()
	c := DefaultConfig()
	c.Name = "prom"
	c.Conn.URL = url
	c.Conn.Timeout = 2 * time.Second
	if mod != nil {
		mod(&c)
	}
	s, err := New(c, sink, nil, now)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
