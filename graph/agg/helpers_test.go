package agg

import (
	"encoding/binary"
	"testing"
	"time"

	"github.com/spanmap/spanmap/graph"
	"github.com/spanmap/spanmap/graph/derive"
	"github.com/spanmap/spanmap/graph/span"
)

// t0 is aligned to 10s and to 1m.
var t0 = time.Unix(1_700_000_040, 0)

func svc(id string) derive.Endpoint {
	return derive.Endpoint{ID: id, Name: id, Kind: graph.NodeService}
}

func virt(id string, k graph.NodeKind) derive.Endpoint {
	return derive.Endpoint{ID: id, Name: id, Kind: k}
}

func traceID(n uint64) span.TraceID {
	var t span.TraceID
	binary.BigEndian.PutUint64(t[0:], n>>32)
	binary.BigEndian.PutUint64(t[8:], n*0x9e3779b97f4a7c15+1)
	return t
}

// call returns a paired RPC call from -> to at t0+at with a 10ms client and
// 8ms server latency.
func call(from, to string, at time.Duration) derive.Observation {
	return derive.Observation{
		From: svc(from), To: svc(to), Kind: graph.EdgeRPC, Operation: "GET /",
		Time: t0.Add(at).UnixNano(), ClientDuration: 10e6, ServerDuration: 8e6, QueueLag: -1,
		Paired: true, TraceID: traceID(uint64(at) + 1),
	}
}

func newAgg(t testing.TB, mod func(*Config)) *Aggregator {
	t.Helper()
	cfg := DefaultConfig()
	if mod != nil {
		mod(&cfg)
	}
	return New(cfg)
}

func findEdge(t testing.TB, s graph.Snapshot, id string) graph.Edge {
	t.Helper()
	for _, e := range s.Edges {
		if e.ID == id {
			return e
		}
	}
	t.Fatalf("edge %q not in snapshot (%d edges)", id, len(s.Edges))
	return graph.Edge{}
}

func findNode(t testing.TB, s graph.Snapshot, id string) graph.Node {
	t.Helper()
	for _, n := range s.Nodes {
		if n.ID == id {
			return n
		}
	}
	t.Fatalf("node %q not in snapshot", id)
	return graph.Node{}
}
