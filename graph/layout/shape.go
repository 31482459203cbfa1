package layout

import (
	"math"
	"unicode"

	"github.com/spanmap/spanmap/graph"
)

// Node sizing, in points. The box holds two lines of text at LabelFontSize:
// the node's name and one line of figures, so sizes depend on the name only.
const (
	// LabelFontSize is the font size, in points, that node sizes assume.
	LabelFontSize = 12.0
	// MinNodeWidth is the narrowest node.
	MinNodeWidth = 96.0
	// NodeHeight is the height of every node except users.
	NodeHeight = 44.0
	// MaxLabelRunes caps the label length that widens a node; longer names
	// are expected to be shortened by the renderer.
	MaxLabelRunes = 48
	nodePadX      = 12.0
)

// Shape returns the graphviz shape that draws nodes of kind k. Layout and
// rendering use the same shapes so that edges end on the drawn outline.
func Shape(k graph.NodeKind) string {
	switch k {
	case graph.NodeDatabase:
		return "cylinder"
	case graph.NodeMessaging:
		return "cds"
	case graph.NodeExternal:
		return "hexagon"
	case graph.NodeUser:
		return "ellipse"
	case graph.NodeGroup:
		return "folder"
	}
	return "box"
}

// Label returns the text a node is known by: its name, or its ID when the
// name is empty.
func Label(n graph.Node) string {
	if n.Name != "" {
		return n.Name
	}
	return n.ID
}

// NodeSize returns the width and height, in points, that layout gives n. It
// depends only on the node's kind and label.
func NodeSize(n graph.Node) (w, h float64) {
	text := TextWidth(Label(n), LabelFontSize)
	if limit := float64(MaxLabelRunes) * 0.6 * LabelFontSize; text > limit {
		text = limit
	}
	w = text + 2*nodePadX
	h = NodeHeight
	switch n.Kind {
	case graph.NodeUser:
		// An ellipse needs more room than a box for the same text.
		w *= 1.3
	case graph.NodeExternal, graph.NodeMessaging:
		w += 2 * nodePadX
	case graph.NodeDatabase:
		h += 12
	}
	w = math.Max(MinNodeWidth, math.Ceil(w/4)*4)
	return w, h
}

// TextWidth estimates the width, in points, of s set in a sans-serif font of
// the given size: 0.6 em per narrow character, 1 em per wide (East Asian)
// character, nothing for combining marks.
func TextWidth(s string, fontSize float64) float64 {
	em := 0.0
	for _, r := range s {
		switch {
		case unicode.Is(unicode.Mn, r) || unicode.Is(unicode.Me, r) || r == '\u200d':
		case isWide(r):
			em++
		default:
			em += 0.6
		}
	}
	return em * fontSize
}

func isWide(r rune) bool {
	return unicode.Is(unicode.Han, r) || unicode.Is(unicode.Hiragana, r) ||
		unicode.Is(unicode.Katakana, r) || unicode.Is(unicode.Hangul, r) ||
		(r >= 0x1F300 && r <= 0x1FAFF) || (r >= 0xFF00 && r <= 0xFF60)
}
