package server

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
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
	return queryOrPageParam(r, paramEmbedToken, pathEmbed)
}

// queryOrPageParam returns the query parameter name of r or, when r asks
// for one of the app's static files and has none, that of the same-host
// page that loads the file (the Referer), if the page's path is page (any
// path when page is empty).
func queryOrPageParam(r *http.Request, name, page string) string {
	if v := r.URL.Query().Get(name); v != "" || !isAppAsset(r.URL.Path) {
		return v
	}
	ref, err := url.Parse(r.Referer())
	if err != nil || ref.Host != r.Host || (page != "" && ref.Path != page) {
		return ""
	}
	return ref.Query().Get(name)
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
		return refuse(c, http.StatusServiceUnavailable, "embed tokens are unavailable: "+e.unavailable.Error())
	}
	claims, err := e.signer.Verify(tok)
	if err != nil {
		return refuse(c, http.StatusForbidden, err.Error())
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
		if c.Request().URL.Path == pathEmbed {
			return refuse(c, http.StatusBadRequest, err.Error())
		}
		return err
	}
	if v.Encode() != claims.ViewKey() {
		return refuse(c, http.StatusForbidden, fmt.Sprintf("%s (token: %q, requested: %q)", msgOtherView, claims.View, v))
	}
	return next(c)
}

// refuse answers a request that an embed token does not admit: for the
// embed page loaded by a browser (which shows it inside someone else's
// page, often in an iframe), a short HTML page saying why; for anything
// else the usual JSON error.
func refuse(c echo.Context, code int, msg string) error {
	r := c.Request()
	if r.URL.Path != pathEmbed || r.Method != http.MethodGet || !strings.Contains(r.Header.Get(echo.HeaderAccept), echo.MIMETextHTML) {
		return echo.NewHTTPError(code, msg)
	}
	h := c.Response().Header()
	h.Set("Cache-Control", "no-store")
	return c.HTML(code, fmt.Sprintf(refusedPage, html.EscapeString(msg)))
}

// refusedPage is the embed page shown for a token that is not admitted,
// with the reason (HTML-escaped) in place of %s. It loads nothing.
const refusedPage = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>spanmap: map unavailable</title>
<style>
body{margin:0;min-height:100vh;display:flex;align-items:center;justify-content:center;font:14px/1.5 system-ui,sans-serif;background:#10151c;color:#e6edf3}
main{max-width:32rem;padding:1.5rem;text-align:center}h1{font-size:1.1rem;margin:0 0 .5rem;color:#ff7b72}p{margin:.25rem 0}.muted{color:#8b949e}
@media (prefers-color-scheme: light){body{background:#fff;color:#1f2328}h1{color:#cf222e}.muted{color:#656d76}}
</style></head>
<body><main class="token-rejected" role="alert">
<h1>This map cannot be shown</h1>
<p>The server refused the link's read-only token: %s.</p>
<p class="muted">Ask for a new read-only link, or open spanmap and sign in.</p>
</main></body></html>
`

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
