package cli

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/spanmap/spanmap/graph/decode"
	"github.com/spanmap/spanmap/graph/span"
)

var (
	update = flag.Bool("update", false, "rewrite testdata/golden/<case>.golden.json from `spanmap derive`")
	gen    = flag.Bool("gen", false, "rewrite the twins of each golden case's hand-written input in the other formats")
)

// goldenDir holds the golden cases of `spanmap derive`: <case>.<format> is an
// input (optionally gzip-compressed, <case>.<format>.gz), <case>.args the
// extra flags (one a line), and <case>.golden.json the JSON that every input
// of the case must produce, with --format <format> and with --format auto.
const goldenDir = "testdata/golden"

// goldenCase is one case: the hand-written input (or a generator, for the
// large shapes) in one format, and the rules it exercises. Twins in the other
// formats are written from its decoded spans by go test -gen, where the
// format can carry them.
type goldenCase struct {
	name   string
	source decode.Format // the hand-written input; "" when gen builds it
	build  func() []span.Span
	rules  []string
}

// Rules and shapes the golden cases cover. The numbers are those of
// ARCHITECTURE.md, "Deriving the topology".
var goldenRules = map[string]string{
	"r1-pair":              "client/server pair is one paired call with client and server latency",
	"r1-error":             "an error on either side fails the call (error tag, status ERROR, HTTP >= 500, gRPC on servers)",
	"r1-fanout":            "one client span with two server children is two calls",
	"r2-self":              "a client and server span of one service are a self-call",
	"r3-walk":              "a server below internal spans finds its caller by walking up",
	"r3-nested":            "a server directly below a server of its own service is no call",
	"r4-entry":             "a span entered from another service without a server span is one unpaired call",
	"r5-peer-service":      "an unclaimed client goes to its peer.service",
	"r5-database":          "an unclaimed database client goes to a database node",
	"r5-address":           "an unclaimed client is named by server.address or net.peer.name",
	"r5-no-peer":           "a client without peer attributes draws nothing (no_peer)",
	"r5-claimed":           "a client claimed by its server child draws no virtual edge",
	"r5-own-name":          "an entry client naming its own service draws no second call; a root client naming its service is a loopback",
	"r6-user":              "a root server is called by the user node",
	"r6-no-user":           "--no-user-node counts root servers in no_caller",
	"r6-named-caller":      "a root server naming its caller (peer.service) is called by it",
	"r6-remote-endpoint":   "a root Zipkin server names its caller by remoteEndpoint",
	"r6-missing-parent":    "a server whose parent never arrives is called by the user node",
	"r7-parent":            "producer -> consumer child is a messaging call with queue lag",
	"r7-link":              "a consumer linked to a producer in another trace (OTLP link, Jaeger FOLLOWS_FROM)",
	"r7-batch":             "a batch consumer linking two producers is two calls",
	"r7-unpaired-producer": "an unpaired producer goes to its messaging node",
	"r7-root-consumer":     "a root consumer comes from its messaging node",
	"r7-client-consumer":   "a client parent of a consumer is a messaging call",
	"r7-producer-server":   "a producer parent of a server is an rpc call",
	"r7-negative-lag":      "a consumer starting before its producer counts, with unknown queue lag",
	"r8-shared":            "Zipkin shared span halves pair",
	"r8-same-id":           "a client and server with one span ID and no shared flag pair",
	"r9-duplicates":        "duplicate spans are counted and dropped",
	"r10-kindless-remote":  "a kind-less span with a remote service acts as a client",
	"r11-no-service":       "spans named unknown_service (OTLP without service.name, Jaeger without a process): internal ones take their parent's, call endpoints show as unknown_service",
	"r11-zipkin-no-local":  "Zipkin spans without a local service take their nearest ancestor's, or draw nothing (no_service)",
	"r13-sampling":         "the sampling probability (tracestate th, sampler.param) reaches the edge's trust",
	"agg-exemplars":        "exemplars: slowest, latest error, typical",
	"agg-quantiles":        "latency quantiles and rates over many calls",
	"cli-group-by":         "--group-by namespace",
	"messy-missing-parent": "missing parents",
	"messy-clock-skew":     "clock skew between caller and callee",
	"messy-duplicates":     "duplicate spans in one file",
	"messy-split":          "one trace split across batches, children first",
	"messy-self-call":      "self-calls",
	"messy-deep-chain":     "deep internal chains",
	"messy-10k":            "a 10,000-span trace",
	"real-shop":            "a realistic multi-service trace with databases, queues and externals",
}

// formatOnly lists rules that only some formats can express.
var formatOnly = map[string][]decode.Format{
	"r6-remote-endpoint":  {decode.Zipkin, decode.ZipkinProto},
	"r8-shared":           {decode.Zipkin, decode.ZipkinProto},
	"r10-kindless-remote": {decode.Zipkin, decode.ZipkinProto},
	"r11-zipkin-no-local": {decode.Zipkin, decode.ZipkinProto},
	"r7-link":             {decode.OTLPJSON, decode.OTLPProto, decode.JaegerJSON, decode.JaegerProto},
	"r7-batch":            {decode.OTLPJSON, decode.OTLPProto, decode.JaegerJSON, decode.JaegerProto},
}

// inputFormats are the formats golden inputs are written in.
var inputFormats = []decode.Format{decode.OTLPJSON, decode.OTLPProto, decode.Zipkin, decode.ZipkinProto, decode.JaegerJSON, decode.JaegerProto}

// goldenInput is one input file of a case.
type goldenInput struct {
	path   string
	name   string // case
	format decode.Format
}

func goldenInputs(t *testing.T) []goldenInput {
	t.Helper()
	ents, err := os.ReadDir(goldenDir)
	if err != nil {
		t.Fatal(err)
	}
	var out []goldenInput
	for _, e := range ents {
		n := strings.TrimSuffix(e.Name(), ".gz")
		if strings.HasSuffix(n, ".golden.json") || strings.HasSuffix(n, ".args") {
			continue
		}
		dot := strings.LastIndexByte(n, '.')
		if dot < 0 {
			t.Fatalf("%s: want <case>.<format>", e.Name())
		}
		f, err := decode.ParseFormat(n[dot+1:])
		if err != nil || f == decode.Auto {
			t.Fatalf("%s: format %q: %v", e.Name(), n[dot+1:], err)
		}
		out = append(out, goldenInput{path: filepath.Join(goldenDir, e.Name()), name: n[:dot], format: f})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].path < out[j].path })
	return out
}

// goldenArgs reads <case>.args.
func goldenArgs(t *testing.T, name string) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(goldenDir, name+".args"))
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	return strings.Fields(string(b))
}

// deriveGolden runs `spanmap derive` on one input and returns its stdout.
func deriveGolden(t *testing.T, in goldenInput, format string) string {
	t.Helper()
	path := in.path
	if strings.HasSuffix(path, ".gz") {
		path = gunzipTemp(t, path)
	}
	args := append([]string{"derive", "--input", path, "--format", format}, goldenArgs(t, in.name)...)
	code, out, errOut := run(t, "", args...)
	if code != ExitOK {
		t.Fatalf("spanmap %s: exit %d: %s", strings.Join(args, " "), code, errOut)
	}
	return out
}

func gunzipTemp(t *testing.T, path string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), strings.TrimSuffix(filepath.Base(path), ".gz"))
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestGolden_derive runs `spanmap derive` on every golden input, with its
// format named and detected, and compares the JSON with the case's golden
// file. go test -update rewrites the golden files from the hand-written
// input of each case (the other inputs must then agree with it).
func TestGolden_derive(t *testing.T) {
	inputs := goldenInputs(t)
	cases := map[string]goldenCase{}
	for _, c := range goldenCases() {
		cases[c.name] = c
	}
	// The hand-written (or generated) source of a case goes first, so that
	// -update writes the golden file from it.
	sort.SliceStable(inputs, func(i, j int) bool {
		if inputs[i].name != inputs[j].name {
			return inputs[i].name < inputs[j].name
		}
		return cases[inputs[i].name].source == inputs[i].format && cases[inputs[j].name].source != inputs[j].format
	})
	written := map[string]bool{}
	for _, in := range inputs {
		t.Run(filepath.Base(in.path), func(t *testing.T) {
			if _, ok := cases[in.name]; !ok {
				t.Fatalf("%s is not a golden case of goldenCases", in.path)
			}
			got := deriveGolden(t, in, in.format.String())
			if auto := deriveGolden(t, in, "auto"); auto != got {
				t.Errorf("--format auto differs from --format %s", in.format)
			}
			gp := filepath.Join(goldenDir, in.name+".golden.json")
			if *update && !written[in.name] {
				written[in.name] = true
				if err := os.WriteFile(gp, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(gp)
			if err != nil {
				t.Fatalf("%v (run go test -update)", err)
			}
			if got != string(want) {
				t.Errorf("%s differs from %s:\n%s", in.path, gp, got)
			}
		})
	}
}

// TestGolden_coverage checks the matrix of rules and formats: every rule and
// shape has a case in every input format that can express it, there are at
// least 40 cases, and no golden file is stray.
func TestGolden_coverage(t *testing.T) {
	have := map[string]map[decode.Format]bool{}
	for _, in := range goldenInputs(t) {
		if have[in.name] == nil {
			have[in.name] = map[decode.Format]bool{}
		}
		have[in.name][in.format] = true
	}
	matrix := map[string]map[decode.Format][]string{}
	cases := goldenCases()
	if len(cases) < 40 {
		t.Errorf("%d golden cases, want at least 40", len(cases))
	}
	for _, c := range cases {
		if len(have[c.name]) == 0 {
			t.Errorf("case %s has no input files (go test -gen)", c.name)
		}
		if c.source != "" && !have[c.name][c.source] {
			t.Errorf("case %s: hand-written input %s.%s is missing", c.name, c.name, c.source)
		}
		if _, err := os.Stat(filepath.Join(goldenDir, c.name+".golden.json")); err != nil {
			t.Errorf("case %s: %v", c.name, err)
		}
		for _, r := range c.rules {
			if goldenRules[r] == "" {
				t.Errorf("case %s: unknown rule %q", c.name, r)
			}
			if matrix[r] == nil {
				matrix[r] = map[decode.Format][]string{}
			}
			for f := range have[c.name] {
				matrix[r][f] = append(matrix[r][f], c.name)
			}
		}
	}
	rules := make([]string, 0, len(goldenRules))
	for r := range goldenRules {
		rules = append(rules, r)
	}
	sort.Strings(rules)
	for _, r := range rules {
		want := inputFormats
		if only, ok := formatOnly[r]; ok {
			want = only
		}
		var holes []string
		for _, f := range want {
			if len(matrix[r][f]) == 0 {
				holes = append(holes, f.String())
			}
		}
		if len(holes) > 0 {
			t.Errorf("rule %s (%s) has no golden case in %s", r, goldenRules[r], strings.Join(holes, ", "))
		}
	}
	goldens, _ := filepath.Glob(filepath.Join(goldenDir, "*.golden.json"))
	for _, g := range goldens {
		if name := strings.TrimSuffix(filepath.Base(g), ".golden.json"); len(have[name]) == 0 {
			t.Errorf("%s has no input", g)
		}
	}
}

// TestGolden_generate writes the twins of every case with -gen: the
// hand-written input is decoded and each other format written from its spans;
// generated cases are written in every format.
func TestGolden_generate(t *testing.T) {
	if !*gen {
		t.Skip("run with -gen to rewrite the twins of the hand-written inputs")
	}
	for _, c := range goldenCases() {
		var spans []span.Span
		if c.build != nil {
			spans = c.build()
		} else {
			b, err := os.ReadFile(filepath.Join(goldenDir, c.name+"."+c.source.String()))
			if err != nil {
				t.Fatal(err)
			}
			if spans, err = decode.Bytes(b, c.source); err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
		}
		for _, f := range inputFormats {
			if f == c.source {
				continue
			}
			base := filepath.Join(goldenDir, c.name+"."+f.String())
			os.Remove(base)
			os.Remove(base + ".gz")
			b, err := spanWriters[f](spans)
			if err != nil {
				t.Logf("%s: no %s twin: %v", c.name, f, err)
				continue
			}
			if len(spans) > 200 { // the large shapes are stored compressed
				var buf bytes.Buffer
				zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
				zw.Write(b)
				zw.Close()
				b, base = buf.Bytes(), base+".gz"
			}
			if err := os.WriteFile(base, b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// goldenCases lists every golden case and the rules it exercises.
func goldenCases() []goldenCase {
	return []goldenCase{
		{name: "rpc-client-server-pair", source: decode.OTLPJSON, rules: []string{"r1-pair"}},
		{name: "error-on-either-side", source: decode.Zipkin, rules: []string{"r1-error", "agg-exemplars"}},
		{name: "one-client-two-server-children", source: decode.Zipkin, rules: []string{"r1-fanout", "r1-error"}},
		{name: "self-call", source: decode.Zipkin, rules: []string{"r2-self", "messy-self-call"}},
		{name: "walk-up-through-internal-spans", source: decode.Zipkin, rules: []string{"r3-walk"}},
		{name: "nested-server-same-service", source: decode.Zipkin, rules: []string{"r3-nested"}},
		{name: "entry-without-server-span", source: decode.JaegerJSON, rules: []string{"r4-entry"}},
		{name: "unclaimed-client-peer-service", source: decode.OTLPJSON, rules: []string{"r5-peer-service"}},
		{name: "unclaimed-database-clients", source: decode.Zipkin, rules: []string{"r5-database"}},
		{name: "unclaimed-client-by-address", source: decode.Zipkin, rules: []string{"r5-address"}},
		{name: "client-without-peer-draws-nothing", source: decode.Zipkin, rules: []string{"r5-no-peer"}},
		{name: "claimed-client-draws-no-virtual-edge", source: decode.OTLPJSON, rules: []string{"r5-claimed"}},
		{name: "entry-client-naming-own-service", source: decode.JaegerJSON, rules: []string{"r5-own-name", "r4-entry"}},
		{name: "root-server-from-user", source: decode.Zipkin, rules: []string{"r6-user"}},
		{name: "no-user-node", source: decode.Zipkin, rules: []string{"r6-no-user"}},
		{name: "root-server-named-caller", source: decode.OTLPJSON, rules: []string{"r6-named-caller", "r6-user"}},
		{name: "root-server-remote-endpoint", source: decode.Zipkin, rules: []string{"r6-remote-endpoint"}},
		{name: "server-whose-parent-never-arrives", source: decode.Zipkin, rules: []string{"r6-missing-parent", "messy-missing-parent"}},
		{name: "messaging-parent-child-queue-lag", source: decode.OTLPJSON, rules: []string{"r7-parent"}},
		{name: "consumer-linked-across-traces", source: decode.JaegerJSON, rules: []string{"r7-link"}},
		{name: "batch-consumer-links-two-producers", source: decode.OTLPJSON, rules: []string{"r7-batch", "r7-link"}},
		{name: "queue-without-traced-ends", source: decode.Zipkin, rules: []string{"r7-unpaired-producer", "r7-root-consumer"}},
		{name: "client-parent-of-consumer", source: decode.Zipkin, rules: []string{"r7-client-consumer"}},
		{name: "producer-parent-of-server", source: decode.Zipkin, rules: []string{"r7-producer-server"}},
		{name: "clock-skew", source: decode.Zipkin, rules: []string{"r7-negative-lag", "messy-clock-skew"}},
		{name: "zipkin-shared-span-halves", source: decode.Zipkin, rules: []string{"r8-shared"}},
		{name: "same-id-client-and-server", source: decode.Zipkin, rules: []string{"r8-same-id"}},
		{name: "duplicate-spans", source: decode.OTLPJSON, rules: []string{"r9-duplicates", "messy-duplicates"}},
		{name: "kind-less-span-with-remote-service", source: decode.Zipkin, rules: []string{"r10-kindless-remote"}},
		{name: "spans-without-a-service", source: decode.Zipkin, rules: []string{"r11-zipkin-no-local"}},
		{name: "spans-named-unknown-service", source: decode.OTLPJSON, rules: []string{"r11-no-service"}},
		{name: "sampling-probability", source: decode.JaegerJSON, rules: []string{"r13-sampling"}},
		{name: "exemplars-and-quantiles", source: decode.Zipkin, rules: []string{"agg-exemplars", "agg-quantiles"}},
		{name: "group-by-namespace", source: decode.OTLPJSON, rules: []string{"cli-group-by"}},
		{name: "trace-split-across-batches", source: decode.OTLPJSON, rules: []string{"messy-split", "messy-missing-parent"}},
		{name: "realistic-shop-trace", source: decode.OTLPJSON, rules: []string{"real-shop"}},
		{name: "hotrod-dispatch", source: decode.JaegerJSON, rules: []string{"real-shop", "r4-entry", "r5-own-name"}},
		{name: "zipkin-messaging-with-broker-names", source: decode.Zipkin, rules: []string{"r7-parent", "r7-unpaired-producer", "r7-root-consumer"}},
		{name: "root-consumer-named-by-peer-service", source: decode.OTLPJSON, rules: []string{"r7-root-consumer", "r6-named-caller"}},
		{name: "tempo-trace-by-id", source: decode.OTLPJSON, rules: []string{"real-shop", "r1-pair", "r1-error"}},
		{name: "zipkin-traces-response", source: decode.Zipkin, rules: []string{"r1-pair", "r1-error", "r6-user"}},
		{name: "deep-internal-chains", build: deepChains, rules: []string{"messy-deep-chain", "r3-walk"}},
		{name: "ten-thousand-span-trace", build: tenThousandSpanTrace, rules: []string{"messy-10k", "messy-split", "agg-quantiles"}},
	}
}

// goldenStart is the start of the generated traces (2023-11-14T22:13:20Z).
const goldenStart = int64(1_700_000_000_000_000_000)

// gspan builds a generated span; times are in microseconds from goldenStart.
func gspan(trace uint64, id, parent uint64, kind span.Kind, service, name string, startUs, durUs int64) span.Span {
	s := span.Span{Kind: kind, Service: service, Name: name,
		Start: goldenStart + startUs*1000, Duration: durUs * 1000}
	binary.BigEndian.PutUint64(s.TraceID[8:], trace)
	s.TraceID[0] = 0x7e
	binary.BigEndian.PutUint64(s.SpanID[:], id)
	if parent != 0 {
		binary.BigEndian.PutUint64(s.ParentID[:], parent)
	}
	return s
}

// deepChains is one trace with 300 internal spans between api's server span
// and its client call to ledger, 200 between ledger's server span and its
// database client, and an audit server span hanging from the middle of api's
// chain (its caller is found by walking up 150 internal spans).
func deepChains() []span.Span {
	const tr = 0xdee9
	out := []span.Span{gspan(tr, 1, 0, span.KindServer, "api", "POST /transfer", 0, 900_000)}
	parent := uint64(1)
	for i := range 300 {
		id := uint64(1000 + i)
		out = append(out, gspan(tr, id, parent, span.KindInternal, "api", "step", int64(1+i), 800_000-int64(i)*1000))
		if i == 150 {
			out = append(out, gspan(tr, 5000, id, span.KindServer, "audit", "record", int64(200+i), 20_000))
		}
		parent = id
	}
	out = append(out, gspan(tr, 2, parent, span.KindClient, "api", "POST /post", 400_000, 300_000))
	out = append(out, gspan(tr, 3, 2, span.KindServer, "ledger", "POST /post", 401_000, 290_000))
	parent = 3
	for i := range 200 {
		id := uint64(3000 + i)
		out = append(out, gspan(tr, id, parent, span.KindInternal, "ledger", "validate", int64(402_000+i), 280_000-int64(i)*1000))
		parent = id
	}
	db := gspan(tr, 4, parent, span.KindClient, "ledger", "INSERT entries", 500_000, 40_000)
	db.Peer = span.Peer{DBSystem: "postgresql", DBName: "journal"}
	return append(out, db)
}

// tenThousandSpanTrace is one trace of 10,000 spans in shuffled order: a
// gateway server span, an internal span, and 4,999 calls from the gateway to
// ten services (call i goes to svc-<i mod 10>; its client waits 1-50 ms,
// the server 0.5 ms less; every 97th server answers HTTP 500).
func tenThousandSpanTrace() []span.Span {
	const tr = 0x10000
	out := []span.Span{
		gspan(tr, 1, 0, span.KindServer, "gateway", "GET /batch", 0, 10_000_000),
		gspan(tr, 2, 1, span.KindInternal, "gateway", "plan", 10, 500),
	}
	for i := range int64(4999) {
		dur := 1000 + i*7919%50_000
		c := gspan(tr, uint64(100_000+i), 1, span.KindClient, "gateway", "GET /part", 1000+i*1000, dur)
		s := gspan(tr, uint64(200_000+i), uint64(100_000+i), span.KindServer, fmt.Sprintf("svc-%d", i%10), "GET /part", 1000+i*1000+250, dur-500)
		if i%97 == 0 {
			s.HTTPStatus = 500
		}
		out = append(out, c, s)
	}
	rng := rand.New(rand.NewPCG(10_000, 1))
	rng.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}
