package prometheus

import (
	"fmt"
	"math"
	"sort"
	"strconv"

	"github.com/spanmap/spanmap/graph"
	"github.com/spanmap/spanmap/graph/agg"
	"github.com/spanmap/spanmap/graph/derive"
)

// Labels of the service-graph metrics.
const (
	labelClient         = "client"
	labelServer         = "server"
	labelConnectionType = "connection_type"
	// labelVirtualNode says which side is uninstrumented (Tempo's
	// enable_virtual_node_label): client or server.
	labelVirtualNode = "virtual_node"
)

// Values of connection_type.
const (
	connDatabase    = "database"
	connMessaging   = "messaging_system"
	connVirtualNode = "virtual_node"
)

// quantiles are the levels read from the latency histograms, in the field
// order of graph.Latency.
var quantiles = [4]float64{0.5, 0.9, 0.95, 0.99}

// queryKind says what a query's samples mean.
type queryKind int

const (
	qCalls queryKind = iota
	qErrors
	qClient
	qServer
	qLag
)

// promQuery is one instant query of an interval.
type promQuery struct {
	kind queryKind
	// q is the index in quantiles, for latency queries.
	q    int
	name string
	expr string
}

// queries returns the queries of one interval.
func (c Config) queries() []promQuery {
	sel := ""
	if c.Selector != "" {
		sel = "{" + c.Selector + "}"
	}
	rng := "[" + strconv.FormatInt(int64(c.Interval.Seconds()), 10) + "s]"
	by := "client, server, connection_type"
	callsBy := by + ", " + labelVirtualNode
	if c.NamespaceDimension != "" {
		callsBy += ", client_" + c.NamespaceDimension + ", server_" + c.NamespaceDimension
	}
	m := func(suffix string) string { return c.MetricPrefix + suffix }
	out := []promQuery{
		{kind: qCalls, name: m("_request_total"),
			expr: "sum by (" + callsBy + ") (increase(" + m("_request_total") + sel + rng + "))"},
		{kind: qErrors, name: m("_request_failed_total"),
			expr: "sum by (" + by + ") (increase(" + m("_request_failed_total") + sel + rng + "))"},
	}
	hist := func(kind queryKind, metric string) {
		for i, q := range quantiles {
			out = append(out, promQuery{kind: kind, q: i, name: fmt.Sprintf("%s p%g", metric, q*100),
				expr: "histogram_quantile(" + strconv.FormatFloat(q, 'f', -1, 64) + ", sum by (le, " + by + ") (rate(" +
					metric + "_bucket" + sel + rng + ")))"})
		}
	}
	hist(qClient, m("_request_client_seconds"))
	hist(qServer, m("_request_server_seconds"))
	if c.QueueLag {
		hist(qLag, m("_request_messaging_system_seconds"))
	}
	return out
}

// pairKey identifies an edge of the metrics.
type pairKey struct{ client, server, conn string }

// pair accumulates the samples of one edge.
type pair struct {
	calls, errors float64
	virtual       string
	// clientNS and serverNS come from the busiest series; nsCalls is its
	// value.
	clientNS, serverNS string
	nsCalls            float64
	// client, server and lag are quantiles in seconds (0: unknown).
	client, server, lag [4]float64
}

// results maps the samples of an interval's queries to pairs.
type results struct {
	cfg   *Config
	pairs map[pairKey]*pair
}

func keyOf(l map[string]string) pairKey {
	return pairKey{client: l[labelClient], server: l[labelServer], conn: l[labelConnectionType]}
}

// add records the samples of q. Call it for the calls query first: samples
// of other queries for edges without calls are ignored.
func (r *results) add(q promQuery, samples []sample) {
	for _, smp := range samples {
		k := keyOf(smp.labels)
		p := r.pairs[k]
		if q.kind == qCalls {
			if p == nil {
				p = &pair{}
				r.pairs[k] = p
			}
			p.calls += smp.value
			if v := smp.labels[labelVirtualNode]; v != "" {
				p.virtual = v
			}
			if d := r.cfg.NamespaceDimension; d != "" && smp.value >= p.nsCalls {
				p.clientNS, p.serverNS, p.nsCalls = smp.labels["client_"+d], smp.labels["server_"+d], smp.value
			}
			continue
		}
		if p == nil || !finite(smp.value) || smp.value <= 0 {
			continue
		}
		switch q.kind {
		case qErrors:
			p.errors += smp.value
		case qClient:
			p.client[q.q] = smp.value
		case qServer:
			p.server[q.q] = smp.value
		case qLag:
			p.lag[q.q] = smp.value
		}
	}
}

// edges converts the pairs, sorted by client, server and connection type.
func (r *results) edges() []agg.ExternalEdge {
	keys := make([]pairKey, 0, len(r.pairs))
	for k := range r.pairs {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		a, b := keys[i], keys[j]
		if a.client != b.client {
			return a.client < b.client
		}
		if a.server != b.server {
			return a.server < b.server
		}
		return a.conn < b.conn
	})
	out := make([]agg.ExternalEdge, 0, len(keys))
	for _, k := range keys {
		if e, ok := r.edge(k, r.pairs[k]); ok {
			out = append(out, e)
		}
	}
	return out
}

// edge maps one pair to an edge; ok is false without calls or names.
func (r *results) edge(k pairKey, p *pair) (agg.ExternalEdge, bool) {
	calls := int64(math.Round(p.calls))
	if !finite(p.calls) || calls <= 0 || k.client == "" || k.server == "" {
		return agg.ExternalEdge{}, false
	}
	e := agg.ExternalEdge{
		From:   endpoint(k.client, graph.NodeService, p.clientNS),
		To:     endpoint(k.server, graph.NodeService, p.serverNS),
		Kind:   graph.EdgeRPC,
		Calls:  calls,
		Errors: min(int64(math.Round(p.errors)), calls),
		Paired: true,
		Client: latency(p.client),
		Server: latency(p.server),
	}
	switch k.conn {
	case connDatabase:
		e.To.Kind, e.Kind, e.Paired, e.Server = graph.NodeDatabase, graph.EdgeDatabase, false, graph.Latency{}
	case connMessaging:
		e.Kind, e.QueueLag = graph.EdgeMessaging, latency(p.lag)
	case connVirtualNode:
		e.Paired = false
		if p.virtual == "client" || (p.virtual != "server" && k.client == r.cfg.UserClient) {
			e.From.Kind, e.Client = graph.NodeExternal, graph.Latency{}
			if k.client == r.cfg.UserClient {
				e.From.Kind = graph.NodeUser
			}
		} else {
			e.To.Kind, e.Kind, e.Server = graph.NodeExternal, graph.EdgeExternal, graph.Latency{}
		}
	}
	return e, true
}

func endpoint(name string, kind graph.NodeKind, ns string) derive.Endpoint {
	return derive.Endpoint{ID: name, Name: name, Kind: kind, Namespace: ns}
}

// latency converts quantiles in seconds to graph.Latency in milliseconds.
func latency(q [4]float64) graph.Latency {
	return graph.Latency{P50: q[0] * 1e3, P90: q[1] * 1e3, P95: q[2] * 1e3, P99: q[3] * 1e3}
}
