//go:build !js

package app

import (
	"net/http/httptest"
	"strings"
	"testing"
)

// TestHandler_pages_useOnlyLocalResources checks that the page, its manifest
// and its service worker reference no host but spanmap's own: a map that
// runs inside a closed network must not reach out for icons.
func TestHandler_pages_useOnlyLocalResources(t *testing.T) {
	Register() // the handler answers 404 for pages without a route
	h := Handler()
	for _, path := range []string{"/", "/manifest.webmanifest", "/app-worker.js"} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		body := rec.Body.String()
		if rec.Code != 200 {
			t.Fatalf("GET %s = %d", path, rec.Code)
		}
		// og:url and similar metadata name the page itself; resources are
		// what a browser would fetch.
		for _, ref := range []string{`src="http`, `href="http`, `"src":"http`, `"src": "http`, `'https://`, "githubusercontent"} {
			if i := strings.Index(body, ref); i >= 0 {
				t.Errorf("GET %s loads from another host: %q", path, body[i:min(len(body), i+90)])
			}
		}
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	if !strings.Contains(rec.Body.String(), "/web/icon.png") {
		t.Error("page does not use the local icon")
	}
}
