package layout

import (
	"context"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/spanmap/spanmap/graph"
)

// smallSnapshot is a chain user -> a -> b -> db plus a -> c, with b and c
// in group "team", and names that need quoting.
func smallSnapshot() graph.Snapshot {
	s := graph.Snapshot{
		Nodes: []graph.Node{
			{ID: "user", Kind: graph.NodeUser},
			{ID: "a", Name: `a "quoted" \ name`, Kind: graph.NodeService},
			{ID: "b", Name: "サービス b", Kind: graph.NodeService, Group: "team"},
			{ID: "c", Name: "c", Kind: graph.NodeExternal, Group: "team"},
			{ID: "database:db", Name: "db", Kind: graph.NodeDatabase},
		},
	}
	for _, p := range [][2]string{{"user", "a"}, {"a", "b"}, {"b", "database:db"}, {"a", "c"}} {
		s.Edges = append(s.Edges, graph.Edge{ID: graph.EdgeID(p[0], p[1], ""), From: p[0], To: p[1], Stats: graph.Stats{Rate: 3}})
	}
	// Two operation-level edges between the same nodes.
	s.Edges = append(s.Edges, graph.Edge{ID: graph.EdgeID("a", "b", "GET /x"), From: "a", To: "b", Operation: "GET /x"})
	sortSnapshot(&s)
	return s
}

func newLayouter(t testing.TB, cfg Config) *Layouter {
	t.Helper()
	l, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

func nodeByID(s *graph.Snapshot, id string) *graph.Node {
	for i := range s.Nodes {
		if s.Nodes[i].ID == id {
			return &s.Nodes[i]
		}
	}
	return nil
}

// near reports whether p lies within tol of n's box.
func near(p graph.Point, n *graph.Node, tol float64) bool {
	return math.Abs(p.X-n.Pos.X) <= n.Width/2+tol && math.Abs(p.Y-n.Pos.Y) <= n.Height/2+tol
}

func TestLayouter_Layout_placesEverything(t *testing.T) {
	l := newLayouter(t, Config{})
	for _, eng := range Engines() {
		t.Run(string(eng), func(t *testing.T) {
			s := smallSnapshot()
			if err := l.Layout(context.Background(), &s, Options{Engine: eng}); err != nil {
				t.Fatal(err)
			}
			if s.Width <= 0 || s.Height <= 0 {
				t.Fatalf("drawing size %vx%v", s.Width, s.Height)
			}
			for i := range s.Nodes {
				n := &s.Nodes[i]
				w, h := NodeSize(*n)
				if n.Pos == nil || n.Width != w || n.Height != h {
					t.Errorf("node %q: pos %v size %vx%v, want size %vx%v", n.ID, n.Pos, n.Width, n.Height, w, h)
					continue
				}
				if n.Pos.X-n.Width/2 < -0.5 || n.Pos.X+n.Width/2 > s.Width+0.5 || n.Pos.Y-n.Height/2 < -0.5 || n.Pos.Y+n.Height/2 > s.Height+0.5 {
					t.Errorf("node %q at %v sticks out of %vx%v", n.ID, *n.Pos, s.Width, s.Height)
				}
			}
			if overlaps(&s) > 0 {
				t.Errorf("%d overlapping node pairs", overlaps(&s))
			}
			for _, e := range s.Edges {
				if len(e.Path) < 4 || len(e.Path)%3 != 1 {
					t.Errorf("edge %q path has %d points, want 3n+1", e.ID, len(e.Path))
					continue
				}
				from, to := nodeByID(&s, e.From), nodeByID(&s, e.To)
				if !near(e.Path[0], from, 4) || !near(e.Path[len(e.Path)-1], to, 4) {
					t.Errorf("edge %q runs %v..%v, not from %v to %v", e.ID, e.Path[0], e.Path[len(e.Path)-1], *from.Pos, *to.Pos)
				}
			}
		})
	}
}

func TestLayouter_Layout_directionAndGroups(t *testing.T) {
	l := newLayouter(t, Config{})
	tests := []struct {
		eng   Engine
		later func(a, b graph.Point) bool // b is ranked after a
	}{
		{DotLR, func(a, b graph.Point) bool { return b.X > a.X }},
		{DotTB, func(a, b graph.Point) bool { return b.Y > a.Y }}, // origin top-left: down is +Y
	}
	for _, tc := range tests {
		t.Run(string(tc.eng), func(t *testing.T) {
			s := smallSnapshot()
			if err := l.Layout(context.Background(), &s, Options{Engine: tc.eng}); err != nil {
				t.Fatal(err)
			}
			for _, e := range s.Edges {
				if a, b := nodeByID(&s, e.From).Pos, nodeByID(&s, e.To).Pos; !tc.later(*a, *b) {
					t.Errorf("edge %q goes from %v back to %v", e.ID, *a, *b)
				}
			}
			// The group box (members' bounds) holds no other node.
			b, c := nodeByID(&s, "b"), nodeByID(&s, "c")
			minX, maxX := math.Min(b.Pos.X, c.Pos.X), math.Max(b.Pos.X, c.Pos.X)
			minY, maxY := math.Min(b.Pos.Y, c.Pos.Y), math.Max(b.Pos.Y, c.Pos.Y)
			for _, n := range s.Nodes {
				if n.Group == "" && n.Pos.X >= minX && n.Pos.X <= maxX && n.Pos.Y >= minY && n.Pos.Y <= maxY {
					t.Errorf("node %q at %v lies inside group team", n.ID, *n.Pos)
				}
			}
		})
	}
}

func TestLayouter_Layout_metricsNeverMoveAnything(t *testing.T) {
	for _, cache := range []int{0, 8} {
		l := newLayouter(t, Config{CacheSize: cache})
		for _, eng := range []Engine{DotLR, Neato} {
			a := randomSnapshot(3, 40, 80)
			b := clone(a)
			for i := range b.Edges {
				b.Edges[i].Stats = graph.Stats{Rate: float64(i), Calls: 7, Errors: 1, ErrorRate: 0.5}
				b.Edges[i].Health = graph.HealthFailing
			}
			for i := range b.Nodes {
				b.Nodes[i].Health = graph.HealthDegraded
				b.Nodes[i].Sources = []string{"x"}
			}
			// Unrelated layouts in between must not change the result.
			for _, s := range []*graph.Snapshot{&a, ptr(randomSnapshot(4, 30, 50)), &b} {
				if err := l.Layout(context.Background(), s, Options{Engine: eng}); err != nil {
					t.Fatal(err)
				}
			}
			if TopologyKey(&a) != TopologyKey(&b) {
				t.Fatal("metric change altered the topology key")
			}
			if med, max := Displacement(Positions(&a), Positions(&b), a.Width); med != 0 || max != 0 || a.Width != b.Width {
				t.Errorf("cache %d, %s: metric-only change moved nodes (median %v, max %v)", cache, eng, med, max)
			}
			for i := range a.Edges {
				if !samePath(a.Edges[i].Path, b.Edges[i].Path) {
					t.Errorf("cache %d, %s: edge %q path changed", cache, eng, a.Edges[i].ID)
				}
			}
		}
		if st := l.Stats(); cache > 0 && st.CacheHits != 2 {
			t.Errorf("cache %d: %d cache hits, want 2", cache, st.CacheHits)
		} else if cache == 0 && st.CacheHits != 0 {
			t.Errorf("disabled cache answered %d times", st.CacheHits)
		}
	}
}

func ptr[T any](v T) *T { return &v }

func samePath(a, b []graph.Point) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestLayouter_Layout_cacheIsBoundedAndKeyedByEngine(t *testing.T) {
	l := newLayouter(t, Config{CacheSize: 2})
	ctx := context.Background()
	s := smallSnapshot()
	for _, eng := range []Engine{DotLR, DotTB, DotLR} {
		c := clone(s)
		if err := l.Layout(ctx, &c, Options{Engine: eng}); err != nil {
			t.Fatal(err)
		}
	}
	if st := l.Stats(); st.Layouts != 2 || st.CacheHits != 1 {
		t.Errorf("stats %+v, want 2 layouts and 1 hit", st)
	}
	for _, seed := range []uint64{5, 6, 7} {
		c := randomSnapshot(seed, 10, 12)
		if err := l.Layout(ctx, &c, Options{}); err != nil {
			t.Fatal(err)
		}
	}
	l.mu.Lock()
	n := l.cache.len()
	l.mu.Unlock()
	if n != 2 {
		t.Errorf("cache holds %d layouts, want 2", n)
	}
}

func TestLayouter_Layout_pinKeepsNodesAndPlacesNewOnes(t *testing.T) {
	l := newLayouter(t, Config{})
	ctx := context.Background()
	for _, eng := range Engines() {
		t.Run(string(eng), func(t *testing.T) {
			a := randomSnapshot(9, 30, 45)
			if err := l.Layout(ctx, &a, Options{Engine: eng}); err != nil {
				t.Fatal(err)
			}
			b := clone(a)
			b.Nodes = append(b.Nodes, graph.Node{ID: "zz-new", Kind: graph.NodeService})
			b.Edges = append(b.Edges, graph.Edge{ID: graph.EdgeID(a.Nodes[3].ID, "zz-new", ""), From: a.Nodes[3].ID, To: "zz-new"})
			sortSnapshot(&b)
			prev := Positions(&a)
			if err := l.Layout(ctx, &b, Options{Engine: eng, Previous: prev, Pin: true}); err != nil {
				t.Fatal(err)
			}
			// Pinned nodes keep their places relative to each other; the
			// whole drawing shifts only if the new node extends it to the
			// left or top.
			var shift *graph.Point
			for _, n := range a.Nodes {
				p := nodeByID(&b, n.ID).Pos
				d := graph.Point{X: p.X - n.Pos.X, Y: p.Y - n.Pos.Y}
				if shift == nil {
					shift = &d
				} else if math.Abs(d.X-shift.X) > 0.1 || math.Abs(d.Y-shift.Y) > 0.1 {
					t.Errorf("pinned node %q moved by %v, others by %v", n.ID, d, *shift)
				}
			}
			if shift.X < -0.02 || shift.Y < -0.02 {
				t.Errorf("drawing shifted by %v, towards the origin", *shift)
			}
			nn := nodeByID(&b, "zz-new")
			if nn.Pos == nil {
				t.Fatal("new node not placed")
			}
			for _, n := range b.Nodes {
				if n.ID != nn.ID && math.Abs(n.Pos.X-nn.Pos.X) < (n.Width+nn.Width)/2 && math.Abs(n.Pos.Y-nn.Pos.Y) < (n.Height+nn.Height)/2 {
					t.Errorf("new node at %v overlaps %s at %v", *nn.Pos, n.ID, *n.Pos)
				}
			}
			for _, e := range b.Edges {
				if len(e.Path) < 4 || (len(e.Path)-1)%3 != 0 {
					t.Errorf("edge %s has path %v, want 3n+1 points", e.ID, e.Path)
				}
			}
			for _, n := range b.Nodes {
				if n.Pos.X-n.Width/2 < -0.02 || n.Pos.Y-n.Height/2 < -0.02 || n.Pos.X+n.Width/2 > b.Width+0.02 || n.Pos.Y+n.Height/2 > b.Height+0.02 {
					t.Errorf("node %s at %v (%vx%v) outside the %vx%v drawing", n.ID, *n.Pos, n.Width, n.Height, b.Width, b.Height)
				}
			}
		})
	}
}

func TestLayouter_Layout_rejectsBadInput(t *testing.T) {
	l := newLayouter(t, Config{MaxNodes: 3, MaxEdges: 10})
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	two := graph.Snapshot{Nodes: []graph.Node{{ID: "a"}, {ID: "b"}}}
	tests := []struct {
		name string
		ctx  context.Context
		s    graph.Snapshot
		opt  Options
		want error
	}{
		{"unknown engine", context.Background(), two, Options{Engine: "circo"}, ErrUnknownEngine},
		{"unknown node", context.Background(), graph.Snapshot{Nodes: []graph.Node{{ID: "a"}}, Edges: []graph.Edge{{ID: "a->x", From: "a", To: "x"}}}, Options{}, ErrUnknownNode},
		{"duplicate node", context.Background(), graph.Snapshot{Nodes: []graph.Node{{ID: "a"}, {ID: "a"}}}, Options{}, ErrDuplicateNode},
		{"too many nodes", context.Background(), randomSnapshot(1, 4, 3), Options{}, ErrTooLarge},
		{"cancelled", cancelled, two, Options{}, context.Canceled},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := l.Layout(tc.ctx, &tc.s, tc.opt); !errors.Is(err, tc.want) {
				t.Errorf("error %v, want %v", err, tc.want)
			}
		})
	}
}

func TestLayouter_Layout_emptyAndClosed(t *testing.T) {
	l, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	s := graph.Snapshot{Width: 5, Height: 5}
	if err := l.Layout(context.Background(), &s, Options{}); err != nil || s.Width != 0 || s.Height != 0 {
		t.Errorf("empty snapshot: err %v, size %vx%v", err, s.Width, s.Height)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	s = smallSnapshot()
	if err := l.Layout(context.Background(), &s, Options{}); !errors.Is(err, ErrClosed) {
		t.Errorf("layout after Close: %v, want ErrClosed", err)
	}
}

func TestLayouter_Layout_concurrentCallsAreSerialised(t *testing.T) {
	l1 := newLayouter(t, Config{})
	l2 := newLayouter(t, Config{})
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			l := l1
			if i%2 == 1 {
				l = l2
			}
			s := randomSnapshot(uint64(i%3), 25, 40)
			errs <- l.Layout(context.Background(), &s, Options{Engine: Engines()[i%4]})
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
}

func TestLayouter_Draw(t *testing.T) {
	l := newLayouter(t, Config{})
	tests := []struct {
		name, src, prog, format string
		want                    string
		err                     error
	}{
		{"svg", "digraph { a -> b }", "dot", "svg", "<svg", nil},
		{"keeps positions", `digraph { a [pos="27,18!"]; b [pos="227,18!"]; a -> b }`, "nop2", "json0", `"pos": "227,18"`, nil},
		{"unknown program", "digraph { a }", "bogus", "svg", "", ErrUnsupported},
		{"unknown format", "digraph { a }", "dot", "gif", "", ErrUnsupported},
		{"syntax error", "digraph { a -> }", "dot", "svg", "", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var b strings.Builder
			err := l.Draw(context.Background(), &b, []byte(tc.src), tc.prog, tc.format)
			switch {
			case tc.want == "" && err == nil:
				t.Errorf("no error, output %q", b.String())
			case tc.err != nil && !errors.Is(err, tc.err):
				t.Errorf("error %v, want %v", err, tc.err)
			case tc.want != "" && (err != nil || !strings.Contains(b.String(), tc.want)):
				t.Errorf("error %v, output lacks %q:\n%s", err, tc.want, b.String())
			}
		})
	}
}

func TestConfig_Validate(t *testing.T) {
	tests := []struct {
		cfg Config
		ok  bool
	}{
		{DefaultConfig(), true},
		{Config{}, true},
		{Config{CacheSize: -1}, false},
		{Config{MaxNodes: -1}, false},
	}
	for _, tc := range tests {
		if err := tc.cfg.Validate(); (err == nil) != tc.ok {
			t.Errorf("Validate(%+v) = %v", tc.cfg, err)
		}
		if _, err := New(tc.cfg); (err == nil) != tc.ok {
			t.Errorf("New(%+v) = %v", tc.cfg, err)
		}
	}
}

func TestParseEngine(t *testing.T) {
	tests := []struct {
		in   string
		want Engine
		ok   bool
	}{
		{"", DefaultEngine, true},
		{"dot-lr", DotLR, true},
		{" Neato ", Neato, true},
		{"fdp", FDP, true},
		{"dot-tb", DotTB, true},
		{"dot", "", false},
		{"sfdp", "", false},
	}
	for _, tc := range tests {
		got, err := ParseEngine(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("ParseEngine(%q) = %q, %v", tc.in, got, err)
		}
	}
}

// paths returns s's edge paths by ID.
func paths(s *graph.Snapshot) map[string][]graph.Point {
	out := make(map[string][]graph.Point, len(s.Edges))
	for _, e := range s.Edges {
		out[e.ID] = e.Path
	}
	return out
}

func TestLayouter_Layout_dotPinKeepsOldPaths(t *testing.T) {
	l := newLayouter(t, Config{})
	ctx := context.Background()
	for _, eng := range []Engine{DotLR, DotTB} {
		t.Run(string(eng), func(t *testing.T) {
			a := randomSnapshot(4, 40, 60)
			if err := l.Layout(ctx, &a, Options{Engine: eng}); err != nil {
				t.Fatal(err)
			}
			b := clone(a)
			b.Nodes = append(b.Nodes, graph.Node{ID: "zz-new", Kind: graph.NodeService})
			b.Edges = append(b.Edges, graph.Edge{ID: graph.EdgeID(a.Nodes[5].ID, "zz-new", ""), From: a.Nodes[5].ID, To: "zz-new"})
			sortSnapshot(&b)
			if err := l.Layout(ctx, &b, Options{Engine: eng, Previous: Positions(&a), PreviousPaths: paths(&a), Pin: true}); err != nil {
				t.Fatal(err)
			}
			shift := graph.Point{X: nodeByID(&b, a.Nodes[0].ID).Pos.X - a.Nodes[0].Pos.X, Y: nodeByID(&b, a.Nodes[0].ID).Pos.Y - a.Nodes[0].Pos.Y}
			for _, e := range a.Edges {
				var got []graph.Point
				for _, f := range b.Edges {
					if f.ID == e.ID {
						got = f.Path
					}
				}
				if len(got) != len(e.Path) {
					t.Fatalf("edge %s: path of %d points, had %d", e.ID, len(got), len(e.Path))
				}
				for i := range got {
					if math.Abs(got[i].X-e.Path[i].X-shift.X) > 0.01 || math.Abs(got[i].Y-e.Path[i].Y-shift.Y) > 0.01 {
						t.Fatalf("edge %s: path %v, had %v (drawing shifted by %v)", e.ID, got, e.Path, shift)
					}
				}
			}
		})
	}
}

func TestLayouter_Layout_dotBigChangeIsLaidOutAfresh(t *testing.T) {
	l := newLayouter(t, Config{})
	ctx := context.Background()
	a := randomSnapshot(5, 20, 30)
	if err := l.Layout(ctx, &a, Options{}); err != nil {
		t.Fatal(err)
	}
	grown := randomSnapshot(5, 20, 30)
	for i := range 5 { // 25% new nodes: more than dot pins
		id := fmt.Sprintf("zz-%d", i)
		grown.Nodes = append(grown.Nodes, graph.Node{ID: id, Kind: graph.NodeService})
		grown.Edges = append(grown.Edges, graph.Edge{ID: graph.EdgeID(a.Nodes[i].ID, id, ""), From: a.Nodes[i].ID, To: id})
	}
	sortSnapshot(&grown)
	pinned, fresh := clone(grown), clone(grown)
	if err := l.Layout(ctx, &pinned, Options{Previous: Positions(&a), PreviousPaths: paths(&a), Pin: true}); err != nil {
		t.Fatal(err)
	}
	if err := l.Layout(ctx, &fresh, Options{Previous: Positions(&a)}); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(Positions(&pinned), Positions(&fresh)) || !reflect.DeepEqual(paths(&pinned), paths(&fresh)) {
		t.Error("a map that grew by a quarter was pinned, want a fresh dot layout")
	}
	if small := smallChange(&grown, Options{Previous: Positions(&a)}); small {
		t.Error("smallChange: 5 new nodes on 20 is small")
	}
}
