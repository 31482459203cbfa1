package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image/png"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/goccy/go-graphviz"
	"google.golang.org/protobuf/proto"

	"github.com/spanmap/spanmap/graph"
	"github.com/spanmap/spanmap/graph/decode"
	"github.com/spanmap/spanmap/graph/render"
	"github.com/spanmap/spanmap/internal/svgtest"
	"github.com/spanmap/spanmap/server/demo"
)

// startUI runs a server with ui as its browser app until the test ends.
func startUI(t *testing.T, cfg Config, ui http.Handler) (*Server, string) {
	t.Helper()
	s, err := New(cfg, nil, ui)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("server did not stop")
		}
	})
	return s, "http://" + s.Addr("--http-addr")
}

// fakeUI answers every path with 200 "page <path>".
var fakeUI = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	io.WriteString(w, "page "+r.URL.Path)
})

// feedDemo submits batches of the demo system's traffic ending at end, one
// second apart, with errors scaled up so that health states vary, and
// waits until the pipeline has aggregated them all.
func feedDemo(t *testing.T, s *Server, end time.Time, batches int) {
	t.Helper()
	cfg := demo.DefaultConfig()
	cfg.ErrorScale = 40
	cfg.IncidentPeriod = 0
	gen, err := demo.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var total int
	for i := batches - 1; i >= 0; i-- {
		b, err := proto.Marshal(gen.Batch(end.Add(-time.Duration(i)*time.Second), 30))
		if err != nil {
			t.Fatal(err)
		}
		spans, err := decode.Bytes(b, decode.OTLPProto)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.pipeline.Submit("demo", spans); err != nil {
			t.Fatal(err)
		}
		total += len(spans)
	}
	deadline := time.Now().Add(15 * time.Second)
	for s.pipeline.Stats().Spans < int64(total) {
		if time.Now().After(deadline) {
			t.Fatalf("pipeline took %d of %d spans", s.pipeline.Stats().Spans, total)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// fetch GETs url with headers (name, value pairs) and returns the response
// with its body read.
func fetch(t *testing.T, url string, hdr ...string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

// fetchOK is fetch that fails the test unless the status is 200.
func fetchOK(t *testing.T, url string, hdr ...string) (*http.Response, []byte) {
	t.Helper()
	resp, b := fetch(t, url, hdr...)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s = %d: %s", url, resp.StatusCode, b)
	}
	return resp, b
}

// fixedRange is a View of a settled time range around the demo traffic fed
// at end.
func fixedRange(end time.Time) string {
	return "from=" + end.Add(-5*time.Minute).UTC().Format(time.RFC3339) + "&to=" + end.Add(time.Minute).UTC().Format(time.RFC3339)
}

// demoServer is a server fed with a minute of demo traffic that ended ten
// minutes ago, and a settled View of it.
func demoServer(t *testing.T) (s *Server, base, view string) {
	t.Helper()
	s, base = startUI(t, testConfig(), fakeUI)
	end := time.Now().Add(-10 * time.Minute).Truncate(time.Second)
	feedDemo(t, s, end, 20)
	view = fixedRange(end)
	waitSettled(t, s, view)
	return s, base, view
}

// waitSettled waits until the snapshot of view stops changing: spans still
// pending pairing are settled after the derivation TTL.
func waitSettled(t *testing.T, s *Server, view string) {
	t.Helper()
	v, err := graph.ParseView(view)
	if err != nil {
		t.Fatal(err)
	}
	var prev []byte
	deadline := time.Now().Add(20 * time.Second)
	for {
		snap, err := s.hub.Snapshot(context.Background(), v)
		if err != nil {
			t.Fatal(err)
		}
		snap.Version = 0
		cur, err := json.Marshal(snap)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Equal(cur, prev) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the demo graph never settled")
		}
		prev = cur
		time.Sleep(2 * s.cfg.Ingest.Derive.TTL)
	}
}

func TestExporter_handler_formats(t *testing.T) {
	_, base, view := demoServer(t)
	_, body := fetchOK(t, base+"/api/v1/graph.json?"+view)
	var snap graph.Snapshot
	if err := json.Unmarshal(body, &snap); err != nil {
		t.Fatal(err)
	}
	if len(snap.Nodes) < 10 || len(snap.Edges) < 10 {
		t.Fatalf("demo graph has %d nodes and %d edges, want at least 10 each", len(snap.Nodes), len(snap.Edges))
	}
	health := map[graph.Health]bool{}
	for _, e := range snap.Edges {
		health[e.Health] = true
	}
	if len(health) < 2 {
		t.Fatalf("every edge has the same health %v: the colour checks would prove little", health)
	}
	_, plain := fetchOK(t, base+"/api/v1/graph?"+view)
	var snap2 graph.Snapshot
	if err := json.Unmarshal(plain, &snap2); err != nil || len(snap2.Edges) != len(snap.Edges) {
		t.Fatalf("/api/v1/graph has %d edges (%v), .json %d", len(snap2.Edges), err, len(snap.Edges))
	}

	for _, tc := range []struct {
		ext, query, contentType string
		check                   func(t *testing.T, body []byte)
	}{
		{"svg", "", "image/svg+xml", func(t *testing.T, b []byte) { checkSVG(t, b, snap) }},
		{"png", "&width=640", "image/png", func(t *testing.T, b []byte) { checkPNGWidth(t, b, 640, 640) }},
		{"png", "&scale=0.5", "image/png", func(t *testing.T, b []byte) {
			checkPNGWidth(t, b, int(snap.Width*0.5), int((snap.Width+40)*0.5)+1) // half size, plus margins
		}},
		{"dot", "", "text/vnd.graphviz; charset=utf-8", func(t *testing.T, b []byte) { checkDOT(t, b, snap) }},
		{"mmd", "", "text/plain; charset=utf-8", func(t *testing.T, b []byte) {
			checkMermaid(t, string(b), snap)
			checkMermaidParser(t, b, len(snap.Nodes), len(snap.Edges))
		}},
	} {
		t.Run(tc.ext+tc.query, func(t *testing.T) {
			resp, b := fetchOK(t, base+"/api/v1/graph."+tc.ext+"?"+view+tc.query)
			if ct := resp.Header.Get("Content-Type"); ct != tc.contentType {
				t.Errorf("Content-Type = %q, want %q", ct, tc.contentType)
			}
			if resp.Header.Get("X-Content-Type-Options") != "nosniff" {
				t.Error("no X-Content-Type-Options: nosniff")
			}
			tc.check(t, b)
		})
	}
}

// strokes lists the stroke colours used inside e.
func strokes(e *svgtest.Elem) map[string]bool {
	out := map[string]bool{}
	e.Walk(func(c *svgtest.Elem) {
		if s := c.Attr("stroke"); s != "" {
			out[strings.ToLower(s)] = true
		}
	})
	return out
}

// checkSVG parses b as XML and checks that every node and edge of snap is
// drawn, with its health class and colour.
func checkSVG(t *testing.T, b []byte, snap graph.Snapshot) {
	t.Helper()
	_, byID := svgtest.Parse(t, b)
	pal := render.DefaultPalette()
	check := func(id, what string, h graph.Health) {
		g := byID[id]
		if g == nil {
			t.Errorf("%s has no <g id=%q>", what, id)
			return
		}
		class := "health-" + string(h)
		if h == graph.HealthUnknown {
			class = "health-unknown"
		}
		if !strings.Contains(g.Attr("class"), class) {
			t.Errorf("%s: class %q lacks %q", what, g.Attr("class"), class)
		}
		if want := strings.ToLower(pal.For(h).Stroke); !strokes(g)[want] {
			t.Errorf("%s (%s): strokes %v lack %s", what, h, strokes(g), want)
		}
	}
	for _, n := range snap.Nodes {
		check(render.NodeElementID(n.ID), "node "+n.ID, n.Health)
	}
	for _, e := range snap.Edges {
		check(render.EdgeElementID(e.ID), "edge "+e.ID, e.Health)
	}
}

// checkPNGWidth decodes b and checks its width is within [lo, hi].
func checkPNGWidth(t *testing.T, b []byte, lo, hi int) {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("PNG does not decode: %v", err)
	}
	if w := img.Bounds().Dx(); w < lo || w > hi {
		t.Fatalf("PNG is %d pixels wide, want %d to %d", w, lo, hi)
	}
}

// checkDOT parses b with graphviz and checks every node and edge of snap.
func checkDOT(t *testing.T, b []byte, snap graph.Snapshot) {
	t.Helper()
	g, err := graphviz.ParseBytes(b)
	if err != nil {
		t.Fatalf("DOT does not parse: %v", err)
	}
	defer g.Close()
	for _, n := range snap.Nodes {
		if node, err := g.NodeByName(n.ID); err != nil || node == nil {
			t.Errorf("DOT lacks node %q (%v)", n.ID, err)
		}
	}
	edges := map[string]int{}
	for n, err := g.FirstNode(); n != nil && err == nil; n, err = g.NextNode(n) {
		for e, err := g.FirstOut(n); e != nil && err == nil; e, err = g.NextOut(e) {
			head := e.Node()
			edges[mustName(t, n)+"->"+mustName(t, head)]++
		}
	}
	for _, e := range snap.Edges {
		if edges[e.From+"->"+e.To] == 0 {
			t.Errorf("DOT lacks edge %s", e.ID)
		}
	}
}

func mustName(t *testing.T, n interface{ Name() (string, error) }) string {
	t.Helper()
	name, err := n.Name()
	if err != nil {
		t.Fatal(err)
	}
	return name
}

// Mermaid flowchart grammar, as far as spanmap's output uses it: node IDs
// are plain words that are not keywords, labels are quoted strings in
// which '"' never appears and '#', '<', '>' only as entity codes or <br/>.
var (
	mmdID     = `[A-Za-z][A-Za-z0-9_]*`
	mmdString = `"(?:[^"#<>|&` + "`" + `]|#[a-z]+;|#[0-9]+;|<br/>)*"`
	mmdRules  = map[string]*regexp.Regexp{
		"node":      regexp.MustCompile(`^\s*` + mmdID + `(\(|\[\(|\[/|\{\{|\(\(|\[\[|\[)` + mmdString + `(\)|\)\]|/\]|\}\}|\)\)|\]\]|\])$`),
		"edge":      regexp.MustCompile(`^\s*` + mmdID + ` (-->|-\.->|==>)\|` + mmdString + `\| ` + mmdID + `$`),
		"subgraph":  regexp.MustCompile(`^\s*subgraph ` + mmdID + `\[` + mmdString + `\]$`),
		"end":       regexp.MustCompile(`^\s*end$`),
		"classDef":  regexp.MustCompile(`^\s*classDef ` + mmdID + ` [a-z-]+:[^,;\s]+( [^,;\s]+)*(,[a-z-]+:[^,;\s]+( [^,;\s]+)*)*$`),
		"class":     regexp.MustCompile(`^\s*class ` + mmdID + `(,` + mmdID + `)* ` + mmdID + `$`),
		"linkStyle": regexp.MustCompile(`^\s*linkStyle [0-9]+(,[0-9]+)* [a-z-]+:[^,;\s]+( [^,;\s]+)*(,[a-z-]+:[^,;\s]+( [^,;\s]+)*)*$`),
	}
	mmdKeywords = map[string]bool{"end": true, "graph": true, "subgraph": true, "flowchart": true, "style": true,
		"class": true, "classDef": true, "click": true, "linkStyle": true, "default": true, "direction": true}
)

// checkMermaid checks every line of out against the grammar and that it
// has one node statement per node and one link per edge of snap.
func checkMermaid(t *testing.T, out string, snap graph.Snapshot) {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) > 3 && lines[0] == "---" {
		if !strings.HasPrefix(lines[1], "title: ") || lines[2] != "---" {
			t.Fatalf("bad front matter %q", lines[:3])
		}
		lines = lines[3:]
	}
	if lines[0] != "flowchart LR" && lines[0] != "flowchart TB" {
		t.Fatalf("first line %q, want a flowchart header", lines[0])
	}
	count := map[string]int{}
	depth := 0
	for _, l := range lines[1:] {
		kind := ""
		for k, re := range mmdRules {
			if re.MatchString(l) {
				kind = k
				break
			}
		}
		if kind == "" {
			t.Errorf("line breaks the flowchart grammar: %q", l)
			continue
		}
		if id := strings.Fields(l)[0]; (kind == "node" || kind == "edge") && mmdKeywords[strings.FieldsFunc(id, func(r rune) bool { return strings.ContainsRune("([{/", r) })[0]] {
			t.Errorf("node ID is a keyword: %q", l)
		}
		count[kind]++
		switch kind {
		case "subgraph":
			depth++
		case "end":
			depth--
		}
		if depth < 0 {
			t.Fatalf("end without subgraph at %q", l)
		}
	}
	if depth != 0 {
		t.Errorf("%d subgraphs left open", depth)
	}
	if count["node"] != len(snap.Nodes) || count["edge"] != len(snap.Edges) {
		t.Errorf("%d node and %d edge statements, want %d and %d", count["node"], count["edge"], len(snap.Nodes), len(snap.Edges))
	}
}

// checkMermaidParser has Mermaid's own parser read out (through
// build/mermaid-check.mjs) when Node and the mermaid package are installed
// (`npm ci` in build/mermaid), and checks the nodes and links it counts.
func checkMermaidParser(t *testing.T, out []byte, nodes, links int) {
	t.Helper()
	build := filepath.Join("..", "build")
	node, err := exec.LookPath("node")
	if err != nil {
		t.Log("node not installed: Mermaid's own parser not run")
		return
	}
	if _, err := os.Stat(filepath.Join(build, "mermaid", "node_modules", "mermaid")); err != nil {
		t.Log("mermaid npm package not installed (npm ci in build/mermaid): Mermaid's own parser not run")
		return
	}
	f := filepath.Join(t.TempDir(), "map.mmd")
	if err := os.WriteFile(f, out, 0o600); err != nil {
		t.Fatal(err)
	}
	res, err := exec.Command(node, filepath.Join(build, "mermaid-check.mjs"), f).CombinedOutput()
	if err != nil {
		t.Fatalf("Mermaid's parser refused the export: %v\n%s", err, res)
	}
	if want := fmt.Sprintf("%d nodes, %d links", nodes, links); !strings.Contains(string(res), want) {
		t.Fatalf("Mermaid's parser read %s, want %s", res, want)
	}
}

func TestExporter_handler_etag(t *testing.T) {
	_, base, view := demoServer(t)
	view += "&focus=payment" // a small map keeps the PNGs quick
	tags := map[string]string{}
	for _, ext := range []string{"svg", "png", "dot", "mmd", "json"} {
		t.Run(ext, func(t *testing.T) {
			url := base + "/api/v1/graph." + ext + "?" + view
			resp, body := fetchOK(t, url)
			tag := resp.Header.Get("ETag")
			want := `^"[0-9a-f]{32}"$` // strong: the same bytes
			if ext == "json" {
				want = `^W/"[0-9a-f]{32}"$` // weak: the same graph, but the version number may differ
				body = regexp.MustCompile(`"version":[0-9]+`).ReplaceAll(body, nil)
			}
			if !regexp.MustCompile(want).MatchString(tag) {
				t.Fatalf("ETag %q does not match %s", tag, want)
			}
			if cc := resp.Header.Get("Cache-Control"); cc != "public, max-age=86400" {
				t.Errorf("settled range: Cache-Control %q, want a day", cc)
			}
			for other, prev := range tags {
				if prev == tag {
					t.Errorf("%s has the ETag of %s", ext, other)
				}
			}
			tags[ext] = tag
			resp2, body2 := fetchOK(t, url)
			if ext == "json" {
				body2 = regexp.MustCompile(`"version":[0-9]+`).ReplaceAll(body2, nil)
			}
			if resp2.Header.Get("ETag") != tag || !bytes.Equal(body, body2) {
				t.Fatalf("second request: ETag %q (first %q), same body %v", resp2.Header.Get("ETag"), tag, bytes.Equal(body, body2))
			}
			for _, inm := range []string{tag, "W/" + strings.TrimPrefix(tag, "W/"), `"nope", ` + tag, "*"} {
				resp3, body3 := fetch(t, url, "If-None-Match", inm)
				if resp3.StatusCode != http.StatusNotModified || len(body3) != 0 || resp3.Header.Get("ETag") != tag {
					t.Errorf("If-None-Match %s: %d with %d bytes, ETag %q; want 304, empty, same tag", inm, resp3.StatusCode, len(body3), resp3.Header.Get("ETag"))
				}
			}
			if resp4, _ := fetch(t, url, "If-None-Match", `"0123"`); resp4.StatusCode != http.StatusOK {
				t.Errorf("stale If-None-Match: %d, want 200", resp4.StatusCode)
			}
		})
	}
	if resp, _ := fetchOK(t, base+"/api/v1/graph.png?"+view+"&width=300"); resp.Header.Get("ETag") == tags["png"] {
		t.Error("a PNG of another width has the same ETag")
	}
}

func TestExporter_handler_cacheControl(t *testing.T) {
	_, base := startUI(t, testConfig(), fakeUI)
	future := "from=" + time.Now().Add(-time.Hour).UTC().Format(time.RFC3339) + "&to=" + time.Now().Add(-time.Minute).UTC().Format(time.RFC3339)
	for _, tc := range []struct{ query, want string }{
		{"", "public, max-age=10"},
		{"window=1h&focus=x", "public, max-age=10"},
		{future, "public, max-age=10"}, // ended less than SettleDelay ago: may still change
		{"from=2024-01-01T00:00:00Z&to=2024-01-02T00:00:00Z", "public, max-age=86400"},
	} {
		resp, _ := fetchOK(t, base+"/api/v1/graph.mmd?"+tc.query)
		if cc := resp.Header.Get("Cache-Control"); cc != tc.want {
			t.Errorf("?%s: Cache-Control %q, want %q", tc.query, cc, tc.want)
		}
	}

	cfg := testConfig()
	cfg.Auth.Tokens = []string{"tok"}
	_, authed := startUI(t, cfg, fakeUI)
	if resp, _ := fetchOK(t, authed+"/api/v1/graph.svg", "Authorization", "Bearer tok"); resp.Header.Get("Cache-Control") != "private, max-age=10" {
		t.Errorf("header credentials: Cache-Control %q, want private", resp.Header.Get("Cache-Control"))
	}
	if resp, _ := fetchOK(t, authed+"/api/v1/graph.svg?access_token=tok"); resp.Header.Get("Cache-Control") != "public, max-age=10" {
		t.Errorf("credentials in the URL: Cache-Control %q, want public", resp.Header.Get("Cache-Control"))
	}
}

func TestExporter_handler_badParams(t *testing.T) {
	_, base := startUI(t, testConfig(), fakeUI)
	for _, tc := range []struct{ path, param string }{
		{"/api/v1/graph.png?width=abc", "width"},
		{"/api/v1/graph.png?width=0", "width"},
		{"/api/v1/graph.png?width=100000", "width"},
		{"/api/v1/graph.png?scale=-1", "scale"},
		{"/api/v1/graph.png?scale=NaN", "scale"},
		{"/api/v1/graph.png?width=10&width=20", "width"},
		{"/api/v1/graph.svg?width=100", "width"},
		{"/api/v1/graph.json?scale=2", "scale"},
		{"/api/v1/graph.mmd?theme=dark", "theme"},
		{"/api/v1/graph.dot?bogus=1", "bogus"},
		{"/api/v1/graph.svg?window=forever", "window"},
		{"/api/v1/graph?focus=a&up=99", "up"},
	} {
		resp, body := fetch(t, base+tc.path)
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), tc.param) {
			t.Errorf("GET %s = %d %s, want 400 naming %s", tc.path, resp.StatusCode, body, tc.param)
		}
	}
	if resp, _ := fetch(t, base+"/api/v1/graph.gif"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("GET /api/v1/graph.gif = %d, want 404", resp.StatusCode)
	}
}

// An empty map still renders in every format.
func TestExporter_handler_empty(t *testing.T) {
	_, base := startUI(t, testConfig(), fakeUI)
	for _, ext := range []string{"svg", "png", "dot", "mmd", "json"} {
		resp, body := fetchOK(t, base+"/api/v1/graph."+ext+"?focus=nothing-here")
		if len(body) == 0 || resp.Header.Get("ETag") == "" {
			t.Errorf(".%s of an empty map: %d bytes, ETag %q", ext, len(body), resp.Header.Get("ETag"))
		}
	}
}

func TestNotModified(t *testing.T) {
	for _, tc := range []struct {
		header string
		want   bool
	}{
		{"", false}, {`"a"`, true}, {`W/"a"`, true}, {`"b", "a"`, true}, {`"b"`, false}, {`*`, true}, {`"a `, false},
	} {
		for _, tag := range []string{`"a"`, `W/"a"`} {
			if got := notModified(tc.header, tag); got != tc.want {
				t.Errorf("notModified(%q, %s) = %v, want %v", tc.header, tag, got, tc.want)
			}
		}
	}
}

func TestIsExportPath(t *testing.T) {
	for p, want := range map[string]bool{
		"/api/v1/graph": true, "/api/v1/graph.svg": true, "/api/v1/graph.json": true, "/api/v1/graph.mmd": true,
		"/api/v1/graph.gif": false, "/api/v1/graphs": false, "/api/v1/graph.": false, "/api/v1/services": false,
	} {
		if isExportPath(p) != want {
			t.Errorf("isExportPath(%q) = %v, want %v", p, !want, want)
		}
	}
}

// TestExporter_etag_staleSources: the same map under another set of stale
// sources is drawn differently, so its ETag differs; the same set gives the
// same tag.
func TestExporter_etag_staleSources(t *testing.T) {
	x := (&Server{}).newExporter()
	snap := graph.Snapshot{Nodes: []graph.Node{{ID: "a", Sources: []string{"zk"}}}}
	req := exportRequest{format: exportFormats["svg"]}
	tag := func(stale map[string]bool) string {
		t.Helper()
		req.opt.Stale = stale
		s, err := x.etag(req, snap)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	none, zk, both := tag(nil), tag(map[string]bool{"zk": true}), tag(map[string]bool{"zk": true, "jaeger": true})
	if none == zk || zk == both || none == both {
		t.Errorf("tags %s, %s, %s: want three different", none, zk, both)
	}
	if again := tag(map[string]bool{"jaeger": true, "zk": true}); again != both {
		t.Errorf("the same stale set gives %s, then %s", both, again)
	}
}
