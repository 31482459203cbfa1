package app

import (
	"github.com/maxence-charriere/go-app/v10/pkg/app"
	"github.com/spanmap/spanmap/graph"
)

// Search box settings.
const (
	// searchInputID is the search input's element ID, focused by "/".
	searchInputID = "spanmap-search"
	// searchLimit is how many matches the box lists.
	searchLimit = 8
)

// searchBox finds services by name. Up and down move through the matches,
// Enter jumps to the highlighted one (centres and selects it), Shift+Enter
// focuses the map on it, Escape closes the list.
type searchBox struct {
	app.Compo

	// Nodes are the searchable nodes.
	Nodes []graph.Node

	query  string
	cursor int
	open   bool
}

// newSearchBox returns an empty search box.
func newSearchBox() *searchBox { return &searchBox{cursor: -1} }

// results are the matches of the current query.
func (s *searchBox) results() []graph.Node {
	return SearchNodes(s.Nodes, s.query, searchLimit)
}

func (s *searchBox) onInput(ctx app.Context, e app.Event) {
	s.query = ctx.JSSrc().Get("value").String()
	s.cursor = -1
	if len(s.results()) > 0 {
		s.cursor = 0
	}
	s.open = true
}

func (s *searchBox) onFocus(ctx app.Context, e app.Event) { s.open = true }
func (s *searchBox) onBlur(ctx app.Context, e app.Event)  { s.open = false }

func (s *searchBox) onKeyDown(ctx app.Context, e app.Event) {
	s.key(ctx, e.Get("key").String(), e.Get("shiftKey").Bool())
}

// key handles one key press in the box.
func (s *searchBox) key(ctx app.Context, key string, shift bool) {
	res := s.results()
	switch key {
	case "ArrowDown", "Down":
		s.cursor, s.open = MoveIndex(s.cursor, 1, len(res)), true
	case "ArrowUp", "Up":
		s.cursor, s.open = MoveIndex(s.cursor, -1, len(res)), true
	case "Enter":
		i := s.cursor
		if i < 0 || i >= len(res) {
			i = 0
		}
		if len(res) > 0 {
			s.choose(ctx, res[i].ID, shift)
		}
	case "Escape", "Esc":
		s.open = false
		ctx.JSSrc().Call("blur")
	}
}

// onPick chooses a match with the mouse; mousedown fires before the
// input's blur closes the list.
func (s *searchBox) onPick(ctx app.Context, e app.Event) {
	if id := ctx.JSSrc().Get("dataset").Get("nodeId"); id.Truthy() {
		s.choose(ctx, id.String(), e.Get("shiftKey").Bool())
	}
}

// choose jumps to node id, or focuses the view on it.
func (s *searchBox) choose(ctx app.Context, id string, focusView bool) {
	if focusView {
		ctx.NewActionWithValue(actionFocusView, id)
	} else {
		ctx.NewActionWithValue(actionFocus, Selection{Kind: KindNode, ID: id})
	}
	s.query, s.cursor, s.open = "", -1, false
	// go-app drops an empty value attribute instead of setting it, which
	// leaves the typed text in the input: clear it directly.
	if in := app.Window().GetElementByID(searchInputID); in.Truthy() {
		in.Set("value", "")
		in.Call("blur")
	}
}

// Render draws the input and, while open, the matches.
func (s *searchBox) Render() app.UI {
	res := s.results()
	showList := s.open && s.query != ""
	input := app.Input().
		ID(searchInputID).
		Class("search-input").
		Type("search").
		Placeholder("search services  /").
		AutoComplete(false).
		Value(s.query).
		Aria("label", "search services").
		Aria("expanded", showList).
		Aria("controls", "spanmap-search-results").
		Role("combobox").
		OnInput(s.onInput).
		OnKeyDown(s.onKeyDown).
		OnFocus(s.onFocus).
		OnBlur(s.onBlur)
	if !showList {
		return app.Div().Class("search").Body(input)
	}
	if len(res) == 0 {
		return app.Div().Class("search").Body(input,
			app.Div().Class("search-results empty").Text("no service matches"))
	}
	items := make([]app.UI, 0, len(res))
	for i, n := range res {
		cls := "search-result"
		if i == s.cursor {
			cls += " active"
		}
		meta := string(n.Kind)
		if n.Namespace != "" {
			meta += " · " + n.Namespace
		}
		items = append(items, app.Li().Class(cls).
			Role("option").Aria("selected", i == s.cursor).
			DataSet("node-id", n.ID).
			OnMouseDown(s.onPick).
			Body(
				app.Span().Class("search-name").Text(nodeLabel(n)),
				app.Span().Class("muted").Text(meta),
			))
	}
	items = append(items, app.Li().Class("search-hint muted").Role("presentation").
		Text("↑↓ choose · Enter jump · Shift+Enter focus"))
	return app.Div().Class("search").Body(input,
		app.Ul().ID("spanmap-search-results").Class("search-results").Role("listbox").Body(items...),
	)
}
