package render

import (
	"sort"

	"github.com/spanmap/spanmap/graph"
)

// sampleSnapshot is a small shop: a user, four services (two in the
// "payments" group), a database, a queue and an external API, with every
// health state.
func sampleSnapshot() graph.Snapshot {
	lat := func(p99 float64) graph.Latency {
		return graph.Latency{P50: p99 / 4, P90: p99 / 2, P95: p99 / 1.5, P99: p99}
	}
	nodes := []graph.Node{
		{ID: "user", Name: "user", Kind: graph.NodeUser, Health: graph.HealthOK},
		{ID: "frontend", Name: "frontend", Kind: graph.NodeService, Health: graph.HealthOK, Stats: graph.Stats{Calls: 1200, Rate: 20, Latency: lat(80)}},
		{ID: "checkout", Name: "checkout", Kind: graph.NodeService, Group: "payments", Health: graph.HealthDegraded, Stats: graph.Stats{Calls: 600, Errors: 6, Rate: 10, ErrorRate: 0.01, Latency: lat(140)}},
		{ID: "payment", Name: "payment", Kind: graph.NodeService, Group: "payments", Health: graph.HealthFailing, Stats: graph.Stats{Calls: 300, Errors: 60, Rate: 5, ErrorRate: 0.2, Latency: lat(900)}},
		{ID: "catalog", Name: "catalog", Kind: graph.NodeService, Stats: graph.Stats{}},
		{ID: "database:orders", Name: "orders", Kind: graph.NodeDatabase, Health: graph.HealthOK, Stats: graph.Stats{Calls: 900, Rate: 15, Latency: lat(12)}},
		{ID: "messaging:events", Name: "events", Kind: graph.NodeMessaging, Health: graph.HealthOK, Stats: graph.Stats{Calls: 300, Rate: 5}},
		{ID: "external:api.stripe.com", Name: "api.stripe.com", Kind: graph.NodeExternal, Health: graph.HealthFailing, Stats: graph.Stats{Calls: 300, Errors: 60, Rate: 5, ErrorRate: 0.2, Latency: lat(2500)}},
	}
	edge := func(from, to string, kind graph.EdgeKind, h graph.Health, st graph.Stats) graph.Edge {
		return graph.Edge{ID: graph.EdgeID(from, to, ""), From: from, To: to, Kind: kind, Health: h, Stats: st}
	}
	edges := []graph.Edge{
		edge("user", "frontend", graph.EdgeRPC, graph.HealthOK, graph.Stats{Calls: 1200, Rate: 20, Latency: lat(80)}),
		edge("frontend", "checkout", graph.EdgeRPC, graph.HealthDegraded, graph.Stats{Calls: 600, Errors: 6, Rate: 10, ErrorRate: 0.01, Latency: lat(140)}),
		edge("frontend", "catalog", graph.EdgeRPC, graph.HealthUnknown, graph.Stats{}),
		edge("checkout", "payment", graph.EdgeRPC, graph.HealthFailing, graph.Stats{Calls: 300, Errors: 60, Rate: 5, ErrorRate: 0.2, Latency: lat(900)}),
		edge("checkout", "database:orders", graph.EdgeDatabase, graph.HealthOK, graph.Stats{Calls: 900, Rate: 15, Latency: lat(12)}),
		edge("checkout", "messaging:events", graph.EdgeMessaging, graph.HealthOK, graph.Stats{Calls: 300, Rate: 5, Latency: lat(3)}),
		edge("payment", "external:api.stripe.com", graph.EdgeExternal, graph.HealthFailing, graph.Stats{Calls: 300, Errors: 60, Rate: 5, ErrorRate: 0.2, Latency: lat(2500)}),
	}
	s := graph.Snapshot{Version: 3, From: 1714557600000, To: 1714561200000, Nodes: nodes, Edges: edges}
	sortSnapshot(&s)
	return s
}

// adversarialSnapshot has node IDs and names that break naive quoting in
// DOT, Mermaid, XML and CSS.
func adversarialSnapshot() graph.Snapshot {
	names := []string{
		`say "hi"`, `a[b]`, `x(y)`, `{curly}`, `日本語サービス`, `with space`, `end`, `-->`, `a-->b`,
		`back\slash`, `trailing\`, "line\nbreak", `<b>bold</b>`, `#hash;`, `pipe|name`, `semi;colon`, `graph`,
		`subgraph`, `node`, `edge`, `strict`, `amp&ersand`, "tick`s", `ümlaut`, `emoji🙂`, `ID_clash`, `id clash`,
		`n_ID_clash`, `0starts-with-digit`, `o`, `x`, `\N`, `-`,
	}
	kinds := []graph.NodeKind{graph.NodeService, graph.NodeDatabase, graph.NodeMessaging, graph.NodeExternal, graph.NodeUser}
	healths := []graph.Health{graph.HealthOK, graph.HealthDegraded, graph.HealthFailing, graph.HealthUnknown}
	var s graph.Snapshot
	for i, n := range names {
		node := graph.Node{ID: n, Name: n, Kind: kinds[i%len(kinds)], Health: healths[i%len(healths)]}
		if i%5 == 1 {
			node.Group = `team "q" <x>`
		}
		if i%3 == 0 {
			node.Stats = graph.Stats{Calls: int64(10 * i), Rate: float64(i), Errors: int64(i % 4), ErrorRate: float64(i%4) / 100}
		}
		s.Nodes = append(s.Nodes, node)
	}
	for i := 0; i+1 < len(names); i++ {
		from, to := names[i], names[(i*7+3)%len(names)]
		if from == to {
			continue
		}
		op := ""
		if i%4 == 0 {
			op = `GET /x?"y"|z`
		}
		s.Edges = append(s.Edges, graph.Edge{
			ID: graph.EdgeID(from, to, op), From: from, To: to, Operation: op, Kind: graph.EdgeRPC, Health: healths[i%len(healths)],
			Stats: graph.Stats{Calls: int64(100 * i), Rate: float64(i) * 1.5, Errors: int64(i % 3), ErrorRate: float64(i%3) / 50, Latency: graph.Latency{P99: float64(i * 11)}},
		})
	}
	// A second, operation-level edge between the same two nodes.
	s.Edges = append(s.Edges, graph.Edge{ID: graph.EdgeID(names[0], names[3], "op2"), From: names[0], To: names[3], Operation: "op2", Kind: graph.EdgeMessaging})
	sortSnapshot(&s)
	return s
}

func sortSnapshot(s *graph.Snapshot) {
	sort.Slice(s.Nodes, func(i, j int) bool { return s.Nodes[i].ID < s.Nodes[j].ID })
	sort.Slice(s.Edges, func(i, j int) bool { return s.Edges[i].ID < s.Edges[j].ID })
}

// clone copies s so that laying out the copy leaves s alone.
func clone(s graph.Snapshot) graph.Snapshot {
	c := s
	c.Nodes = append([]graph.Node(nil), s.Nodes...)
	c.Edges = append([]graph.Edge(nil), s.Edges...)
	return c
}
