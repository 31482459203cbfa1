package hub

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/spanmap/spanmap/graph"
)

// dialLimited connects a client to e's hub through a handler that puts lim
// on each request's context, as the server does for embed tokens.
func (e *env) dialLimited(lim Limit, opts *websocket.DialOptions) *client {
	e.t.Helper()
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.h.ServeHTTP(w, r.WithContext(WithLimit(r.Context(), lim)))
	}))
	e.t.Cleanup(ts.Close)
	return e.dialURL("ws"+strings.TrimPrefix(ts.URL, "http"), opts)
}

// closed waits until c's connection ends and returns its close status
// and reason.
func (c *client) closed() (websocket.StatusCode, string) {
	c.t.Helper()
	c.wait("connection closed", func(c *client) bool { return c.err != nil })
	c.mu.Lock()
	defer c.mu.Unlock()
	var ce websocket.CloseError
	if !errors.As(c.err, &ce) {
		c.t.Fatalf("connection ended without a close frame: %v", c.err)
	}
	return ce.Code, ce.Reason
}

func onlyView(key string) func(graph.View) error {
	return func(v graph.View) error {
		if v.Encode() != key {
			return errors.New("only " + key + " here")
		}
		return nil
	}
}

func TestHub_ServeHTTP_limitAllow(t *testing.T) {
	for _, tc := range []struct {
		name string
		mode websocket.CompressionMode
	}{
		{"uncompressed", websocket.CompressionDisabled},
		{"context takeover", websocket.CompressionContextTakeover},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig()
			cfg.Compression = CompressionContextTakeover
			e := newEnv(t, cfg)
			e.g.shop(4)
			c := e.dialLimited(Limit{Allow: onlyView("window=1m")}, &websocket.DialOptions{CompressionMode: tc.mode, CompressionThreshold: 1}).start()
			// Allowed in any spelling, again and again; a bad View is
			// answered by the hub as usual and the connection stays.
			for _, q := range []string{"window=1m", "window=60s", "window=forever", "window=1m"} {
				c.subscribe(q)
			}
			c.wait("the error about the bad View", func(c *client) bool { return len(c.errors) == 1 })
			c.sync(e, "window=1m")
			c.subscribe("window=5m")
			code, reason := c.closed()
			if code != websocket.StatusPolicyViolation || reason != "only window=1m here" {
				t.Fatalf("closed with %d %q", code, reason)
			}
			c.mu.Lock()
			defer c.mu.Unlock()
			if c.snap.View != "window=1m" {
				t.Errorf("the client got a snapshot of %q", c.snap.View)
			}
			if e.view("window=5m") != nil {
				t.Error("the refused View was set up")
			}
		})
	}
}

func TestHub_ServeHTTP_limitUntil(t *testing.T) {
	e := newEnv(t, testConfig())
	e.g.shop(3)
	reason := "expired at " + strings.Repeat("é", 80) // cut to the close frame's room
	c := e.dialLimited(Limit{Until: e.clk.Now().Add(300 * time.Millisecond), UntilReason: reason}, nil).start()
	c.subscribe("")
	c.sync(e, "")
	code, got := c.closed()
	if code != websocket.StatusPolicyViolation || len(got) > maxCloseReason || !strings.HasPrefix(reason, got) || len(got) < maxCloseReason-1 {
		t.Fatalf("closed with %d %q (%d bytes)", code, got, len(got))
	}
	eventually(t, "the subscriber gone", func() bool { return e.h.Stats().Subscribers == 0 })

	// A connection without a Limit is not affected.
	free := e.dial(nil).start()
	free.subscribe("window=5m")
	free.sync(e, "window=5m")
}
