package derive

import (
	"testing"
	"time"

	"github.com/spanmap/spanmap/graph/span"
)

// ruleCase is a trace and the edges it must give ("from->to kind n= e= p=").
type ruleCase struct {
	name  string
	cfg   func(*Config)
	spans []span.Span
	want  string
}

func ruleCases() []ruleCase {
	return []ruleCase{
		// Client/server pairing.
		{name: "client server pair is one call", spans: []span.Span{
			mk(1, 0, kClient, "web"),
			mk(2, 1, kServer, "app"),
		}, want: lines("web->app rpc n=1 e=0 p=1")},
		{name: "error on either side fails the call", spans: []span.Span{
			mk(1, 0, kClient, "web", failed()),
			mk(2, 1, kServer, "app"),
			mk(3, 0, kClient, "web", inTrace(2)),
			mk(4, 3, kServer, "app", inTrace(2), failed()),
			mk(5, 0, kClient, "web", inTrace(3)),
			mk(6, 5, kServer, "app", inTrace(3)),
		}, want: lines("web->app rpc n=3 e=2 p=3")},
		{name: "one client with two server children is two calls", spans: []span.Span{
			mk(1, 0, kClient, "client"),
			mk(2, 1, kServer, "server", failed()),
			mk(3, 1, kServer, "server"),
		}, want: lines("client->server rpc n=2 e=1 p=2")},
		{name: "server name wins over the client's remote name", spans: []span.Span{
			mk(1, 0, kClient, "client", remote("guess")),
			mk(2, 1, kServer, "server"),
		}, want: lines("client->server rpc n=1 e=0 p=1")},
		{name: "self call through a client span", spans: []span.Span{
			mk(1, 0, kClient, "svc"),
			mk(2, 1, kServer, "svc"),
		}, want: lines("svc->svc rpc n=1 e=0 p=1")},
		// Walking up through internal spans.
		{name: "server below internal spans of another service", spans: []span.Span{
			mk(1, 0, kServer, "a"),
			mk(2, 1, kInternal, "a"),
			mk(3, 2, kInternal, "a"),
			mk(4, 3, kServer, "b"),
		}, want: lines("user->a rpc n=1 e=0 p=0", "a->b rpc n=1 e=0 p=0")},
		{name: "nested server in the same service is no call", spans: []span.Span{
			mk(1, 0, kClient, "a"),
			mk(2, 1, kServer, "b"),
			mk(3, 2, kInternal, "b"),
			mk(4, 3, kServer, "b"),
		}, want: lines("a->b rpc n=1 e=0 p=1")},
		{name: "root server gets the user node", spans: []span.Span{
			mk(1, 0, kServer, "web"),
		}, want: lines("user->web rpc n=1 e=0 p=0")},
		{name: "root server names its caller by remote endpoint", spans: []span.Span{
			mk(1, 0, kServer, "server", remote("client")),
		}, want: lines("client->server rpc n=1 e=0 p=0")},
		{name: "server whose parent never arrives gets the user node", spans: []span.Span{
			mk(2, 99, kServer, "svc"),
		}, want: lines("user->svc rpc n=1 e=0 p=0")},
		{name: "user node off counts instead of drawing", cfg: func(c *Config) { c.UserNode = false }, spans: []span.Span{
			mk(1, 0, kServer, "web"),
			mk(2, 1, kClient, "web"),
			mk(3, 2, kServer, "app"),
		}, want: lines("web->app rpc n=1 e=0 p=1")},
		{name: "custom user node name", cfg: func(c *Config) { c.UserNodeName = "internet" }, spans: []span.Span{
			mk(1, 0, kServer, "web"),
		}, want: lines("internet->web rpc n=1 e=0 p=0")},
		// Virtual peers.
		{name: "unclaimed client goes to its peer service", spans: []span.Span{
			mk(1, 0, kClient, "api", peerService("payments")),
		}, want: lines("api->payments external n=1 e=0 p=0")},
		{name: "database client", spans: []span.Span{
			mk(1, 0, kClient, "api", dbSystem("postgresql"), dbName("orders"), failed()),
		}, want: lines("api->orders database n=1 e=1 p=0")},
		{name: "database client named by system", spans: []span.Span{
			mk(1, 0, kClient, "api", dbSystem("redis")),
		}, want: lines("api->redis database n=1 e=0 p=0")},
		{name: "peer.service wins over db attributes", spans: []span.Span{
			mk(1, 0, kClient, "api", dbSystem("postgresql"), peerService("pg-main")),
		}, want: lines("api->pg-main database n=1 e=0 p=0")},
		{name: "client named by server address", spans: []span.Span{
			mk(1, 0, kClient, "api", serverAddress("api.github.com")),
		}, want: lines("api->api.github.com external n=1 e=0 p=0")},
		{name: "client without peer attributes draws nothing", spans: []span.Span{
			mk(1, 0, kClient, "api"),
		}, want: ""},
		{name: "custom peer order", cfg: func(c *Config) { c.PeerOrder = []string{PeerServerAddress, PeerService} }, spans: []span.Span{
			mk(1, 0, kClient, "api", serverAddress("10.0.0.1"), peerService("payments")),
		}, want: lines("api->10.0.0.1 external n=1 e=0 p=0")},
		{name: "claimed client draws no virtual edge", spans: []span.Span{
			mk(1, 0, kClient, "api", peerService("payments")),
			mk(2, 1, kServer, "payments-v2"),
		}, want: lines("api->payments-v2 rpc n=1 e=0 p=1")},
		// Entries without a server span (Zipkin's missing link, Jaeger's parent/child rule).
		{name: "client span entered from another service", spans: []span.Span{
			mk(1, 0, kServer, "web"),
			mk(2, 1, kClient, "app"),
		}, want: lines("user->web rpc n=1 e=0 p=0", "web->app rpc n=1 e=0 p=0")},
		{name: "simulated database recorded under its own name", spans: []span.Span{
			mk(1, 0, kServer, "customer"),
			mk(2, 1, kClient, "mysql", peerService("mysql")),
		}, want: lines("user->customer rpc n=1 e=0 p=0", "customer->mysql rpc n=1 e=0 p=0")},
		{name: "loopback root client", spans: []span.Span{
			mk(1, 0, kClient, "svc", remote("svc")),
		}, want: lines("svc->svc external n=1 e=0 p=0")},
		// Messaging.
		{name: "producer consumer by parent", spans: []span.Span{
			mk(1, 0, kProducer, "orders", msgSystem("kafka"), destination("new-orders"), startMs(100)),
			mk(2, 1, kConsumer, "billing", startMs(130)),
		}, want: lines("orders->billing messaging n=1 e=0 p=1")},
		{name: "producer consumer by link across traces", spans: []span.Span{
			mk(1, 0, kProducer, "orders", msgSystem("kafka")),
			mk(5, 0, kConsumer, "billing", inTrace(2), link(1, 1), msgSystem("kafka")),
		}, want: lines("orders->billing messaging n=1 e=0 p=1")},
		{name: "batch consumer links two producers", spans: []span.Span{
			mk(1, 0, kProducer, "orders", inTrace(1)),
			mk(1, 0, kProducer, "refunds", inTrace(2)),
			mk(5, 0, kConsumer, "billing", inTrace(3), link(1, 1), link(2, 1)),
		}, want: lines("orders->billing messaging n=1 e=0 p=1", "refunds->billing messaging n=1 e=0 p=1")},
		{name: "unpaired producer goes to the messaging node", spans: []span.Span{
			mk(1, 0, kProducer, "orders", msgSystem("kafka"), destination("new-orders")),
		}, want: lines("orders->new-orders messaging n=1 e=0 p=0")},
		{name: "producer without messaging attributes is still messaging", spans: []span.Span{
			mk(1, 0, kProducer, "orders", peerService("queue")),
		}, want: lines("orders->queue messaging n=1 e=0 p=0")},
		{name: "root consumer comes from the messaging node", spans: []span.Span{
			mk(1, 0, kConsumer, "billing", msgSystem("kafka"), destination("new-orders")),
		}, want: lines("new-orders->billing messaging n=1 e=0 p=0")},
		{name: "root consumer named by peer service", spans: []span.Span{
			mk(1, 0, kConsumer, "internal-consumer", peerService("external-producer")),
		}, want: lines("external-producer->internal-consumer messaging n=1 e=0 p=0")},
		{name: "root consumer without attributes comes from the user node", spans: []span.Span{
			mk(1, 0, kConsumer, "worker"),
		}, want: lines("user->worker messaging n=1 e=0 p=0")},
		{name: "client parent of a consumer is a messaging call", spans: []span.Span{
			mk(1, 0, kClient, "client"),
			mk(2, 1, kConsumer, "consumer"),
		}, want: lines("client->consumer messaging n=1 e=0 p=1")},
		{name: "producer parent of a server is an rpc call", spans: []span.Span{
			mk(1, 0, kProducer, "producer"),
			mk(2, 1, kServer, "server"),
		}, want: lines("producer->server rpc n=1 e=0 p=1")},
		// Zipkin shared spans.
		{name: "shared span halves pair", spans: []span.Span{
			mk(1, 0, kServer, "web"),
			mk(2, 1, kClient, "web"),
			mk(2, 1, kServer, "app", shared()),
			mk(3, 2, kClient, "app", remote("db"), failed()),
		}, want: lines("user->web rpc n=1 e=0 p=0", "web->app rpc n=1 e=0 p=1", "app->db external n=1 e=1 p=0")},
		{name: "same id client and server without the flag pair", spans: []span.Span{
			mk(2, 1, kServer, "app"),
			mk(2, 1, kClient, "web"),
			mk(1, 0, kServer, "web"),
		}, want: lines("user->web rpc n=1 e=0 p=0", "web->app rpc n=1 e=0 p=1")},
		{name: "shared server half without parent id", spans: []span.Span{
			mk(1, 0, kServer, "arn"),
			mk(2, 1, kClient, "arn"),
			mk(2, 0, kServer, "link", shared(), remote("arn")),
		}, want: lines("user->arn rpc n=1 e=0 p=0", "arn->link rpc n=1 e=0 p=1")},
		{name: "producer and shared server", spans: []span.Span{
			mk(1, 0, kProducer, "producer"),
			mk(1, 0, kServer, "server", shared()),
		}, want: lines("producer->server rpc n=1 e=0 p=1")},
		{name: "kind-less spans with both sides act as clients", spans: []span.Span{
			mk(1, 0, kNone, "some-client", remote("web")),
			mk(2, 1, kNone, "web", remote("app"), failed()),
			mk(3, 2, kNone, "app", remote("db")),
		}, want: lines("some-client->web rpc n=1 e=0 p=0", "web->app rpc n=1 e=1 p=0", "app->db external n=1 e=0 p=0")},
		{name: "spans without a service belong to their parent's", spans: []span.Span{
			mk(1, 0, kServer, "client"),
			mk(2, 1, kNone, ""),
			mk(3, 2, kClient, "server"),
			mk(4, 2, kClient, "server"),
		}, want: lines("user->client rpc n=1 e=0 p=0", "client->server rpc n=2 e=0 p=0")},
		// Zipkin spans without a local service (empty Service).
		{name: "clients without a local service take their nearest ancestor's", spans: []span.Span{
			mk(1, 0, kServer, "client"),
			mk(2, 1, kClient, "", remote("server")),
			mk(3, 1, kClient, "", remote("server")),
		}, want: lines("user->client rpc n=1 e=0 p=0", "client->server external n=2 e=0 p=0")},
		{name: "client without a local service under a server pairs with its callee", spans: []span.Span{
			mk(1, 0, kServer, "a"),
			mk(2, 1, kInternal, ""),
			mk(3, 2, kClient, "", remote("guess")),
			mk(4, 3, kServer, "b"),
		}, want: lines("user->a rpc n=1 e=0 p=0", "a->b rpc n=1 e=0 p=1")},
		{name: "client half without a local service pairs with its shared server half", spans: []span.Span{
			mk(1, 0, kServer, "a"),
			mk(2, 1, kClient, ""),
			mk(2, 1, kServer, "b", shared()),
			mk(3, 2, kClient, "b", remote("db")),
		}, want: lines("user->a rpc n=1 e=0 p=0", "a->b rpc n=1 e=0 p=1", "b->db external n=1 e=0 p=0")},
		{name: "server without a local service is no call", spans: []span.Span{
			mk(1, 0, kClient, "a", remote("b")),
			mk(2, 1, kServer, "", remote("a")),
			mk(3, 2, kClient, "", remote("c")),
		}, want: lines("a->b external n=1 e=0 p=0")},
		{name: "spans without a local service and no named ancestor draw nothing", spans: []span.Span{
			mk(1, 0, kServer, ""),
			mk(1, 0, kServer, "", remote("client"), inTrace(2)),
			mk(1, 0, kClient, "", remote("server"), inTrace(3)),
			mk(1, 0, kNone, "", remote("frontend"), inTrace(4)),
			mk(2, 1, kNone, "frontend", remote("backend"), inTrace(4)),
		}, want: lines("frontend->backend external n=1 e=0 p=0")},
		// OTLP and Jaeger spans without a service name (unknown_service).
		{name: "internal spans named unknown_service take their parent's service", spans: []span.Span{
			mk(1, 0, kServer, "client"),
			mk(2, 1, kInternal, "unknown_service"),
			mk(3, 2, kClient, "server"),
			mk(4, 2, kClient, "server"),
		}, want: lines("user->client rpc n=1 e=0 p=0", "client->server rpc n=2 e=0 p=0")},
		{name: "root spans named unknown_service show as unknown_service", spans: []span.Span{
			mk(1, 0, kServer, "unknown_service"),
			mk(2, 0, kClient, "unknown_service:java", remote("server"), inTrace(2)),
		}, want: lines("user->unknown_service rpc n=1 e=0 p=0", "unknown_service->server external n=1 e=0 p=0")},
		{name: "clients named unknown_service keep the name", spans: []span.Span{
			mk(1, 0, kServer, "client"),
			mk(2, 1, kClient, "unknown_service", peerService("server")),
		}, want: lines("user->client rpc n=1 e=0 p=0", "client->unknown_service rpc n=1 e=0 p=0", "unknown_service->server external n=1 e=0 p=0")},
	}
}

func TestDeriver_Flush_rules(t *testing.T) {
	for _, tc := range ruleCases() {
		t.Run(tc.name, func(t *testing.T) {
			cfg := DefaultConfig()
			if tc.cfg != nil {
				tc.cfg(&cfg)
			}
			if err := cfg.Validate(); err != nil {
				t.Fatal(err)
			}
			obs, st := derive(cfg, tc.spans)
			if got := brief(obs); got != tc.want {
				t.Errorf("edges:\n%s\nwant:\n%s", got, tc.want)
			}
			if st.Pending != 0 {
				t.Errorf("pending after flush = %d", st.Pending)
			}
		})
	}
}

// TestDeriver_Add_noLocalServiceParentArrivesLater checks that a client span
// without a service of its own waits for its parent in a later batch, takes
// the parent's service and then pairs with the server span that arrived
// before either.
func TestDeriver_Add_noLocalServiceParentArrivesLater(t *testing.T) {
	clk := newClock()
	cfg := DefaultConfig()
	cfg.TTL = 10 * time.Second
	d := New(cfg, clk.now)
	obs := d.Add([]span.Span{mk(3, 2, kServer, "b")}, nil)
	clk.add(2 * time.Second)
	obs = d.Add([]span.Span{mk(2, 1, kClient, "", remote("b"))}, obs)
	clk.add(2 * time.Second)
	if obs = d.Expire(obs); len(obs) != 0 {
		t.Fatalf("calls before the parent arrived: %s", brief(obs))
	}
	obs = d.Add([]span.Span{mk(1, 0, kServer, "a")}, obs)
	if got, want := brief(obs), lines("a->b rpc n=1 e=0 p=1"); got != want {
		t.Fatalf("when the parent arrives:\n%s\nwant:\n%s", got, want)
	}
	clk.add(10 * time.Second)
	obs = d.Expire(obs)
	if got, want := brief(obs), lines("a->b rpc n=1 e=0 p=1", "user->a rpc n=1 e=0 p=0"); got != want {
		t.Fatalf("after expiry:\n%s\nwant:\n%s", got, want)
	}
	if st := d.Stats(); st.NoService != 0 || st.MissingParent != 0 || st.Pending != 0 {
		t.Errorf("stats %+v, want no no_service, no missing_parent, nothing pending", st)
	}
}

// TestDeriver_Expire_noLocalServiceCounted checks that spans without a
// service that take none from an ancestor draw nothing and are counted in
// Stats.NoService: a lone span, a server span, a client whose parent
// arrives only after it settled, and a server whose parent never arrives with
// its child.
func TestDeriver_Expire_noLocalServiceCounted(t *testing.T) {
	clk := newClock()
	cfg := DefaultConfig()
	cfg.TTL = time.Second
	d := New(cfg, clk.now)
	obs := d.Add([]span.Span{
		mk(1, 0, kClient, "", remote("server")),
		mk(1, 0, kServer, "", remote("client"), inTrace(2)),
		mk(2, 1, kClient, "", remote("db"), inTrace(3)),
		// A server without a service never takes one: its child does not
		// wait for the server's own missing parent.
		mk(5, 4, kServer, "", inTrace(4)),
		mk(6, 5, kInternal, "", inTrace(4)),
	}, nil)
	clk.add(2 * time.Second)
	obs = d.Expire(obs)
	obs = d.Add([]span.Span{mk(1, 0, kServer, "a", inTrace(3))}, obs)
	obs = d.Flush(obs)
	if got, want := brief(obs), lines("user->a rpc n=1 e=0 p=0"); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
	st := d.Stats()
	if st.NoService != 5 || st.MissingParent != 2 || st.NoPeer != 0 || st.NoCaller != 0 {
		t.Errorf("stats %+v, want no_service 5, missing_parent 2, no_peer 0, no_caller 0", st)
	}
}

// TestDeriver_Add_noLocalServiceProducerLinked checks, in every arrival
// order, that a consumer linking to a producer without a service of its own
// pairs with it once the producer takes its parent's service. No input format
// carries both (Zipkin has no span links), so this is no golden case.
func TestDeriver_Add_noLocalServiceProducerLinked(t *testing.T) {
	spans := []span.Span{
		mk(1, 0, kServer, "api"),
		mk(2, 1, kProducer, ""),
		mk(5, 0, kConsumer, "worker", inTrace(2), link(1, 2), startMs(40)),
	}
	want := lines("user->api rpc n=1 e=0 p=0", "api->worker messaging n=1 e=0 p=1")
	d := New(DefaultConfig(), newClock().now)
	permute(spans, func(p []span.Span) {
		var obs []Observation
		for i := range p {
			obs = d.Add(p[i:i+1], obs)
		}
		if got := brief(d.Flush(obs)); got != want {
			t.Fatalf("order %v:\n%s\nwant:\n%s", order(p), got, want)
		}
	})
}
