package server

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/spanmap/spanmap/graph"
	"github.com/spanmap/spanmap/graph/agg"
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
	api.GET("/sparkline", s.getSparkline)
	api.GET("/events", s.getEvents)
	api.GET("/diff", s.getDiff)
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
	svcs := s.pipeline.Aggregator().Services() // sorted
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
	srcs, _ := s.sources.list(s.now())
	return c.JSON(http.StatusOK, sourcesResponse{Sources: srcs})
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

// sparklineResponse is the body of GET /api/v1/sparkline.
type sparklineResponse struct {
	// Node, or From and To, name what the points count.
	Node string `json:"node,omitempty"`
	From string `json:"from,omitempty"`
	To   string `json:"to,omitempty"`
	// StepMs is the time one point covers.
	StepMs int64 `json:"step_ms"`
	// Points are calls and errors per step, oldest first, zeros included.
	Points []agg.SparkPoint `json:"points"`
}

// getSparkline answers GET /api/v1/sparkline?node=ID or ?from=A&to=B, with
// an optional minutes=N (default 30, at most 24h): calls and errors per
// aggregation bucket, for the details panel.
func (s *Server) getSparkline(c echo.Context) error {
	q := c.QueryParams()
	for k := range q {
		switch k {
		case "node", "from", "to", "minutes", "access_token":
		default:
			return echo.NewHTTPError(http.StatusBadRequest, fmt.Sprintf("sparkline: unknown parameter %q (want node, or from and to, and minutes)", k))
		}
	}
	minutes := 30
	if m := q.Get("minutes"); m != "" {
		n, err := strconv.Atoi(m)
		if err != nil || n < 1 || n > 24*60 {
			return echo.NewHTTPError(http.StatusBadRequest, fmt.Sprintf("sparkline: minutes %q must be a whole number from 1 to 1440", m))
		}
		minutes = n
	}
	a := s.pipeline.Aggregator()
	width := a.Config().BucketWidth
	end := s.now().Truncate(width).Add(width)
	start := end.Add(-time.Duration(minutes) * time.Minute)
	resp := sparklineResponse{StepMs: width.Milliseconds()}
	switch node, from, to := q.Get("node"), q.Get("from"), q.Get("to"); {
	case node != "" && from == "" && to == "":
		resp.Node, resp.Points = node, a.Sparkline(node, start, end)
	case node == "" && from != "" && to != "":
		resp.From, resp.To, resp.Points = from, to, a.EdgeSparkline(from, to, start, end)
	default:
		return echo.NewHTTPError(http.StatusBadRequest, "sparkline: give node, or from and to")
	}
	if resp.Points == nil {
		return echo.NewHTTPError(http.StatusNotFound, "sparkline: no such node or edge")
	}
	if len(resp.Points) > 1 {
		resp.StepMs = resp.Points[1].Time - resp.Points[0].Time
	}
	return c.JSON(http.StatusOK, resp)
}
