package render

import (
	"bytes"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/spanmap/spanmap/graph"
	"github.com/spanmap/spanmap/graph/layout"
)

// Mermaid flowchart rules the output must follow. A quoted string may hold
// anything but a double quote; inside it '#' may only start an entity code,
// and '<', '>' only the <br/> line break (labels are rendered as HTML); '|'
// and backticks are coded too.
var (
	mmdID       = `[A-Za-z][A-Za-z0-9_]*`
	mmdString   = `"(?:[^"#<>|&` + "`" + `]|#[a-z]+;|#[0-9]+;|<br/>)*"`
	mmdNodeLine = regexp.MustCompile(`^\s*(` + mmdID + `)(\(|\[\(|\[/|\{\{|\(\(|\[\[)(` + mmdString + `)(\)|\)\]|/\]|\}\}|\)\)|\]\])$`)
	mmdEdgeLine = regexp.MustCompile(`^\s*(` + mmdID + `) (-->|-\.->)\|(` + mmdString + `)\| (` + mmdID + `)$`)
	mmdSubgraph = regexp.MustCompile(`^\s*subgraph (` + mmdID + `)\[(` + mmdString + `)\]$`)
	mmdClassDef = regexp.MustCompile(`^\s*classDef (ok|degraded|failing|unknown|stale) [a-z-]+:[^,\s]+( [^,\s]+)*(,[a-z-]+:[^,\s]+( [^,\s]+)*)*$`)
	mmdClass    = regexp.MustCompile(`^\s*class (` + mmdID + `(?:,` + mmdID + `)*) (ok|degraded|failing|unknown|stale)$`)
	mmdLink     = regexp.MustCompile(`^\s*linkStyle ([0-9]+(?:,[0-9]+)*) stroke:#[0-9A-Fa-f]{6}(?:[0-9A-Fa-f]{2})?,stroke-width:[0-9.]+px(,stroke-dasharray:[0-9]+ [0-9]+)?$`)
	mmdReserved = map[string]bool{"end": true, "graph": true, "subgraph": true, "flowchart": true, "style": true,
		"class": true, "classDef": true, "click": true, "linkStyle": true, "default": true, "direction": true}
)

// unescapeMermaid turns a quoted Mermaid label back into text.
func unescapeMermaid(q string) string {
	q = strings.TrimSuffix(strings.TrimPrefix(q, `"`), `"`)
	q = strings.ReplaceAll(q, "<br/>", "\n")
	re := regexp.MustCompile(`#([a-z]+|[0-9]+);`)
	return re.ReplaceAllStringFunc(q, func(m string) string {
		code := m[1 : len(m)-1]
		switch code {
		case "quot":
			return `"`
		case "lt":
			return "<"
		case "gt":
			return ">"
		case "amp":
			return "&"
		}
		n, err := strconv.Atoi(code)
		if err != nil {
			return m
		}
		return string(rune(n))
	})
}

// mermaidModel is what a Mermaid parser would see in the output.
type mermaidModel struct {
	labels    map[string]string // node ID -> label text
	edges     []string          // "from to label", in order
	classes   map[string]string // node ID -> class
	links     map[int]string    // edge index -> linkStyle body
	subgraphs int
}

// parseMermaid checks every line against the rules and collects the model.
func parseMermaid(t *testing.T, out string) mermaidModel {
	t.Helper()
	m := mermaidModel{labels: map[string]string{}, classes: map[string]string{}, links: map[int]string{}}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) >= 3 && lines[0] == "---" {
		if !strings.HasPrefix(lines[1], "title: '") || lines[2] != "---" {
			t.Fatalf("bad front matter: %q", lines[:3])
		}
		lines = lines[3:]
	}
	if len(lines) == 0 || (lines[0] != "flowchart LR" && lines[0] != "flowchart TB") {
		t.Fatalf("first line %q, want a flowchart header", lines[0])
	}
	depth := 0
	for _, l := range lines[1:] {
		switch {
		case mmdNodeLine.MatchString(l):
			g := mmdNodeLine.FindStringSubmatch(l)
			if _, dup := m.labels[g[1]]; dup {
				t.Errorf("node %s defined twice", g[1])
			}
			m.labels[g[1]] = unescapeMermaid(g[3])
		case mmdEdgeLine.MatchString(l):
			g := mmdEdgeLine.FindStringSubmatch(l)
			m.edges = append(m.edges, g[1]+" "+g[4]+" "+unescapeMermaid(g[3]))
		case mmdSubgraph.MatchString(l):
			depth++
			m.subgraphs++
		case strings.TrimSpace(l) == "end":
			depth--
		case mmdClassDef.MatchString(l):
		case mmdClass.MatchString(l):
			g := mmdClass.FindStringSubmatch(l)
			for _, id := range strings.Split(g[1], ",") {
				m.classes[id] = g[2]
			}
		case mmdLink.MatchString(l):
			g := mmdLink.FindStringSubmatch(l)
			for _, i := range strings.Split(g[1], ",") {
				n, _ := strconv.Atoi(i)
				m.links[n] = l
			}
		default:
			t.Errorf("line breaks the flowchart grammar: %q", l)
		}
	}
	if depth != 0 {
		t.Errorf("subgraph/end unbalanced by %d", depth)
	}
	for id := range m.labels {
		if mmdReserved[id] || strings.HasPrefix(id, "o") || strings.HasPrefix(id, "x") {
			t.Errorf("node ID %q is a keyword or starts with an edge marker", id)
		}
	}
	return m
}

func TestMermaid_followsFlowchartGrammar(t *testing.T) {
	tests := []struct {
		name string
		s    graph.Snapshot
		opt  Options
	}{
		{"sample", sampleSnapshot(), Options{Title: "shop's map"}},
		{"adversarial", adversarialSnapshot(), Options{Engine: layout.DotTB, Title: "a\nb: 'c' #d"}},
		{"empty", graph.Snapshot{}, Options{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := Mermaid(&b, tc.s, tc.opt); err != nil {
				t.Fatal(err)
			}
			m := parseMermaid(t, b.String())
			ids := mermaidIDs(&tc.s)
			if len(m.labels) != len(tc.s.Nodes) {
				t.Errorf("%d nodes defined, want %d", len(m.labels), len(tc.s.Nodes))
			}
			for i, n := range tc.s.Nodes {
				want := layout.Label(n)
				if hasTraffic(n.Stats) {
					want += "\n" + nodeFigures(n.Stats)
				}
				// Control characters other than line breaks become spaces.
				if got := m.labels[ids[i]]; got != want {
					t.Errorf("node %q label reads back as %q, want %q", n.ID, got, want)
				}
				if got, want := m.classes[ids[i]], className(n.Health); got != want {
					t.Errorf("node %q class %q, want %q", n.ID, got, want)
				}
			}
			if len(m.edges) != len(tc.s.Edges) {
				t.Fatalf("%d edges, want %d", len(m.edges), len(tc.s.Edges))
			}
			index := map[string]int{}
			for i, n := range tc.s.Nodes {
				index[n.ID] = i
			}
			pal := DefaultPalette()
			for i, e := range tc.s.Edges {
				want := ids[index[e.From]] + " " + ids[index[e.To]] + " " + StatsLabel(e.Stats)
				if m.edges[i] != want {
					t.Errorf("edge %d reads back as %q, want %q", i, m.edges[i], want)
				}
				if st := pal.For(e.Health); !strings.Contains(m.links[i], "stroke:"+st.Stroke) {
					t.Errorf("edge %d (%s) link style %q, want stroke %s", i, e.Health, m.links[i], st.Stroke)
				}
			}
		})
	}
}

func TestMermaid_idsAreUniqueAndStable(t *testing.T) {
	s := adversarialSnapshot()
	ids := mermaidIDs(&s)
	seen := map[string]string{}
	for i, id := range ids {
		if other, dup := seen[id]; dup {
			t.Errorf("%q and %q share Mermaid ID %s", other, s.Nodes[i].ID, id)
		}
		seen[id] = s.Nodes[i].ID
	}
	// Adding an unrelated node keeps the other IDs.
	more := clone(s)
	more.Nodes = append(more.Nodes, graph.Node{ID: "zzz-new", Kind: graph.NodeService})
	again := mermaidIDs(&more)
	for i := range ids {
		if again[i] != ids[i] {
			t.Errorf("node %q changed ID from %s to %s when another node was added", s.Nodes[i].ID, ids[i], again[i])
		}
	}
}

func TestMermaid_golden(t *testing.T) {
	tests := []struct {
		file string
		s    graph.Snapshot
		opt  Options
	}{
		{"sample.mmd", sampleSnapshot(), Options{Title: "shop"}},
		{"adversarial.mmd", adversarialSnapshot(), Options{}},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			var b bytes.Buffer
			if err := Mermaid(&b, tc.s, tc.opt); err != nil {
				t.Fatal(err)
			}
			golden(t, tc.file, b.Bytes())
		})
	}
}

func TestMermaidText_escapes(t *testing.T) {
	tests := []struct{ in, want string }{
		{`plain`, `plain`},
		{`say "hi"`, `say #quot;hi#quot;`},
		{`a#b;`, `a#35;b;`},
		{`<b>&`, `#lt;b#gt;#amp;`},
		{"p|q`r", `p#124;q#96;r`},
		{"two\nlines\ttab", `two<br/>lines tab`},
		{`日本 🙂`, `日本 🙂`},
	}
	for _, tc := range tests {
		if got := mermaidText(tc.in); got != tc.want {
			t.Errorf("mermaidText(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
