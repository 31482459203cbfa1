package zipkin

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/spanmap/spanmap/server/poll"
)

// brokenService serves fz, plus a service "broken" whose trace queries
// always get answer: a truncated body, or a server error.
func brokenService(fz *fakeZipkin, answer func(w http.ResponseWriter)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/api/v2/services":
			w.Write([]byte(`["backend","broken","frontend"]`))
		case r.URL.Path == "/api/v2/traces" && r.URL.Query().Get("serviceName") == "broken":
			answer(w)
		default:
			fz.ServeHTTP(w, r)
		}
	})
}

// TestPuller_withPoller_skipsMalformedService: over a real socket, a Zipkin
// whose service "broken" answers truncated JSON forever holds the window
// for SkipMalformedAfter-1 polls; then its window is skipped and the other
// services' traces come through. A server error instead is never skipped.
func TestPuller_withPoller_skipsMalformedService(t *testing.T) {
	const n = 3
	now := time.Now()
	newFake := func() *fakeZipkin {
		fz := &fakeZipkin{}
		for i := range 5 {
			fz.addCall(i, now.Add(-time.Duration(40-i)*time.Second))
		}
		return fz
	}
	newPoller := func(t *testing.T, h http.Handler) (*poll.Poller, *Puller, *sink) {
		srv := httptest.NewServer(h)
		t.Cleanup(srv.Close)
		p := newPuller(t, srv.URL, nil)
		cfg := poll.DefaultConfig()
		cfg.Name, cfg.Kind, cfg.Lookback, cfg.Settle = "zipkin", "zipkin", 2*time.Minute, time.Second
		cfg.SkipMalformedAfter = n
		s := &sink{}
		pl, err := poll.New(cfg, p, s, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		return pl, p, s
	}

	t.Run("truncated JSON", func(t *testing.T) {
		pl, p, s := newPoller(t, brokenService(newFake(), func(w http.ResponseWriter) {
			w.Write([]byte(`[[{"traceId":"00000000000000ff","id":"00000000`))
		}))
		for i := 1; i < n; i++ {
			err := pl.Poll(context.Background())
			if !errors.Is(err, poll.ErrMalformed) || !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), "fetch traces of broken") {
				t.Fatalf("poll %d = %v, want broken's malformed answer", i, err)
			}
			if got := s.traces(); got != 0 {
				t.Fatalf("poll %d submitted %d traces from a failed poll", i, got)
			}
		}
		if err := pl.Poll(context.Background()); err != nil {
			t.Fatalf("poll %d = %v, want broken's window skipped", n, err)
		}
		if got := s.traces(); got != 5 {
			t.Fatalf("traces after the skip = %d, want the other services' 5", got)
		}
		st := pl.Status()
		if st.SkippedWindows != 1 || st.State != poll.StateDegraded || !strings.Contains(st.LastError, "skipped the traces of broken") ||
			!strings.Contains(st.LastError, "zipkin /api/v2/traces: malformed response") {
			t.Fatalf("status = %+v, want one skipped window of broken, degraded", st)
		}
		if p.Malformed() != n {
			t.Fatalf("malformed = %d, want %d", p.Malformed(), n)
		}
	})

	t.Run("server error", func(t *testing.T) {
		pl, _, s := newPoller(t, brokenService(newFake(), func(w http.ResponseWriter) {
			http.Error(w, "storage exploded", http.StatusServiceUnavailable)
		}))
		for i := range 3 * n {
			err := pl.Poll(context.Background())
			if err == nil || errors.Is(err, poll.ErrMalformed) || !strings.Contains(err.Error(), "503") {
				t.Fatalf("poll %d = %v, want the server error", i+1, err)
			}
		}
		if st := pl.Status(); st.SkippedWindows != 0 || st.State != poll.StateDown || s.traces() != 0 {
			t.Fatalf("status = %+v, %d traces; want down, nothing skipped", st, s.traces())
		}
	})
}

// TestPuller_Traces_malformedIsPollErrMalformed: every undecodable answer
// wraps poll.ErrMalformed; a server error does not.
func TestPuller_Traces_malformedIsPollErrMalformed(t *testing.T) {
	w := poll.Window{From: time.Now().Add(-time.Minute), To: time.Now()}
	for _, tc := range []struct {
		name      string
		fz        *fakeZipkin
		malformed bool
	}{
		{"truncated", &fakeZipkin{body: `[[{"traceId":"00000000000000ff"`}, true},
		{"bad trace", &fakeZipkin{body: `[[{"traceId":"xyz","id":"1"}]]`}, true},
		{"not a list", &fakeZipkin{body: `{"error":"no"}`}, true},
		{"500", &fakeZipkin{status: 500}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(tc.fz)
			defer srv.Close()
			_, err := newPuller(t, srv.URL, nil).Traces(context.Background(), "a", w, 10)
			if err == nil || errors.Is(err, poll.ErrMalformed) != tc.malformed {
				t.Fatalf("Traces() = %v, want malformed %v", err, tc.malformed)
			}
		})
	}
}
