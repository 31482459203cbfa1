package server

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/spanmap/spanmap/graph"
	"github.com/spanmap/spanmap/graph/agg"
	"github.com/spanmap/spanmap/graph/compare"
)

// Parameters of GET /api/v1/diff.
const (
	diffParamView = "view"
	diffParamA    = "a"
	diffParamB    = "b"
)

// Presets of the a parameter, relative to range b.
const (
	presetPrevious  = "previous"  // the range of b's length just before b
	presetYesterday = "yesterday" // b a day earlier
	presetLastWeek  = "last-week" // b a week earlier
)

// timeRange is a half-open time range [from, to).
type timeRange struct{ from, to time.Time }

func (r timeRange) compare() compare.Range {
	return compare.Range{From: r.from.UnixMilli(), To: r.to.UnixMilli()}
}

func (r timeRange) String() string {
	return r.from.UTC().Format(time.RFC3339) + "/" + r.to.UTC().Format(time.RFC3339)
}

// diffRequest is a parsed GET /api/v1/diff.
type diffRequest struct {
	view graph.View
	a, b timeRange
	th   compare.Thresholds
}

// getDiff answers GET /api/v1/diff?view=<view>&a=<range>&b=<range> with
// optional thresholds: the comparison of the View over range a (before)
// and range b (after), as compare.Result, with the union of both ranges
// laid out the way the live map is.
func (s *Server) getDiff(c echo.Context) error {
	req, err := s.parseDiff(c.QueryParams(), s.now())
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	res, union, err := s.compareRanges(ctx, req)
	if err != nil {
		return err
	}
	res.Graph, err = s.hub.Place(ctx, union, req.view)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, res)
}

// compareRanges compares req's View over its two ranges and returns the
// result (without Graph) and the union of both ranges' graphs, unplaced.
//
// Both snapshots are filtered by the View's structure (focus, grouping,
// virtual nodes, operations) but not by its min_rate and errors_only, which
// would hide exactly what changed: an edge that stopped failing, or one
// whose traffic fell. The View's min_rate raises the threshold MinRate
// instead when no min_rate threshold is given.
func (s *Server) compareRanges(ctx context.Context, req diffRequest) (compare.Result, graph.Snapshot, error) {
	opt := agg.Options{Operations: req.view.Operations}
	structural := req.view
	structural.MinRate, structural.ErrorsOnly = 0, false
	// The two ranges are read at the same time: a cold read of days of
	// history decodes thousands of stored periods.
	var (
		snaps [2]graph.Snapshot
		errs  [2]error
		wg    sync.WaitGroup
	)
	for i, r := range []timeRange{req.a, req.b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			snap, err := s.timeline.SnapshotContext(ctx, r.from, r.to, opt)
			if err != nil {
				errs[i] = err
				return
			}
			snap = graph.Filter(snap, structural)
			snap.View, snap.From, snap.To = req.view.Encode(), r.from.UnixMilli(), r.to.UnixMilli()
			snaps[i] = snap
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return compare.Result{}, graph.Snapshot{}, err
		}
	}
	res := compare.Compare(snaps[0], snaps[1], req.th)
	return res, compare.Union(snaps[0], snaps[1]), nil
}

// parseDiff reads and checks the query of GET /api/v1/diff at now.
func (s *Server) parseDiff(q url.Values, now time.Time) (diffRequest, error) {
	var req diffRequest
	th, given, err := parseThresholds(q)
	if err != nil {
		return req, err
	}
	for k, vs := range q {
		switch k {
		case diffParamView, diffParamA, diffParamB, paramAccessToken:
		default:
			if _, ok := given[k]; !ok {
				return req, badDiff("unknown parameter %q (want view, a, b, min_rate, min_calls, min_rel, min_latency_ms, min_error_pts, min_rate_rel)", k)
			}
		}
		if len(vs) > 1 {
			return req, badDiff("parameter %s given %d times", k, len(vs))
		}
	}
	v, err := graph.ParseView(q.Get(diffParamView))
	if err != nil {
		return req, err // a *graph.ViewError: 400 naming the View parameter
	}
	req.view = v
	if _, ok := given["min_rate"]; !ok && v.MinRate > th.MinRate {
		th.MinRate = v.MinRate
	}
	req.th = th

	if b := q.Get(diffParamB); b != "" {
		if req.b, err = parseRange(diffParamB, b); err != nil {
			return req, err
		}
	} else if v.Fixed() {
		req.b = timeRange{v.From, v.To}
	} else {
		req.b = timeRange{now.Add(-v.Window), now}
	}
	switch a := q.Get(diffParamA); a {
	case "", presetPrevious:
		req.a = timeRange{req.b.from.Add(-req.b.to.Sub(req.b.from)), req.b.from}
	case presetYesterday:
		req.a = timeRange{req.b.from.Add(-24 * time.Hour), req.b.to.Add(-24 * time.Hour)}
	case presetLastWeek:
		req.a = timeRange{req.b.from.Add(-7 * 24 * time.Hour), req.b.to.Add(-7 * 24 * time.Hour)}
	default:
		if req.a, err = parseRange(diffParamA, a); err != nil {
			return req, err
		}
	}
	for _, r := range []struct {
		name string
		r    timeRange
	}{{diffParamB, req.b}, {diffParamA, req.a}} { // b first: a may derive from it
		if err := s.checkRange(r.name, r.r, now); err != nil {
			return req, err
		}
	}
	return req, nil
}

// parseRange parses "<RFC3339>/<RFC3339>" and checks that it is a range.
func parseRange(name, v string) (timeRange, error) {
	fromS, toS, ok := strings.Cut(v, "/")
	if !ok {
		return timeRange{}, badDiff("range %s %q: want <RFC3339>/<RFC3339>, e.g. 2025-01-06T09:00:00Z/2025-01-06T10:00:00Z, or for a: previous, yesterday, last-week", name, v)
	}
	from, err := time.Parse(time.RFC3339Nano, fromS)
	if err != nil {
		return timeRange{}, badDiff("range %s: start %q is not an RFC 3339 time", name, fromS)
	}
	to, err := time.Parse(time.RFC3339Nano, toS)
	if err != nil {
		return timeRange{}, badDiff("range %s: end %q is not an RFC 3339 time", name, toS)
	}
	return timeRange{from, to}, nil
}

// checkRange refuses ranges that are empty, reversed, longer than a View
// may be, in the future, or starting before the history spanmap keeps.
func (s *Server) checkRange(name string, r timeRange, now time.Time) error {
	switch {
	case r.to.Equal(r.from):
		return badDiff("range %s is empty: it starts and ends at %s", name, r.from.UTC().Format(time.RFC3339))
	case r.to.Before(r.from):
		return badDiff("range %s is reversed: it ends (%s) before it starts (%s)", name, r.to.UTC().Format(time.RFC3339), r.from.UTC().Format(time.RFC3339))
	case r.to.Sub(r.from) > graph.MaxWindow:
		return badDiff("range %s is %v long, longer than the %v a View may cover", name, r.to.Sub(r.from), graph.MaxWindow)
	case r.from.After(now):
		return badDiff("range %s starts in the future (%s)", name, r.from.UTC().Format(time.RFC3339))
	}
	kept, what := s.kept()
	if kept > 0 && r.from.Before(now.Add(-kept)) {
		return badDiff("range %s starts at %s, before the oldest data spanmap keeps: %s (since %s)", name,
			r.from.UTC().Format(time.RFC3339), what, now.Add(-kept).UTC().Format(time.RFC3339))
	}
	return nil
}

// kept returns how far back data is kept, zero for no limit, and says so
// in words.
func (s *Server) kept() (time.Duration, string) {
	if s.history != nil {
		if s.cfg.Retention <= 0 {
			return 0, ""
		}
		return s.cfg.Retention, "history is kept for " + s.cfg.Retention.String() + " (--retention)"
	}
	ret := s.pipeline.Aggregator().Config().Retention
	return ret, "without --data-dir only the last " + ret.String() + " are kept, in memory"
}

// parseThresholds reads the threshold parameters over the defaults and
// returns the names given.
func parseThresholds(q url.Values) (compare.Thresholds, map[string]struct{}, error) {
	th := compare.DefaultThresholds()
	given := map[string]struct{}{}
	floats := []struct {
		name string
		dst  *float64
	}{
		{"min_rate", &th.MinRate}, {"min_rel", &th.MinRel}, {"min_latency_ms", &th.MinLatencyMs},
		{"min_error_pts", &th.MinErrorPts}, {"min_rate_rel", &th.MinRateRel},
	}
	for _, f := range floats {
		v := q.Get(f.name)
		if _, ok := q[f.name]; !ok {
			continue
		}
		given[f.name] = struct{}{}
		x, err := strconv.ParseFloat(v, 64)
		if err != nil || x < 0 || x > 1e9 {
			return th, nil, badDiff("threshold %s %q: want a number from 0", f.name, v)
		}
		*f.dst = x
	}
	if _, ok := q["min_calls"]; ok {
		given["min_calls"] = struct{}{}
		v := q.Get("min_calls")
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			return th, nil, badDiff("threshold min_calls %q: want a whole number from 0", v)
		}
		th.MinCalls = n
	}
	return th, given, nil
}

// badDiff is a 400 answer to a diff request.
func badDiff(format string, args ...any) error {
	return echo.NewHTTPError(http.StatusBadRequest, "diff: "+fmt.Sprintf(format, args...))
}
