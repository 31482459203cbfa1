package render

import (
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
	tr := TimeRange(s.From, s.To, o.Location)
	switch {
	case o.Title == "":
		return tr
	case tr == "":
		return o.Title
	}
	return o.Title + "\n" + tr
}
