package derive

import (
	"bytes"
	"encoding/json"
	"flag"
	"math/rand"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/spanmap/spanmap/graph/decode"
	"github.com/spanmap/spanmap/graph/span"
)

var (
	update = flag.Bool("update", false, "rewrite testdata/*.golden.json from the current derivation")
	gen    = flag.Bool("gen", false, "rewrite the golden inputs testdata/<case>-<format>.json from the Go-built scenarios")
)

// scenario is a trace set derived with the default configuration.
type scenario struct {
	name  string
	spans []span.Span
}

// goldenScenarios are the rule cases that use the default configuration plus
// conformance scenarios rewritten from the Zipkin, OpenTelemetry Collector,
// Tempo and Jaeger test suites and from Jaeger's HotROD demo.
func goldenScenarios() []scenario {
	var out []scenario
	for _, rc := range ruleCases() {
		if rc.cfg == nil {
			out = append(out, scenario{name: rc.name, spans: rc.spans})
		}
	}
	return append(out, conformanceScenarios()...)
}

func conformanceScenarios() []scenario {
	webAppDB := []span.Span{ // reported in reverse, as Zipkin reporters often do
		mk(3, 2, kClient, "app", remote("db"), failed()),
		mk(2, 1, kServer, "app", shared(), remote("web")),
		mk(2, 1, kClient, "web", remote("app")),
		mk(1, 0, kServer, "web"),
	}
	lateParent := append([]span.Span(nil), webAppDB...)
	lateParent[2].ParentID = span.SpanID{}
	lostServer := []span.Span{lateParent[0], lateParent[2], lateParent[3]}
	hotrod := []span.Span{
		mk(1, 0, kServer, "frontend", name("HTTP GET /dispatch"), durMs(700)),
		mk(2, 1, kClient, "frontend", name("HTTP GET"), durMs(300)),
		mk(3, 2, kServer, "customer", name("HTTP GET /customer"), durMs(290)),
		mk(4, 3, kClient, "mysql", name("SQL SELECT"), peerService("mysql"), durMs(280)),
		mk(5, 1, kClient, "frontend", name("driver.DriverService/FindNearest"), durMs(200)),
		mk(6, 5, kServer, "driver", name("driver.DriverService/FindNearest"), durMs(190)),
		mk(7, 6, kClient, "redis-manual", name("FindDriverIDs"), durMs(20)),
		mk(8, 6, kClient, "redis-manual", name("GetDriver"), durMs(12)),
		mk(9, 6, kClient, "redis-manual", name("GetDriver"), durMs(40), failed()),
		mk(10, 1, kClient, "frontend", name("HTTP GET"), durMs(60)),
		mk(11, 10, kServer, "route", name("HTTP GET /route"), durMs(55)),
		mk(12, 1, kClient, "frontend", name("HTTP GET"), durMs(65)),
		mk(13, 12, kServer, "route", name("HTTP GET /route"), durMs(50)),
	}
	return []scenario{
		{"zipkin links web app db", webAppDB},
		{"zipkin late parent id in shared span", lateParent},
		{"zipkin lost server half without parent id", lostServer},
		{"zipkin intermediated kind-less span", []span.Span{
			mk(1, 0, kServer, "client"),
			mk(2, 1, kNone, ""),
			mk(3, 2, kClient, "server", failed()),
			mk(4, 2, kClient, "server", failed()),
		}},
		{"zipkin errors on instrumented links", []span.Span{
			mk(1, 0, kServer, "foo"),
			mk(2, 1, kNone, ""),
			mk(3, 2, kClient, "bar", remote("baz"), failed()),
			mk(4, 2, kClient, "bar", remote("baz")),
		}},
		{"zipkin related spans below a missing root", []span.Span{
			mk(2, 1, kServer, "service1"),
			mk(3, 2, kServer, "service2"),
		}},
		{"zipkin unrelated spans below a missing root", []span.Span{
			mk(2, 1, kServer, "service1"),
			mk(3, 1, kServer, "service2"),
		}},
		{"zipkin messaging with broker names", []span.Span{
			mk(1, 0, kProducer, "producer", remote("kafka")),
			mk(2, 1, kConsumer, "consumer", remote("kafka")),
		}},
		{"zipkin messaging without broker names", []span.Span{
			mk(1, 0, kProducer, "producer"),
			mk(2, 1, kConsumer, "consumer"),
		}},
		{"zipkin calls count per client span", []span.Span{
			mk(1, 0, kServer, "client"),
			mk(2, 1, kClient, "", remote("server")),
			mk(3, 1, kClient, "", remote("server")),
		}},
		{"otel self call with durations", []span.Span{
			mk(1, 0, kClient, "some-service", durMs(1000)),
			mk(2, 1, kServer, "some-service", durMs(2000)),
		}},
		{"otel incomplete client to virtual server", []span.Span{
			mk(1, 0, kClient, "some-client-service", peerService("AuthTokenCache")),
		}},
		{"otel incomplete server from user", []span.Span{
			mk(1, 0, kServer, "some-server-service"),
		}},
		{"otel incomplete server with lost client", []span.Span{
			mk(2, 9, kServer, "some-server-service"),
		}},
		{"otel failed label", []span.Span{
			mk(1, 0, kClient, "foo", durMs(1000)),
			mk(2, 1, kServer, "bar", durMs(1000)),
			mk(1, 0, kClient, "foo", inTrace(2), durMs(1000)),
			mk(2, 1, kServer, "bar", inTrace(2), durMs(1000), func(s *span.Span) { s.StatusError = true }),
			mk(1, 0, kClient, "foo", inTrace(3), durMs(1000)),
			mk(2, 1, kServer, "bar", inTrace(3), durMs(1000)),
		}},
		{"tempo queue and database", []span.Span{
			mk(1, 0, kServer, "mythical-requester", name("requester")),
			mk(2, 1, kClient, "mythical-requester", name("HTTP POST"), durMs(45)),
			mk(3, 2, kServer, "mythical-server", name("POST /loki/api/v1/push"), durMs(29)),
			mk(4, 3, kClient, "mythical-server", name("pg.query:INSERT"), dbSystem("postgresql"), dbName("postgres"), durMs(23)),
			mk(5, 1, kProducer, "mythical-requester", name("publish"), msgSystem("rabbitmq"), destination("recorder"), startMs(10), durMs(1)),
			mk(6, 5, kConsumer, "mythical-recorder", name("consume"), msgSystem("rabbitmq"), startMs(20), durMs(1)),
		}},
		{"tempo virtual nodes", []span.Span{
			mk(1, 0, kServer, "mythical-server", name("requester")),
			mk(2, 1, kClient, "mythical-requester", name("HTTP GET /ready"), peerService("external-payments-platform")),
			mk(3, 0, kConsumer, "internal-consumer", inTrace(2), name("Consumed"), peerService("external-producer")),
		}},
		{"tempo expired edges", []span.Span{
			mk(1, 0, kServer, "root"),
			mk(2, 1, kClient, "root"),
			mk(3, 2, kServer, "app"),
			mk(4, 3, kClient, "app", dbName("orders")),
			mk(6, 5, kServer, "orphan"),
		}},
		{"hotrod dispatch", hotrod},
		{"jaeger follows from across traces", []span.Span{
			mk(1, 0, kServer, "api"),
			mk(2, 1, kProducer, "api", msgSystem("kafka"), destination("jobs")),
			mk(5, 0, kConsumer, "worker", inTrace(2), link(1, 2), msgSystem("kafka"), destination("jobs"), startMs(40)),
			mk(6, 5, kClient, "worker", inTrace(2), dbSystem("redis")),
		}},
		{"realistic shop traces", errorTags(realisticTraces(20, 3))},
	}
}

// errorTags moves status errors to error tags, which every format carries.
func errorTags(spans []span.Span) []span.Span {
	rng := rand.New(rand.NewSource(4))
	for i := range spans {
		spans[i].ErrorTag = spans[i].StatusError
		spans[i].StatusError = false
		spans[i].Start -= spans[i].Start % 1000 // microsecond timestamps
		spans[i].Duration -= spans[i].Duration % 1000
		if rng.Intn(10) == 0 {
			spans[i].HTTPStatus = 200
		}
	}
	return spans
}

var slugRE = regexp.MustCompile(`[^a-z0-9]+`)

func slug(s string) string {
	return strings.Trim(slugRE.ReplaceAllString(strings.ToLower(s), "-"), "-")
}

var formats = []struct {
	name  string
	write func([]span.Span) ([]byte, bool)
}{
	{"otlp", writeOTLP},
	{"zipkin", writeZipkin},
	{"jaeger", writeJaeger},
}

// TestGolden_generate writes the golden inputs when run with -gen.
func TestGolden_generate(t *testing.T) {
	if !*gen {
		t.Skip("run with -gen to rewrite the inputs")
	}
	for _, sc := range goldenScenarios() {
		for _, f := range formats {
			b, ok := f.write(sc.spans)
			if !ok {
				continue
			}
			p := filepath.Join("testdata", slug(sc.name)+"-"+f.name+".json")
			if err := os.WriteFile(p, b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// goldenEdge is one edge of a golden output.
type goldenEdge struct {
	From       string   `json:"from"`
	To         string   `json:"to"`
	FromKind   string   `json:"from_kind"`
	ToKind     string   `json:"to_kind"`
	Kind       string   `json:"kind"`
	Calls      int64    `json:"calls"`
	Errors     int64    `json:"errors"`
	Paired     int64    `json:"paired"`
	Unpaired   int64    `json:"unpaired"`
	ClientMs   *msStats `json:"client_ms,omitempty"`
	ServerMs   *msStats `json:"server_ms,omitempty"`
	QueueLagMs *msStats `json:"queue_lag_ms,omitempty"`
}

type msStats struct {
	N   int64   `json:"n"`
	Sum float64 `json:"sum"`
	Min float64 `json:"min"`
	Max float64 `json:"max"`
}

type goldenOut struct {
	Edges []goldenEdge `json:"edges"`
	Store Stats        `json:"store"`
}

func render(obs []Observation, st Stats) []byte {
	out := goldenOut{Edges: []goldenEdge{}, Store: st}
	for _, e := range summarize(obs) {
		g := goldenEdge{From: e.From, To: e.To, FromKind: e.FromKind, ToKind: e.ToKind, Kind: e.Kind,
			Calls: e.Calls, Errors: e.Errors, Paired: e.Paired, Unpaired: e.Unpaired}
		if e.clientN > 0 {
			g.ClientMs = &msStats{e.clientN, round3(e.ClientSumMs), round3(e.ClientMinMs), round3(e.ClientMaxMs)}
		}
		if e.serverN > 0 {
			g.ServerMs = &msStats{e.serverN, round3(e.ServerSumMs), round3(e.ServerMinMs), round3(e.ServerMaxMs)}
		}
		if e.QueueLagN > 0 {
			g.QueueLagMs = &msStats{N: e.QueueLagN, Sum: round3(e.QueueLagMs)}
		}
		out.Edges = append(out.Edges, g)
	}
	b, _ := json.MarshalIndent(out, "", "  ")
	return append(b, '\n')
}

func round3(v float64) float64 { return float64(int64(v*1000+0.5)) / 1000 }

// deriveFile decodes one input file with graph/decode and derives it as one
// complete batch: Add per decoded batch, then Flush.
func deriveFile(t *testing.T, path string) ([]Observation, Stats) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	d := New(DefaultConfig(), newClock().now)
	var obs []Observation
	err = decode.Stream(f, decode.Auto, func(batch []span.Span) error {
		obs = d.Add(batch, obs)
		return nil
	})
	if err != nil {
		t.Fatalf("decode %s: %v", path, err)
	}
	return d.Flush(obs), d.Stats()
}

func goldenInputs(t *testing.T) []string {
	t.Helper()
	all, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	var in []string
	for _, p := range all {
		if !strings.HasSuffix(p, ".golden.json") {
			in = append(in, p)
		}
	}
	sort.Strings(in)
	return in
}

func TestGolden_files(t *testing.T) {
	inputs := goldenInputs(t)
	if len(inputs) < 40 {
		t.Fatalf("only %d golden inputs", len(inputs))
	}
	for _, in := range inputs {
		name := strings.TrimSuffix(filepath.Base(in), ".json")
		t.Run(name, func(t *testing.T) {
			obs, st := deriveFile(t, in)
			got := render(obs, st)
			gp := filepath.Join("testdata", name+".golden.json")
			if *update {
				if err := os.WriteFile(gp, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(gp)
			if err != nil {
				t.Fatalf("%v (run go test -update)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from %s:\n%s", in, gp, got)
			}
		})
	}
}

// TestGolden_formatsAgree checks that every format of a scenario, and the
// Go-built spans themselves, give the same calls.
func TestGolden_formatsAgree(t *testing.T) {
	for _, sc := range goldenScenarios() {
		t.Run(sc.name, func(t *testing.T) {
			obs, _ := derive(DefaultConfig(), sc.spans)
			want := brief(obs)
			found := 0
			for _, f := range formats {
				p := filepath.Join("testdata", slug(sc.name)+"-"+f.name+".json")
				if _, err := os.Stat(p); err != nil {
					continue
				}
				found++
				fo, _ := deriveFile(t, p)
				if got := brief(fo); got != want {
					t.Errorf("%s:\n%s\nGo-built spans give:\n%s", p, got, want)
				}
			}
			if found == 0 {
				t.Errorf("no input file for %q (run go test -gen)", sc.name)
			}
		})
	}
}

// TestGolden_noStrayFiles fails on golden files whose input is gone.
func TestGolden_noStrayFiles(t *testing.T) {
	goldens, _ := filepath.Glob(filepath.Join("testdata", "*.golden.json"))
	for _, g := range goldens {
		in := strings.TrimSuffix(g, ".golden.json") + ".json"
		if _, err := os.Stat(in); err != nil {
			t.Errorf("%s has no input %s", g, in)
		}
	}
}
