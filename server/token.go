package server

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/spanmap/spanmap/graph"
	"github.com/spanmap/spanmap/server/token"
)

// Paths and parameters of embedding.
const (
	// pathEmbed is the chrome-less embed page.
	pathEmbed = "/embed"
	// pathStream is the websocket stream.
	pathStream = "/api/v1/stream"
	// paramEmbedToken carries an embed token in a query string.
	paramEmbedToken = "token"
	// defaultTokenTTL is the lifetime of a minted token that names none.
	defaultTokenTTL = 30 * 24 * time.Hour
)

// embedAuth admits requests carrying an embed token to what the token
// grants, and mints tokens.
type embedAuth struct {
	cfg    EmbedConfig
	signer *token.Signer
	// unavailable says why there is no signer (the key could not be read).
	unavailable error
	now         func() time.Time
}

// newEmbedAuth sets up token signing with the configured key, or with a
// random one, logging that tokens then last until the next restart.
func (s *Server) newEmbedAuth() *embedAuth {
	e := &embedAuth{cfg: s.cfg.Embed, now: s.now}
	key, err := e.cfg.LoadKey()
	if err == nil && key == nil {
		if s.cfg.Auth.Enabled() {
			s.log.Warn("embed tokens are signed with a random key made at start: they stop working when spanmap restarts; set embed.key_file to keep them")
		}
		key, err = token.GenerateKey()
	}
	if err == nil {
		e.signer, err = token.NewSigner(key, s.now)
	}
	if err != nil {
		s.log.Error("embed tokens unavailable", "err", err)
		e.unavailable = err
	}
	return e
}

// embedClaimsKey is the request context key of the claims of the token
// that admitted a stream request.
type embedClaimsKey struct{}

// embedClaimsFrom returns the claims of the embed token that admitted the
// request whose context is ctx.
func embedClaimsFrom(ctx context.Context) (token.Claims, bool) {
	c, ok := ctx.Value(embedClaimsKey{}).(token.Claims)
	return c, ok
}

// embedToken returns the embed token of r: the token query parameter, or,
// for the app's static files only, the one of the /embed page that loads
// them (its address is the Referer), since the page cannot add the token
// to the script and style requests it makes.
func embedToken(r *http.Request) string {
	if t := r.URL.Query().Get(paramEmbedToken); t != "" {
		return t
	}
	if !isAppAsset(r.URL.Path) {
		return ""
	}
	ref, err := url.Parse(r.Referer())
	if err != nil || ref.Host != r.Host || ref.Path != pathEmbed {
		return ""
	}
	return ref.Query().Get(paramEmbedToken)
}

// isAppAsset reports whether p is one of the files the browser app needs
// to start (go-app's loader, worker, manifest and wasm, and /web/).
func isAppAsset(p string) bool {
	switch p {
	case "/app.wasm", "/goapp.wasm", "/wasm_exec.js", "/app.js", "/goapp.js", "/app-worker.js",
		"/app.css", "/manifest.webmanifest", "/manifest.json":
		return true
	}
	return strings.HasPrefix(p, "/web/") && path.Clean(p) == p
}

// admit lets a request carrying embed token tok through when the token is
// genuine, current and grants the request: a read (GET or HEAD) of the
// token's View on the embed page or an export, the app's static files, or
// the stream, which is then limited to the token's View.
func (e *embedAuth) admit(c echo.Context, tok string, next echo.HandlerFunc) error {
	if e.signer == nil {
		return echo.NewHTTPError(http.StatusServiceUnavailable, "embed tokens are unavailable: "+e.unavailable.Error())
	}
	claims, err := e.signer.Verify(tok)
	if err != nil {
		return echo.NewHTTPError(http.StatusForbidden, err.Error())
	}
	r := c.Request()
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return echo.NewHTTPError(http.StatusForbidden, "embed token is read-only: "+r.Method+" is not allowed")
	}
	p := r.URL.Path
	switch {
	case isAppAsset(p):
		return next(c)
	case p == pathStream:
		c.SetRequest(r.WithContext(context.WithValue(r.Context(), embedClaimsKey{}, claims)))
		return next(c)
	case p == pathEmbed:
		return e.sameView(c, claims, next, paramEmbedToken, paramAccessToken)
	case isExportPath(p):
		return e.sameView(c, claims, next, exportParams...)
	}
	return echo.NewHTTPError(http.StatusForbidden, "embed token grants only its view's embed page, exports and stream, not "+p)
}

// sameView calls next when the request's View is the token's.
func (e *embedAuth) sameView(c echo.Context, claims token.Claims, next echo.HandlerFunc, ignore ...string) error {
	v, err := graph.ParseView(c.QueryString(), ignore...)
	if err != nil {
		return err
	}
	if v.Encode() != claims.ViewKey() {
		return echo.NewHTTPError(http.StatusForbidden, fmt.Sprintf("%s (token: %q, requested: %q)", msgOtherView, claims.View, v))
	}
	return next(c)
}

// tokenRequest is the body of POST /api/v1/tokens.
type tokenRequest struct {
	// View is the View's query string.
	View string `json:"view"`
	// TTL is the token's lifetime: a Go duration or whole days ("30d");
	// empty means 30 days.
	TTL string `json:"ttl"`
}

// tokenResponse is the answer to POST /api/v1/tokens.
type tokenResponse struct {
	Token   string    `json:"token"`
	View    string    `json:"view"`
	URL     string    `json:"url"`
	Expires time.Time `json:"expires"`
}

// mint answers POST /api/v1/tokens with a new embed token.
func (e *embedAuth) mint(c echo.Context) error {
	if e.signer == nil {
		return echo.NewHTTPError(http.StatusServiceUnavailable, "embed tokens are unavailable: "+e.unavailable.Error())
	}
	if ct := c.Request().Header.Get(echo.HeaderContentType); !strings.HasPrefix(ct, echo.MIMEApplicationJSON) {
		return echo.NewHTTPError(http.StatusUnsupportedMediaType, "send the token request as application/json")
	}
	var req tokenRequest
	dec := json.NewDecoder(io.LimitReader(c.Request().Body, 64<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return echo.NewHTTPError(http.StatusBadRequest, "token request: "+err.Error())
	}
	v, err := graph.ParseView(strings.TrimPrefix(req.View, "?"))
	if err != nil {
		return err
	}
	ttl, err := ParseTokenTTL(req.TTL, e.cfg.MaxTTL)
	if err != nil {
		return echo.NewHTTPError(http.StatusBadRequest, err.Error())
	}
	tok, exp, err := e.signer.Mint(v, ttl)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, tokenResponse{Token: tok, View: v.Encode(), URL: EmbedURL(v, tok), Expires: exp})
}

// EmbedURL is the server-relative address of the embed page of v with
// embed token tok.
func EmbedURL(v graph.View, tok string) string {
	q := v.Encode()
	if q != "" {
		q += "&"
	}
	return pathEmbed + "?" + q + paramEmbedToken + "=" + url.QueryEscape(tok)
}

// ParseTokenTTL reads an embed token lifetime: a Go duration or whole
// days ("30d"), empty for the default of 30 days, at least a minute and at
// most max.
func ParseTokenTTL(s string, max time.Duration) (time.Duration, error) {
	if s == "" {
		return min(defaultTokenTTL, max), nil
	}
	d, err := time.ParseDuration(s)
	if days, ok := strings.CutSuffix(s, "d"); ok && err != nil {
		n, perr := strconv.ParseUint(days, 10, 16)
		d, err = time.Duration(n)*24*time.Hour, perr
	}
	switch {
	case err != nil:
		return 0, fmt.Errorf("ttl: bad value %q: want a duration such as 720h or 30d", s)
	case d < time.Minute:
		return 0, fmt.Errorf("ttl: %s is shorter than a minute", s)
	case d > max:
		return 0, fmt.Errorf("ttl: %s is longer than the server's embed.max_ttl of %s", s, max)
	}
	return d, nil
}
