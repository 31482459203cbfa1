package render

import (
	"sort"
	"strings"
	"time"

	"github.com/spanmap/spanmap/graph"
	"github.com/spanmap/spanmap/graph/layout"
)

// Options control every output format. The zero value is usable.
type Options struct {
	// Title is printed above the drawing, with the snapshot's time range.
	Title string
	// Engine lays out snapshots that have no positions yet (SVG and PNG) and
	// picks the rank direction of DOT and Mermaid output (dot-tb draws top
	// to bottom, everything else left to right). Empty means
	// layout.DefaultEngine.
	Engine layout.Engine
	// Layouter runs graphviz for SVG and PNG. Nil starts a temporary one for
	// the call, which costs a few milliseconds more.
	Layouter *layout.Layouter
	// NoLegend leaves the legend out of SVG and PNG output.
	NoLegend bool
	// NoPositions leaves laid-out positions out of DOT output.
	NoPositions bool
	// Location is the time zone of the time range; nil means UTC.
	Location *time.Location
	// Width is the PNG width in pixels; zero means the drawing's width in
	// points times Scale.
	Width int
	// Scale is the PNG size in pixels per point when Width is zero; zero
	// means 1.
	Scale float64
	// Palette replaces DefaultPalette when set.
	Palette *Palette
	// Stale has the sources whose data is stale as its keys: the nodes
	// and edges that only they saw (graph.OnlyStaleSaw) are drawn faded
	// (class "stale", colours at 40% opacity) and the caption says so. Nil
	// marks nothing.
	Stale map[string]bool
}

// staleBy reports whether an element seen by srcs is stale: it was seen
// by at least one source and every one of them is stale.
func (o Options) staleBy(srcs []string) bool { return graph.OnlyStaleSaw(srcs, o.Stale) }

// staleNote is the caption line explaining faded elements, "" when s has
// none.
func (o Options) staleNote(s *graph.Snapshot) string {
	if len(o.Stale) == 0 {
		return ""
	}
	seen := map[string]bool{}
	mark := func(srcs []string) {
		if o.staleBy(srcs) {
			for _, name := range srcs {
				seen[name] = true
			}
		}
	}
	for i := range s.Nodes {
		mark(s.Nodes[i].Sources)
	}
	for i := range s.Edges {
		mark(s.Edges[i].Sources)
	}
	if len(seen) == 0 {
		return ""
	}
	names := make([]string, 0, len(seen))
	for name := range seen {
		names = append(names, name)
	}
	sort.Strings(names)
	return "faded: old figures, from stale sources only (" + strings.Join(names, ", ") + ")"
}

// fade returns colour c ("#rrggbb") at the opacity of stale elements;
// other forms are returned as they are.
func fade(c string) string {
	if len(c) == 7 && c[0] == '#' {
		return c + "66"
	}
	return c
}

func (o Options) palette() Palette {
	if o.Palette != nil {
		return *o.Palette
	}
	return DefaultPalette()
}

func (o Options) engine() layout.Engine {
	if o.Engine == "" {
		return layout.DefaultEngine
	}
	return o.Engine
}

// caption is the title and time range, one per line, or "".
func (o Options) caption(s *graph.Snapshot) string {
	var lines []string
	for _, l := range []string{o.Title, TimeRange(s.From, s.To, o.Location), o.staleNote(s)} {
		if l != "" {
			lines = append(lines, l)
		}
	}
	return strings.Join(lines, "\n")
}
