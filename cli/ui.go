package cli

import (
	"io/fs"
	"net/http"
	"path"
	"strings"

	goapp "github.com/maxence-charriere/go-app/v10/pkg/app"

	"github.com/spanmap/spanmap/app"
	"github.com/spanmap/spanmap/web"
)

// uiHandler returns the go-app handler serving the browser app, with its
// static resources (app.wasm included) from the assets embedded in the
// binary, so spanmap runs from any directory.
func uiHandler() http.Handler {
	h := app.Handler()
	h.Resources = embedded{files: web.FS()}
	h.Version = web.Version()
	return h
}

// embedded resolves go-app's /web/ resources to the embedded assets and
// serves them, gzip-compressed when a .gz twin exists and the client accepts
// it (app.wasm shrinks about four times).
type embedded struct{ files fs.FS }

var _ goapp.ResourceResolver = embedded{}

// Resolve keeps /web/ paths as they are: they are served by ServeHTTP.
func (embedded) Resolve(location string) string {
	if location == "" || location == "/" {
		return "/"
	}
	if strings.HasPrefix(location, "/web/") || location == "/web" {
		return location
	}
	if strings.HasPrefix(location, "web/") {
		return "/" + location
	}
	return location
}

func (e embedded) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimPrefix(path.Clean(r.URL.Path), "/web/")
	if name == "" || strings.HasSuffix(name, ".go") {
		http.NotFound(w, r)
		return
	}
	if name == "app.wasm" && !web.HasWasm() {
		http.Error(w, "app.wasm was not built into this binary: run `make build`", http.StatusNotFound)
		return
	}
	if strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
		if _, err := fs.Stat(e.files, name+".gz"); err == nil {
			w.Header().Set("Content-Encoding", "gzip")
			w.Header().Set("Vary", "Accept-Encoding")
			if ct := contentType(name); ct != "" {
				w.Header().Set("Content-Type", ct)
			}
			http.ServeFileFS(w, r, e.files, name+".gz")
			return
		}
	}
	if ct := contentType(name); ct != "" {
		w.Header().Set("Content-Type", ct)
	}
	http.ServeFileFS(w, r, e.files, name)
}

func contentType(name string) string {
	switch path.Ext(name) {
	case ".wasm":
		return "application/wasm"
	case ".css":
		return "text/css; charset=utf-8"
	case ".js":
		return "text/javascript; charset=utf-8"
	case ".svg":
		return "image/svg+xml"
	}
	return ""
}
