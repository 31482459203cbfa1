package graph

import (
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// shopGraph is a small shop: a user calls the frontend, which calls
// checkout and catalog; checkout calls payments (also at operation level)
// and the orders database; payments calls Stripe; a batch job calls the
// frontend and checkout; admin has no calls at all.
func shopGraph() Snapshot {
	node := func(id string, kind NodeKind, ns string, calls, errs int64, h Health) Node {
		return Node{ID: id, Name: id, Kind: kind, Namespace: ns, Health: h,
			Stats:   Stats{Calls: calls, Errors: errs, Rate: float64(calls) / 60, Latency: Latency{P50: float64(calls), P99: float64(2 * calls)}},
			Sources: []string{"src-" + ns}}
	}
	edge := func(from, to, op string, rate float64, errs int64) Edge {
		return Edge{ID: EdgeID(from, to, op), From: from, To: to, Operation: op, Kind: EdgeRPC,
			Stats: Stats{Calls: int64(rate * 60), Errors: errs, Rate: rate}}
	}
	s := Snapshot{
		Version: 9,
		Nodes: []Node{
			node("admin", NodeService, "", 0, 0, HealthUnknown),
			node("batch", NodeService, "", 0, 0, HealthOK),
			node("catalog", NodeService, "shop", 300, 2, HealthDegraded),
			node("checkout", NodeService, "shop", 606, 0, HealthOK),
			node("database:catalog", NodeDatabase, "", 240, 0, HealthOK),
			node("database:orders", NodeDatabase, "", 480, 0, HealthOK),
			node("external:stripe", NodeExternal, "", 30, 1, HealthFailing),
			node("frontend", NodeService, "web", 1020, 0, HealthOK),
			node("payments", NodeService, "pay", 180, 1, HealthDegraded),
			node("user:web", NodeUser, "", 0, 0, HealthUnknown),
		},
		Edges: []Edge{
			edge("batch", "checkout", "", 0.1, 0),
			edge("batch", "frontend", "", 2, 0),
			edge("catalog", "database:catalog", "", 4, 0),
			edge("checkout", "database:orders", "", 8, 0),
			edge("checkout", "payments", "", 3, 1),
			edge("checkout", "payments", "charge", 3, 1),
			edge("frontend", "catalog", "", 5, 2),
			edge("frontend", "checkout", "", 10, 0),
			edge("payments", "external:stripe", "", 0.5, 1),
			edge("user:web", "frontend", "", 15, 0),
		},
	}
	slices.SortFunc(s.Edges, func(a, b Edge) int { return strings.Compare(a.ID, b.ID) })
	return s
}

func ids[T any](xs []T, id func(*T) string) []string {
	out := []string{}
	for i := range xs {
		out = append(out, id(&xs[i]))
	}
	return out
}

func TestFilter_views(t *testing.T) {
	all := ids(shopGraph().Nodes, nodeID)
	serviceEdges := []string{"batch->checkout", "batch->frontend", "catalog->database:catalog", "checkout->database:orders",
		"checkout->payments", "frontend->catalog", "frontend->checkout", "payments->external:stripe", "user:web->frontend"}
	tests := []struct {
		name      string
		query     string
		wantNodes []string
		wantEdges []string
	}{
		{"default drops operation edges", "", all, serviceEdges},
		{"ops keeps them", "ops=true", all,
			[]string{"batch->checkout", "batch->frontend", "catalog->database:catalog", "checkout->database:orders",
				"checkout->payments", "checkout->payments#charge", "frontend->catalog", "frontend->checkout",
				"payments->external:stripe", "user:web->frontend"}},
		{"hide virtual", "virtual=hide",
			[]string{"admin", "batch", "catalog", "checkout", "frontend", "payments"},
			[]string{"batch->checkout", "batch->frontend", "checkout->payments", "frontend->catalog", "frontend->checkout"}},
		{"min rate drops quiet edges and nodes left alone", "min_rate=1",
			[]string{"batch", "catalog", "checkout", "database:catalog", "database:orders", "frontend", "payments", "user:web"},
			[]string{"batch->frontend", "catalog->database:catalog", "checkout->database:orders", "checkout->payments",
				"frontend->catalog", "frontend->checkout", "user:web->frontend"}},
		{"errors only keeps failing edges, their ends and failing nodes", "errors_only=true",
			[]string{"catalog", "checkout", "external:stripe", "frontend", "payments"},
			[]string{"checkout->payments", "frontend->catalog", "payments->external:stripe"}},
		{"focus one hop each way", "focus=checkout",
			[]string{"batch", "checkout", "database:orders", "frontend", "payments"},
			[]string{"batch->checkout", "checkout->database:orders", "checkout->payments", "frontend->checkout"}},
		{"focus two hops up walks the edge between callers", "focus=checkout&up=2&down=0",
			[]string{"batch", "checkout", "frontend", "user:web"},
			[]string{"batch->checkout", "batch->frontend", "frontend->checkout", "user:web->frontend"}},
		{"focus down two", "focus=frontend&up=0&down=2",
			[]string{"catalog", "checkout", "database:catalog", "database:orders", "frontend", "payments"},
			[]string{"catalog->database:catalog", "checkout->database:orders", "checkout->payments", "frontend->catalog", "frontend->checkout"}},
		{"focus alone", "focus=checkout&up=0&down=0", []string{"checkout"}, []string{}},
		{"focus unknown is empty", "focus=nope", []string{}, []string{}},
		{"focus on a hidden virtual node keeps it", "focus=database:orders&virtual=hide",
			[]string{"checkout", "database:orders"}, []string{"checkout->database:orders"}},
		{"focus survives min rate alone", "focus=admin&min_rate=1", []string{"admin"}, []string{}},
		{"focus after filters", "focus=frontend&down=2&virtual=hide&min_rate=1",
			[]string{"batch", "catalog", "checkout", "frontend", "payments"},
			[]string{"batch->frontend", "checkout->payments", "frontend->catalog", "frontend->checkout"}},
		{"focus with ops walks operation edges too", "focus=payments&down=0&ops=true",
			[]string{"checkout", "payments"}, []string{"checkout->payments", "checkout->payments#charge"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := ParseView(tt.query)
			if err != nil {
				t.Fatal(err)
			}
			in := shopGraph()
			got := Filter(in, v)
			if n := ids(got.Nodes, nodeID); !slices.Equal(n, tt.wantNodes) {
				t.Errorf("nodes = %q\nwant    %q", n, tt.wantNodes)
			}
			if e := ids(got.Edges, edgeID); !slices.Equal(e, tt.wantEdges) {
				t.Errorf("edges = %q\nwant    %q", e, tt.wantEdges)
			}
			if got.View != v.Encode() || got.Version != in.Version {
				t.Errorf("header view %q version %d, want %q %d", got.View, got.Version, v.Encode(), in.Version)
			}
			if !reflect.DeepEqual(in, shopGraph()) {
				t.Error("Filter changed its input")
			}
		})
	}
}

func TestFilter_groupByNamespace(t *testing.T) {
	in := shopGraph()
	got := Filter(in, View{Group: GroupNamespace})
	wantIDs := []string{"admin", "batch", "catalog", "checkout", "database:catalog", "database:orders",
		"external:stripe", "frontend", "ns:pay", "ns:shop", "ns:web", "payments", "user:web"}
	if n := ids(got.Nodes, nodeID); !slices.Equal(n, wantIDs) {
		t.Fatalf("nodes = %q\nwant    %q", n, wantIDs)
	}
	byID := map[string]Node{}
	for _, n := range got.Nodes {
		byID[n.ID] = n
	}
	for id, group := range map[string]string{"catalog": "ns:shop", "checkout": "ns:shop", "payments": "ns:pay", "frontend": "ns:web", "admin": "", "database:orders": ""} {
		if g := byID[id].Group; g != group {
			t.Errorf("%s: Group = %q, want %q", id, g, group)
		}
	}
	shop := byID["ns:shop"]
	want := Node{
		ID: "ns:shop", Name: "shop", Kind: NodeGroup, Namespace: "shop", Health: HealthDegraded,
		Stats: Stats{
			Calls: 906, Errors: 2, Rate: 300.0/60 + 606.0/60, ErrorRate: 2.0 / 906,
			Latency: Latency{P50: 606, P99: 1212},
		},
		Sources: []string{"src-shop"},
	}
	if !reflect.DeepEqual(shop, want) {
		t.Errorf("group node\n got %+v\nwant %+v", shop, want)
	}
	if pay := byID["ns:pay"]; pay.Health != HealthDegraded || pay.Stats.Calls != 180 || pay.Stats.ErrorRate != 1.0/180 {
		t.Errorf("ns:pay = %+v", pay)
	}
	if in.Nodes[2].Group != "" {
		t.Error("Filter set Group on its input")
	}
}

func TestFilter_groupNodeIDTaken(t *testing.T) {
	s := Snapshot{Nodes: []Node{{ID: "a", Namespace: "x"}, {ID: "ns:x", Kind: NodeService}}}
	got := Filter(s, View{Group: GroupNamespace})
	if n := ids(got.Nodes, nodeID); !slices.Equal(n, []string{"a", "ns:x"}) || got.Nodes[1].Kind != NodeService {
		t.Errorf("nodes = %+v, want a and the service ns:x untouched", got.Nodes)
	}
}

// TestFilter_properties checks invariants over random snapshots and Views.
func TestFilter_properties(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	focusedWithEdges := 0
	for seed := range uint64(1000 / raceScale) {
		g := newGen(seed)
		s := g.snapshot(1)
		v := randomView(r)
		if r.IntN(2) == 0 && len(s.Nodes) > 0 {
			v.Focus = s.Nodes[r.IntN(len(s.Nodes))].ID
			v.Up, v.Down = r.IntN(3), r.IntN(3)
		}
		if r.IntN(2) == 0 {
			v.MinRate = 0
		}
		before := s.Clone()
		got := Filter(s, v)
		if !reflect.DeepEqual(s, before) {
			t.Fatalf("seed %d: Filter changed its input", seed)
		}
		checkFiltered(t, s, v, got)
		if v.Focus != "" && len(got.Edges) > 0 {
			focusedWithEdges++
		}
		if again := Filter(got, v); !again.Equal(&got) {
			t.Fatalf("seed %d view %q: Filter not idempotent\nonce  %s\ntwice %s", seed, v.Encode(), mustJSON(t, got), mustJSON(t, again))
		}
		shuffled := s.Clone()
		r.Shuffle(len(shuffled.Nodes), func(i, j int) { shuffled.Nodes[i], shuffled.Nodes[j] = shuffled.Nodes[j], shuffled.Nodes[i] })
		r.Shuffle(len(shuffled.Edges), func(i, j int) { shuffled.Edges[i], shuffled.Edges[j] = shuffled.Edges[j], shuffled.Edges[i] })
		if other := Filter(shuffled, v); !other.Equal(&got) {
			t.Fatalf("seed %d: Filter depends on input order", seed)
		}
	}
	if focusedWithEdges < 100/raceScale {
		t.Fatalf("only %d focused results with edges: the random cases miss the search", focusedWithEdges)
	}
}

func checkFiltered(t *testing.T, in Snapshot, v View, got Snapshot) {
	t.Helper()
	if !slices.IsSortedFunc(got.Nodes, func(a, b Node) int { return strings.Compare(a.ID, b.ID) }) ||
		!slices.IsSortedFunc(got.Edges, func(a, b Edge) int { return strings.Compare(a.ID, b.ID) }) {
		t.Fatal("output not sorted by ID")
	}
	inNodes := map[string]Node{}
	for _, n := range in.Nodes {
		inNodes[n.ID] = n
	}
	inEdges := map[string]Edge{}
	for _, e := range in.Edges {
		inEdges[e.ID] = e
	}
	present := map[string]bool{}
	for _, n := range got.Nodes {
		present[n.ID] = true
		orig, ok := inNodes[n.ID]
		switch {
		case v.Group == GroupNamespace && n.Kind == NodeGroup:
			if n.ID != NamespaceGroupID(n.Namespace) {
				t.Fatalf("group node %q for namespace %q", n.ID, n.Namespace)
			}
		case !ok:
			t.Fatalf("node %q not in input", n.ID)
		default:
			if v.Group == GroupNamespace {
				if n.Namespace != "" && n.Group != NamespaceGroupID(n.Namespace) || n.Namespace == "" && n.Group != "" {
					t.Fatalf("node %q in namespace %q has group %q", n.ID, n.Namespace, n.Group)
				}
				orig.Group = n.Group
			}
			if !orig.Equal(&n) {
				t.Fatalf("node %q changed", n.ID)
			}
			if v.HideVirtual && n.Kind.IsVirtual() && n.ID != v.Focus {
				t.Fatalf("virtual node %q shown", n.ID)
			}
		}
	}
	for _, e := range got.Edges {
		orig, ok := inEdges[e.ID]
		switch {
		case !ok || !orig.Equal(&e):
			t.Fatalf("edge %q not in input or changed", e.ID)
		case !present[e.From] || !present[e.To]:
			t.Fatalf("edge %q dangles", e.ID)
		case !v.Operations && e.Operation != "":
			t.Fatalf("operation edge %q shown", e.ID)
		case e.Rate < v.MinRate:
			t.Fatalf("edge %q below min rate", e.ID)
		case v.ErrorsOnly && e.Errors == 0:
			t.Fatalf("edge %q without errors shown", e.ID)
		}
	}
	if v.Focus != "" && len(got.Nodes) > 0 && !present[v.Focus] {
		t.Fatalf("focus %q missing from a non-empty result", v.Focus)
	}
}
