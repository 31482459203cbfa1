package graph

import (
	"strings"
	"testing"
)

func TestCompute_patches(t *testing.T) {
	base := func() Snapshot {
		cl := Latency{P50: 1, P99: 9}
		return Snapshot{
			Version: 1,
			Nodes: []Node{
				{ID: "a", Name: "a", Kind: NodeService, Stats: Stats{Calls: 5}, Pos: &Point{X: 1, Y: 2}, Width: 100, Height: 40,
					Operations: []string{"GET /"}, Sources: []string{"jaeger"}},
				{ID: "b", Name: "b", Kind: NodeService},
			},
			Edges: []Edge{{
				ID: "a->b", From: "a", To: "b", Kind: EdgeRPC,
				Stats:     Stats{Calls: 5, Rate: 1, ClientLatency: &cl},
				Trust:     Trust{Paired: 5, LastSeen: 100},
				Exemplars: []Exemplar{{Role: "slowest", TraceID: "abc", DurationMs: 9, Time: 50}},
				Sources:   []string{"jaeger"}, Health: HealthOK,
				Path: []Point{{X: 1, Y: 2}, {X: 3, Y: 4}, {X: 5, Y: 6}, {X: 7, Y: 8}},
			}},
		}
	}
	tests := []struct {
		name   string
		change func(*Snapshot)
		// want and notWant are fragments of the diff's JSON.
		want, notWant []string
		whole         bool
	}{
		{"figures only, path unchanged", func(s *Snapshot) {
			s.Edges[0].Calls++
			s.Edges[0].Trust.LastSeen++
		}, []string{`"patched_edges":[{"id":"a->b","stats":{"calls":6,`, `"trust":{"paired":5,"unpaired":0,"dropped":0,"last_seen_ms":101}`},
			[]string{`"path"`, `"exemplars"`, `"sources"`, `"health"`, `"from"`}, false},
		{"path changed", func(s *Snapshot) {
			s.Edges[0].Path = []Point{{X: 0, Y: 0}, {X: 3, Y: 4}, {X: 5, Y: 6}, {X: 9, Y: 9}}
		}, []string{`"path":[{"x":0,"y":0},`}, []string{`"stats"`, `"trust"`}, false},
		{"path removed", func(s *Snapshot) {
			s.Edges[0].Path = nil
		}, []string{`"patched_edges":[{"id":"a->b","path":[]}]`}, nil, false},
		{"exemplars emptied, health changed", func(s *Snapshot) {
			s.Edges[0].Exemplars = []Exemplar{}
			s.Edges[0].Health = HealthFailing
		}, []string{`"health":"failing"`, `"exemplars":[]`}, []string{`"path"`}, false},
		{"edge kind changed: sent whole", func(s *Snapshot) {
			s.Edges[0].Kind = EdgeMessaging
		}, []string{`"updated_edges":[{"id":"a->b","from":"a"`, `"path":[`}, []string{`"patched_edges"`}, true},
		{"node moved and figures", func(s *Snapshot) {
			s.Nodes[0].Pos = &Point{X: 10, Y: 20}
			s.Nodes[0].Stats.Calls = 7
		}, []string{`"patched_nodes":[{"id":"a","stats":{"calls":7,`, `"pos":{"x":10,"y":20}`}, []string{`"operations"`, `"updated_nodes"`}, false},
		{"node operations removed", func(s *Snapshot) {
			s.Nodes[0].Operations = nil
		}, []string{`"patched_nodes":[{"id":"a","operations":[]}]`}, nil, false},
		{"node loses its position: sent whole", func(s *Snapshot) {
			s.Nodes[0].Pos = nil
		}, []string{`"updated_nodes":[{"id":"a"`}, []string{`"patched_nodes"`}, true},
		{"node gains a position: sent whole", func(s *Snapshot) {
			s.Nodes[1].Pos = &Point{X: 3, Y: 3}
		}, []string{`"updated_nodes":[{"id":"b"`}, []string{`"patched_nodes"`}, true},
		{"node resized: sent whole", func(s *Snapshot) {
			s.Nodes[0].Width = 140
		}, []string{`"updated_nodes":[{"id":"a"`, `"operations":["GET /"]`}, []string{`"patched_nodes"`}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := base()
			b := a.Clone()
			b.Version = 2
			tt.change(&b)
			d := Compute(a, b)
			if d.Empty() || d.Topology() {
				t.Fatalf("diff Empty %v Topology %v, want false false", d.Empty(), d.Topology())
			}
			if whole := len(d.UpdatedNodes)+len(d.UpdatedEdges) > 0; whole != tt.whole {
				t.Errorf("sent whole = %v, want %v", whole, tt.whole)
			}
			js := string(mustJSON(t, d))
			for _, w := range tt.want {
				// encoding/json escapes the > of edge IDs.
				if w = strings.ReplaceAll(w, "->", `-\u003e`); !strings.Contains(js, w) {
					t.Errorf("diff JSON lacks %s:\n%s", w, js)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(js, w) {
					t.Errorf("diff JSON has %s:\n%s", w, js)
				}
			}
			checkApply(t, a, b, d)
			checkMinimal(t, a, b, d)
		})
	}
}

// TestCompute_patchSize checks what patches are for: a live tick in which
// a tenth of the edges get new figures costs a small part of the snapshot.
func TestCompute_patchSize(t *testing.T) {
	a, b := benchGraph(500, 2000)
	d := Compute(a, b)
	if len(d.PatchedEdges) != 200 || len(d.UpdatedEdges) != 0 {
		t.Fatalf("%d patched and %d updated edges, want 200 and 0", len(d.PatchedEdges), len(d.UpdatedEdges))
	}
	diff, snap := len(mustJSON(t, d)), len(mustJSON(t, b))
	// Whole edges would make the diff about 10% of the snapshot.
	if pct := 100 * float64(diff) / float64(snap); pct > 6 {
		t.Errorf("diff %d bytes is %.1f%% of the %d-byte snapshot, want at most 6%%", diff, pct, snap)
	}
	checkApply(t, a, b, d)
}
