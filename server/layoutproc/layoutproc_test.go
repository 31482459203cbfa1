package layoutproc

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/spanmap/spanmap/graph"
	"github.com/spanmap/spanmap/graph/layout"
)

// The test binary doubles as the layout worker when this variable is set.
const workerEnv = "SPANMAP_LAYOUTPROC_TEST_WORKER"

func TestMain(m *testing.M) {
	if os.Getenv(workerEnv) == "1" {
		if err := Serve(os.Stdin, os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func newPool(t *testing.T, workers int) *Layouter {
	t.Helper()
	l, err := New(Config{Command: []string{os.Args[0]}, Env: []string{workerEnv + "=1"}, Workers: workers}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

// chain returns a snapshot of n services, each calling the next two.
func chain(n int) graph.Snapshot {
	var s graph.Snapshot
	for i := range n {
		s.Nodes = append(s.Nodes, graph.Node{ID: fmt.Sprintf("svc-%04d", i), Name: fmt.Sprintf("svc-%04d", i), Kind: graph.NodeService})
	}
	for i := range n {
		for _, j := range []int{i + 1, i + 7} {
			if j < n {
				from, to := s.Nodes[i].ID, s.Nodes[j].ID
				s.Edges = append(s.Edges, graph.Edge{ID: graph.EdgeID(from, to, ""), From: from, To: to, Kind: graph.EdgeRPC})
			}
		}
	}
	return s
}

func TestLayouter_Layout_matchesInProcess(t *testing.T) {
	l := newPool(t, 1)
	want := chain(12)
	in, err := layout.New(layout.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	if err := in.Layout(context.Background(), &want, layout.Options{Engine: layout.DotLR}); err != nil {
		t.Fatal(err)
	}
	for range 2 { // the second call reuses the running child
		got := chain(12)
		if err := l.Layout(context.Background(), &got, layout.Options{Engine: layout.DotLR}); err != nil {
			t.Fatal(err)
		}
		if !got.Equal(&want) {
			t.Fatalf("child layout differs from in-process layout")
		}
	}
}

func TestLayouter_Layout_errorFromChild(t *testing.T) {
	l := newPool(t, 1)
	s := chain(3)
	err := l.Layout(context.Background(), &s, layout.Options{Engine: "circo"})
	if err == nil {
		t.Fatal("bad engine accepted")
	}
	// The child survives a failed layout.
	s = chain(3)
	if err := l.Layout(context.Background(), &s, layout.Options{}); err != nil || s.Nodes[0].Pos == nil {
		t.Fatalf("after an error: %v", err)
	}
}

// TestLayouter_Layout_doesNotStallParent starts a layout big enough to run
// for many seconds and checks that a garbage collection in this process
// completes while it runs; an in-process graphviz layout would hold the
// collection until it finished. Cancelling kills the child.
func TestLayouter_Layout_doesNotStallParent(t *testing.T) {
	l := newPool(t, 1)
	s := chain(1500)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- l.Layout(ctx, &s, layout.Options{Engine: layout.DotLR}) }()
	time.Sleep(500 * time.Millisecond) // the child is busy laying out by now
	runtime.GC()
	select {
	case err := <-done:
		t.Skipf("layout finished before the check (%v): machine too fast for this graph", err)
	default:
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled layout returned %v", err)
	}
	// The killed child is replaced.
	small := chain(4)
	if err := l.Layout(context.Background(), &small, layout.Options{}); err != nil {
		t.Fatalf("layout after a killed child: %v", err)
	}
}

func TestLayouter_Layout_parallelChildren(t *testing.T) {
	l := newPool(t, 2)
	errs := make(chan error, 4)
	for range 4 {
		go func() {
			s := chain(20)
			errs <- l.Layout(context.Background(), &s, layout.Options{Engine: layout.Neato})
		}()
	}
	for range 4 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}

func TestLayouter_Layout_missingBinary(t *testing.T) {
	l, err := New(Config{Command: []string{"/nonexistent/spanmap"}, Workers: 1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	s := chain(2)
	if err := l.Layout(context.Background(), &s, layout.Options{}); err == nil {
		t.Fatal("missing binary accepted")
	}
}

func TestConfig_Validate(t *testing.T) {
	for _, c := range []Config{{}, {Command: []string{""}, Workers: 1}, {Command: []string{"x"}}} {
		if c.Validate() == nil {
			t.Errorf("Validate accepted %+v", c)
		}
	}
}
