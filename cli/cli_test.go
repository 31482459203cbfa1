package cli

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spanmap/spanmap/graph/decode"
)

// otlpInput is a frontend root calling checkout (namespace shop), checkout
// calling postgres (uninstrumented) with an error on the checkout side.
const otlpInput = `{"resourceSpans":[
{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"frontend"}},{"key":"service.namespace","value":{"stringValue":"web"}}]},
 "scopeSpans":[{"spans":[
  {"traceId":"5b8efff798038103d269b633813fc60c","spanId":"1111111111111111","name":"GET /","kind":2,"startTimeUnixNano":"1700000000000000000","endTimeUnixNano":"1700000000300000000"},
  {"traceId":"5b8efff798038103d269b633813fc60c","spanId":"2222222222222222","parentSpanId":"1111111111111111","name":"POST /checkout","kind":3,"startTimeUnixNano":"1700000000010000000","endTimeUnixNano":"1700000000250000000"}]}]},
{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"checkout"}},{"key":"service.namespace","value":{"stringValue":"shop"}}]},
 "scopeSpans":[{"spans":[
  {"traceId":"5b8efff798038103d269b633813fc60c","spanId":"3333333333333333","parentSpanId":"2222222222222222","name":"POST /checkout","kind":2,"startTimeUnixNano":"1700000000020000000","endTimeUnixNano":"1700000000240000000","status":{"code":2}},
  {"traceId":"5b8efff798038103d269b633813fc60c","spanId":"4444444444444444","parentSpanId":"3333333333333333","name":"INSERT orders","kind":3,"startTimeUnixNano":"1700000000030000000","endTimeUnixNano":"1700000000130000000",
   "attributes":[{"key":"db.system","value":{"stringValue":"postgresql"}},{"key":"db.name","value":{"stringValue":"orders"}}]}]}]}]}`

func run(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = Main(context.Background(), args, IO{Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errb})
	return code, out.String(), errb.String()
}

func writeTemp(t *testing.T, name, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// deriveDoc is the documented JSON contract of `spanmap derive`.
type deriveDoc struct {
	Nodes []struct {
		ID, Kind, Namespace string
	} `json:"nodes"`
	Edges []struct {
		From, To, Kind string
		Calls, Errors  int64
		Latency        struct{ P50, P90, P99 float64 } `json:"latency_ms"`
	} `json:"edges"`
	Derivation struct {
		Added int64 `json:"added"`
	} `json:"derivation"`
}

func TestMain_derive_jsonContract(t *testing.T) {
	in := writeTemp(t, "spans.json", otlpInput)
	code, out, errOut := run(t, "", "derive", "--input", in)
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var doc deriveDoc
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, out)
	}
	var nodes, edges []string
	for _, n := range doc.Nodes {
		nodes = append(nodes, n.ID+":"+n.Kind)
	}
	for _, e := range doc.Edges {
		edges = append(edges, e.From+"->"+e.To+":"+e.Kind)
		if e.Calls != 1 || e.Latency.P50 <= 0 || e.Latency.P99 < e.Latency.P50 {
			t.Errorf("edge %s->%s: calls %d, latency %+v", e.From, e.To, e.Calls, e.Latency)
		}
		if e.From == "frontend" && e.To == "checkout" && e.Errors != 1 {
			t.Errorf("frontend->checkout errors = %d, want 1 (server status ERROR)", e.Errors)
		}
	}
	wantNodes := "checkout:service frontend:service orders:database user:user"
	wantEdges := "checkout->orders:database frontend->checkout:rpc user->frontend:rpc"
	if strings.Join(nodes, " ") != wantNodes || strings.Join(edges, " ") != wantEdges {
		t.Fatalf("nodes %v\nedges %v\nwant %s / %s", nodes, edges, wantNodes, wantEdges)
	}
	if doc.Derivation.Added != 4 {
		t.Fatalf("derivation.added = %d, want 4", doc.Derivation.Added)
	}
}

func TestMain_derive_options(t *testing.T) {
	in := writeTemp(t, "spans.json", otlpInput)
	for _, tc := range []struct {
		name  string
		args  []string
		stdin string
		want  []string
		not   []string
	}{
		{"stdin", []string{"derive", "--input", "-"}, otlpInput, []string{`"from": "frontend"`}, nil},
		{"no user node", []string{"derive", "--input", in, "--no-user-node"}, "", []string{`"checkout"`}, []string{`"user"`}},
		{"group by namespace", []string{"derive", "--input", in, "--group-by", "namespace"}, "", []string{`"kind": "group"`, `"group": "ns:shop"`}, nil},
		{"dot", []string{"derive", "--input", in, "--output", "dot"}, "", []string{"digraph", `"frontend" -> "checkout"`}, nil},
		{"mermaid", []string{"derive", "--input", in, "--output", "mermaid"}, "", []string{"flowchart LR"}, nil},
		{"explicit format", []string{"derive", "--input", in, "--format", "otlp-json"}, "", []string{`"to": "orders"`}, nil},
		{"svg", []string{"derive", "--input", in, "--output", "svg"}, "", []string{"<svg", "<title>frontend&#xA;kind: service", "<title>checkout"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := run(t, tc.stdin, tc.args...)
			if code != ExitOK {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
			for _, n := range tc.not {
				if strings.Contains(out, n) {
					t.Errorf("output has %q", n)
				}
			}
		})
	}
}

func TestMain_derive_outputFile(t *testing.T) {
	in := writeTemp(t, "spans.json", otlpInput)
	out := filepath.Join(t.TempDir(), "map.mmd")
	if code, _, errOut := run(t, "", "derive", "--input", in, "--output", "mmd", "-o", out); code != ExitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	b, err := os.ReadFile(out)
	if err != nil || !strings.HasPrefix(string(b), "flowchart") && !strings.Contains(string(b), "flowchart") {
		t.Fatalf("file = %q, %v", b, err)
	}
}

func TestMain_badInput(t *testing.T) {
	malformed := writeTemp(t, "bad.json", `{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"xyz","spanId":"1111111111111111"}]}]}]}`)
	mismatched := writeTemp(t, "otlp.json", otlpInput)
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(otlpInput))
	zw.Close()
	mismatchedGzip := writeTemp(t, "otlp.json.gz", gz.String())
	junk := writeTemp(t, "junk.txt", "hello world")
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"no command", nil, "usage"},
		{"unknown command", []string{"frobnicate"}, `unknown command "frobnicate"`},
		{"missing input", []string{"derive"}, "--input is required"},
		{"missing file", []string{"derive", "--input", "/nonexistent/spans.json"}, "--input: open /nonexistent/spans.json"},
		{"bad format", []string{"derive", "--input", "-", "--format", "xml"}, `--format`},
		{"bad output", []string{"derive", "--input", "-", "--output", "gif"}, `--output: unknown format "gif"`},
		{"bad group", []string{"derive", "--input", "-", "--group-by", "team"}, `--group-by`},
		{"unknown flag", []string{"derive", "--colour"}, "flag provided but not defined: -colour"},
		{"stray argument", []string{"derive", "--input", "-", "extra"}, `unexpected argument "extra"`},
		{"malformed", []string{"derive", "--input", malformed}, "spanmap derive: otlp-json: span 0 at byte 54: traceId: want 32 hex digits, got 3"},
		{"format mismatch", []string{"derive", "--input", mismatched, "--format", "jaeger-json"},
			"spanmap derive: jaeger-json: at byte 0: no spans found: the input looks like otlp-json (try --format otlp-json or auto)"},
		{"format mismatch, gzip", []string{"derive", "--input", mismatchedGzip, "--format", "jaeger-json"},
			"spanmap derive: jaeger-json: at byte 0: no spans found: the input looks like otlp-json (try --format otlp-json or auto)"},
		{"format mismatch zipkin", []string{"derive", "--input", mismatched, "--format", "zipkin"}, "spanmap derive: zipkin: span 0 at byte 0: "},
		{"not spans", []string{"derive", "--input", junk}, "spanmap derive: auto: at byte 0: unknown format"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errOut := run(t, "", tc.args...)
			if code != ExitUsage {
				t.Fatalf("exit %d, want %d (stderr %q)", code, ExitUsage, errOut)
			}
			if !strings.Contains(errOut, tc.want) {
				t.Fatalf("stderr %q does not mention %q", errOut, tc.want)
			}
			if tc.args != nil && strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
				t.Fatalf("error is not one line: %q", errOut)
			}
		})
	}
}

// TestMain_derive_empty checks that empty input and input without spans are
// an empty map, not an error, with no time range.
func TestMain_derive_empty(t *testing.T) {
	for _, body := range []string{"", " \n", `{"resourceSpans":[]}`, `{"data":[]}`, "[]"} {
		for _, format := range []string{"auto", "otlp-json", "jaeger-json", "zipkin"} {
			code, out, errOut := run(t, body, "derive", "--input", "-", "--format", format)
			if strings.TrimSpace(body) != "" && format != "auto" {
				if det, _ := decode.Detect([]byte(body)); det.String() != format {
					continue // the mismatch test covers these
				}
			}
			if code != ExitOK {
				t.Fatalf("%q as %s: exit %d: %s", body, format, code, errOut)
			}
			var doc map[string]any
			if err := json.Unmarshal([]byte(out), &doc); err != nil {
				t.Fatal(err)
			}
			if n, e := doc["nodes"].([]any), doc["edges"].([]any); len(n) != 0 || len(e) != 0 {
				t.Fatalf("%q as %s: %d nodes, %d edges", body, format, len(n), len(e))
			}
			if _, ok := doc["from_ms"]; ok {
				t.Fatalf("%q as %s: from_ms %v for no calls", body, format, doc["from_ms"])
			}
		}
	}
}

// TestMain_derive_maxPendingEvictsOldest checks --max-pending: with room for
// three spans, the clients of traces 1-4 are settled early, oldest first, so
// the late server of trace 1 misses its client while trace 5's pairs.
func TestMain_derive_maxPendingEvictsOldest(t *testing.T) {
	var spans []string
	for i := 1; i <= 5; i++ {
		spans = append(spans, fmt.Sprintf(`{"traceId":"%032x","id":"c%015x","kind":"CLIENT","name":"charge","timestamp":%d,"duration":5000,`+
			`"localEndpoint":{"serviceName":"api"},"tags":{"peer.service":"payments"}}`, i, i, 1700000000000000+i*1000))
	}
	for _, i := range []int{1, 5} {
		spans = append(spans, fmt.Sprintf(`{"traceId":"%032x","parentId":"c%015x","id":"d%015x","kind":"SERVER","name":"charge","timestamp":%d,"duration":4000,`+
			`"localEndpoint":{"serviceName":"payments"}}`, i, i, i, 1700000000000100+i*1000))
	}
	in := writeTemp(t, "spans.json", "["+strings.Join(spans, ",\n")+"]")
	for _, tc := range []struct {
		maxPending           string
		dropped, completed   int64
		paired, fromUser     int64
		apiCalls, apiDropped int64
	}{
		{"3", 4, 1, 1, 1, 5, 4},
		{"1000", 0, 2, 2, 0, 5, 0},
	} {
		code, out, errOut := run(t, "", "derive", "--input", in, "--max-pending", tc.maxPending)
		if code != ExitOK {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		var doc struct {
			Edges []struct {
				From, To string
				Calls    int64
				Trust    struct{ Paired, Unpaired, Dropped int64 }
			}
			Derivation struct {
				Dropped, Completed, Unpaired int64
			}
		}
		if err := json.Unmarshal([]byte(out), &doc); err != nil {
			t.Fatal(err)
		}
		if doc.Derivation.Dropped != tc.dropped || doc.Derivation.Completed != tc.completed {
			t.Errorf("--max-pending %s: derivation %+v, want %d dropped, %d completed", tc.maxPending, doc.Derivation, tc.dropped, tc.completed)
		}
		var fromUser int64
		for _, e := range doc.Edges {
			switch e.From + "->" + e.To {
			case "api->payments":
				if e.Calls != tc.apiCalls || e.Trust.Paired != tc.paired || e.Trust.Dropped != tc.apiDropped {
					t.Errorf("--max-pending %s: api->payments %+v, want %d calls, %d paired, %d dropped", tc.maxPending, e, tc.apiCalls, tc.paired, tc.apiDropped)
				}
			case "user->payments":
				fromUser = e.Calls
			}
		}
		if fromUser != tc.fromUser {
			t.Errorf("--max-pending %s: user->payments %d calls, want %d", tc.maxPending, fromUser, tc.fromUser)
		}
	}
}

func TestEnvName(t *testing.T) {
	if got := envName("otlp-http-addr"); got != "SPANMAP_OTLP_HTTP_ADDR" {
		t.Fatalf("envName = %q", got)
	}
}
