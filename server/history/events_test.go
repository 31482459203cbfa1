package history

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/spanmap/spanmap/graph"
	"github.com/spanmap/spanmap/graph/agg"
)

func ev(ms int64, kind, id string) graph.Event {
	el := graph.ElementEdge
	if _, _, ok := graph.EdgeEnds(id); !ok {
		el = graph.ElementNode
	}
	return graph.Event{Time: ms, Kind: kind, Element: el, ID: id}
}

func ids(evs []graph.Event) []string {
	var out []string
	for _, e := range evs {
		out = append(out, e.ID)
	}
	return out
}

func TestStore_ListEvents_newestFirstLimitedFiltered(t *testing.T) {
	s := open(t, t.TempDir(), testOptions())
	base := t0.UnixMilli()
	// Two events share a millisecond: they keep their order of appending.
	in := []graph.Event{
		ev(base, graph.EventEdgeAdded, "a->b"),
		ev(base+1000, graph.EventEdgeAdded, "b->c"),
		ev(base+1000, graph.EventHealthChanged, "c"),
		ev(base+60_000, graph.EventEdgeRemoved, "a->b"),
	}
	in[2].From, in[2].To, in[2].Detail = "ok", "failing", "error rate 12.5% over 1m"
	if err := s.AppendEvents(in[:2]); err != nil {
		t.Fatal(err)
	}
	if err := s.AppendEvents(in[2:]); err != nil {
		t.Fatal(err)
	}
	from, to := t0, t0.Add(time.Hour)
	for _, tc := range []struct {
		name      string
		from, to  time.Time
		limit     int
		keep      func(*graph.Event) bool
		want      []string
		truncated bool
	}{
		{"all", from, to, 10, nil, []string{"a->b", "c", "b->c", "a->b"}, false},
		{"limit", from, to, 2, nil, []string{"a->b", "c"}, true},
		{"limit equals matches", from, to, 4, nil, []string{"a->b", "c", "b->c", "a->b"}, false},
		{"to excluded", from, t0.Add(time.Minute), 10, nil, []string{"c", "b->c", "a->b"}, false},
		{"from included", t0.Add(time.Second), to, 10, nil, []string{"a->b", "c", "b->c"}, false},
		{"empty range", t0.Add(2 * time.Second), t0.Add(time.Minute), 10, nil, nil, false},
		{"before all", t0.Add(-time.Hour), t0, 10, nil, nil, false},
		{"filter", from, to, 1, func(e *graph.Event) bool { return e.Element == graph.ElementEdge }, []string{"a->b"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, tr, err := s.ListEvents(tc.from, tc.to, tc.limit, tc.keep)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(ids(got), tc.want) || tr != tc.truncated {
				t.Fatalf("got %v truncated %v, want %v truncated %v", ids(got), tr, tc.want, tc.truncated)
			}
		})
	}
	got, _, _ := s.ListEvents(from, to, 10, nil)
	if got[1] != in[2] {
		t.Fatalf("stored event %+v, want %+v", got[1], in[2])
	}
	if _, _, err := s.ListEvents(from, to, 0, nil); !errors.Is(err, ErrEventLimit) {
		t.Fatalf("limit 0: %v", err)
	}
	if st := s.Stats(); st.EventsWritten != 4 || st.FileBytes == 0 {
		t.Fatalf("Stats = %+v", st)
	}
}

func TestStore_Events_keptAcrossReopenAndPruned(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, testOptions())
	if err != nil {
		t.Fatal(err)
	}
	base := t0.UnixMilli()
	var in []graph.Event
	for i := range 10 {
		in = append(in, ev(base+int64(i)*int64(time.Hour/time.Millisecond), graph.EventEdgeAdded, "a->b"))
	}
	if err := s.AppendEvents(in); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s = open(t, dir, testOptions())
	got, _, err := s.ListEvents(t0, t0.Add(24*time.Hour), 100, nil)
	if err != nil || len(got) != 10 {
		t.Fatalf("after reopen: %d events, %v", len(got), err)
	}
	// Retention: everything before t0+5h goes, events included.
	n, err := s.DeleteBefore(t0.Add(5 * time.Hour))
	if err != nil || n != 5 {
		t.Fatalf("DeleteBefore = %d, %v, want 5 events deleted", n, err)
	}
	got, _, _ = s.ListEvents(t0, t0.Add(24*time.Hour), 100, nil)
	if len(got) != 5 || got[len(got)-1].Time != base+5*int64(time.Hour/time.Millisecond) {
		t.Fatalf("after retention: %+v", got)
	}
}

func TestStore_Stats_countsFlushes(t *testing.T) {
	a := agg.New(agg.DefaultConfig())
	traffic(a, 5, 3, 10)
	s := open(t, t.TempDir(), testOptions())
	if _, err := s.Flush(a, t0.Add(2*time.Minute+30*time.Second)); err != nil {
		t.Fatal(err)
	}
	st := s.Stats()
	if st.Flushes != 1 || st.FlushErrors != 0 || st.MinutesWritten != 3 || st.FileBytes == 0 || st.FlushSeconds <= 0 {
		t.Fatalf("after one flush: %+v", st)
	}
	s.Close()
	if _, err := s.Flush(a, t0.Add(2*time.Minute+30*time.Second)); err == nil {
		t.Fatal("flush of a closed store succeeded")
	}
	if st := s.Stats(); st.Flushes != 2 || st.FlushErrors != 1 || st.MinutesWritten != 3 {
		t.Fatalf("after a failed flush: %+v", st)
	}
}
