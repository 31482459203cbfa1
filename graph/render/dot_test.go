package render

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/goccy/go-graphviz"
	"github.com/spanmap/spanmap/graph"
	"github.com/spanmap/spanmap/graph/layout"
)

// dotName is the node name graphviz reads back for a node ID: the DOT
// language keeps "\\" in quoted IDs as two characters.
func dotName(id string) string {
	return strings.NewReplacer(`\`, `\\`, "\n", `\n`).Replace(id)
}

// parsed is what graphviz read back from DOT output.
type parsed struct {
	nodes   map[string]string // name -> id attribute
	edges   map[string]string // id attribute -> tail name + " -> " + head name
	missing []string
}

func parseDOT(t *testing.T, src []byte) parsed {
	t.Helper()
	g, err := graphviz.ParseBytes(src)
	if err != nil {
		t.Fatalf("graphviz cannot parse the output: %v\n%s", err, src)
	}
	defer g.Close()
	p := parsed{nodes: map[string]string{}, edges: map[string]string{}}
	for n, err := g.FirstNode(); n != nil; n, err = g.NextNode(n) {
		if err != nil {
			t.Fatal(err)
		}
		name, err := n.Name()
		if err != nil {
			t.Fatal(err)
		}
		p.nodes[name] = n.GetStr("id")
		for e, err := g.FirstOut(n); e != nil; e, err = g.NextOut(e) {
			if err != nil {
				t.Fatal(err)
			}
			head, err := e.Head()
			if err != nil {
				t.Fatal(err)
			}
			hn, err := head.Name()
			if err != nil {
				t.Fatal(err)
			}
			p.edges[e.GetStr("id")] = name + " -> " + hn
		}
	}
	return p
}

func TestDOT_parsesBackWithEveryNodeAndEdge(t *testing.T) {
	ctx := context.Background()
	l, err := layout.New(layout.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	laid := func(s graph.Snapshot) graph.Snapshot {
		c := clone(s)
		if err := l.Layout(ctx, &c, layout.Options{}); err != nil {
			t.Fatal(err)
		}
		return c
	}
	tests := []struct {
		name string
		s    graph.Snapshot
		opt  Options
	}{
		{"sample", sampleSnapshot(), Options{Title: "shop"}},
		{"sample laid out", laid(sampleSnapshot()), Options{}},
		{"adversarial", adversarialSnapshot(), Options{Title: `a "title" \ with <odd> chars`}},
		{"adversarial laid out", laid(adversarialSnapshot()), Options{Engine: layout.DotTB}},
		{"empty", graph.Snapshot{}, Options{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := DOT(&b, tc.s, tc.opt); err != nil {
				t.Fatal(err)
			}
			p := parseDOT(t, b.Bytes())
			if len(p.nodes) != len(tc.s.Nodes) {
				t.Errorf("graphviz read %d nodes, want %d", len(p.nodes), len(tc.s.Nodes))
			}
			for _, n := range tc.s.Nodes {
				id, ok := p.nodes[dotName(n.ID)]
				if !ok {
					t.Errorf("node %q missing", n.ID)
				} else if id != NodeElementID(n.ID) {
					t.Errorf("node %q has id %q, want %q", n.ID, id, NodeElementID(n.ID))
				}
			}
			if len(p.edges) != len(tc.s.Edges) {
				t.Errorf("graphviz read %d edges, want %d", len(p.edges), len(tc.s.Edges))
			}
			for _, e := range tc.s.Edges {
				got, ok := p.edges[EdgeElementID(e.ID)]
				if want := dotName(e.From) + " -> " + dotName(e.To); !ok || got != want {
					t.Errorf("edge %q read back as %q, want %q", e.ID, got, want)
				}
			}
			if laidOut(&tc.s) != strings.Contains(b.String(), "pos=") {
				t.Errorf("positions written = %v, want %v", !laidOut(&tc.s), laidOut(&tc.s))
			}
		})
	}
}

func TestDOT_golden(t *testing.T) {
	ctx := context.Background()
	l, err := layout.New(layout.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	laid := clone(sampleSnapshot())
	if err := l.Layout(ctx, &laid, layout.Options{}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		file string
		s    graph.Snapshot
		opt  Options
	}{
		{"sample.dot", sampleSnapshot(), Options{Title: "shop"}},
		{"sample-tb.dot", sampleSnapshot(), Options{Engine: layout.DotTB}},
		{"sample-laid-out.dot", laid, Options{Title: "shop"}},
		{"adversarial.dot", adversarialSnapshot(), Options{}},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			var b bytes.Buffer
			if err := DOT(&b, tc.s, tc.opt); err != nil {
				t.Fatal(err)
			}
			golden(t, tc.file, b.Bytes())
		})
	}
}

func TestDOT_rejectsBrokenSnapshots(t *testing.T) {
	tests := []struct {
		name string
		s    graph.Snapshot
		want error
	}{
		{"unknown node", graph.Snapshot{Nodes: []graph.Node{{ID: "a"}}, Edges: []graph.Edge{{ID: "a->b", From: "a", To: "b"}}}, layout.ErrUnknownNode},
		{"duplicate node", graph.Snapshot{Nodes: []graph.Node{{ID: "a"}, {ID: "a"}}}, layout.ErrDuplicateNode},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, f := range []func() error{
				func() error { return DOT(&bytes.Buffer{}, tc.s, Options{}) },
				func() error { return Mermaid(&bytes.Buffer{}, tc.s, Options{}) },
				func() error { return SVG(context.Background(), &bytes.Buffer{}, tc.s, Options{}) },
				func() error { return PNG(context.Background(), &bytes.Buffer{}, tc.s, Options{}) },
			} {
				if err := f(); !errors.Is(err, tc.want) {
					t.Errorf("error %v, want %v", err, tc.want)
				}
			}
		})
	}
}

func TestDOT_stylesFollowHealthAndRate(t *testing.T) {
	s := sampleSnapshot()
	var b bytes.Buffer
	if err := DOT(&b, s, Options{}); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	pal := DefaultPalette()
	lineOf := func(prefix string) string {
		for _, l := range strings.Split(out, "\n") {
			if strings.HasPrefix(strings.TrimSpace(l), prefix) {
				return l
			}
		}
		t.Fatalf("no line starts with %s", prefix)
		return ""
	}
	tests := []struct {
		prefix string
		want   []string
	}{
		{`"payment" [`, []string{`color="` + pal.Failing.Stroke + `"`, "bold", "shape=box", "rounded", `label="payment\n5.0/s · 20.0%"`}},
		{`"checkout" [`, []string{`color="` + pal.Degraded.Stroke + `"`, "dashed"}},
		{`"catalog" [`, []string{`color="` + pal.Unknown.Stroke + `"`, "dotted", `label="catalog"`}},
		{`"database:orders" [`, []string{"shape=cylinder", `color="` + pal.OK.Stroke + `"`}},
		{`"messaging:events" [`, []string{"shape=cds"}},
		{`"external:api.stripe.com" [`, []string{"shape=hexagon"}},
		{`"user" [`, []string{"shape=ellipse"}},
		{`"checkout" -> "payment"`, []string{`label="5.0/s · 20.0% err · p99 900ms"`, "style=bold", "penwidth=" + num(EdgeWidth(5, pal.Failing))}},
		{`"checkout" -> "messaging:events"`, []string{"arrowhead=vee"}},
		{`subgraph "cluster_payments"`, nil},
	}
	for _, tc := range tests {
		line := lineOf(tc.prefix)
		for _, w := range tc.want {
			if !strings.Contains(line, w) {
				t.Errorf("%s: missing %s in\n%s", tc.prefix, w, line)
			}
		}
	}
}
