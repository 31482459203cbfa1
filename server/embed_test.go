package server

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/spanmap/spanmap/graph"
	"github.com/spanmap/spanmap/server/hub"
)

func TestEmbedAuth_framing(t *testing.T) {
	for _, tc := range []struct {
		name      string
		ancestors []string
		want      string
	}{
		{"default", nil, "frame-ancestors 'self'"},
		{"wikis", []string{"'self'", "https://*.atlassian.net", "https://www.notion.so"}, "frame-ancestors 'self' https://*.atlassian.net https://www.notion.so"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig()
			if tc.ancestors != nil {
				cfg.Embed.FrameAncestors = tc.ancestors
			}
			_, base := startUI(t, cfg, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("X-Frame-Options", "DENY") // as a UI handler might
				w.Header().Set("Content-Security-Policy", "frame-ancestors 'none'")
				io.WriteString(w, "page")
			}))
			resp, _ := fetchOK(t, base+"/embed?focus=checkout")
			if got := resp.Header.Get("Content-Security-Policy"); got != tc.want {
				t.Errorf("/embed CSP %q, want %q", got, tc.want)
			}
			if xfo := resp.Header.Values("X-Frame-Options"); len(xfo) != 0 {
				t.Errorf("/embed keeps X-Frame-Options %v", xfo)
			}
			// Elsewhere the UI handler's own, stricter policy stands.
			resp, _ = fetchOK(t, base+"/")
			if resp.Header.Get("Content-Security-Policy") != "frame-ancestors 'none'" || resp.Header.Get("X-Frame-Options") != "DENY" {
				t.Errorf("/ CSP %q, X-Frame-Options %q: the UI handler's own were replaced", resp.Header.Get("Content-Security-Policy"), resp.Header.Get("X-Frame-Options"))
			}
		})
	}
}

// The /embed page carries no X-Frame-Options of the server's own, and
// every other page forbids framing by other sites.
func TestEmbedAuth_framing_xfo(t *testing.T) {
	_, base := startUI(t, testConfig(), fakeUI)
	resp, _ := fetchOK(t, base+"/embed")
	if v := resp.Header.Values("X-Frame-Options"); len(v) != 0 {
		t.Errorf("/embed has X-Frame-Options %v", v)
	}
	for _, p := range []string{"/", "/web/spanmap.css"} {
		resp, _ := fetchOK(t, base+p)
		if v := resp.Header.Get("X-Frame-Options"); v != "SAMEORIGIN" {
			t.Errorf("%s X-Frame-Options %q, want SAMEORIGIN", p, v)
		}
	}
}

func TestEmbedConfig_Validate(t *testing.T) {
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "key")
	if err := os.WriteFile(keyFile, []byte(embedKey+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	short := filepath.Join(dir, "short")
	if err := os.WriteFile(short, []byte("short\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		mod  func(*EmbedConfig)
		want string
	}{
		{"default", func(*EmbedConfig) {}, ""},
		{"wikis", func(c *EmbedConfig) { c.FrameAncestors = []string{"https://*.atlassian.net", "https://www.notion.so"} }, ""},
		{"scheme", func(c *EmbedConfig) { c.FrameAncestors = []string{"https:"} }, ""},
		{"none", func(c *EmbedConfig) { c.FrameAncestors = []string{"'none'"} }, ""},
		{"none with others", func(c *EmbedConfig) { c.FrameAncestors = []string{"'none'", "'self'"} }, "'none'"},
		{"empty list", func(c *EmbedConfig) { c.FrameAncestors = nil }, "frame_ancestors"},
		{"two in one", func(c *EmbedConfig) { c.FrameAncestors = []string{"https://a.example https://b.example"} }, "frame_ancestors[0]"},
		{"injection", func(c *EmbedConfig) { c.FrameAncestors = []string{"'self'; script-src *"} }, "frame_ancestors[0]"},
		{"unknown keyword", func(c *EmbedConfig) { c.FrameAncestors = []string{"'unsafe-inline'"} }, "keywords"},
		{"key", func(c *EmbedConfig) { c.Key = embedKey }, ""},
		{"short key", func(c *EmbedConfig) { c.Key = "short" }, "embed.key"},
		{"key file", func(c *EmbedConfig) { c.KeyFile = keyFile }, ""},
		{"short key file", func(c *EmbedConfig) { c.KeyFile = short }, "at least 32"},
		{"missing key file", func(c *EmbedConfig) { c.KeyFile = filepath.Join(dir, "nope") }, "nope"},
		{"both", func(c *EmbedConfig) { c.Key, c.KeyFile = embedKey, keyFile }, "not both"},
		{"max ttl", func(c *EmbedConfig) { c.MaxTTL = time.Second }, "max_ttl"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := DefaultEmbedConfig()
			tc.mod(&c)
			err := c.Validate()
			if (err == nil) != (tc.want == "") || (err != nil && !strings.Contains(err.Error(), tc.want)) {
				t.Fatalf("Validate() = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestConfig_LoadFile_embed(t *testing.T) {
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "key")
	if err := os.WriteFile(keyFile, []byte(embedKey), 0o600); err != nil {
		t.Fatal(err)
	}
	c := loadConfigFile(t, "embed:\n  frame_ancestors: [\"'self'\", https://*.atlassian.net, https://www.notion.so]\n  key_file: "+keyFile+"\n  max_ttl: 720h\n")
	if len(c.Embed.FrameAncestors) != 3 || c.Embed.KeyFile != keyFile || c.Embed.MaxTTL != 720*time.Hour {
		t.Fatalf("embed = %+v", c.Embed)
	}
	if k, err := c.Embed.LoadKey(); err != nil || string(k) != embedKey {
		t.Fatalf("LoadKey = %q, %v", k, err)
	}
}

// streamURL is the websocket address of base's stream with query q.
func streamURL(base, q string) string {
	return "ws" + strings.TrimPrefix(base, "http") + "/api/v1/stream" + q
}

// readUntil reads messages until one of type typ for view arrives.
func readUntil(ctx context.Context, t *testing.T, c *websocket.Conn, typ graph.MessageType, view string) error {
	t.Helper()
	for {
		_, data, err := c.Read(ctx)
		if err != nil {
			return err
		}
		var m graph.Message
		if err := json.Unmarshal(data, &m); err != nil {
			t.Fatal(err)
		}
		if m.Type == graph.MessageError {
			t.Fatalf("error message: %s", m.Error)
		}
		if m.Type == typ && m.View == view {
			return nil
		}
	}
}

func subscribe(ctx context.Context, t *testing.T, c *websocket.Conn, view string) {
	t.Helper()
	b, err := json.Marshal(graph.NewSubscribe(view))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Write(ctx, websocket.MessageText, b); err != nil {
		t.Fatal(err)
	}
}

// wantClose reads until the connection closes and checks the close frame.
func wantClose(ctx context.Context, t *testing.T, c *websocket.Conn, code websocket.StatusCode, reason string) {
	t.Helper()
	for {
		_, _, err := c.Read(ctx)
		if err == nil {
			continue
		}
		var ce websocket.CloseError
		if !errors.As(err, &ce) || ce.Code != code || !strings.Contains(ce.Reason, reason) {
			t.Fatalf("connection ended with %v, want close %d %q", err, code, reason)
		}
		return
	}
}

func TestEmbedAuth_stream(t *testing.T) {
	// A long focus makes subscribe messages big enough to be compressed.
	view := "focus=" + strings.Repeat("checkout-", 20) + "&window=15m"
	canonical := mustParse(t, view).Encode()
	for _, tc := range []struct {
		name   string
		server hub.CompressionMode
		client websocket.CompressionMode
	}{
		{"uncompressed", hub.CompressionOff, websocket.CompressionDisabled},
		{"per message", hub.CompressionNoContextTakeover, websocket.CompressionNoContextTakeover},
		{"context takeover", hub.CompressionContextTakeover, websocket.CompressionContextTakeover},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := authConfig(embedKey)
			cfg.Hub.Compression = tc.server
			_, base := startUI(t, cfg, fakeUI)
			tok := mint(t, base, view, "1h").Token
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			c, _, err := websocket.Dial(ctx, streamURL(base, "?token="+tok), &websocket.DialOptions{CompressionMode: tc.client, CompressionThreshold: 1})
			if err != nil {
				t.Fatal(err)
			}
			defer c.CloseNow()
			for range 3 { // the same View again asks for a fresh snapshot
				subscribe(ctx, t, c, view)
				if err := readUntil(ctx, t, c, graph.MessageSnapshot, canonical); err != nil {
					t.Fatalf("no snapshot of the token's view: %v", err)
				}
			}
			subscribe(ctx, t, c, "focus=payment")
			wantClose(ctx, t, c, websocket.StatusPolicyViolation, "embed token is for another view")
		})
	}
}

func TestEmbedAuth_stream_refused(t *testing.T) {
	_, base := startUI(t, authConfig(embedKey), fakeUI)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	expired := signWith(t, embedKey, "focus=a", time.Now().Add(-time.Second).Truncate(time.Second))
	for _, tc := range []struct {
		q    string
		code int
	}{
		{"", http.StatusUnauthorized},
		{"?token=" + expired, http.StatusForbidden},
		{"?token=v1.e30.AAAA", http.StatusForbidden},
	} {
		_, resp, err := websocket.Dial(ctx, streamURL(base, tc.q), nil)
		if err == nil || resp == nil || resp.StatusCode != tc.code {
			t.Errorf("dial%s: %v (%v), want HTTP %d", tc.q, err, resp, tc.code)
		}
	}
	// Full credentials are not limited to one View.
	c, _, err := websocket.Dial(ctx, streamURL(base, "?access_token=admin"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	for _, v := range []string{"focus=a", "focus=b"} {
		subscribe(ctx, t, c, v)
		if err := readUntil(ctx, t, c, graph.MessageSnapshot, v); err != nil {
			t.Fatalf("bearer subscription to %s: %v", v, err)
		}
	}
}

// A stream opened with a token ends when the token expires.
func TestEmbedAuth_stream_expiry(t *testing.T) {
	_, base := startUI(t, authConfig(embedKey), fakeUI)
	exp := time.Now().Add(2 * time.Second).Truncate(time.Second)
	tok := signWith(t, embedKey, "focus=a", exp)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, streamURL(base, "?token="+tok), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	subscribe(ctx, t, c, "focus=a")
	if err := readUntil(ctx, t, c, graph.MessageSnapshot, "focus=a"); err != nil {
		t.Fatal(err)
	}
	wantClose(ctx, t, c, websocket.StatusPolicyViolation, "embed token expired at "+exp.UTC().Format(time.RFC3339))
	if time.Now().Before(exp) {
		t.Fatalf("closed at %s, before the expiry %s", time.Now(), exp)
	}
}

func mustParse(t *testing.T, q string) graph.View {
	t.Helper()
	v, err := graph.ParseView(q)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// A token's stream never carries another View: a subscribe for one, first
// or after the token's own, closes the connection before anything of that
// View is sent; the token's View is accepted in any spelling, and a bad
// View is answered like on any stream.
func TestEmbedAuth_stream_otherView(t *testing.T) {
	_, base := startUI(t, authConfig(embedKey), fakeUI)
	tok := mint(t, base, "focus=checkout", "1h").Token
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	dial := func() *websocket.Conn {
		c, _, err := websocket.Dial(ctx, streamURL(base, "?token="+tok), nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.CloseNow() })
		return c
	}

	c := dial()
	subscribe(ctx, t, c, "focus=payment")
	for {
		_, data, err := c.Read(ctx)
		if err != nil {
			var ce websocket.CloseError
			if !errors.As(err, &ce) || ce.Code != websocket.StatusPolicyViolation || ce.Reason != msgOtherView {
				t.Fatalf("first subscribe to another view ended with %v", err)
			}
			break
		}
		var m graph.Message
		if json.Unmarshal(data, &m) == nil && m.Type != graph.MessageStatus {
			t.Fatalf("got %s of view %q before the close", m.Type, m.View)
		}
	}

	c = dial()
	subscribe(ctx, t, c, "window=forever")
	_, data, err := c.Read(ctx)
	if err != nil || !strings.Contains(string(data), `"error"`) || !strings.Contains(string(data), "window") {
		t.Fatalf("bad view: %s %v, want the hub's error message", data, err)
	}
	subscribe(ctx, t, c, "up=1&focus=checkout&down=1")
	if err := readUntil(ctx, t, c, graph.MessageSnapshot, "focus=checkout"); err != nil {
		t.Fatalf("the token's view spelled otherwise: %v", err)
	}
	subscribe(ctx, t, c, "focus=checkout&errors_only=true")
	wantClose(ctx, t, c, websocket.StatusPolicyViolation, msgOtherView)
}
