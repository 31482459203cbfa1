package app

import (
	"testing"
	"time"

	"github.com/spanmap/spanmap/graph"
)

func snapAt(version uint64, view string, nodes ...string) *graph.Snapshot {
	s := &graph.Snapshot{Version: version, View: view, Nodes: []graph.Node{}, Edges: []graph.Edge{}}
	for _, n := range nodes {
		s.Nodes = append(s.Nodes, graph.Node{ID: n, Name: n})
	}
	return s
}

func diffMsg(view string, a, b *graph.Snapshot) graph.Message {
	d := graph.Compute(*a, *b)
	return graph.NewDiffMessage(view, &d)
}

func TestLiveState_Handle_snapshotThenDiffs(t *testing.T) {
	now := time.Unix(100, 0)
	var s liveState
	s.reset("focus=a")
	s1 := snapAt(1, "focus=a", "a")
	s2 := snapAt(2, "focus=a", "a", "b")
	s3 := snapAt(3, "focus=a", "b")

	if r := s.handle(diffMsg("focus=a", s1, s2), now); r.changed || r.resubscribe {
		t.Fatalf("diff before snapshot = %+v", r)
	}
	if r := s.handle(graph.NewSnapshotMessage(s1), now); !r.changed {
		t.Fatal("snapshot not taken")
	}
	if r := s.handle(diffMsg("focus=a", s1, s2), now.Add(time.Second)); !r.changed || r.resubscribe {
		t.Fatalf("diff 1->2 = %+v", r)
	}
	if r := s.handle(diffMsg("focus=a", s2, s3), now.Add(2*time.Second)); !r.changed {
		t.Fatal("diff 2->3 not applied")
	}
	if s.snap.Version != 3 || len(s.snap.Nodes) != 1 || s.snap.Nodes[0].ID != "b" {
		t.Errorf("snapshot = %+v", s.snap)
	}
	if !s.updated.Equal(now.Add(2 * time.Second)) {
		t.Errorf("updated = %v", s.updated)
	}
}

func TestLiveState_Handle_versionMismatchResubscribes(t *testing.T) {
	now := time.Unix(100, 0)
	var s liveState
	s.reset("")
	s1, s2, s3, s4 := snapAt(1, "", "a"), snapAt(2, "", "a", "b"), snapAt(3, "", "c"), snapAt(4, "", "d")
	s.handle(graph.NewSnapshotMessage(s1), now)

	// Diff 2->3 skips a version.
	r := s.handle(diffMsg("", s2, s3), now)
	if !r.resubscribe || r.changed || !s.resyncing || s.resyncs != 1 {
		t.Fatalf("mismatch = %+v, state %+v", r, s)
	}
	// Further diffs are ignored until the fresh snapshot.
	if r := s.handle(diffMsg("", s3, s4), now); r.changed || r.resubscribe {
		t.Fatalf("diff while resyncing = %+v", r)
	}
	if s.snap.Version != 1 {
		t.Error("old snapshot not kept while resyncing")
	}
	if r := s.handle(graph.NewSnapshotMessage(s3), now); !r.changed || s.resyncing {
		t.Fatalf("fresh snapshot = %+v, resyncing %v", r, s.resyncing)
	}
	if r := s.handle(diffMsg("", s3, s4), now); !r.changed || s.snap.Version != 4 {
		t.Fatalf("diff after resync = %+v, version %d", r, s.snap.Version)
	}
}

func TestLiveState_Handle_otherViewIgnored(t *testing.T) {
	var s liveState
	s.reset("window=1h")
	if r := s.handle(graph.NewSnapshotMessage(snapAt(5, "window=15m", "x")), time.Now()); r.changed || s.have {
		t.Fatalf("snapshot of another view taken: %+v", r)
	}
	s.handle(graph.NewSnapshotMessage(snapAt(6, "window=1h", "y")), time.Now())
	if r := s.handle(diffMsg("window=15m", snapAt(6, "", "y"), snapAt(7, "", "z")), time.Now()); r.changed || r.resubscribe {
		t.Fatalf("diff of another view applied: %+v", r)
	}
}

func TestLiveState_Handle_statusAndErrors(t *testing.T) {
	var s liveState
	s.reset("")
	s.handle(graph.NewStatusMessage(&graph.Status{Stale: true, DroppedSpans: 3}), time.Now())
	if !s.stale() || s.status.DroppedSpans != 3 {
		t.Errorf("status = %+v", s.status)
	}
	s.handle(graph.Message{Type: graph.MessageError, Error: "view parameter window: bad"}, time.Now())
	if s.serverErr == "" {
		t.Error("error not kept")
	}
	s.handle(graph.NewSnapshotMessage(snapAt(1, "", "a")), time.Now())
	if s.serverErr != "" {
		t.Error("error not cleared by a snapshot")
	}
	s.reset("window=1h")
	if s.have || s.status == nil || s.view != "window=1h" {
		t.Errorf("reset = %+v", s)
	}
}
