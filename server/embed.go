package server

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/spanmap/spanmap/graph"
	"github.com/spanmap/spanmap/server/hub"
	"github.com/spanmap/spanmap/server/token"
)

// EmbedConfig configures maps shown inside other sites: which sites may
// frame the /embed page, and the key of read-only embed tokens.
type EmbedConfig struct {
	// FrameAncestors are the Content-Security-Policy frame-ancestors
	// sources allowed to show /embed in an iframe, e.g.
	// ["https://*.atlassian.net", "https://www.notion.so"]. The default,
	// 'self', allows spanmap's own pages only.
	FrameAncestors []string `yaml:"frame_ancestors"`
	// Key signs embed tokens: at least 32 bytes. Prefer KeyFile, which
	// keeps the key out of the configuration file.
	Key string `yaml:"key"`
	// KeyFile holds the key (surrounding white space is ignored), e.g.
	// made with `head -c 48 /dev/urandom | base64 > embed.key`. Without
	// Key or KeyFile, a random key is made at start and tokens stop
	// working when spanmap restarts. Changing the key revokes every token.
	KeyFile string `yaml:"key_file"`
	// MaxTTL bounds the lifetime of the tokens the server mints.
	MaxTTL time.Duration `yaml:"max_ttl"`
}

// DefaultEmbedConfig returns the embedding defaults: framing by spanmap's
// own pages only, a random key, tokens of at most a year.
func DefaultEmbedConfig() EmbedConfig {
	return EmbedConfig{FrameAncestors: []string{"'self'"}, MaxTTL: 365 * 24 * time.Hour}
}

// Validate reports the first invalid embed setting, reading the key file
// so that a missing or short key stops the server at start.
func (c EmbedConfig) Validate() error {
	if len(c.FrameAncestors) == 0 {
		return errors.New("embed.frame_ancestors: must not be empty (use \"'none'\" to forbid framing)")
	}
	for i, src := range c.FrameAncestors {
		if err := checkFrameSource(src); err != nil {
			return fmt.Errorf("embed.frame_ancestors[%d]: %w", i, err)
		}
		if src == "'none'" && len(c.FrameAncestors) > 1 {
			return errors.New("embed.frame_ancestors: 'none' cannot be combined with other sources")
		}
	}
	if c.MaxTTL < time.Minute {
		return fmt.Errorf("embed.max_ttl: must be at least 1m, got %s", c.MaxTTL)
	}
	_, err := c.LoadKey()
	return err
}

// checkFrameSource accepts a CSP keyword ('self', 'none'), a scheme
// ("https:") or a host source ("https://*.atlassian.net", "example.com").
func checkFrameSource(src string) error {
	switch {
	case src == "'self'" || src == "'none'":
		return nil
	case strings.HasPrefix(src, "'"):
		return fmt.Errorf("%q: the only keywords allowed are 'self' and 'none'", src)
	case src == "" || strings.ContainsAny(src, " \t\r\n;,'\""):
		return fmt.Errorf("%q: want one source such as https://wiki.example.com, without spaces, commas or semicolons", src)
	}
	return nil
}

// LoadKey returns the configured signing key: Key, or the content of
// KeyFile; nil when neither is set.
func (c EmbedConfig) LoadKey() ([]byte, error) {
	switch {
	case c.Key != "" && c.KeyFile != "":
		return nil, errors.New("embed: set key or key_file, not both")
	case c.KeyFile != "":
		return token.ReadKeyFile(c.KeyFile)
	case c.Key != "":
		k := []byte(strings.TrimSpace(c.Key))
		if len(k) < token.MinKeyLen {
			return nil, fmt.Errorf("embed.key: %w, got %d", token.ErrKeyTooShort, len(k))
		}
		return k, nil
	}
	return nil, nil
}

// frameAncestors is the Content-Security-Policy of the /embed page.
func (c EmbedConfig) frameAncestors() string {
	return "frame-ancestors " + strings.Join(c.FrameAncestors, " ")
}

// framing sets who may frame UI responses: the configured frame ancestors
// for the /embed page, without X-Frame-Options (which cannot name other
// sites, and would win in older browsers) even if the UI handler sets one;
// spanmap's own pages only for everything else.
func (e *embedAuth) framing(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Response().Header()
		if c.Request().URL.Path != pathEmbed {
			h.Set("X-Frame-Options", "SAMEORIGIN")
			h.Set("Content-Security-Policy", "frame-ancestors 'self'")
			return next(c)
		}
		policy := e.cfg.frameAncestors()
		h.Set("Content-Security-Policy", policy)
		c.Response().Before(func() {
			h.Del("X-Frame-Options")
			h.Set("Content-Security-Policy", policy)
		})
		return next(c)
	}
}

// stream serves the websocket stream with h (the hub). A request admitted
// by an embed token carries a hub.Limit: the connection may only subscribe
// to the token's View, and it is closed when the token expires.
func (e *embedAuth) stream(h http.Handler) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		if cl, ok := embedClaimsFrom(r.Context()); ok {
			r = r.WithContext(hub.WithLimit(r.Context(), tokenLimit(cl)))
		}
		h.ServeHTTP(c.Response(), r)
		return nil
	}
}

// msgOtherView refuses a request for a View the embed token does not name.
const msgOtherView = "embed token is for another view"

// errOtherView refuses a subscription to a View the token does not name.
var errOtherView = errors.New(msgOtherView)

// tokenLimit is what a stream connection admitted by a token with claims
// cl may do: subscribe to the token's View, until the token expires.
func tokenLimit(cl token.Claims) hub.Limit {
	allowed := cl.ViewKey()
	return hub.Limit{
		Allow: func(v graph.View) error {
			if v.Encode() != allowed {
				return errOtherView
			}
			return nil
		},
		Until:       cl.Expires,
		UntilReason: (&token.ExpiredError{At: cl.Expires}).Error(),
	}
}
