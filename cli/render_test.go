package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"image/png"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/spanmap/spanmap/graph"
	"github.com/spanmap/spanmap/graph/render"
	"github.com/spanmap/spanmap/internal/svgtest"
	"github.com/spanmap/spanmap/server"
)

// readFile returns the content of a file the command wrote.
func readFile(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// checkSVG fails unless b is well-formed XML with an <svg> root that
// draws each of the nodes and edges (graph IDs) given.
func checkSVG(t *testing.T, b []byte, nodes, edges []string) {
	t.Helper()
	_, ids := svgtest.Parse(t, b)
	for _, n := range nodes {
		if ids[render.NodeElementID(n)] == nil {
			t.Errorf("SVG lacks node %s", n)
		}
	}
	for _, e := range edges {
		if ids[render.EdgeElementID(e)] == nil {
			t.Errorf("SVG lacks edge %s", e)
		}
	}
}

func TestMain_render_file(t *testing.T) {
	in := writeTemp(t, "spans.json", otlpInput)
	dir := t.TempDir()
	for _, tc := range []struct {
		name  string
		args  []string
		out   string
		check func(t *testing.T, b []byte)
	}{
		{"svg from extension", nil, "map.svg", func(t *testing.T, b []byte) {
			checkSVG(t, b, []string{"user", "frontend", "checkout", "orders"}, []string{"user->frontend", "frontend->checkout", "checkout->orders"})
		}},
		{"png at a width", []string{"--width", "300"}, "map.png", func(t *testing.T, b []byte) {
			img, err := png.Decode(bytes.NewReader(b))
			if err != nil || img.Bounds().Dx() != 300 {
				t.Fatalf("PNG: %v, width %v", err, img)
			}
		}},
		{"mermaid", nil, "map.mmd", func(t *testing.T, b []byte) {
			if !bytes.Contains(b, []byte("flowchart LR")) || !bytes.Contains(b, []byte("checkout")) {
				t.Fatalf("mermaid: %s", b)
			}
		}},
		{"dot top to bottom", []string{"--view", "layout=dot-tb"}, "map.gv", func(t *testing.T, b []byte) {
			if !bytes.Contains(b, []byte("digraph")) || !bytes.Contains(b, []byte("rankdir=TB")) {
				t.Fatalf("dot: %s", b)
			}
		}},
		{"focused view", []string{"--view", "focus=checkout&up=0", "--format", "mmd"}, "focus.txt", func(t *testing.T, b []byte) {
			if bytes.Contains(b, []byte("frontend")) || !bytes.Contains(b, []byte("orders")) {
				t.Fatalf("focus=checkout&up=0 kept callers or lost callees: %s", b)
			}
		}},
		{"json", nil, "map.json", func(t *testing.T, b []byte) {
			var doc deriveDoc
			if err := json.Unmarshal(b, &doc); err != nil || len(doc.Edges) != 3 || doc.Derivation.Added != 4 {
				t.Fatalf("json: %v %+v", err, doc)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(dir, tc.out)
			args := append([]string{"render", "--input", in, "-o", out}, tc.args...)
			if code, _, errOut := run(t, "", args...); code != ExitOK {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			tc.check(t, readFile(t, out))
		})
	}
	code, out, errOut := run(t, otlpInput, "render", "--input", "-")
	if code != ExitOK {
		t.Fatalf("stdin to stdout: exit %d: %s", code, errOut)
	}
	checkSVG(t, []byte(out), []string{"checkout"}, nil)
}

func TestMain_render_badInput(t *testing.T) {
	in := writeTemp(t, "spans.json", otlpInput)
	malformed := writeTemp(t, "bad.json", `{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"xyz","spanId":"1111111111111111"}]}]}]}`)
	dir := t.TempDir()
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"no source", []string{"-o", "x.svg"}, "--server or --input is required"},
		{"both sources", []string{"--input", in, "--server", "http://127.0.0.1:1"}, "not both"},
		{"malformed spans", []string{"--input", malformed, "-o", filepath.Join(dir, "m.svg")}, "otlp-json"},
		{"missing file", []string{"--input", filepath.Join(dir, "nope.json")}, "--input"},
		{"unknown extension", []string{"--input", in, "-o", filepath.Join(dir, "map.gif")}, `unknown extension ".gif"`},
		{"unknown format", []string{"--input", in, "--format", "pdf"}, `--format: unknown format "pdf"`},
		{"width for svg", []string{"--input", in, "--width", "100"}, "png output only"},
		{"bad view", []string{"--input", in, "--view", "up=x&focus=a"}, "view parameter up"},
		{"token without server", []string{"--input", in, "--token", "v1.a.b"}, "need --server"},
		{"bad server URL", []string{"--server", "127.0.0.1:7700"}, "--server"},
		{"bad input format", []string{"--input", in, "--input-format", "xml"}, "--input-format"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errOut := run(t, "", append([]string{"render"}, tc.args...)...)
			if code != ExitUsage || !strings.Contains(errOut, tc.want) {
				t.Fatalf("exit %d, stderr %q; want %d naming %q", code, errOut, ExitUsage, tc.want)
			}
			if strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
				t.Fatalf("error is not one line: %q", errOut)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(dir, "m.svg")); !os.IsNotExist(err) {
		t.Errorf("a failed render left its output file behind (%v)", err)
	}
}

// startServer runs a real spanmap server that requires a bearer token
// ("admin") and signs embed tokens with the test key, fed with otlpInput
// moved to the present, and returns its URL once the map shows the spans.
func startServer(t *testing.T) string {
	t.Helper()
	cfg := server.DefaultConfig()
	cfg.HTTPAddr, cfg.OTLPHTTPAddr, cfg.OTLPGRPCAddr, cfg.ZipkinAddr = "127.0.0.1:0", "127.0.0.1:0", "", ""
	cfg.Auth.Tokens = []string{"admin"}
	cfg.Embed.KeyFile = keyFile(t)
	s, err := server.New(cfg, nil, nil)
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
				t.Errorf("server: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("server did not stop")
		}
	})
	base := "http://" + s.Addr("--http-addr")
	body := strings.ReplaceAll(otlpInput, `"1700000000`, `"`+strconv.FormatInt(time.Now().Add(-5*time.Second).Unix(), 10))
	resp, err := http.Post("http://"+s.Addr("--otlp-http-addr")+"/v1/traces", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("OTLP export: %s", resp.Status)
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		req, _ := http.NewRequest(http.MethodGet, base+"/api/v1/graph", nil)
		req.Header.Set("Authorization", "Bearer admin")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var snap graph.Snapshot
		err = json.NewDecoder(resp.Body).Decode(&snap)
		resp.Body.Close()
		if err == nil && len(snap.Edges) == 3 {
			return base
		}
		if time.Now().After(deadline) {
			t.Fatalf("the spans never showed: %v %+v", err, snap)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestMain_render_server(t *testing.T) {
	base := startServer(t)
	dir := t.TempDir()
	code, tok, errOut := run(t, "", "token", "--view", "focus=checkout", "--key-file", keyFile(t), "--ttl", "1h")
	if code != ExitOK {
		t.Fatalf("token: exit %d: %s", code, errOut)
	}
	tok = strings.TrimSpace(tok)

	t.Run("bearer svg", func(t *testing.T) {
		out := filepath.Join(dir, "map.svg")
		if code, _, errOut := run(t, "", "render", "--server", base, "--access-token", "admin", "-o", out); code != ExitOK {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		checkSVG(t, readFile(t, out), []string{"frontend", "checkout", "orders"}, []string{"checkout->orders"})
	})
	t.Run("bearer from the environment, png", func(t *testing.T) {
		t.Setenv("SPANMAP_ACCESS_TOKEN", "admin")
		out := filepath.Join(dir, "map.png")
		if code, _, errOut := run(t, "", "render", "--server", base+"/", "--view", "window=15m", "--width", "320", "-o", out); code != ExitOK {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		img, err := png.Decode(bytes.NewReader(readFile(t, out)))
		if err != nil || img.Bounds().Dx() != 320 {
			t.Fatalf("PNG: %v", err)
		}
	})
	t.Run("embed token, mermaid on stdout", func(t *testing.T) {
		code, out, errOut := run(t, "", "render", "--server", base, "--view", "focus=checkout", "--token", tok, "--format", "mmd")
		if code != ExitOK || !strings.Contains(out, "flowchart") || !strings.Contains(out, "checkout") {
			t.Fatalf("exit %d: %s %s", code, errOut, out)
		}
	})
	t.Run("embed token, json", func(t *testing.T) {
		code, out, errOut := run(t, "", "render", "--server", base, "--view", "http://x/?focus=checkout", "--token", tok, "--format", "json")
		var snap graph.Snapshot
		if code != ExitOK || json.Unmarshal([]byte(out), &snap) != nil || len(snap.Nodes) == 0 {
			t.Fatalf("exit %d: %s %.200s", code, errOut, out)
		}
	})
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"token for another view", []string{"--view", "focus=frontend", "--token", tok}, ExitUsage, "embed token is for another view"},
		{"no credentials", nil, ExitUsage, "401"},
		{"wrong bearer", []string{"--access-token", "nope"}, ExitUsage, "invalid bearer token"},
		{"server down", []string{"--server", "http://127.0.0.1:1", "--access-token", "admin"}, ExitFailure, "127.0.0.1:1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"render", "--server", base, "-o", filepath.Join(dir, "fail.svg")}, tc.args...)
			code, _, errOut := run(t, "", args...)
			if code != tc.code || !strings.Contains(errOut, tc.want) {
				t.Fatalf("exit %d, stderr %q; want %d naming %q", code, errOut, tc.code, tc.want)
			}
			if _, err := os.Stat(filepath.Join(dir, "fail.svg")); !os.IsNotExist(err) {
				t.Fatal("a failed render left an output file")
			}
		})
	}
}
