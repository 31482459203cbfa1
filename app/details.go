package app

import (
	"sort"
	"strconv"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
	"github.com/spanmap/spanmap/graph"
)

// detailsPanel shows the selected node (its figures and its inbound and
// outbound edges) or the selected edge (figures, trust, exemplar traces
// linked to the backend they came from).
type detailsPanel struct {
	app.Compo

	// Snapshot is the graph shown.
	Snapshot graph.Snapshot
	// Selected is the element to describe.
	Selected Selection
	// Sources are the data sources, for trace links.
	Sources map[string]SourceLink
	// Stale are the sources whose data is stale, to say when the figures
	// shown are old.
	Stale StaleSet
	// Now is the current time in Unix milliseconds, for "last seen" ages.
	Now int64
	// SparkBase is the sparkline API URL; empty hides the sparkline.
	SparkBase string
}

// newDetailsPanel returns an empty details panel.
func newDetailsPanel() *detailsPanel { return &detailsPanel{} }

func (p *detailsPanel) onClose(ctx app.Context, e app.Event) {
	ctx.NewActionWithValue(actionSelect, Selection{})
}

func (p *detailsPanel) onSelectEdge(ctx app.Context, e app.Event) {
	if id := ctx.JSSrc().Get("dataset").Get("edgeId"); id.Truthy() {
		ctx.NewActionWithValue(actionFocus, Selection{Kind: KindEdge, ID: id.String()})
	}
}

func (p *detailsPanel) onSelectNode(ctx app.Context, e app.Event) {
	if id := ctx.JSSrc().Get("dataset").Get("nodeId"); id.Truthy() {
		ctx.NewActionWithValue(actionFocus, Selection{Kind: KindNode, ID: id.String()})
	}
}

func (p *detailsPanel) onFocusView(ctx app.Context, e app.Event) {
	if id := ctx.JSSrc().Get("dataset").Get("nodeId"); id.Truthy() {
		ctx.NewActionWithValue(actionFocusView, id.String())
	}
}

// Render draws the panel, or an empty element when nothing is selected.
func (p *detailsPanel) Render() app.UI {
	names := map[string]string{}
	for _, n := range p.Snapshot.Nodes {
		names[n.ID] = nodeLabel(n)
	}
	switch p.Selected.Kind {
	case KindNode:
		for _, n := range p.Snapshot.Nodes {
			if n.ID == p.Selected.ID {
				return p.renderNode(n, names)
			}
		}
	case KindEdge:
		for _, e := range p.Snapshot.Edges {
			if e.ID == p.Selected.ID {
				return p.renderEdge(e, names)
			}
		}
	}
	if !p.Selected.IsZero() {
		return app.Section().Class("panel details").Body(
			p.header("not in this view", ""),
			app.P().Class("muted").Text(p.Selected.ID+" is not part of the current view any more."),
		)
	}
	return app.Section().Class("panel details empty").Body(
		app.P().Class("muted").Text("Click a service or an edge to see its figures."),
	)
}

func (p *detailsPanel) header(title, health string) app.UI {
	return app.Div().Class("panel-header").Body(
		app.H2().Class("panel-title", health).Text(title),
		app.Button().Class("icon-button close").Title("close (Esc)").Aria("label", "close details").
			OnClick(p.onClose).Text("×"),
	)
}

func (p *detailsPanel) renderNode(n graph.Node, names map[string]string) app.UI {
	st := HealthStyleOf(n.Health)
	var in, out []graph.Edge
	for _, e := range p.Snapshot.Edges {
		if e.To == n.ID {
			in = append(in, e)
		}
		if e.From == n.ID {
			out = append(out, e)
		}
	}
	meta := string(n.Kind)
	if n.Namespace != "" {
		meta += " · namespace " + n.Namespace
	}
	body := []app.UI{
		p.header(nodeLabel(n), st.Class),
		app.P().Class("muted").Body(
			app.Span().Class("health-badge", st.Class).Text(st.Label+" "+st.Symbol),
			app.Text(" "+meta),
		),
		statsTable(n.Stats),
		p.sparkline(SparklineURL(p.SparkBase, KindNode, n.ID, "", "")),
		app.Div().Class("panel-actions").Body(
			app.Button().Class("button").DataSet("node-id", n.ID).OnClick(p.onFocusView).
				Title("show only this service and its neighbours").Text("focus the map here"),
		),
		p.edgeList("inbound", in, names, true),
		p.edgeList("outbound", out, names, false),
	}
	if len(n.Operations) > 0 {
		var ops []app.UI
		for _, op := range n.Operations {
			ops = append(ops, app.Li().Text(op))
		}
		body = append(body, app.H3().Text("operations ("+strconv.Itoa(len(n.Operations))+")"), app.Ul().Class("plain-list ops").Body(ops...))
	}
	body = append(body, p.trust(NodeTrust(in, out)), sourcesLine(n.Sources), p.staleLine(n.Sources))
	return app.Section().Class("panel details").Body(body...)
}

// NodeTrust is the trust of a node's figures: that of the calls of its
// inbound and outbound edges, summed, with their latest call and the
// lowest sampling rate they carried.
func NodeTrust(in, out []graph.Edge) graph.Trust {
	var t graph.Trust
	for _, es := range [][]graph.Edge{in, out} {
		for _, e := range es {
			t.Paired += e.Trust.Paired
			t.Unpaired += e.Trust.Unpaired
			t.Dropped += e.Trust.Dropped
			t.LastSeen = max(t.LastSeen, e.Trust.LastSeen)
			if r := e.Trust.SamplingRate; r > 0 && (t.SamplingRate == 0 || r < t.SamplingRate) {
				t.SamplingRate = r
			}
		}
	}
	return t
}

// edgeList is a table of a node's inbound or outbound edges, busiest first.
func (p *detailsPanel) edgeList(title string, edges []graph.Edge, names map[string]string, inbound bool) app.UI {
	if len(edges) == 0 {
		return app.Div().Body(app.H3().Text(title), app.P().Class("muted").Text("none in this view"))
	}
	sort.SliceStable(edges, func(i, j int) bool { return edges[i].Rate > edges[j].Rate })
	rows := []app.UI{app.Tr().Body(
		app.Th().Text(map[bool]string{true: "from", false: "to"}[inbound]),
		app.Th().Class("num").Text("calls/s"), app.Th().Class("num").Text("errors"),
		app.Th().Class("num").Text("p50"), app.Th().Class("num").Text("p90"), app.Th().Class("num").Text("p99"),
	)}
	for _, e := range edges {
		peer := e.To
		if inbound {
			peer = e.From
		}
		name := names[peer]
		if name == "" {
			name = peer
		}
		if e.Operation != "" {
			name += " · " + e.Operation
		}
		rows = append(rows, app.Tr().Class("clickable", HealthStyleOf(e.Health).Class).
			DataSet("edge-id", e.ID).OnClick(p.onSelectEdge).Body(
			app.Td().Text(name),
			app.Td().Class("num").Text(FormatRate(e.Rate)),
			app.Td().Class("num err").Text(FormatPercent(e.ErrorRate)),
			app.Td().Class("num").Text(FormatMillis(e.Latency.P50)),
			app.Td().Class("num").Text(FormatMillis(e.Latency.P90)),
			app.Td().Class("num").Text(FormatMillis(e.Latency.P99)),
		))
	}
	return app.Div().Body(
		app.H3().Text(title+" ("+strconv.Itoa(len(edges))+")"),
		app.Table().Class("edge-table").Body(app.TBody().Body(rows...)),
	)
}

func (p *detailsPanel) renderEdge(e graph.Edge, names map[string]string) app.UI {
	st := HealthStyleOf(e.Health)
	from, to := names[e.From], names[e.To]
	if from == "" {
		from = e.From
	}
	if to == "" {
		to = e.To
	}
	title := from + " → " + to
	body := []app.UI{
		p.header(title, st.Class),
		app.P().Class("muted").Body(
			app.Span().Class("health-badge", st.Class).Text(st.Label+" "+st.Symbol),
			app.Text(" "+string(e.Kind)+" call"),
			app.If(e.Operation != "", func() app.UI { return app.Text(" · " + e.Operation) }),
		),
		app.Div().Class("panel-actions").Body(
			app.Button().Class("button").DataSet("node-id", e.From).OnClick(p.onSelectNode).Text("caller"),
			app.Button().Class("button").DataSet("node-id", e.To).OnClick(p.onSelectNode).Text("callee"),
		),
		statsTable(e.Stats),
		p.sparkline(SparklineURL(p.SparkBase, KindEdge, "", e.From, e.To)),
		latencySides(e.Stats),
		p.trust(e.Trust),
		p.exemplars(e.Exemplars),
		sourcesLine(e.Sources),
		p.staleLine(e.Sources),
	}
	return app.Section().Class("panel details").Body(body...)
}

// statsTable shows traffic, errors and latency quantiles.
func statsTable(s graph.Stats) app.UI {
	return app.Dl().Class("stats").Body(
		app.Dt().Text("calls/s"), app.Dd().Text(FormatRate(s.Rate)),
		app.Dt().Text("calls"), app.Dd().Text(strconv.FormatInt(s.Calls, 10)),
		app.Dt().Text("errors"), app.Dd().Class("err").Text(FormatPercent(s.ErrorRate)+" ("+strconv.FormatInt(s.Errors, 10)+")"),
		app.Dt().Text("p50"), app.Dd().Text(FormatMillis(s.Latency.P50)),
		app.Dt().Text("p90"), app.Dd().Text(FormatMillis(s.Latency.P90)),
		app.Dt().Text("p99"), app.Dd().Text(FormatMillis(s.Latency.P99)),
	)
}

// latencySides shows client, server and queue latencies when known.
func latencySides(s graph.Stats) app.UI {
	var rows []app.UI
	add := func(name string, l *graph.Latency) {
		if l == nil || l.IsZero() {
			return
		}
		rows = append(rows, app.Tr().Body(
			app.Td().Text(name),
			app.Td().Class("num").Text(FormatMillis(l.P50)),
			app.Td().Class("num").Text(FormatMillis(l.P90)),
			app.Td().Class("num").Text(FormatMillis(l.P99)),
		))
	}
	add("caller waited", s.ClientLatency)
	add("callee took", s.ServerLatency)
	add("queue lag", s.QueueLag)
	if len(rows) == 0 {
		return app.Div()
	}
	head := app.Tr().Body(app.Th(), app.Th().Class("num").Text("p50"), app.Th().Class("num").Text("p90"), app.Th().Class("num").Text("p99"))
	return app.Table().Class("edge-table").Body(app.TBody().Body(append([]app.UI{head}, rows...)...))
}

// trust shows how far the edge's figures can be relied upon.
func (p *detailsPanel) trust(t graph.Trust) app.UI {
	total := t.Paired + t.Unpaired
	paired := "–"
	if total > 0 {
		paired = FormatPercent(float64(t.Paired)/float64(total)) + " of " + strconv.FormatInt(total, 10)
	}
	seen := "never"
	if t.LastSeen > 0 && p.Now > 0 {
		seen = FormatAge(float64(p.Now-t.LastSeen) / 1000)
	}
	sampling := "unknown"
	if t.SamplingRate > 0 {
		sampling = FormatPercent(t.SamplingRate) + " of traces kept"
	}
	return app.Div().Body(
		app.H3().Text("trust"),
		app.Dl().Class("stats").Body(
			app.Dt().Text("seen from both sides"), app.Dd().Text(paired),
			app.Dt().Text("dropped spans"), app.Dd().Text(strconv.FormatInt(t.Dropped, 10)),
			app.Dt().Text("sampling"), app.Dd().Text(sampling),
			app.Dt().Text("last call"), app.Dd().Text(seen),
		),
	)
}

// exemplars lists example traces, linked to their backend when it has a
// trace UI.
func (p *detailsPanel) exemplars(xs []graph.Exemplar) app.UI {
	if len(xs) == 0 {
		return app.Div().Body(app.H3().Text("example traces"), app.P().Class("muted").Text("none kept for this edge"))
	}
	var items []app.UI
	for _, x := range xs {
		label := x.Role + " · " + FormatMillis(x.DurationMs)
		if x.Time > 0 {
			label += " · " + time.UnixMilli(x.Time).UTC().Format("15:04:05")
		}
		var link app.UI = app.Code().Class("trace-id").Text(x.TraceID)
		if u := ExemplarURL(x, p.Sources); u != "" {
			link = app.A().Href(u).Target("_blank").Rel("noopener noreferrer").Class("trace-link").
				Title("open in "+x.Source).Body(app.Code().Text(shortID(x.TraceID)), app.Text(" ↗"))
		}
		items = append(items, app.Li().Class("exemplar", "role-"+x.Role).Body(
			app.Span().Class("exemplar-label").Text(label), link,
		))
	}
	return app.Div().Body(app.H3().Text("example traces"), app.Ul().Class("plain-list").Body(items...))
}

// sourcesLine names the sources that saw an element.
func sourcesLine(srcs []string) app.UI {
	if len(srcs) == 0 {
		return app.Div()
	}
	s := ""
	for i, x := range srcs {
		if i > 0 {
			s += ", "
		}
		s += x
	}
	return app.P().Class("muted sources").Text("seen by " + s)
}

// staleLine says why the figures of an element seen by srcs are old, when
// every one of its sources is stale.
func (p *detailsPanel) staleLine(srcs []string) app.UI {
	why := p.Stale.Reason(srcs)
	if why == "" {
		return app.Div()
	}
	return app.P().Class("stale-note").Role("note").Text(why)
}

// shortID shortens a long trace ID for display.
func shortID(id string) string {
	if len(id) > 16 {
		return id[:16] + "…"
	}
	return id
}

// sparkline is the last 30 minutes of calls and errors, or nothing when the
// page has no API address (tests).
func (p *detailsPanel) sparkline(url string) app.UI {
	if url == "" {
		return app.Text("")
	}
	c := newSparklineChart()
	c.URL = url
	return c
}
