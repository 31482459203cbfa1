package app

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

// SparkPoint is one step of a sparkline: calls and errors in the step
// starting at T (Unix milliseconds).
type SparkPoint struct {
	T      int64 `json:"t"`
	Calls  int64 `json:"calls"`
	Errors int64 `json:"errors"`
}

// SparklineURL returns the sparkline API address for a node (kind node, id)
// or an edge (kind edge, from and to), keeping the base's access token;
// empty when base is empty.
func SparklineURL(base, kind, id, from, to string) string {
	if base == "" {
		return ""
	}
	u, err := url.Parse(base)
	if err != nil {
		return ""
	}
	q := u.Query()
	q.Set("minutes", "30")
	if kind == KindEdge {
		q.Set("from", from)
		q.Set("to", to)
	} else {
		q.Set("node", id)
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// parseSparkline reads the points of a GET /api/v1/sparkline answer.
func parseSparkline(r io.Reader) ([]SparkPoint, error) {
	var body struct {
		Points []SparkPoint `json:"points"`
	}
	if err := json.NewDecoder(r).Decode(&body); err != nil {
		return nil, fmt.Errorf("sparkline: %w", err)
	}
	return body.Points, nil
}

// fetchSparkline loads a sparkline; it blocks, so call it in ctx.Async.
func fetchSparkline(u string) ([]SparkPoint, error) {
	resp, err := http.Get(u)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("sparkline: %s", resp.Status)
	}
	return parseSparkline(resp.Body)
}

// SparklinePoints returns an SVG polyline "points" attribute for the values
// picked from pts, scaled to w x h with max at the top (0 at the bottom).
func SparklinePoints(pts []SparkPoint, value func(SparkPoint) int64, max int64, w, h float64) string {
	if len(pts) == 0 || max <= 0 {
		return ""
	}
	var b strings.Builder
	step := w / float64(max64(int64(len(pts)-1), 1))
	for i, p := range pts {
		if i > 0 {
			b.WriteByte(' ')
		}
		y := h - float64(value(p))/float64(max)*h
		b.WriteString(strconv.FormatFloat(float64(i)*step, 'f', 1, 64))
		b.WriteByte(',')
		b.WriteString(strconv.FormatFloat(y, 'f', 1, 64))
	}
	return b.String()
}

func max64(a, b int64) int64 {
	if a > b {
		return a
	}
	return b
}

// sparklineChart draws the calls (line) and errors (dashed line) of the
// last 30 minutes and reloads them every 10 seconds.
type sparklineChart struct {
	app.Compo

	// URL is the sparkline API address to load.
	URL string

	loaded string
	points []SparkPoint
	err    string
}

// newSparklineChart returns an empty chart.
func newSparklineChart() *sparklineChart { return &sparklineChart{} }

// OnMount loads the sparkline and keeps it fresh while mounted.
func (c *sparklineChart) OnMount(ctx app.Context) {
	c.load(ctx)
	ctx.Async(func() {
		t := time.NewTicker(10 * time.Second)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				ctx.Dispatch(func(ctx app.Context) { c.load(ctx) })
			}
		}
	})
}

// OnUpdate reloads when the selection (and so the URL) changed.
func (c *sparklineChart) OnUpdate(ctx app.Context) {
	if c.URL != c.loaded {
		c.points = nil
		c.load(ctx)
	}
}

func (c *sparklineChart) load(ctx app.Context) {
	u := c.URL
	c.loaded = u
	ctx.Async(func() {
		pts, err := fetchSparkline(u)
		ctx.Dispatch(func(ctx app.Context) {
			if c.loaded != u {
				return // the selection moved on
			}
			c.points, c.err = pts, ""
			if err != nil {
				c.err = err.Error()
			}
		})
	})
}

// Render draws the chart.
func (c *sparklineChart) Render() app.UI {
	const w, h = 240.0, 36.0
	if c.err != "" {
		return app.P().Class("muted sparkline").Text("no history: " + c.err)
	}
	if len(c.points) == 0 {
		return app.P().Class("muted sparkline").Text("loading history…")
	}
	var max, calls, errs int64
	for _, p := range c.points {
		max = max64(max, p.Calls)
		calls += p.Calls
		errs += p.Errors
	}
	title := fmt.Sprintf("last 30 min: %d calls, %d errors (per 10 s step)", calls, errs)
	return app.Div().Class("sparkline").Title(title).Body(
		app.Raw(`<svg class="sparkline-svg" viewBox="0 0 240 36" width="240" height="36" role="img" aria-label="`+title+`">`+
			`<polyline class="spark-calls" fill="none" points="`+SparklinePoints(c.points, func(p SparkPoint) int64 { return p.Calls }, max, w, h)+`"/>`+
			`<polyline class="spark-errors" fill="none" stroke-dasharray="3 2" points="`+SparklinePoints(c.points, func(p SparkPoint) int64 { return p.Errors }, max, w, h)+`"/>`+
			`</svg>`),
		app.Span().Class("muted").Text("30 min"),
	)
}
