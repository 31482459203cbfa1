package demo

import (
	"fmt"
	"math/rand/v2"
	"time"
)

// Namespaces of the demo services (service.namespace).
const (
	// NamespaceShop holds the storefront and order services.
	NamespaceShop = "shop"
	// NamespacePlatform holds the gateway, identity and messaging services.
	NamespacePlatform = "platform"
)

// protocol is how an endpoint is reached.
type protocol uint8

const (
	protoHTTP     protocol = iota // HTTP server span
	protoGRPC                     // gRPC server span
	protoConsumer                 // Kafka consumer span
)

// peerKind is the kind of an uninstrumented peer.
type peerKind uint8

const (
	peerPostgres peerKind = iota
	peerRedis
	peerKafka
	peerHTTPS // external HTTPS API
	peerSMTP  // external mail relay
)

// service is one instrumented service and its running instances.
type service struct {
	name      string
	namespace string
	version   string
	// peerAttr makes its client spans carry peer.service, as some older
	// instrumentations do.
	peerAttr  bool
	instances []*instance
}

// host is the service's cluster-internal host name.
func (s *service) host() string {
	return s.name + "." + s.namespace + ".svc.cluster.local"
}

// pick returns a random instance.
func (s *service) pick(r *rand.Rand) *instance {
	return s.instances[r.IntN(len(s.instances))]
}

// instance is one process of a service, with its own clock offset.
type instance struct {
	index int // position in system.instances
	svc   *service
	id    string // service.instance.id and host.name
	skew  int64  // clock offset in ns
}

// peer is an uninstrumented dependency: a database, cache, broker or
// external API. Its spans are recorded by the caller only.
type peer struct {
	kind    peerKind
	system  string // db.system / messaging.system; empty for external APIs
	name    string // peer.service, when the caller's instrumentation sets it
	address string // server.address
	port    int64
}

// endpoint is one operation of an instrumented service.
type endpoint struct {
	svc   *service
	proto protocol
	// method is the HTTP method, the gRPC method, or the consumer group.
	method string
	// route is the HTTP route, the gRPC service, or the Kafka topic.
	route string
	// work is the time spent in the service itself, split around calls.
	work dist
	// errRate is the probability that the operation fails by itself.
	errRate float64
	// internal, when set, names an internal span that wraps the calls.
	internal string
	calls    []call
}

// name returns the server/consumer span name.
func (e *endpoint) name() string {
	switch e.proto {
	case protoHTTP:
		return e.method + " " + e.route
	case protoGRPC:
		return e.route + "/" + e.method
	}
	return "process " + e.route
}

// call is one outgoing call an endpoint makes.
type call struct {
	to   *endpoint // instrumented callee, or nil for a peer
	peer *peer     // uninstrumented callee

	// op is the peer operation: SQL verb, Redis command, HTTP method.
	op string
	// target is the SQL table, Redis key pattern or HTTP path.
	target string
	// dbName is db.name for PostgreSQL; topic for Kafka.
	dbName string
	// query is db.query.text.
	query string

	// p is the probability the call is made at all.
	p float64
	// minN and maxN bound how many times it is made in a row.
	minN, maxN int
	// concurrent starts the call together with the previous one.
	concurrent bool
	// critical makes a final failure fail the caller and stop its calls.
	critical bool
	// retries is how many more attempts follow an unavailable response.
	retries int
	// lat is the network round trip for instrumented callees, the whole
	// call for peers.
	lat dist
	// errRate is the baseline failure probability of a peer call.
	errRate float64
	// incident is the incident that changes this call (see Incident).
	incident Incident
	// consumers receive what a Kafka producer call publishes.
	consumers []consumer
}

// consumer is a Kafka consumer of a published message.
type consumer struct {
	ep *endpoint
	// linked starts a new trace with a span link to the producer instead of
	// a child span.
	linked bool
	// lag is the time between publish end and consumption start.
	lag dist
}

// maybe sets the probability the call is made.
func (c call) maybe(p float64) call { c.p = p; return c }

// times makes the call between lo and hi times in a row.
func (c call) times(lo, hi int) call { c.minN, c.maxN = lo, hi; return c }

// together starts the call with the previous one.
func (c call) together() call { c.concurrent = true; return c }

// optional makes a failure not fail the caller.
func (c call) optional() call { c.critical = false; return c }

// retry allows n retries after unavailable responses.
func (c call) retry(n int) call { c.retries = n; return c }

// fails sets the baseline failure probability of a peer call.
func (c call) fails(p float64) call { c.errRate = p; return c }

// during attaches the call to an incident.
func (c call) during(i Incident) call { c.incident = i; return c }

// rpcNet is the network round trip between two services.
var rpcNet = lat(ms(0.6), 0.5).withTail(0.005, 20)

// to calls an instrumented endpoint.
func to(e *endpoint) call {
	return call{to: e, p: 1, minN: 1, maxN: 1, critical: true, lat: rpcNet}
}

// sql queries PostgreSQL.
func sql(p *peer, db, verb, table, query string, d dist) call {
	return call{peer: p, dbName: db, op: verb, target: table, query: query,
		p: 1, minN: 1, maxN: 1, critical: true, lat: d, errRate: 0.0005}
}

// redis runs a Redis command; cache failures do not fail the caller.
func redis(p *peer, cmd, key string, d dist) call {
	return call{peer: p, op: cmd, target: key, query: cmd + " " + key,
		p: 1, minN: 1, maxN: 1, lat: d, errRate: 0.0005}
}

// publish produces a Kafka message to topic.
func publish(p *peer, topic string, cs ...consumer) call {
	return call{peer: p, dbName: topic, op: "publish", p: 1, minN: 1, maxN: 1,
		lat: lat(ms(1.8), 0.5), errRate: 0.0005, consumers: cs}
}

// https calls an external HTTPS API.
func https(p *peer, method, path string, d dist) call {
	return call{peer: p, op: method, target: path, p: 1, minN: 1, maxN: 1,
		critical: true, lat: d, errRate: 0.002}
}

// system is the whole demo: services, instances and the user-facing roots.
type system struct {
	services  []*service
	instances []*instance
	roots     []root
	totalW    float64
}

// root is a user-facing entry point with its share of traffic.
type root struct {
	ep     *endpoint
	weight float64
}

// pickRoot returns a random root, weighted.
func (s *system) pickRoot(r *rand.Rand) *endpoint {
	x := r.Float64() * s.totalW
	for _, rt := range s.roots {
		if x < rt.weight {
			return rt.ep
		}
		x -= rt.weight
	}
	return s.roots[len(s.roots)-1].ep
}

// addService registers a service with n instances whose clocks are offset by
// up to maxSkew.
func (s *system) addService(r *rand.Rand, maxSkew time.Duration, name, ns, version string, n int) *service {
	svc := &service{name: name, namespace: ns, version: version}
	pod := fmt.Sprintf("%05x", r.Uint32()&0xfffff)
	for range n {
		in := &instance{
			index: len(s.instances),
			svc:   svc,
			id:    fmt.Sprintf("%s-%s-%04x", name, pod, r.Uint32()&0xffff),
		}
		if maxSkew > 0 {
			in.skew = int64((r.Float64()*2 - 1) * float64(maxSkew))
		}
		svc.instances = append(svc.instances, in)
		s.instances = append(s.instances, in)
	}
	s.services = append(s.services, svc)
	return svc
}

// ep declares an endpoint.
func ep(svc *service, proto protocol, method, route string, work dist, errRate float64, calls ...call) *endpoint {
	return &endpoint{svc: svc, proto: proto, method: method, route: route, work: work, errRate: errRate, calls: calls}
}
