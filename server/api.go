package server

import (
	"errors"
	"net/http"
	"sort"

	"github.com/labstack/echo/v4"

	"github.com/spanmap/spanmap/graph"
)

// routes builds the echo router.
func (s *Server) routes() *echo.Echo {
	e := echo.New()
	e.HideBanner = true
	e.HidePort = true
	e.HTTPErrorHandler = s.handleError

	emb := s.newEmbedAuth()
	auth := s.authMiddleware(emb)
	e.GET("/healthz", s.healthz)
	e.GET("/readyz", s.readyz)
	metricsMW := []echo.MiddlewareFunc{}
	if s.cfg.Auth.ProtectMetrics {
		metricsMW = append(metricsMW, auth)
	}
	e.GET("/metrics", echo.WrapHandler(s.metrics.handler()), metricsMW...)

	api := e.Group("/api/v1", auth)
	x := s.newExporter()
	for ext := range exportFormats {
		if ext == "" {
			api.GET("/graph", x.handler(ext))
		} else {
			api.GET("/graph."+ext, x.handler(ext))
		}
	}
	api.GET("/services", s.getServices)
	api.GET("/sources", s.getSources)
	api.GET("/stream", emb.stream(s.hub))
	api.POST("/tokens", emb.mint)

	if s.ui != nil {
		ui := echo.WrapHandler(s.ui)
		e.Any("/", ui, emb.framing, auth)
		e.Any("/*", ui, emb.framing, auth)
	}
	return e
}

// servicesResponse is the body of GET /api/v1/services.
type servicesResponse struct {
	Services []string `json:"services"`
}

func (s *Server) getServices(c echo.Context) error {
	svcs := s.pipeline.Aggregator().Services()
	sort.Strings(svcs)
	if svcs == nil {
		svcs = []string{}
	}
	return c.JSON(http.StatusOK, servicesResponse{Services: svcs})
}

// sourcesResponse is the body of GET /api/v1/sources.
type sourcesResponse struct {
	Sources []graph.SourceStatus `json:"sources"`
}

func (s *Server) getSources(c echo.Context) error {
	return c.JSON(http.StatusOK, sourcesResponse{Sources: s.sources.list()})
}

func (s *Server) healthz(c echo.Context) error {
	return c.String(http.StatusOK, "ok\n")
}

func (s *Server) readyz(c echo.Context) error {
	select {
	case <-s.ready:
		return c.String(http.StatusOK, "ready\n")
	default:
		return c.String(http.StatusServiceUnavailable, "starting\n")
	}
}

// errorBody is the JSON body of every error response.
type errorBody struct {
	Error string `json:"error"`
}

// handleError translates errors to HTTP responses, once: a bad View is a 400
// naming the parameter; echo's own errors keep their status; anything else
// is a 500, and only those are logged.
func (s *Server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	status, msg := http.StatusInternalServerError, "internal error"
	var ve *graph.ViewError
	var he *echo.HTTPError
	switch {
	case errors.As(err, &ve):
		status, msg = http.StatusBadRequest, ve.Error()
	case errors.As(err, &he):
		status = he.Code
		if m, ok := he.Message.(string); ok {
			msg = m
		} else {
			msg = http.StatusText(he.Code)
		}
	default:
		s.log.Error("request failed", "method", c.Request().Method, "path", c.Request().URL.Path, "err", err)
	}
	if c.Request().Method == http.MethodHead {
		_ = c.NoContent(status)
		return
	}
	_ = c.JSON(status, errorBody{Error: msg})
}
