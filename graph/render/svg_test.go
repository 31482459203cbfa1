package render

import (
	"bytes"
	"context"
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/spanmap/spanmap/graph"
	"github.com/spanmap/spanmap/graph/layout"
	"github.com/spanmap/spanmap/internal/svgtest"
)

// shape returns the first drawn child of e (the outline of a node, the
// line of an edge).
func shape(e *svgtest.Elem) *svgtest.Elem {
	for i := range e.Children {
		switch e.Children[i].XMLName.Local {
		case "path", "polygon", "ellipse", "polyline":
			return &e.Children[i]
		}
	}
	return nil
}

// parseSVG parses doc and indexes its <g> elements by id.
func parseSVG(t *testing.T, doc []byte) (*svgtest.Elem, map[string]*svgtest.Elem) {
	t.Helper()
	return svgtest.Parse(t, doc)
}

func renderSVG(t *testing.T, s graph.Snapshot, opt Options) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := SVG(context.Background(), &b, s, opt); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestSVG_hasEveryNodeAndEdgeWithColoursAndTitles(t *testing.T) {
	l, err := layout.New(layout.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	pal := DefaultPalette()
	tests := []struct {
		name string
		s    graph.Snapshot
		opt  Options
	}{
		{"sample", sampleSnapshot(), Options{Layouter: l, Title: "shop"}},
		{"sample neato, own layouter", sampleSnapshot(), Options{Engine: layout.Neato}},
		{"adversarial", adversarialSnapshot(), Options{Layouter: l, Engine: layout.DotTB}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			doc := renderSVG(t, tc.s, tc.opt)
			_, groups := parseSVG(t, doc)
			for _, n := range tc.s.Nodes {
				g := groups[NodeElementID(n.ID)]
				if g == nil {
					t.Errorf("node %q: no <g id=%q>", n.ID, NodeElementID(n.ID))
					continue
				}
				st := pal.For(n.Health)
				if c := g.Attr("class"); !strings.Contains(c, "node") || !strings.Contains(c, "health-"+className(n.Health)) {
					t.Errorf("node %q class %q", n.ID, c)
				}
				if title := g.Child("title"); title == nil || title.Text != nodeTooltip(n) {
					t.Errorf("node %q title %+v, want %q", n.ID, title, nodeTooltip(n))
				}
				sh := shape(g)
				if sh == nil || !strings.EqualFold(sh.Attr("stroke"), st.Stroke) || !strings.EqualFold(sh.Attr("fill"), st.Fill) {
					t.Errorf("node %q shape %+v, want stroke %s fill %s", n.ID, sh, st.Stroke, st.Fill)
				} else if st.Dash != "" && sh.Attr("stroke-dasharray") == "" {
					t.Errorf("node %q (%s) is not dashed", n.ID, n.Health)
				}
			}
			for _, e := range tc.s.Edges {
				g := groups[EdgeElementID(e.ID)]
				if g == nil {
					t.Errorf("edge %q: no <g id=%q>", e.ID, EdgeElementID(e.ID))
					continue
				}
				st := pal.For(e.Health)
				if title := g.Child("title"); title == nil || title.Text != edgeTooltip(e) {
					t.Errorf("edge %q title %+v, want %q", e.ID, title, edgeTooltip(e))
				}
				sh := shape(g)
				if sh == nil || !strings.EqualFold(sh.Attr("stroke"), st.Stroke) {
					t.Errorf("edge %q line %+v, want stroke %s", e.ID, sh, st.Stroke)
					continue
				}
				w, _ := strconv.ParseFloat(sh.Attr("stroke-width"), 64)
				if want := EdgeWidth(e.Rate, st); math.Abs(w-want) > 0.01 && !(want == 1 && w == 0) {
					t.Errorf("edge %q width %v, want %v", e.ID, w, want)
				}
			}
			for _, h := range states() {
				if groups["legend-"+className(h)] == nil {
					t.Errorf("legend entry for %q missing", h)
				}
			}
		})
	}
}

func TestSVG_isSelfContained(t *testing.T) {
	s := sampleSnapshot()
	doc := renderSVG(t, s, Options{Title: "shop"})
	for _, bad := range []string{"<!DOCTYPE", "<!--", "<script", "@import", "@font-face", "href="} {
		if bytes.Contains(doc, []byte(bad)) {
			t.Errorf("SVG contains %q", bad)
		}
	}
	root, _ := parseSVG(t, doc)
	var texts []string
	root.Walk(func(n *svgtest.Elem) {
		if n.XMLName.Local == "text" {
			texts = append(texts, n.Text)
		}
	})
	all := strings.Join(texts, "\n")
	for _, want := range []string{"shop", TimeRange(s.From, s.To, nil), "failing (bold)", "5.0/s · 20.0% err"} {
		if !strings.Contains(all, want) {
			t.Errorf("no text %q in the SVG", want)
		}
	}
}

func TestSVG_keepsLaidOutPositions(t *testing.T) {
	l, err := layout.New(layout.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	s := sampleSnapshot()
	if err := l.Layout(context.Background(), &s, layout.Options{Engine: layout.Neato}); err != nil {
		t.Fatal(err)
	}
	_, groups := parseSVG(t, renderSVG(t, s, Options{Layouter: l, NoLegend: true}))
	for _, n := range s.Nodes {
		if n.Kind != graph.NodeUser {
			continue
		}
		e := groups[NodeElementID(n.ID)].Child("ellipse")
		if e == nil {
			t.Fatalf("node %q has no ellipse", n.ID)
		}
		cx, _ := strconv.ParseFloat(e.Attr("cx"), 64)
		cy, _ := strconv.ParseFloat(e.Attr("cy"), 64)
		// Graphviz draws with y growing upwards: cy = -(height - Pos.Y).
		// Positions are written to a hundredth of a point, and graphviz may
		// shift the whole drawing by that rounding.
		if math.Abs(cx-n.Pos.X) > 0.5 || math.Abs(cy-(n.Pos.Y-s.Height)) > 0.5 {
			t.Errorf("node %q drawn at %v,%v, laid out at %v (height %v)", n.ID, cx, cy, *n.Pos, s.Height)
		}
	}
	if groups["legend-ok"] != nil {
		t.Error("legend drawn with NoLegend")
	}
}

func TestFinishSVG_replacesTitles(t *testing.T) {
	in := "<?xml version=\"1.0\"?>\n<!DOCTYPE svg PUBLIC \"x\" \"y\">\n<!-- a -->\n<svg><g id=\"node&#45;a\" class=\"node\">\n<title>a</title>\n<text>x</text></g>" +
		"<g id=\"edge&#45;a\" class=\"edge\">\n<title>a&#45;&gt;b</title>\n<text x=\"1\">5/s</text></g><g id=\"other\"><title>keep</title></g></svg>"
	out, err := finishSVG([]byte(in), map[string]string{"node-a": "hover <a> & \"b\"\nline 2", "edge-a": "edge"})
	if err != nil {
		t.Fatal(err)
	}
	want := "<?xml version=\"1.0\"?>\n<svg><g id=\"node&#45;a\" class=\"node\">\n<title>hover &lt;a&gt; &amp; &#34;b&#34;&#xA;line 2</title>\n<text>x</text></g>" +
		"<g id=\"edge&#45;a\" class=\"edge\">\n<title>edge</title>\n<text stroke=\"white\" stroke-width=\"3\" stroke-linejoin=\"round\" paint-order=\"stroke\" x=\"1\">5/s</text></g><g id=\"other\"><title>keep</title></g></svg>"
	if string(out) != want {
		t.Errorf("got\n%s\nwant\n%s", out, want)
	}
}
