package server

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"runtime"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/spanmap/spanmap/graph"
	"github.com/spanmap/spanmap/graph/layout"
	"github.com/spanmap/spanmap/graph/render"
)

// Query parameters of the exports besides the View.
const (
	// paramScale is the PNG size in pixels per point.
	paramScale = "scale"
	// paramWidth is the PNG width in pixels.
	paramWidth = "width"
	// paramAccessToken carries a bearer token (see authMiddleware).
	paramAccessToken = "access_token"
)

// exportParams are the export parameters that are not part of the View.
var exportParams = []string{paramScale, paramWidth, paramAccessToken, paramEmbedToken}

// Export limits and cache lifetimes.
const (
	// maxExportWidth bounds the width parameter, in pixels.
	maxExportWidth = 8192
	// maxExportScale bounds the scale parameter, in pixels per point.
	maxExportScale = 8
	// minLiveMaxAge is the shortest cache lifetime of a live View's export.
	minLiveMaxAge = 10 * time.Second
	// fixedMaxAge is the cache lifetime of a settled fixed time range.
	fixedMaxAge = 24 * time.Hour
)

// exportFormat is one output of /api/v1/graph[.ext].
type exportFormat struct {
	ext         string
	contentType string
	// drawn formats need graphviz and take a rendering slot.
	drawn bool
}

// exportFormats are the exports by extension ("" is /api/v1/graph).
var exportFormats = map[string]exportFormat{
	"":     {"json", echo.MIMEApplicationJSON, false},
	"json": {"json", echo.MIMEApplicationJSON, false},
	"svg":  {"svg", "image/svg+xml", true},
	"png":  {"png", "image/png", true},
	"dot":  {"dot", "text/vnd.graphviz; charset=utf-8", false},
	"mmd":  {"mmd", "text/plain; charset=utf-8", false},
}

// isExportPath reports whether p is /api/v1/graph or one of its exports.
func isExportPath(p string) bool {
	rest, ok := strings.CutPrefix(p, "/api/v1/graph")
	if !ok {
		return false
	}
	if rest == "" {
		return true
	}
	ext, dotted := strings.CutPrefix(rest, ".")
	_, known := exportFormats[ext]
	return dotted && ext != "" && known
}

// exporter renders Views for /api/v1/graph[.ext].
type exporter struct {
	s *Server
	// slots bounds SVG and PNG renderings running at once.
	slots chan struct{}
	// build identifies the binary, so ETags change when rendering might.
	build string
}

func (s *Server) newExporter() *exporter {
	build := runtime.Version()
	if bi, ok := debug.ReadBuildInfo(); ok {
		build = bi.String()
	}
	sum := sha256.Sum256([]byte(build))
	return &exporter{s: s, slots: make(chan struct{}, runtime.GOMAXPROCS(0)), build: hex.EncodeToString(sum[:8])}
}

// exportRequest is a parsed export request.
type exportRequest struct {
	view   graph.View
	format exportFormat
	opt    render.Options
}

// handler serves the export with extension ext.
func (x *exporter) handler(ext string) echo.HandlerFunc {
	f := exportFormats[ext]
	return func(c echo.Context) error {
		req, err := x.parse(c, f)
		if err != nil {
			return err
		}
		ctx := c.Request().Context()
		snap, err := x.s.hub.Snapshot(ctx, req.view)
		if err != nil {
			return err
		}
		tag, err := x.etag(req, snap)
		if err != nil {
			return err
		}
		h := c.Response().Header()
		cache := x.cacheControl(req.view, c.Request())
		if notModified(c.Request().Header.Get("If-None-Match"), tag) {
			h.Set("ETag", tag)
			h.Set("Cache-Control", cache)
			return c.NoContent(http.StatusNotModified)
		}
		body, err := x.render(ctx, req, snap)
		if err != nil {
			return err // without the caching headers: errors are not cached
		}
		h.Set("ETag", tag)
		h.Set("Cache-Control", cache)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Content-Disposition", `inline; filename="spanmap.`+f.ext+`"`)
		if f.ext == "svg" {
			h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
		}
		h.Set("Content-Length", strconv.Itoa(len(body)))
		return c.Blob(http.StatusOK, f.contentType, body)
	}
}

// parse reads the View and the rendering parameters; errors name the
// parameter (400).
func (x *exporter) parse(c echo.Context, f exportFormat) (exportRequest, error) {
	v, err := graph.ParseView(c.QueryString(), exportParams...)
	if err != nil {
		return exportRequest{}, err
	}
	q := c.QueryParams()
	req := exportRequest{view: v, format: f, opt: render.Options{
		Engine:   layout.Engine(v.Layout),
		Layouter: x.s.layouter,
	}}
	if v.From.IsZero() { // a live View: fade what only stale sources saw
		req.opt.Stale = x.s.staleSources()
	}
	for _, p := range []string{paramScale, paramWidth} {
		if vs := q[p]; len(vs) > 0 && f.ext != "png" {
			return exportRequest{}, badParam(p, vs[0], "applies to .png only")
		} else if len(vs) > 1 {
			return exportRequest{}, badParam(p, "", fmt.Sprintf("given %d times", len(vs)))
		}
	}
	if s := q.Get(paramWidth); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > maxExportWidth {
			return exportRequest{}, badParam(paramWidth, s, fmt.Sprintf("want a whole number of pixels from 1 to %d", maxExportWidth))
		}
		req.opt.Width = n
	}
	if s := q.Get(paramScale); s != "" {
		sc, err := strconv.ParseFloat(s, 64)
		if err != nil || !(sc > 0 && sc <= maxExportScale) {
			return exportRequest{}, badParam(paramScale, s, fmt.Sprintf("want pixels per point above 0 and at most %d", maxExportScale))
		}
		req.opt.Scale = sc
	}
	return req, nil
}

// badParam is a 400 naming a rendering parameter.
func badParam(param, value, reason string) error {
	if value == "" {
		return echo.NewHTTPError(http.StatusBadRequest, fmt.Sprintf("parameter %s: %s", param, reason))
	}
	return echo.NewHTTPError(http.StatusBadRequest, fmt.Sprintf("parameter %s: bad value %q: %s", param, value, reason))
}

// render draws snap in the requested format.
func (x *exporter) render(ctx context.Context, req exportRequest, snap graph.Snapshot) ([]byte, error) {
	if req.format.drawn {
		select {
		case x.slots <- struct{}{}:
			defer func() { <-x.slots }()
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	var b bytes.Buffer
	var err error
	switch req.format.ext {
	case "json":
		err = json.NewEncoder(&b).Encode(snap)
	case "svg":
		err = render.SVG(ctx, &b, snap, req.opt)
	case "png":
		err = render.PNG(ctx, &b, snap, req.opt)
	case "dot":
		err = render.DOT(&b, snap, req.opt)
	case "mmd":
		err = render.Mermaid(&b, snap, req.opt)
	default:
		err = fmt.Errorf("export: unknown format %q", req.format.ext)
	}
	if errors.Is(err, render.ErrTooBig) {
		return nil, echo.NewHTTPError(http.StatusBadRequest, "parameter width or scale: "+err.Error())
	}
	return b.Bytes(), err
}

// etag is the entity tag of what render returns for req and snap,
// computed without rendering: a hash of the binary, the format, the
// rendering options (the stale sources included) and the snapshot less its version number (a number
// that changes when nothing else does, for Views nobody streams). The
// drawings do not show the version, so their tags are strong; the JSON
// carries it, so its tag is weak: equal tags mean the same graph, not the
// same bytes.
func (x *exporter) etag(req exportRequest, snap graph.Snapshot) (string, error) {
	snap.Version = 0
	h := sha256.New()
	fmt.Fprintf(h, "%s\n%s\n%s\n%d\n%g\n", x.build, req.format.ext, req.view.Encode(), req.opt.Width, req.opt.Scale)
	stale := make([]string, 0, len(req.opt.Stale))
	for name := range req.opt.Stale {
		stale = append(stale, name)
	}
	sort.Strings(stale)
	fmt.Fprintf(h, "%q\n", stale)
	if err := json.NewEncoder(h).Encode(snap); err != nil {
		return "", err
	}
	tag := `"` + hex.EncodeToString(h.Sum(nil)[:16]) + `"`
	if req.format.ext == "json" {
		tag = "W/" + tag
	}
	return tag, nil
}

// notModified reports whether an If-None-Match header matches tag (weak
// comparison, as RFC 9110 asks for this header).
func notModified(ifNoneMatch, tag string) bool {
	if ifNoneMatch == "" {
		return false
	}
	tag = strings.TrimPrefix(tag, "W/")
	for _, t := range strings.Split(ifNoneMatch, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == "*" || t == tag {
			return true
		}
	}
	return false
}

// cacheControl says how long an export of v may be reused: a day for a
// fixed range that has settled (it no longer changes), otherwise the
// hub's tick and at least minLiveMaxAge. Shared caches may keep it unless
// the request was authenticated by a header, which a shared cache would
// not pass on to later requests.
func (x *exporter) cacheControl(v graph.View, r *http.Request) string {
	scope := "public"
	if x.s.cfg.Auth.Enabled() && headerCredentials(r, x.s.cfg.Auth) {
		scope = "private"
	}
	age := max(x.s.cfg.Hub.Tick, minLiveMaxAge)
	if v.Fixed() && v.To.Add(x.s.cfg.Hub.SettleDelay).Before(x.s.now()) {
		age = fixedMaxAge
	}
	return scope + ", max-age=" + strconv.FormatInt(int64(math.Ceil(age.Seconds())), 10)
}

// headerCredentials reports whether r carries credentials in a header
// (rather than in its URL).
func headerCredentials(r *http.Request, a AuthConfig) bool {
	return r.Header.Get("Authorization") != "" || (a.ProxyUserHeader != "" && r.Header.Get(a.ProxyUserHeader) != "")
}
