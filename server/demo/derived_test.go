package demo

import (
	"sort"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/spanmap/spanmap/graph"
	"github.com/spanmap/spanmap/graph/decode"
	"github.com/spanmap/spanmap/graph/derive"
)

// TestGenerator_Batch_derivedTopology feeds a full incident cycle through
// the OTLP decoder and the deriver and checks that the map it yields is the
// demo shop: every kind of edge, sensible virtual node names, nothing
// unpaired between services.
func TestGenerator_Batch_derivedTopology(t *testing.T) {
	g := newTestGenerator(t, nil)
	now := t0
	d := derive.New(derive.DefaultConfig(), func() time.Time { return now })
	var obs []derive.Observation
	for range 180 {
		now = now.Add(time.Second)
		b, err := proto.Marshal(g.Batch(now, 8))
		if err != nil {
			t.Fatal(err)
		}
		spans, err := decode.Bytes(b, decode.OTLPProto)
		if err != nil {
			t.Fatalf("decode: %v", err)
		}
		obs = d.Add(spans, obs)
		obs = d.Expire(obs)
	}
	obs = d.Flush(obs)

	services := map[string]bool{}
	for _, s := range g.Services() {
		services[s] = true
	}
	type edge struct {
		kind    graph.EdgeKind
		to      graph.NodeKind
		calls   int
		paired  int
		errored int
	}
	edges := map[string]*edge{}
	for _, o := range obs {
		k := o.From.ID + " -> " + o.To.ID
		e := edges[k]
		if e == nil {
			e = &edge{kind: o.Kind, to: o.To.Kind}
			edges[k] = e
		}
		e.calls++
		if o.Paired {
			e.paired++
		}
		if o.Error {
			e.errored++
		}
		for _, ep := range []derive.Endpoint{o.From, o.To} {
			if ep.Kind == graph.NodeService && ep.Namespace != NamespaceShop && ep.Namespace != NamespacePlatform {
				t.Errorf("service node %s has namespace %q", ep.ID, ep.Namespace)
			}
			if ep.Kind.IsVirtual() && services[ep.ID] {
				t.Errorf("virtual %s node %q merges with a service", ep.Kind, ep.ID)
			}
		}
	}

	want := map[string]graph.EdgeKind{
		"user -> web-frontend":                 graph.EdgeRPC,
		"web-frontend -> api-gateway":          graph.EdgeRPC,
		"api-gateway -> auth":                  graph.EdgeRPC,
		"auth -> redis-sessions":               graph.EdgeDatabase,
		"catalog -> catalog_db":                graph.EdgeDatabase,
		"inventory -> inventory_db":            graph.EdgeDatabase,
		"payment -> " + PaymentProviderAddress: graph.EdgeExternal,
		"shipping -> " + CarrierAddress:        graph.EdgeExternal,
		"email-worker -> " + MailRelayAddress:  graph.EdgeExternal,
		"checkout -> shipping":                 graph.EdgeMessaging,
		"checkout -> notification":             graph.EdgeMessaging,
		"notification -> email-worker":         graph.EdgeMessaging,
		"recommendation -> ml-scoring":         graph.EdgeRPC,
		"ml-scoring -> feature-store":          graph.EdgeDatabase,
		"api-gateway -> catalog":               graph.EdgeRPC,
		"checkout -> payment":                  graph.EdgeRPC,
		"auth -> user-profile":                 graph.EdgeRPC,
		"search -> catalog":                    graph.EdgeRPC,
		"cart -> inventory":                    graph.EdgeRPC,
		"checkout -> pricing":                  graph.EdgeRPC,
		"recommendation -> catalog":            graph.EdgeRPC,
		"notification -> user-profile":         graph.EdgeRPC,
		"user-profile -> users_db":             graph.EdgeDatabase,
		"payment -> " + PaymentEventsTopic:     graph.EdgeMessaging,
	}
	for k, kind := range want {
		e := edges[k]
		if e == nil {
			t.Errorf("missing edge %s", k)
			continue
		}
		if e.kind != kind {
			t.Errorf("edge %s is %s, want %s", k, e.kind, kind)
		}
	}
	if e := edges["payment -> "+PaymentEventsTopic]; e != nil && (e.to != graph.NodeMessaging || e.paired != 0) {
		t.Errorf("payment -> %s goes to a %s node with %d paired calls, want an uninstrumented messaging node", PaymentEventsTopic, e.to, e.paired)
	}
	if e := edges["payment -> "+PaymentProviderAddress]; e != nil && e.errored == 0 {
		t.Error("no errors on payment -> payment provider over a full cycle")
	}
	for k, e := range edges {
		from, to, _ := strings.Cut(k, " -> ")
		if services[from] && services[to] && e.paired != e.calls {
			t.Errorf("edge %s: %d of %d calls paired", k, e.paired, e.calls)
		}
	}
	st := d.Stats()
	if st.MissingParent != 0 || st.NoPeer != 0 || st.NoCaller != 0 || st.Dropped != 0 {
		t.Errorf("deriver stats = %+v, want no missing parents, nameless peers, callers or drops", st)
	}
	if testing.Verbose() {
		keys := make([]string, 0, len(edges))
		for k := range edges {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			e := edges[k]
			t.Logf("%-50s %-9s %6d calls %5d errors", k, e.kind, e.calls, e.errored)
		}
	}
}
