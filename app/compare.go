package app

import (
	"cmp"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
	"github.com/spanmap/spanmap/graph"
)

// PathDiff is the comparison of a View over two ranges.
const PathDiff = "/api/v1/diff"

// compareRefresh is how often a live comparison is loaded again.
const compareRefresh = 30 * time.Second

// compareListLimit is how many changes the compare panel lists.
const compareListLimit = 25

// Changes of a comparison (CompareDelta.Change), as the diff API writes
// them.
const (
	ChangeAdded     = "added"
	ChangeRemoved   = "removed"
	ChangeRegressed = "regressed"
	ChangeImproved  = "improved"
	ChangeTraffic   = "traffic"
)

// CompareResult is the body of GET /api/v1/diff: a View compared over a
// reference range A and the View's range B. The browser decodes it into
// these types of its own, so the comparison code stays out of app.wasm.
type CompareResult struct {
	// View is the canonical View compared.
	View string `json:"view"`
	// A is the reference range, B the View's range.
	A CompareSpan `json:"a"`
	B CompareSpan `json:"b"`
	// Nodes and Edges are the changes, most significant first.
	Nodes []CompareDelta `json:"nodes"`
	Edges []CompareDelta `json:"edges"`
	// Graph holds every node and edge of either range, laid out, so
	// removed elements can be drawn.
	Graph graph.Snapshot `json:"graph"`
}

// CompareSpan is a time range, Unix milliseconds.
type CompareSpan struct {
	From int64 `json:"from_ms"`
	To   int64 `json:"to_ms"`
}

// CompareFigures are one element's figures over one range.
type CompareFigures struct {
	Calls    int64   `json:"calls"`
	Rate     float64 `json:"rate"`
	ErrorPct float64 `json:"error_pct"`
	P50Ms    float64 `json:"p50_ms"`
	P99Ms    float64 `json:"p99_ms"`
}

// CompareDelta is one change of a node or an edge between the ranges.
type CompareDelta struct {
	// Kind is KindNode or KindEdge; ID is the element's ID in Graph.
	Kind string `json:"kind"`
	ID   string `json:"id"`
	// From and To are an edge's ends.
	From string `json:"from,omitempty"`
	To   string `json:"to,omitempty"`
	// Change is one of the Change constants.
	Change string `json:"change"`
	// A and B are the figures in each range, nil without traffic there.
	A *CompareFigures `json:"a,omitempty"`
	B *CompareFigures `json:"b,omitempty"`
	// Score ranks changes, higher first.
	Score float64 `json:"score"`
	// Reasons say in words what changed.
	Reasons []string `json:"reasons"`
}

// CompareClass is the map class of an element that changed by change:
// "cmp-added", "cmp-removed", ...
func CompareClass(change string) string {
	switch change {
	case ChangeAdded, ChangeRemoved, ChangeRegressed, ChangeImproved, ChangeTraffic:
		return "cmp-" + change
	}
	return ""
}

// CompareHighlights returns the map classes of a comparison's changes.
func CompareHighlights(r CompareResult) Changes {
	c := Changes{Nodes: map[string]string{}, Edges: map[string]string{}}
	for _, d := range slices.Concat(r.Nodes, r.Edges) {
		cls := CompareClass(d.Change)
		if cls == "" {
			continue
		}
		if d.Kind == KindEdge {
			c.Edges[d.ID] = cls
		} else {
			c.Nodes[d.ID] = cls
		}
	}
	return c
}

// RankDeltas returns the changes of nodes and edges together, most
// significant first, at most limit of them.
func RankDeltas(r CompareResult, limit int) []CompareDelta {
	all := slices.Concat(r.Nodes, r.Edges)
	slices.SortStableFunc(all, func(a, b CompareDelta) int { return cmp.Compare(b.Score, a.Score) })
	if limit > 0 && len(all) > limit {
		all = all[:limit]
	}
	return all
}

// CompareURL is the diff API address comparing v with the reference
// range compare (a preset or "FROM/TO").
func CompareURL(page *url.URL, v graph.View, token, compare string) string {
	q := url.Values{"view": {v.Encode()}, "a": {compare}}
	if token != "" {
		q.Set(ParamAccessToken, token)
	}
	u := url.URL{Scheme: page.Scheme, Host: page.Host, Path: PathDiff, RawQuery: q.Encode()}
	return u.String()
}

// compareIcon is the symbol of a change, so changes read without colour.
func compareIcon(change string) string {
	switch change {
	case ChangeAdded:
		return "+"
	case ChangeRemoved:
		return "−"
	case ChangeRegressed:
		return "▲"
	case ChangeImproved:
		return "▼"
	default:
		return "↕"
	}
}

// CompareLegend lists the changes the map marks, with their labels.
func CompareLegend() [][2]string {
	return [][2]string{
		{ChangeAdded, "added (only in the newer range)"},
		{ChangeRemoved, "removed (only in the reference range)"},
		{ChangeRegressed, "worse errors or latency"},
		{ChangeImproved, "better errors or latency"},
		{ChangeTraffic, "traffic changed"},
	}
}

// deltaLabel names a change's element with the names of the graph.
func deltaLabel(d CompareDelta, names map[string]string) string {
	name := func(id string) string {
		if n := names[id]; n != "" {
			return n
		}
		return id
	}
	if d.Kind == KindEdge {
		from, to := d.From, d.To
		if from == "" && to == "" {
			from, to, _ = graph.EdgeEnds(d.ID)
		}
		return name(from) + " → " + name(to)
	}
	return name(d.ID)
}

// deltaSummary says what changed when the server gave no reasons.
func deltaSummary(d CompareDelta) string {
	if len(d.Reasons) > 0 {
		return strings.Join(d.Reasons, "; ")
	}
	switch {
	case d.Change == ChangeAdded && d.B != nil:
		return "new, " + FormatRate(d.B.Rate)
	case d.Change == ChangeRemoved && d.A != nil:
		return "gone, was " + FormatRate(d.A.Rate)
	case d.A != nil && d.B != nil:
		return FormatRate(d.A.Rate) + " → " + FormatRate(d.B.Rate) + ", p99 " +
			FormatMillis(d.A.P99Ms) + " → " + FormatMillis(d.B.P99Ms)
	}
	return d.Change
}

// formatSpan writes a comparison range: "10:00 – 10:05 UTC".
func formatSpan(s CompareSpan) string {
	if s.From == 0 && s.To == 0 {
		return "?"
	}
	return FormatRange(graph.View{From: time.UnixMilli(s.From), To: time.UnixMilli(s.To)})
}

// compareState is the map page's comparison: the diff API's answer for
// the View and reference range in the URL, kept current while live.
type compareState struct {
	apiPoll[CompareResult]
}

// compareKey identifies a comparison.
func compareKey(v graph.View, compare string) string { return v.Encode() + "|" + compare }

// customInputLayout is the format of datetime-local inputs, read as UTC.
const customInputLayout = "2006-01-02T15:04"

// parseCustomInput reads a datetime-local value as UTC.
func parseCustomInput(s string) (time.Time, bool) {
	for _, layout := range []string{customInputLayout, "2006-01-02T15:04:05", time.RFC3339} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// comparePanel sets up compare mode and lists what changed: the reference
// range (a preset or a custom range), a legend of the map's marks and the
// changes, most significant first; clicking one focuses the map on it.
type comparePanel struct {
	app.Compo

	// Params is the page's history state; Params.Compare is the
	// reference range.
	Params HistoryParams
	// View is the View compared; Now the page clock.
	View graph.View
	Now  time.Time
	// Result is the latest comparison, valid when Have is set.
	Result CompareResult
	Have   bool
	// Loading is set while the comparison of the current View loads.
	Loading bool
	// Err says why the comparison failed.
	Err string
	// Selected is the selected element.
	Selected Selection

	// custom shows the custom range inputs; from and to are their text.
	custom   bool
	from, to string
	inputErr string
}

// newComparePanel returns a panel comparing with the previous window.
func newComparePanel() *comparePanel {
	return &comparePanel{View: graph.DefaultView(), Params: HistoryParams{Compare: ComparePrevious}}
}

func (c *comparePanel) post(ctx app.Context, compare string) {
	p := c.Params
	p.Compare = compare
	ctx.NewActionWithValue(actionHistory, historyNav{View: c.View, Params: p})
}

func (c *comparePanel) onPreset(ctx app.Context, e app.Event) { c.choose(ctx, value(ctx)) }

// choose applies a preset, or opens the custom range inputs for "custom".
func (c *comparePanel) choose(ctx app.Context, v string) {
	if v == "custom" {
		c.custom = true
		c.fillCustom()
		return
	}
	c.custom = false
	c.post(ctx, v)
}

// fillCustom puts the current reference range (or the window before the
// View's range) into the custom inputs.
func (c *comparePanel) fillCustom() {
	from, to, ok := parseCompareRange(c.Params.Compare)
	if !ok {
		end := c.Now
		if c.View.Fixed() {
			end = c.View.To
		}
		to = end.Add(-viewSpan(c.View))
		from = to.Add(-viewSpan(c.View))
	}
	c.from, c.to = from.UTC().Format(customInputLayout), to.UTC().Format(customInputLayout)
}

func (c *comparePanel) onFrom(ctx app.Context, e app.Event) { c.from = value(ctx) }
func (c *comparePanel) onTo(ctx app.Context, e app.Event)   { c.to = value(ctx) }

func (c *comparePanel) onApply(ctx app.Context, e app.Event) { c.apply(ctx) }

// apply compares with the custom range entered, or says what is wrong
// with it.
func (c *comparePanel) apply(ctx app.Context) {
	if r, msg := c.customRange(); msg != "" {
		c.inputErr = msg
	} else {
		c.inputErr = ""
		c.post(ctx, r)
	}
}

// customRange checks the custom inputs and returns the range parameter or
// what is wrong with them.
func (c *comparePanel) customRange() (string, string) {
	from, ok1 := parseCustomInput(c.from)
	to, ok2 := parseCustomInput(c.to)
	switch {
	case !ok1 || !ok2:
		return "", "enter both times as YYYY-MM-DDTHH:MM (UTC)"
	case !from.Before(to):
		return "", "the end must be after the start"
	}
	return CompareRange(from, to), ""
}

func (c *comparePanel) onClick(ctx app.Context, e app.Event) {
	ds := ctx.JSSrc().Get("dataset")
	kind, id := ds.Get("kind"), ds.Get("id")
	if kind.Truthy() && id.Truthy() {
		ctx.NewActionWithValue(actionFocus, Selection{Kind: kind.String(), ID: id.String()})
	}
}

// Render draws the panel.
func (c *comparePanel) Render() app.UI {
	_, _, isCustom := parseCompareRange(c.Params.Compare)
	custom := c.custom || isCustom
	var opts []app.UI
	for _, p := range ComparePresets() {
		opts = append(opts, app.Option().Value(p[0]).Selected(!custom && c.Params.Compare == p[0]).Text(p[1]))
	}
	opts = append(opts, app.Option().Value("custom").Selected(custom).Text("custom range…"))
	body := []app.UI{
		app.H2().Class("panel-title").Text("compare"),
		field("compare-preset", "compare with", app.Select().ID("compare-preset").OnChange(c.onPreset).Body(opts...)),
	}
	if custom {
		body = append(body, c.renderCustom(isCustom))
	}
	body = append(body, c.renderSummary(), renderCompareLegend(), c.renderList())
	return app.Section().Class("panel compare").Aria("label", "compare").Body(body...)
}

func (c *comparePanel) renderCustom(isCustom bool) app.UI {
	from, to := c.from, c.to
	if from == "" && to == "" {
		if f, t, ok := parseCompareRange(c.Params.Compare); ok && isCustom {
			from, to = f.Format(customInputLayout), t.Format(customInputLayout)
		}
	}
	return app.Div().Class("compare-custom").Body(
		field("compare-from", "from (UTC)", app.Input().ID("compare-from").Type("datetime-local").
			Value(from).OnChange(c.onFrom).OnInput(c.onFrom)),
		field("compare-to", "to (UTC)", app.Input().ID("compare-to").Type("datetime-local").
			Value(to).OnChange(c.onTo).OnInput(c.onTo)),
		app.Button().ID("compare-apply").Class("button small").OnClick(c.onApply).Text("compare"),
		app.If(c.inputErr != "", func() app.UI { return app.P().Class("err").Role("alert").Text(c.inputErr) }),
	)
}

func (c *comparePanel) renderSummary() app.UI {
	switch {
	case c.Err != "":
		return app.P().Class("err").Role("alert").Text("Comparison failed: " + c.Err)
	case !c.Have:
		return app.P().Class("muted").Role("status").Text("comparing…")
	}
	cls := "compare-ranges muted"
	if c.Loading {
		cls += " loading"
	}
	return app.P().Class(cls).Body(
		app.Span().Text("reference "+formatSpan(c.Result.A)), app.Br(),
		app.Span().Text("compared "+formatSpan(c.Result.B)),
	)
}

// renderCompareLegend explains the compare marks with their line sample
// and symbol, so no change is told by colour alone.
func renderCompareLegend() app.UI {
	var rows []app.UI
	for _, l := range CompareLegend() {
		rows = append(rows, app.Li().Class("cmp-legend-row", CompareClass(l[0])).Body(
			app.Raw(`<svg class="cmp-sample" width="34" height="10" aria-hidden="true"><line x1="2" y1="5" x2="32" y2="5"/></svg>`),
			app.Span().Class("cmp-icon").Text(compareIcon(l[0])),
			app.Span().Text(l[1]),
		))
	}
	return app.Ul().Class("plain-list cmp-legend").Aria("label", "compare legend").Body(rows...)
}

func (c *comparePanel) renderList() app.UI {
	if !c.Have {
		return app.Div()
	}
	deltas := RankDeltas(c.Result, compareListLimit)
	if len(deltas) == 0 {
		return app.P().Class("muted compare-empty").Text("Nothing changed beyond the thresholds between the two ranges.")
	}
	names := map[string]string{}
	for _, n := range c.Result.Graph.Nodes {
		names[n.ID] = nodeLabel(n)
	}
	items := make([]app.UI, 0, len(deltas))
	for _, d := range deltas {
		cls := "delta clickable " + CompareClass(d.Change)
		if c.Selected.Kind == d.Kind && c.Selected.ID == d.ID {
			cls += " selected"
		}
		label, summary := deltaLabel(d, names), deltaSummary(d)
		items = append(items, app.Li().Class(cls).
			DataSet("kind", d.Kind).DataSet("id", d.ID).DataSet("change", d.Change).
			TabIndex(0).Aria("label", label+", "+d.Change+": "+summary).
			OnClick(c.onClick).OnKeyDown(onEnter(c.onClick)).
			Body(
				app.Span().Class("cmp-icon").Title(d.Change).Text(compareIcon(d.Change)),
				app.Span().Class("delta-label").Title(label).Text(label),
				app.Span().Class("delta-change").Text(d.Change),
				app.Span().Class("delta-reasons muted").Text(summary),
			))
	}
	total := len(c.Result.Nodes) + len(c.Result.Edges)
	head := app.H3().Text(formatCount(total, "change", "changes"))
	return app.Div().Class("deltas").Body(head, app.Ol().Class("plain-list delta-list").Body(items...))
}

// formatCount writes "1 change", "3 changes".
func formatCount(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return formatUint(uint64(max(n, 0))) + " " + many
}
