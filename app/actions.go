package app

// Actions exchanged between the components of a page. Values travel in
// app.Action.Value.
const (
	// actionSelect selects a map element; Value is a Selection (the zero
	// Selection clears it).
	actionSelect = "spanmap/select"
	// actionFocus selects a map element and centres the map on it; Value
	// is a Selection.
	actionFocus = "spanmap/focus"
	// actionFit zooms the map to fit the drawing.
	actionFit = "spanmap/fit"
	// actionZoom zooms the map around its centre; Value is the factor.
	actionZoom = "spanmap/zoom"
	// actionView switches to another View; Value is a graph.View.
	actionView = "spanmap/view"
	// actionFocusView focuses the View on a node; Value is the node ID.
	actionFocusView = "spanmap/focus-view"
	// actionPause toggles live updates.
	actionPause = "spanmap/pause"
	// actionLabels switches the edge labels; Value is a LabelMode.
	actionLabels = "spanmap/labels"
	// actionTheme toggles the dark and light themes.
	actionTheme = "spanmap/theme"
)

// Selection names the selected map element.
type Selection struct {
	// Kind is KindNode or KindEdge, "" when nothing is selected.
	Kind string
	// ID is the node or edge ID.
	ID string
}

// IsZero reports whether nothing is selected.
func (s Selection) IsZero() bool { return s.ID == "" }
