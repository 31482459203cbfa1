package app

import (
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
	"github.com/spanmap/spanmap/graph"
)

func sampleEvents() graph.EventList {
	return graph.EventList{Truncated: true, Events: []graph.Event{
		{Time: t0.Add(-time.Minute).UnixMilli(), Kind: graph.EventHealthChanged, Element: graph.ElementNode, ID: "checkout",
			From: "ok", To: "failing", Detail: "error rate 20% over 1m"},
		{Time: t0.Add(-3 * time.Minute).UnixMilli(), Kind: graph.EventEdgeAdded, Element: graph.ElementEdge, ID: "frontend->checkout"},
		{Time: t0.Add(-9 * time.Minute).UnixMilli(), Kind: graph.EventEdgeRemoved, Element: graph.ElementEdge, ID: "checkout->database:pg"},
	}}
}

func TestChangesPanel_Render_events(t *testing.T) {
	c := newChangesPanel()
	if html := app.HTMLString(c); !strings.Contains(html, "loading changes…") {
		t.Error("loading text missing")
	}
	c.List, c.Have = sampleEvents(), true
	var idx nodeIndex
	idx.update(sampleSnapshot().Nodes)
	c.Names = idx.names
	c.From, c.To = t0.Add(-time.Hour), t0
	c.Selected = Selection{Kind: KindEdge, ID: "frontend->checkout"}
	html := app.HTMLString(c)
	iHealth := strings.Index(html, `data-id="checkout"`)
	iAdded := strings.Index(html, `data-id="frontend->checkout"`)
	iGone := strings.Index(html, `data-id="checkout->database:pg"`)
	if iHealth < 0 || iAdded < iHealth || iGone < iAdded {
		t.Errorf("events not newest first: %d %d %d", iHealth, iAdded, iGone)
	}
	if a := tagAttrs(html, "data-id", "frontend->checkout"); !hasClass(a, "event", "event-edge_added", "selected") || a["data-kind"] != KindEdge {
		t.Errorf("added edge event %v", a)
	}
	if a := tagAttrs(html, "data-id", "checkout"); !hasClass(a, "event-health_changed", "health-failing") || a["data-kind"] != KindNode {
		t.Errorf("health event %v", a)
	}
	for _, w := range []string{
		"11:59:30", "11:57:30", "11:51:30", "healthy → failing", "error rate 20% over 1m", "new edge", "edge gone",
		"frontend → checkout", "checkout → pg", ">+</span>", ">−</span>", "Older changes left out", "Nov 24 11:00 – Nov 24 12:00 UTC",
	} {
		if !strings.Contains(html, w) {
			t.Errorf("missing %q", w)
		}
	}
	c.List = graph.EventList{}
	if html := app.HTMLString(c); !strings.Contains(html, "No edge appeared or vanished") {
		t.Error("empty text missing")
	}
	c.Have, c.Err = false, "load /api/v1/events: 503 Service Unavailable"
	if html := app.HTMLString(c); !strings.Contains(html, "Changes unavailable: load /api/v1/events: 503") {
		t.Error("error missing")
	}
}

func TestEventsURL_rangeAndView(t *testing.T) {
	page, _ := url.Parse("http://h:7700/?focus=cart")
	v := fixedView(t0.Add(-2*time.Hour), t0.Add(-time.Hour))
	v.Focus, v.Up, v.Down = "cart", 2, 1
	from, to := EventsRange(v, 6*time.Hour, t0)
	if !to.Equal(v.To) || !from.Equal(v.To.Add(-6*time.Hour)) {
		t.Fatalf("EventsRange = %v %v", from, to)
	}
	u, _ := url.Parse(EventsURL(page, v, "", from, to, 50))
	q := u.Query()
	if u.Path != PathEvents || q.Get("to") != "2026-11-24T11:00:30Z" || q.Get("from") != "2026-11-24T05:00:30Z" ||
		q.Get("limit") != "50" || q.Get("view") != "focus=cart&up=2&window=1h" {
		t.Errorf("EventsURL = %s", u)
	}
	u, _ = url.Parse(EventsURL(page, graph.DefaultView(), "t", t0.Add(-time.Hour), time.Time{}, 10))
	if q := u.Query(); q.Has("to") || q.Get(ParamAccessToken) != "t" || q.Get("view") != "" {
		t.Errorf("live EventsURL = %s", u)
	}
	if eventsKey(v, time.Hour) == eventsKey(LiveView(v), time.Hour) {
		t.Error("a fixed range and the live window share a key")
	}
}

func TestAPIPoll_dueAndRefresh(t *testing.T) {
	var p apiPoll[graph.EventList]
	if !p.due("a", 0, t0) {
		t.Fatal("first question not due")
	}
	p.key, p.at, p.inflight = "a", t0, true
	if p.due("b", 0, t0.Add(time.Hour)) {
		t.Error("a second request while one is in flight")
	}
	p.done("a", sampleEvents(), nil)
	if !p.current("a") || p.current("b") || p.due("a", 0, t0.Add(time.Hour)) {
		t.Error("answer not recorded, or a fixed question reloaded")
	}
	if p.due("a", 10*time.Second, t0.Add(5*time.Second)) || !p.due("a", 10*time.Second, t0.Add(10*time.Second)) {
		t.Error("live refresh timing")
	}
	p.inflight = true
	p.done("a", graph.EventList{}, errors.New("boom"))
	if p.err != "boom" || len(p.val.Events) != 3 {
		t.Errorf("a failed refresh must keep the last answer: %+v", p)
	}
	p.clear()
	if p.have || p.key != "" {
		t.Error("clear kept state")
	}
}
