package derive

import (
	"testing"

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
		{name: "clients without a service show as unknown_service", spans: []span.Span{
			mk(1, 0, kServer, "client"),
			mk(2, 1, kClient, "", remote("server")),
			mk(3, 1, kClient, "", remote("server")),
		}, want: lines("user->client rpc n=1 e=0 p=0", "client->unknown_service rpc n=2 e=0 p=0", "unknown_service->server external n=2 e=0 p=0")},
		{name: "root spans without a service show as unknown_service", spans: []span.Span{
			mk(1, 0, kServer, ""),
			mk(2, 0, kClient, "unknown_service:java", remote("server"), inTrace(2)),
		}, want: lines("user->unknown_service rpc n=1 e=0 p=0", "unknown_service->server external n=1 e=0 p=0")},
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
