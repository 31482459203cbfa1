package graph

import (
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// Nil versus empty: JSON with omitempty cannot tell a nil slice from an
// empty one, so Equal, Compute and Apply treat them alike, and these tests
// compare snapshots with reflect.DeepEqual after normalize, which maps every
// empty slice (node and edge lists, and the slices inside nodes and edges)
// to nil. Nothing else is normalised: pointers, floats and strings must
// come out exactly as they went in.

// checkApply asserts that Apply(a, d) gives b, both directly and after a
// JSON round trip of d, and that neither a nor d is changed.
func checkApply(t *testing.T, a, b Snapshot, d Diff) Snapshot {
	t.Helper()
	aBefore, dBefore := a.Clone(), cloneDiff(d)
	got, err := Apply(a, d)
	if err != nil {
		t.Fatalf("Apply: %v", err)
	}
	if !reflect.DeepEqual(a, aBefore) {
		t.Fatal("Apply changed its input snapshot")
	}
	if !reflect.DeepEqual(d, dBefore) {
		t.Fatal("Apply changed its diff")
	}
	if got.Nodes == nil || got.Edges == nil {
		t.Fatal("Apply returned nil node or edge list")
	}
	if !reflect.DeepEqual(normalize(got), normalize(b)) {
		t.Fatalf("Apply(a, Compute(a, b)) != b\n got %s\nwant %s", mustJSON(t, got), mustJSON(t, b))
	}
	if !got.Equal(&b) {
		t.Fatal("Apply(a, Compute(a, b)) is not Equal to b")
	}
	if !slices.IsSortedFunc(got.Nodes, func(x, y Node) int { return strings.Compare(x.ID, y.ID) }) ||
		!slices.IsSortedFunc(got.Edges, func(x, y Edge) int { return strings.Compare(x.ID, y.ID) }) {
		t.Fatal("Apply result not sorted by ID")
	}

	var wire Diff
	if err := json.Unmarshal(mustJSON(t, d), &wire); err != nil {
		t.Fatalf("decode diff: %v", err)
	}
	viaJSON, err := Apply(a, wire)
	if err != nil {
		t.Fatalf("Apply after JSON round trip: %v", err)
	}
	if !reflect.DeepEqual(normalize(viaJSON), normalize(b)) {
		t.Fatalf("Apply(a, json(Compute(a, b))) != b\n got %s\nwant %s", mustJSON(t, viaJSON), mustJSON(t, b))
	}
	return got
}

func cloneDiff(d Diff) Diff {
	c := d
	c.AddedNodes = cloneNodes(d.AddedNodes)
	c.UpdatedNodes = cloneNodes(d.UpdatedNodes)
	c.AddedEdges = cloneEdges(d.AddedEdges)
	c.UpdatedEdges = cloneEdges(d.UpdatedEdges)
	c.PatchedNodes = slices.Clone(d.PatchedNodes)
	for i := range c.PatchedNodes {
		p := &c.PatchedNodes[i]
		p.Stats, p.Health, p.Pos = clonePtr(p.Stats), clonePtr(p.Health), clonePtr(p.Pos)
		p.Operations, p.Sources = cloneSlicePtr(p.Operations), cloneSlicePtr(p.Sources)
	}
	c.PatchedEdges = slices.Clone(d.PatchedEdges)
	for i := range c.PatchedEdges {
		p := &c.PatchedEdges[i]
		p.Stats, p.Trust, p.Health = clonePtr(p.Stats), clonePtr(p.Trust), clonePtr(p.Health)
		p.Exemplars, p.Sources, p.Path = cloneSlicePtr(p.Exemplars), cloneSlicePtr(p.Sources), cloneSlicePtr(p.Path)
	}
	c.RemovedNodes = slices.Clone(d.RemovedNodes)
	c.RemovedEdges = slices.Clone(d.RemovedEdges)
	if d.View != nil {
		v := *d.View
		c.View = &v
	}
	if d.Bounds != nil {
		b := *d.Bounds
		c.Bounds = &b
	}
	return c
}

func clonePtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	c := *p
	return &c
}

func cloneSlicePtr[T any](p *[]T) *[]T {
	if p == nil {
		return nil
	}
	c := slices.Clone(*p)
	if c == nil {
		c = []T{}
	}
	return &c
}

func cloneNodes(ns []Node) []Node {
	if ns == nil {
		return nil
	}
	out := make([]Node, len(ns))
	for i := range ns {
		out[i] = ns[i].Clone()
	}
	return out
}

func cloneEdges(es []Edge) []Edge {
	if es == nil {
		return nil
	}
	out := make([]Edge, len(es))
	for i := range es {
		out[i] = es[i].Clone()
	}
	return out
}

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("encode: %v", err)
	}
	return data
}

// checkMinimal asserts that d sends only what changed.
func checkMinimal(t *testing.T, a, b Snapshot, d Diff) {
	t.Helper()
	an := map[string]*Node{}
	for i := range a.Nodes {
		an[a.Nodes[i].ID] = &a.Nodes[i]
	}
	for i := range d.UpdatedNodes {
		n := &d.UpdatedNodes[i]
		if old, ok := an[n.ID]; !ok || old.Equal(n) {
			t.Fatalf("node %q sent as updated but absent or unchanged", n.ID)
		}
	}
	for i := range d.AddedNodes {
		if _, ok := an[d.AddedNodes[i].ID]; ok {
			t.Fatalf("node %q sent as added but present", d.AddedNodes[i].ID)
		}
	}
	ae := map[string]*Edge{}
	for i := range a.Edges {
		ae[a.Edges[i].ID] = &a.Edges[i]
	}
	for i := range d.UpdatedEdges {
		e := &d.UpdatedEdges[i]
		if old, ok := ae[e.ID]; !ok || old.Equal(e) {
			t.Fatalf("edge %q sent as updated but absent or unchanged", e.ID)
		}
	}
	for i := range d.PatchedNodes {
		p := &d.PatchedNodes[i]
		old, ok := an[p.ID]
		if !ok {
			t.Fatalf("node %q patched but absent", p.ID)
		}
		if p.Stats != nil && old.Stats.Equal(p.Stats) || p.Health != nil && old.Health == *p.Health ||
			p.Pos != nil && old.Pos != nil && *old.Pos == *p.Pos ||
			p.Operations != nil && slices.Equal(old.Operations, *p.Operations) ||
			p.Sources != nil && slices.Equal(old.Sources, *p.Sources) {
			t.Fatalf("node %q patch sends an unchanged field: %s", p.ID, mustJSON(t, p))
		}
		if p.Stats == nil && p.Health == nil && p.Pos == nil && p.Operations == nil && p.Sources == nil {
			t.Fatalf("node %q sent as an empty patch", p.ID)
		}
	}
	for i := range d.PatchedEdges {
		p := &d.PatchedEdges[i]
		old, ok := ae[p.ID]
		if !ok {
			t.Fatalf("edge %q patched but absent", p.ID)
		}
		if p.Stats != nil && old.Stats.Equal(p.Stats) || p.Trust != nil && old.Trust == *p.Trust ||
			p.Health != nil && old.Health == *p.Health ||
			p.Exemplars != nil && slices.Equal(old.Exemplars, *p.Exemplars) ||
			p.Sources != nil && slices.Equal(old.Sources, *p.Sources) ||
			p.Path != nil && slices.Equal(old.Path, *p.Path) {
			t.Fatalf("edge %q patch sends an unchanged field: %s", p.ID, mustJSON(t, p))
		}
		if p.Stats == nil && p.Trust == nil && p.Health == nil && p.Exemplars == nil && p.Sources == nil && p.Path == nil {
			t.Fatalf("edge %q sent as an empty patch", p.ID)
		}
	}
	if (a.View != b.View) != (d.View != nil) {
		t.Fatalf("view change sent %v, view changed %v", d.View != nil, a.View != b.View)
	}
}

func TestCompute_Apply_property(t *testing.T) {
	// Thousands of pairs even under the race detector: this is the proof
	// that a client replaying diffs ends where the server is.
	pairs := 2000
	if testing.Short() {
		pairs = 300
	}
	for seed := range uint64(pairs) {
		g := newGen(seed)
		a := g.snapshot(seed * 2)
		var b Snapshot
		if seed%3 == 0 {
			b = g.snapshot(seed*2 + 1) // unrelated graphs sharing IDs by chance
		} else {
			b = g.mutate(a, seed*2+1) // the live case: mostly the same graph
		}
		d := Compute(a, b)
		if d.Base != a.Version || d.Version != b.Version {
			t.Fatalf("seed %d: diff %d->%d, want %d->%d", seed, d.Base, d.Version, a.Version, b.Version)
		}
		checkApply(t, a, b, d)
		checkMinimal(t, a, b, d)

		same := Compute(b, b)
		if !same.Empty() || same.Topology() {
			t.Fatalf("seed %d: Compute(b, b) not empty: %s", seed, mustJSON(t, same))
		}
	}
}

func TestCompute_Apply_longChain(t *testing.T) {
	steps := 3000 / raceScale
	if testing.Short() {
		steps = 500
	}
	g := newGen(42)
	truth := g.snapshot(1)
	replica := truth.Clone()
	for v := uint64(2); v < uint64(steps)+2; v++ {
		next := g.mutate(truth, v)
		if v%500 == 0 {
			next = g.snapshot(v) // now and then, a different graph entirely
		}
		var wire Diff
		if err := json.Unmarshal(mustJSON(t, Compute(truth, next)), &wire); err != nil {
			t.Fatalf("version %d: decode diff: %v", v, err)
		}
		var err error
		replica, err = Apply(replica, wire)
		if err != nil {
			t.Fatalf("version %d: %v", v, err)
		}
		truth = next
	}
	if !reflect.DeepEqual(normalize(replica), normalize(truth)) {
		t.Fatalf("after %d diffs the replica differs\n got %s\nwant %s", steps, mustJSON(t, replica), mustJSON(t, truth))
	}
	if len(truth.Nodes) == 0 && len(truth.Edges) == 0 {
		t.Fatal("chain ended empty: the test exercised nothing")
	}
}

func TestCompute_unsortedInput(t *testing.T) {
	g := newGen(7)
	for range 200 {
		a := g.snapshot(1)
		b := g.mutate(a, 2)
		shuffled := b.Clone()
		g.r.Shuffle(len(shuffled.Nodes), func(i, j int) { shuffled.Nodes[i], shuffled.Nodes[j] = shuffled.Nodes[j], shuffled.Nodes[i] })
		g.r.Shuffle(len(shuffled.Edges), func(i, j int) { shuffled.Edges[i], shuffled.Edges[j] = shuffled.Edges[j], shuffled.Edges[i] })
		before := shuffled.Clone()
		d := Compute(a, shuffled)
		if !reflect.DeepEqual(shuffled, before) {
			t.Fatal("Compute sorted its input in place")
		}
		checkApply(t, a, b, d)
	}
}

func TestDiff_Empty(t *testing.T) {
	view := "window=1h"
	tests := []struct {
		name string
		d    Diff
		want bool
	}{
		{"zero", Diff{}, true},
		{"window only", Diff{Base: 1, Version: 2, From: 10, To: 20}, true},
		{"view", Diff{View: &view}, false},
		{"bounds", Diff{Bounds: &Bounds{}}, false},
		{"updated node", Diff{UpdatedNodes: []Node{{ID: "a"}}}, false},
		{"patched node", Diff{PatchedNodes: []NodePatch{{ID: "a"}}}, false},
		{"patched edge", Diff{PatchedEdges: []EdgePatch{{ID: "a->b"}}}, false},
		{"removed edge", Diff{RemovedEdges: []string{"a->b"}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.d.Empty(); got != tt.want {
				t.Errorf("Empty() = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestDiff_Topology(t *testing.T) {
	moved := Compute(
		Snapshot{Nodes: []Node{{ID: "a"}}, Edges: []Edge{{ID: "a->a", From: "a", To: "a"}}},
		Snapshot{Nodes: []Node{{ID: "a", Pos: &Point{X: 1}}}, Edges: []Edge{{ID: "a->a", From: "a", To: "a", Stats: Stats{Calls: 3}}}},
	)
	if moved.Topology() || moved.Empty() {
		t.Errorf("metric and position change: Topology %v Empty %v, want false false", moved.Topology(), moved.Empty())
	}
	added := Compute(Snapshot{}, Snapshot{Edges: []Edge{{ID: "a->b"}}})
	if !added.Topology() {
		t.Error("added edge: Topology false, want true")
	}
}

func TestApply_errors(t *testing.T) {
	base := Snapshot{
		Version: 3,
		Nodes:   []Node{{ID: "a"}, {ID: "c"}},
		Edges:   []Edge{{ID: "a->c", From: "a", To: "c"}},
	}
	tests := []struct {
		name string
		s    Snapshot
		d    Diff
		want error
		msg  string
	}{
		{"version mismatch", base, Diff{Base: 2, Version: 4}, ErrVersionMismatch, "diff base 2, snapshot version 3"},
		{"add present node", base, Diff{Base: 3, AddedNodes: []Node{{ID: "c"}}}, ErrConflict, `node "c" added but already present`},
		{"update missing node", base, Diff{Base: 3, UpdatedNodes: []Node{{ID: "b"}}}, ErrConflict, `node "b" updated but not present`},
		{"update missing node at end", base, Diff{Base: 3, UpdatedNodes: []Node{{ID: "z"}}}, ErrConflict, `node "z" updated but not present`},
		{"remove missing edge", base, Diff{Base: 3, RemovedEdges: []string{"a->b"}}, ErrConflict, `edge "a->b" removed but not present`},
		{"remove missing edge at end", base, Diff{Base: 3, RemovedEdges: []string{"z"}}, ErrConflict, `edge "z" removed but not present`},
		{"update and remove", base, Diff{Base: 3, UpdatedNodes: []Node{{ID: "a"}}, RemovedNodes: []string{"a"}}, ErrConflict, "both changed and removed"},
		{"unsorted added", base, Diff{Base: 3, AddedNodes: []Node{{ID: "d"}, {ID: "b"}}}, ErrConflict, "added nodes not sorted"},
		{"duplicate updated", base, Diff{Base: 3, UpdatedEdges: []Edge{{ID: "a->c"}, {ID: "a->c"}}}, ErrConflict, "updated edges not sorted"},
		{"patch missing edge", base, Diff{Base: 3, PatchedEdges: []EdgePatch{{ID: "a->b"}}}, ErrConflict, `edge "a->b" patched but not present`},
		{"patch missing node at end", base, Diff{Base: 3, PatchedNodes: []NodePatch{{ID: "z"}}}, ErrConflict, `node "z" patched but not present`},
		{"update and patch", base, Diff{Base: 3, UpdatedEdges: []Edge{{ID: "a->c"}}, PatchedEdges: []EdgePatch{{ID: "a->c"}}}, ErrConflict, "both updated and patched"},
		{"patch and remove", base, Diff{Base: 3, PatchedNodes: []NodePatch{{ID: "c"}}, RemovedNodes: []string{"c"}}, ErrConflict, "both changed and removed"},
		{"unsorted patched", base, Diff{Base: 3, PatchedNodes: []NodePatch{{ID: "c"}, {ID: "a"}}}, ErrConflict, "patched nodes not sorted"},
		{"unsorted removed", base, Diff{Base: 3, RemovedNodes: []string{"c", "a"}}, ErrConflict, "removed nodes not sorted"},
		{"unsorted snapshot", Snapshot{Version: 3, Nodes: []Node{{ID: "c"}, {ID: "a"}}}, Diff{Base: 3}, ErrConflict, "snapshot nodes not sorted"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := tt.s.Clone()
			_, err := Apply(tt.s, tt.d)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Apply error = %v, want %v", err, tt.want)
			}
			if !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("Apply error = %q, want it to mention %q", err, tt.msg)
			}
			if !reflect.DeepEqual(tt.s, before) {
				t.Error("failed Apply changed its input")
			}
		})
	}
}

func TestApply_doesNotShareListBacking(t *testing.T) {
	// Spare capacity in the input must not be written to.
	nodes := make([]Node, 2, 10)
	nodes[0], nodes[1] = Node{ID: "a"}, Node{ID: "c"}
	s := Snapshot{Version: 1, Nodes: nodes[:2]}
	out, err := Apply(s, Diff{Base: 1, Version: 2, AddedNodes: []Node{{ID: "b"}, {ID: "d"}}})
	if err != nil {
		t.Fatal(err)
	}
	if spare := nodes[:4]; spare[2].ID != "" || spare[3].ID != "" {
		t.Fatal("Apply wrote into the input's spare capacity")
	}
	out.Nodes[0].Name = "changed"
	if s.Nodes[0].Name != "" {
		t.Fatal("result node list aliases the input's")
	}
	if got := []string{out.Nodes[0].ID, out.Nodes[1].ID, out.Nodes[2].ID, out.Nodes[3].ID}; !slices.Equal(got, []string{"a", "b", "c", "d"}) {
		t.Fatalf("nodes = %v, want a b c d", got)
	}
}

func TestDiff_JSON_shape(t *testing.T) {
	a := Snapshot{Version: 1, Nodes: []Node{{ID: "a"}, {ID: "b"}}}
	b := Snapshot{Version: 2, Width: 10, Height: 20, Nodes: []Node{{ID: "a", Name: "A"}, {ID: "c"}}}
	got := string(mustJSON(t, Compute(a, b)))
	want := `{"base":1,"version":2,"bounds":{"width":10,"height":20},` +
		`"added_nodes":[{"id":"c","name":"","kind":"","stats":{"calls":0,"errors":0,"rate":0,"error_rate":0,"latency_ms":{"p50":0,"p90":0,"p95":0,"p99":0}}}],` +
		`"updated_nodes":[{"id":"a","name":"A","kind":"","stats":{"calls":0,"errors":0,"rate":0,"error_rate":0,"latency_ms":{"p50":0,"p90":0,"p95":0,"p99":0}}}],` +
		`"removed_nodes":["b"]}`
	if got != want {
		t.Errorf("diff JSON\n got %s\nwant %s", got, want)
	}
}
