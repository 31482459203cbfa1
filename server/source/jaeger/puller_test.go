package jaeger

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/spanmap/spanmap/server/poll"
)

// The captured responses hold two HotROD traces.
const (
	capturedTraceA = "a913c92888604d4d4951b4b5f8a6855e" // 40 spans
	capturedTraceB = "7d26c0fbf4c750c9e2803f5c8755cf83" // 39 spans
)

var capturedServices = []string{"customer", "driver", "frontend", "mysql", "redis-manual", "route"}

func newTestPuller(t testing.TB, url string, proto Protocol, mod func(*Config)) *Puller {
	t.Helper()
	cfg := DefaultConfig()
	cfg.Conn.URL = url
	cfg.Conn.Timeout = 2 * time.Second
	cfg.Protocol = proto
	if mod != nil {
		mod(&cfg)
	}
	p, err := NewPuller(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// describe renders a trace's spans as sorted lines, so traces decoded from
// different protocols can be compared. Times are in microseconds: the
// legacy and api_v2 APIs carry no more.
func describe(tr poll.Trace) []string {
	out := make([]string, 0, len(tr.Spans))
	for _, s := range tr.Spans {
		if s.TraceID != tr.ID {
			out = append(out, "WRONG TRACE "+s.TraceID.String())
		}
		out = append(out, fmt.Sprintf("%s<-%s %s %s %q start=%d dur=%d err=%v peer=%q",
			s.SpanID, s.ParentID, s.Service, s.Kind, s.Name, s.Start/1000, s.Duration/1000, s.IsError(), s.Peer.Service))
	}
	sort.Strings(out)
	return out
}

// protocolServers starts the HTTP and gRPC fakes and returns a puller per
// protocol, configured explicitly and with auto.
func protocolPullers(t *testing.T) map[string]*Puller {
	hs := newFakeJaeger(t).serve(t)
	gs := serveGRPC(t, newFakeQuery(t), "")
	return map[string]*Puller{
		"api_v3":           newTestPuller(t, hs.URL, APIv3, nil),
		"legacy":           newTestPuller(t, hs.URL, Legacy, nil),
		"api_v2_grpc":      newTestPuller(t, "grpc://"+gs.addr, APIv2GRPC, nil),
		"auto http":        newTestPuller(t, hs.URL+"/", Auto, nil),
		"auto grpc":        newTestPuller(t, "grpc://"+gs.addr, "", nil),
		"case-insensitive": newTestPuller(t, hs.URL, "API_V3", nil),
	}
}

func TestPuller_Traces_capturedShapesDecodeAlike(t *testing.T) {
	w := poll.Window{From: time.Unix(1795510800, 0), To: time.Unix(1795510900, 0)}
	var want map[string][]string
	for _, name := range []string{"legacy", "api_v3", "api_v2_grpc", "auto http", "auto grpc", "case-insensitive"} {
		p := protocolPullers(t)[name]
		t.Run(name, func(t *testing.T) {
			svcs, err := p.Services(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			slices.Sort(svcs)
			if !slices.Equal(svcs, capturedServices) {
				t.Fatalf("services = %v, want %v", svcs, capturedServices)
			}
			traces, err := p.Traces(context.Background(), "frontend", w, 20)
			if err != nil {
				t.Fatal(err)
			}
			got := map[string][]string{}
			for _, tr := range traces {
				got[tr.ID.String()] = describe(tr)
			}
			if len(got) != 2 || len(got[capturedTraceA]) != 40 || len(got[capturedTraceB]) != 39 {
				t.Fatalf("traces: %d, spans %d and %d; want 2 traces of 40 and 39 spans",
					len(got), len(got[capturedTraceA]), len(got[capturedTraceB]))
			}
			var errs int
			for _, tr := range traces {
				for _, s := range tr.Spans {
					if s.IsError() {
						errs++
					}
				}
			}
			if errs != 5 {
				t.Errorf("error spans = %d, want the 5 failed redis calls", errs)
			}
			if want == nil {
				want = got
				return
			}
			for id, lines := range want {
				for i := range lines {
					if i >= len(got[id]) || got[id][i] != lines[i] {
						t.Errorf("trace %s differs from the legacy decoding at span %d:\n got %v\nwant %s", id, i, got[id][i:min(i+1, len(got[id]))], lines[i])
						break
					}
				}
			}
		})
	}
}

func TestPuller_Traces_requestParameters(t *testing.T) {
	from := time.Date(2026, 11, 24, 9, 0, 0, 123456789, time.UTC)
	w := poll.Window{From: from, To: from.Add(10 * time.Second)}
	f := newFakeJaeger(t)
	srv := f.serve(t)
	fq := newFakeQuery(t)
	gs := serveGRPC(t, fq, "")

	if _, err := newTestPuller(t, srv.URL, APIv3, nil).Traces(context.Background(), "route", w, 7); err != nil {
		t.Fatal(err)
	}
	q := f.lastQuery("/api/v3/traces")
	for k, want := range map[string]string{
		"query.service_name": "route", "query.num_traces": "7", "query.search_depth": "7",
		"query.start_time_min": "2026-11-24T09:00:00.123456789Z",
		"query.start_time_max": "2026-11-24T09:00:10.123456788Z",
	} {
		if got := q.Get(k); got != want {
			t.Errorf("v3 %s = %q, want %q", k, got, want)
		}
	}

	if _, err := newTestPuller(t, srv.URL, Legacy, nil).Traces(context.Background(), "route", w, 7); err != nil {
		t.Fatal(err)
	}
	q = f.lastQuery("/api/traces")
	us := from.UnixMicro()
	for k, want := range map[string]string{
		"service": "route", "limit": "7",
		"start": fmt.Sprint(us), "end": fmt.Sprint(us + 10_000_000),
	} {
		if got := q.Get(k); got != want {
			t.Errorf("legacy %s = %q, want %q", k, got, want)
		}
	}

	if _, err := newTestPuller(t, "grpc://"+gs.addr, APIv2GRPC, nil).Traces(context.Background(), "route", w, 7); err != nil {
		t.Fatal(err)
	}
	r := fq.lastRequest()
	if r.ServiceName != "route" || r.SearchDepth != 7 || !r.StartTimeMin.Equal(w.From) || !r.StartTimeMax.Equal(w.To.Add(-time.Nanosecond)) {
		t.Errorf("gRPC query = %+v", r)
	}
}

func TestPuller_Traces_noMatch(t *testing.T) {
	w := poll.Window{From: time.Unix(1795510800, 0), To: time.Unix(1795510900, 0)}
	for name, p := range protocolPullers(t) {
		t.Run(name, func(t *testing.T) {
			traces, err := p.Traces(context.Background(), "nosuch", w, 20)
			if err != nil || len(traces) != 0 {
				t.Fatalf("Traces() = %d traces, %v; want none and no error", len(traces), err)
			}
		})
	}
}

func TestPuller_Traces_v3PlainNotFoundIsAnError(t *testing.T) {
	f := newFakeJaeger(t)
	p := newTestPuller(t, f.serve(t).URL, APIv3, nil)
	f.set(func(f *fakeJaeger) { f.noV3 = http.StatusNotFound })
	_, err := p.Traces(context.Background(), "frontend", poll.Window{From: time.Unix(0, 0), To: time.Unix(1, 0)}, 5)
	if err == nil || !strings.Contains(err.Error(), "404") {
		t.Fatalf("error = %v: a 404 without Jaeger's error object means no such API", err)
	}
}

func TestPuller_Traces_v3Stream(t *testing.T) {
	// Split the captured result into one object per resourceSpans, as a
	// streaming gateway would send it.
	whole := string(readTestdata(t, "v3_traces.json"))
	inner := strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(whole), `{"result":{"resourceSpans":[`), `]}}`)
	parts := strings.Split(inner, `]}]},{"resource":`)
	var stream strings.Builder
	for i, part := range parts {
		if i > 0 {
			part = `{"resource":` + part
		}
		if i < len(parts)-1 {
			part += `]}]}`
		}
		fmt.Fprintf(&stream, "{\"result\":{\"resourceSpans\":[%s]}}\n", part)
	}
	if len(parts) < 10 {
		t.Fatalf("split the capture into %d objects only", len(parts))
	}
	w := poll.Window{From: time.Unix(0, 0), To: time.Unix(1, 0)}
	for _, tc := range []struct {
		name, body, wantErr string
	}{
		{"stream of results", stream.String(), ""},
		{"error object after results", stream.String() + `{"error":{"httpCode":500,"message":"storage exploded"}}`, "storage exploded"},
		{"result of null", `{"result":null}`, "malformed response"},
		{"empty body", "", "malformed response"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeJaeger(t)
			f.body = []byte(tc.body)
			p := newTestPuller(t, f.serve(t).URL, APIv3, nil)
			traces, err := p.Traces(context.Background(), "frontend", w, 5)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error = %v, want %q", err, tc.wantErr)
				}
				if errors.Is(err, ErrMalformed) != (tc.wantErr == "malformed response") {
					t.Fatalf("error %v: only undecodable bodies are malformed", err)
				}
				return
			}
			if err != nil || len(traces) != 2 || len(traces[0].Spans)+len(traces[1].Spans) != 79 {
				t.Fatalf("Traces() = %d traces, %v", len(traces), err)
			}
		})
	}
}

func TestPuller_Dependencies(t *testing.T) {
	w := poll.Window{From: time.Now().Add(-time.Hour), To: time.Now()}
	pullers := protocolPullers(t)
	for _, name := range []string{"legacy", "api_v3", "api_v2_grpc"} {
		t.Run(name, func(t *testing.T) {
			deps, err := pullers[name].Dependencies(context.Background(), w)
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]int64{}
			for _, d := range deps {
				got[d.Parent+"->"+d.Child] = d.CallCount
			}
			if got["frontend->route"] != 70 || got["customer->mysql"] != 7 {
				t.Fatalf("dependencies = %v", got)
			}
			if name != "api_v2_grpc" && (len(got) != 6 || got["frontend->frontend"] != 84) {
				t.Fatalf("dependencies = %v, want the 6 captured links", got)
			}
		})
	}
}

func TestPuller_Dependencies_errorObject(t *testing.T) {
	f := newFakeJaeger(t)
	f.body = readTestdata(t, "legacy_search_depth.json")
	_, err := newTestPuller(t, f.serve(t).URL, Legacy, nil).Dependencies(context.Background(),
		poll.Window{From: time.Unix(0, 0), To: time.Unix(1, 0)})
	if err == nil || !strings.Contains(err.Error(), "search depth") || errors.Is(err, ErrMalformed) {
		t.Fatalf("error = %v, want Jaeger's message", err)
	}
}

func TestPuller_errorsFromJaeger(t *testing.T) {
	w := poll.Window{From: time.Unix(0, 0), To: time.Unix(1, 0)}
	for _, tc := range []struct {
		name, file string
		proto      Protocol
		status     int
		want       string
	}{
		{"v3 search depth", "v3_search_depth.json", APIv3, 500, "jaeger /api/v3/traces: 500 Internal Server Error: search depth must be greater than 0"},
		{"v3 bad parameter", "v3_bad_request.json", APIv3, 400, "jaeger /api/v3/traces: 400 Bad Request: malformed parameter query.start_time_min"},
		{"legacy search depth", "legacy_search_depth.json", Legacy, 500, "jaeger /api/traces: 500 Internal Server Error: search depth must be greater than 0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := readTestdata(t, tc.file)
			srv := newFakeJaeger(t)
			hs := srv.serve(t)
			hs.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				http.Error(w, strings.TrimSpace(string(body)), tc.status)
			})
			p := newTestPuller(t, hs.URL, tc.proto, nil)
			_, err := p.Traces(context.Background(), "frontend", w, 5)
			if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
				t.Fatalf("error = %v\nwant prefix %q", err, tc.want)
			}
			if p.Malformed() != 0 {
				t.Fatalf("malformed = %d: an error answer is not malformed", p.Malformed())
			}
		})
	}
}

func TestPuller_tooLarge(t *testing.T) {
	hs := newFakeJaeger(t).serve(t)
	gs := serveGRPC(t, newFakeQuery(t), "")
	w := poll.Window{From: time.Unix(0, 0), To: time.Unix(1, 0)}
	small := func(c *Config) { c.MaxResponseBytes = 20 << 10 }
	for name, p := range map[string]*Puller{
		"api_v3":      newTestPuller(t, hs.URL, APIv3, small),
		"legacy":      newTestPuller(t, hs.URL, Legacy, small),
		"api_v2_grpc": newTestPuller(t, "grpc://"+gs.addr, APIv2GRPC, small),
	} {
		t.Run(name, func(t *testing.T) {
			_, err := p.Traces(context.Background(), "frontend", w, 5)
			if !errors.Is(err, ErrTooLarge) {
				t.Fatalf("error = %v, want ErrTooLarge", err)
			}
		})
	}
}
