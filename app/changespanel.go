package app

import (
	"net/url"
	"strconv"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
	"github.com/spanmap/spanmap/graph"
)

// PathEvents is the list of topology and health changes.
const PathEvents = "/api/v1/events"

// Changes panel settings.
const (
	// eventsLimit is how many changes the panel asks for.
	eventsLimit = 50
	// eventsRefresh is how often a live page reloads the changes.
	eventsRefresh = 10 * time.Second
)

// eventsState is the map page's list of changes: GET /api/v1/events over
// the time slider's span ending where the View ends.
type eventsState struct {
	apiPoll[graph.EventList]
}

// EventsRange is the time range whose changes the panel lists: the
// slider's span, ending at the end of the View's range (now when live).
func EventsRange(v graph.View, scale time.Duration, now time.Time) (from, to time.Time) {
	to = now
	if v.Fixed() {
		to = v.To
	}
	return to.Add(-scale), to
}

// EventsURL is the events API address of the changes of v's elements
// (its focus and filters) from from to to (zero: now), at most limit of
// them.
func EventsURL(page *url.URL, v graph.View, token string, from, to time.Time, limit int) string {
	q := url.Values{
		"view":  {LiveView(v).Encode()},
		"from":  {from.UTC().Format(time.RFC3339)},
		"limit": {strconv.Itoa(limit)},
	}
	if !to.IsZero() { // else up to now
		q.Set("to", to.UTC().Format(time.RFC3339))
	}
	if token != "" {
		q.Set(ParamAccessToken, token)
	}
	u := url.URL{Scheme: page.Scheme, Host: page.Host, Path: PathEvents, RawQuery: q.Encode()}
	return u.String()
}

// eventsKey identifies the question of the changes panel: the View's
// elements and, for a fixed range, where it ends.
func eventsKey(v graph.View, scale time.Duration) string {
	k := LiveView(v).Encode() + "|" + ScaleLabel(scale)
	if v.Fixed() {
		k += "|" + v.To.Format(time.RFC3339)
	}
	return k
}

// eventIcon is the symbol of an event kind.
func eventIcon(kind string) string {
	switch kind {
	case graph.EventEdgeAdded:
		return "+"
	case graph.EventEdgeRemoved:
		return "−"
	default:
		return "◐"
	}
}

// eventKindLabel names an event kind for people.
func eventKindLabel(e graph.Event) string {
	switch e.Kind {
	case graph.EventEdgeAdded:
		return "new edge"
	case graph.EventEdgeRemoved:
		return "edge gone"
	case graph.EventHealthChanged:
		return healthWord(e.From) + " → " + healthWord(e.To)
	}
	return e.Kind
}

// healthWord names a health state as the legend does.
func healthWord(h string) string { return HealthStyleOf(graph.Health(h)).Label }

// eventTitle is a one-line description of e, for tooltips.
func eventTitle(e graph.Event) string {
	s := time.UnixMilli(e.Time).UTC().Format("15:04:05") + " " + eventKindLabel(e) + ": " + eventElement(e, nil)
	if e.Detail != "" {
		s += " (" + e.Detail + ")"
	}
	return s
}

// eventElement names an event's element with the names of the graph.
func eventElement(e graph.Event, names map[string]string) string {
	name := func(id string) string {
		if n := names[id]; n != "" {
			return n
		}
		return id
	}
	if e.Element == graph.ElementEdge {
		if from, to, ok := graph.EdgeEnds(e.ID); ok {
			return name(from) + " → " + name(to)
		}
	}
	return name(e.ID)
}

// changesPanel lists recent topology and health changes, newest first;
// clicking one selects its element on the map.
type changesPanel struct {
	app.Compo

	// List is the latest answer, valid when Have is set.
	List graph.EventList
	Have bool
	// Err says why the changes could not be loaded.
	Err string
	// From and To are the range listed.
	From, To time.Time
	// Names are the labels of the nodes by ID (nodeIndex.names).
	Names map[string]string
	// Selected is the selected element.
	Selected Selection
}

// newChangesPanel returns an empty changes panel.
func newChangesPanel() *changesPanel { return &changesPanel{} }

func (c *changesPanel) onClick(ctx app.Context, e app.Event) {
	ds := ctx.JSSrc().Get("dataset")
	kind, id := ds.Get("kind"), ds.Get("id")
	if kind.Truthy() && id.Truthy() {
		ctx.NewActionWithValue(actionFocus, Selection{Kind: kind.String(), ID: id.String()})
	}
}

// Render draws the list.
func (c *changesPanel) Render() app.UI {
	head := app.H2().Class("panel-title").Text("changes")
	span := ""
	if !c.From.IsZero() {
		span = c.From.UTC().Format("Jan 2 15:04") + " – " + c.To.UTC().Format("Jan 2 15:04") + " UTC"
	}
	sub := app.P().Class("muted changes-range").Text(span)
	switch {
	case c.Err != "" && !c.Have:
		return app.Section().Class("panel changes").Body(head, sub,
			app.P().Class("err").Role("alert").Text("Changes unavailable: "+c.Err))
	case !c.Have:
		return app.Section().Class("panel changes").Body(head, sub, app.P().Class("muted").Role("status").Text("loading changes…"))
	case len(c.List.Events) == 0:
		return app.Section().Class("panel changes").Body(head, sub,
			app.P().Class("muted changes-empty").Text("No edge appeared or vanished and no health changed in this span."))
	}
	names := c.Names
	items := make([]app.UI, 0, len(c.List.Events))
	for _, e := range c.List.Events {
		kind := KindNode
		if e.Element == graph.ElementEdge {
			kind = KindEdge
		}
		cls := "event clickable event-" + e.Kind
		if e.Kind == graph.EventHealthChanged {
			cls += " " + HealthStyleOf(graph.Health(e.To)).Class
		}
		if c.Selected.Kind == kind && c.Selected.ID == e.ID {
			cls += " selected"
		}
		at := time.UnixMilli(e.Time).UTC()
		el := eventElement(e, names)
		items = append(items, app.Li().Class(cls).
			DataSet("kind", kind).DataSet("id", e.ID).
			TabIndex(0).Aria("label", at.Format("15:04:05")+" "+eventKindLabel(e)+": "+el).
			OnClick(c.onClick).OnKeyDown(onEnter(c.onClick)).
			Body(
				app.Time().Class("event-time num muted").DateTime(at.Format(time.RFC3339)).
					Title(at.Format("2006-01-02 15:04:05 UTC")).Text(at.Format("15:04:05")),
				app.Span().Class("event-icon").Title(e.Kind).Text(eventIcon(e.Kind)),
				app.Span().Class("event-element").Title(el).Text(el),
				app.Span().Class("event-kind").Text(eventKindLabel(e)),
				app.If(e.Detail != "", func() app.UI { return app.Span().Class("event-detail muted").Text(e.Detail) }),
			))
	}
	more := app.P()
	if c.List.Truncated {
		more = app.P().Class("muted").Text("Older changes left out; narrow the span to see them.")
	}
	if c.Err != "" {
		more = app.P().Class("err").Role("alert").Text("Refresh failed: " + c.Err)
	}
	return app.Section().Class("panel changes").Body(head, sub, app.Ol().Class("plain-list event-list").Body(items...), more)
}
