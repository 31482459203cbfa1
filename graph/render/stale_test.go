package render

import (
	"bytes"
	"strconv"
	"strings"
	"testing"

	"github.com/spanmap/spanmap/graph"
	"github.com/spanmap/spanmap/internal/svgtest"
)

// staleSample is the sample map seen by jaeger alone, except frontend and
// user -> frontend, which otlp saw too; and the options that make jaeger
// stale.
func staleSample() (graph.Snapshot, Options) {
	s := sampleSnapshot()
	for i := range s.Nodes {
		s.Nodes[i].Sources = []string{"jaeger"}
		if s.Nodes[i].ID == "frontend" {
			s.Nodes[i].Sources = []string{"jaeger", "otlp"}
		}
	}
	for i := range s.Edges {
		s.Edges[i].Sources = []string{"jaeger"}
		if s.Edges[i].ID == "user->frontend" {
			s.Edges[i].Sources = []string{"jaeger", "otlp"}
		}
	}
	return s, Options{NoLegend: true, Stale: map[string]bool{"jaeger": true, "zipkin": true}}
}

const staleCaption = "faded: old figures, from stale sources only (jaeger)"

// TestStale_DOT: stale elements carry the stale class and faded colours,
// the others not, and the caption says which sources went stale.
func TestStale_DOT(t *testing.T) {
	s, opt := staleSample()
	var b bytes.Buffer
	if err := DOT(&b, s, opt); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	line := func(prefix string) string {
		for _, l := range strings.Split(out, "\n") {
			if strings.HasPrefix(strings.TrimSpace(l), prefix) {
				return l
			}
		}
		t.Fatalf("no line %s in\n%s", prefix, out)
		return ""
	}
	pal := DefaultPalette()
	if l := line(`"checkout" -> "payment"`); !strings.Contains(l, `stale"`) || !strings.Contains(l, `color="`+pal.Failing.Stroke+`66"`) {
		t.Errorf("stale edge: %s", l)
	}
	if l := line(`"user" -> "frontend"`); strings.Contains(l, "stale") || !strings.Contains(l, `color="`+pal.OK.Stroke+`"`) {
		t.Errorf("edge otlp still feeds: %s", l)
	}
	if l := line(`"payment" [`); !strings.Contains(l, `stale"`) || !strings.Contains(l, `fillcolor="`+pal.Failing.Fill+`66"`) {
		t.Errorf("stale node: %s", l)
	}
	if l := line(`"frontend" [`); strings.Contains(l, "stale") {
		t.Errorf("node otlp still feeds: %s", l)
	}
	if !strings.Contains(out, staleCaption) {
		t.Errorf("caption lacks %q:\n%s", staleCaption, out)
	}
	// Without stale sources nothing is marked.
	b.Reset()
	if err := DOT(&b, s, Options{NoLegend: true}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "stale") {
		t.Errorf("marked without stale sources:\n%s", b.String())
	}
}

// TestStale_SVG: graphviz draws stale elements at 40% opacity.
func TestStale_SVG(t *testing.T) {
	s, opt := staleSample()
	root, groups := svgtest.Parse(t, renderSVG(t, s, opt))
	opacity := func(id string) float64 {
		t.Helper()
		g := groups[id]
		if g == nil {
			t.Fatalf("no group %s", id)
		}
		sh := shape(g)
		if sh == nil {
			t.Fatalf("group %s has no shape", id)
		}
		v := sh.Attr("stroke-opacity")
		if v == "" {
			return 1
		}
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	for _, id := range []string{NodeElementID("payment"), EdgeElementID("checkout->payment")} {
		if o := opacity(id); o > 0.5 || !strings.Contains(groups[id].Attr("class"), "stale") {
			t.Errorf("%s: stroke opacity %g, class %q; want faded and stale", id, o, groups[id].Attr("class"))
		}
	}
	for _, id := range []string{NodeElementID("frontend"), EdgeElementID("user->frontend")} {
		if o := opacity(id); o != 1 || strings.Contains(groups[id].Attr("class"), "stale") {
			t.Errorf("%s: stroke opacity %g, class %q; want as it was", id, o, groups[id].Attr("class"))
		}
	}
	text := ""
	root.Walk(func(e *svgtest.Elem) {
		if e.XMLName.Local == "text" {
			text += e.Text + "\n"
		}
	})
	if !strings.Contains(text, staleCaption) {
		t.Errorf("the drawing's text lacks %q:\n%s", staleCaption, text)
	}
}

// TestStale_PNG: the stale elements' colours are not painted at full
// strength: every degraded and failing element is stale, and their
// strokes are gone (the pale fills, faded, stay too close to tell).
func TestStale_PNG(t *testing.T) {
	s, opt := staleSample()
	opt.Width = 900
	pal := DefaultPalette()
	plain := renderPNG(t, s, Options{NoLegend: true, Width: 900})
	faded := renderPNG(t, s, opt)
	for _, c := range []string{pal.Failing.Stroke, pal.Degraded.Stroke} {
		if n := countColour(plain, c); n < 40 {
			t.Fatalf("only %d pixels of %s without stale sources", n, c)
		}
		if n := countColour(faded, c); n > 0 {
			t.Errorf("%d pixels of %s at full strength, on stale elements only", n, c)
		}
	}
}

// TestStale_Mermaid: stale nodes get the stale class, stale edges faded
// link styles.
func TestStale_Mermaid(t *testing.T) {
	s, opt := staleSample()
	var b bytes.Buffer
	if err := Mermaid(&b, s, opt); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	m := parseMermaid(t, out)
	if len(m.labels) != len(s.Nodes) {
		t.Fatalf("%d nodes read back, want %d", len(m.labels), len(s.Nodes))
	}
	ids := mermaidIDs(&s)
	var staleIDs []string
	for i, n := range s.Nodes {
		if n.ID != "frontend" {
			staleIDs = append(staleIDs, ids[i])
		}
	}
	for _, want := range []string{
		"classDef stale opacity:0.4",
		"class " + strings.Join(staleIDs, ",") + " stale",
		"stroke:" + DefaultPalette().Failing.Stroke + "66",
		staleCaption,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in\n%s", want, out)
		}
	}
	// user -> frontend keeps the plain ok style, alone on its line with
	// the other fresh ok edges: none.
	userEdge := -1
	for i, e := range s.Edges {
		if e.ID == "user->frontend" {
			userEdge = i
		}
	}
	if !strings.Contains(out, "linkStyle "+strconv.Itoa(userEdge)+" stroke:"+DefaultPalette().OK.Stroke+",") {
		t.Errorf("user->frontend (index %d) lost its plain style:\n%s", userEdge, out)
	}
}
