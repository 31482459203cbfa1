package server

import (
	"crypto/subtle"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
	"golang.org/x/crypto/bcrypt"
)

// authMiddleware enforces AuthConfig on a route group. With no access control
// configured it lets everything through (Validate allows that on loopback
// only). Credentials, in order: a trusted proxy's user header, a bearer token
// (Authorization header, or the access_token query parameter for browsers
// and websockets, which cannot set headers), basic auth. A request with none
// of them but an embed token (the token query parameter) gets what the
// token grants, read-only (see embedAuth.admit).
func (s *Server) authMiddleware(emb *embedAuth) echo.MiddlewareFunc {
	a := s.cfg.Auth
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		if !a.Enabled() {
			return next
		}
		return func(c echo.Context) error {
			r := c.Request()
			if a.ProxyUserHeader != "" && r.Header.Get(a.ProxyUserHeader) != "" {
				return next(c)
			}
			if tok := bearerToken(r); tok != "" {
				if tokenAllowed(a.Tokens, tok) {
					return next(c)
				}
				s.metrics.authFailures.Inc()
				return echo.NewHTTPError(http.StatusUnauthorized, "invalid bearer token")
			}
			if user, pass, ok := r.BasicAuth(); ok {
				if userAllowed(a.Users, user, pass) {
					return next(c)
				}
				s.metrics.authFailures.Inc()
				c.Response().Header().Set("WWW-Authenticate", `Basic realm="spanmap"`)
				return echo.NewHTTPError(http.StatusUnauthorized, "invalid user name or password")
			}
			if tok := embedToken(r); tok != "" {
				return emb.admit(c, tok, next)
			}
			if len(a.Users) > 0 {
				c.Response().Header().Set("WWW-Authenticate", `Basic realm="spanmap"`)
			}
			return echo.NewHTTPError(http.StatusUnauthorized, "authentication required: send a bearer token or basic-auth credentials")
		}
	}
}

// bearerToken returns the request's bearer token: the Authorization
// header, the access_token query parameter or, for the app's static files
// only, the access_token of the same-host page that loads them (its
// address is the Referer), since a page opened as /?access_token=... cannot
// add the token to the script, style and wasm requests the browser makes.
func bearerToken(r *http.Request) string {
	if h := r.Header.Get("Authorization"); len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return strings.TrimSpace(h[7:])
	}
	return queryOrPageParam(r, paramAccessToken, "")
}

func tokenAllowed(tokens []string, tok string) bool {
	ok := 0
	for _, t := range tokens {
		ok |= subtle.ConstantTimeCompare([]byte(t), []byte(tok))
	}
	return ok == 1
}

func userAllowed(users []User, name, pass string) bool {
	for _, u := range users {
		if u.Name == name {
			return bcrypt.CompareHashAndPassword([]byte(u.PasswordHash), []byte(pass)) == nil
		}
	}
	return false
}
