package app

import (
	"net/url"
	"testing"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
	"github.com/spanmap/spanmap/graph"
)

func startedSession(t *testing.T, rawURL string) *session {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	s := &session{}
	s.readURL(u)
	s.started = true
	return s
}

func TestSession_ReadURL_viewChanges(t *testing.T) {
	s := startedSession(t, "http://h/?focus=cart&access_token=tok")
	if s.view.Focus != "cart" || s.token != "tok" || s.live.view != "focus=cart" || s.viewErr != "" {
		t.Fatalf("session = view %+v token %q live %q err %q", s.view, s.token, s.live.view, s.viewErr)
	}
	u, _ := url.Parse("http://h/?access_token=tok&focus=cart")
	if s.readURL(u) {
		t.Error("same view reported as changed")
	}
	u, _ = url.Parse("http://h/?window=1h")
	if !s.readURL(u) || s.live.view != "window=1h" || !s.loading {
		t.Errorf("view change: live %q loading %v", s.live.view, s.loading)
	}
	u, _ = url.Parse("http://h/?window=banana")
	s.readURL(u)
	if s.viewErr == "" || s.view != graph.DefaultView() {
		t.Errorf("bad view: err %q view %+v", s.viewErr, s.view)
	}
}

func TestSession_OnMessage_highlightsAndPause(t *testing.T) {
	s := startedSession(t, "http://h/")
	s1 := snapAt(1, "", "a")
	s2 := snapAt(2, "", "a", "b")
	s3 := snapAt(3, "", "a", "b", "c")

	s.live.handle(graph.NewSnapshotMessage(s1), time.Now())
	s.show(time.Now())
	if len(s.shown.Nodes) != 1 || !s.highlights.Empty() || s.loading {
		t.Fatalf("first snapshot: shown %d nodes, highlights %+v", len(s.shown.Nodes), s.highlights)
	}

	now := time.Unix(1000, 0)
	s.live.handle(diffMsg("", s1, s2), now)
	s.show(now)
	if s.highlights.Nodes["b"] != ClassNew {
		t.Fatalf("new node not highlighted: %+v", s.highlights)
	}
	s.tick(now.Add(HighlightFor - time.Millisecond))
	if s.highlights.Empty() {
		t.Error("highlight expired early")
	}
	s.tick(now.Add(HighlightFor))
	if !s.highlights.Empty() {
		t.Error("highlight did not expire")
	}

	// Paused: the live state moves on, the shown map does not.
	s.setPaused(true)
	s.onMessage(app.Context{}, diffMsg("", s2, s3))
	if s.live.snap.Version != 3 {
		t.Fatal("diff not applied while paused")
	}
	if len(s.shown.Nodes) != 2 {
		t.Errorf("paused map changed to %d nodes", len(s.shown.Nodes))
	}
	s.setPaused(false)
	if len(s.shown.Nodes) != 3 || s.highlights.Nodes["c"] != ClassNew {
		t.Errorf("resume: shown %d nodes, highlights %+v", len(s.shown.Nodes), s.highlights)
	}
}

func TestSession_OnMessage_resyncKeepsMap(t *testing.T) {
	s := startedSession(t, "http://h/")
	s.onMessage(app.Context{}, graph.NewSnapshotMessage(snapAt(1, "", "a")))
	// A diff from version 5 does not apply: the map stays, a resync is
	// under way (the client, absent here, would be asked for a snapshot).
	s.onMessage(app.Context{}, diffMsg("", snapAt(5, "", "a"), snapAt(6, "", "b")))
	if !s.live.resyncing || s.shown.Version != 1 || len(s.shown.Nodes) != 1 {
		t.Fatalf("after mismatch: resyncing %v shown %+v", s.live.resyncing, s.shown)
	}
	s.onMessage(app.Context{}, graph.NewSnapshotMessage(snapAt(6, "", "b")))
	if s.live.resyncing || s.shown.Version != 6 {
		t.Errorf("after fresh snapshot: resyncing %v version %d", s.live.resyncing, s.shown.Version)
	}
}

func TestSession_State_perSituation(t *testing.T) {
	tests := []struct {
		name  string
		setup func(s *session)
		want  pageState
	}{
		{"connecting", func(s *session) {}, stateConnecting},
		{"offline", func(s *session) { s.conn = connState{err: "connect: refused"} }, stateOffline},
		{"no data", func(s *session) {
			s.live.handle(graph.NewSnapshotMessage(snapAt(1, "")), time.Now())
			s.show(time.Now())
		}, stateNoData},
		{"filtered", func(s *session) {
			s.view.ErrorsOnly = true
			s.live.handle(graph.NewSnapshotMessage(snapAt(1, "")), time.Now())
			s.show(time.Now())
		}, stateFiltered},
		{"map", func(s *session) {
			s.live.handle(graph.NewSnapshotMessage(snapAt(1, "", "a")), time.Now())
			s.show(time.Now())
		}, stateMap},
		{"old map stays while loading", func(s *session) {
			s.live.handle(graph.NewSnapshotMessage(snapAt(1, "", "a")), time.Now())
			s.show(time.Now())
			u, _ := url.Parse("http://h/?window=1h")
			s.readURL(u)
		}, stateMap},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := startedSession(t, "http://h/")
			tt.setup(s)
			if got := s.state(); got != tt.want {
				t.Errorf("state = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestSession_Age_sinceUpdate(t *testing.T) {
	s := startedSession(t, "http://h/")
	if s.age() != 0 {
		t.Error("age before data")
	}
	t0 := time.Unix(500, 0)
	s.live.handle(graph.NewSnapshotMessage(snapAt(1, "", "a")), t0)
	s.tick(t0.Add(7 * time.Second))
	if s.age() != 7*time.Second {
		t.Errorf("age = %v", s.age())
	}
}

func TestSession_Show_viewChangeKeepsOldMapUntilSnapshot(t *testing.T) {
	s := startedSession(t, "http://h/?window=15m")
	s.onMessage(app.Context{}, graph.NewSnapshotMessage(snapAt(1, "window=15m", "a")))
	if s.shownView != "window=15m" {
		t.Fatalf("shownView = %q", s.shownView)
	}
	u, _ := url.Parse("http://h/?window=1h")
	s.readURL(u)
	// A late diff of the old view is ignored; the old map stays up.
	s.onMessage(app.Context{}, diffMsg("window=15m", snapAt(1, "", "a"), snapAt(2, "", "a", "b")))
	if s.shownView != "window=15m" || len(s.shown.Nodes) != 1 || !s.loading {
		t.Fatalf("old map replaced early: %q %d", s.shownView, len(s.shown.Nodes))
	}
	s.onMessage(app.Context{}, graph.NewSnapshotMessage(snapAt(9, "window=1h", "x", "y")))
	if s.shownView != "window=1h" || len(s.shown.Nodes) != 2 || s.loading || !s.highlights.Empty() {
		t.Errorf("new view: %q %d loading %v highlights %+v", s.shownView, len(s.shown.Nodes), s.loading, s.highlights)
	}
}
