package prometheus

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/spanmap/spanmap/internal/restartable"
	"github.com/spanmap/spanmap/server/poll"
)

// TestSource_Poll_downAtStartAndMidRun: a Prometheus that is not there at
// start makes the source degraded, then down, naming the source, the query
// and the failed connection; once it answers, the intervals missed are
// read; down again mid-run, the interval due is retried after recovery.
func TestSource_Poll_downAtStartAndMidRun(t *testing.T) {
	fp := &fakeProm{data: map[int64][]series{t0.Unix(): shop(), t0.Add(time.Minute).Unix(): shop()}}
	srv := restartable.New(t, fp)
	srv.Down()
	clk := &clock{t: t0.Add(30 * time.Second)}
	sink := &recSink{}
	s := newTestSource(t, "http://"+srv.Addr(), sink, clk.now, func(c *Config) { c.Lookback = time.Minute })
	for i, want := range []poll.State{poll.StateDegraded, poll.StateDegraded, poll.StateDown} {
		err := s.Poll(context.Background())
		st := s.Status()
		if err == nil || st.State != want || !strings.HasPrefix(st.LastError, "source prom: query ") ||
			!strings.Contains(st.LastError, "dial tcp "+srv.Addr()) { // connection refused (or reset, while the port closes)
			t.Fatalf("poll %d of a Prometheus that is down: %v, status %+v; want %s naming the source and the failed connection", i+1, err, st, want)
		}
	}
	srv.Up()
	if err := s.Poll(context.Background()); err != nil {
		t.Fatalf("poll after Prometheus came up: %v", err)
	}
	if got := sink.intervals(); s.Status().State != poll.StateOK || len(got) != 1 || !got[0].to.Equal(t0) || len(got[0].edges) == 0 {
		t.Fatalf("after recovery: %+v, intervals %+v; want ok and the interval ending at t0", s.Status(), got)
	}
	srv.Down()
	clk.add(time.Minute)
	if err := s.Poll(context.Background()); err == nil || s.Status().State != poll.StateDegraded || s.Status().PollsBehind != 1 {
		t.Fatalf("poll of a Prometheus gone mid-run: %v, %+v; want degraded, one interval behind", err, s.Status())
	}
	srv.Up()
	if err := s.Poll(context.Background()); err != nil {
		t.Fatalf("poll after Prometheus came back: %v", err)
	}
	if got := sink.intervals(); s.Status().State != poll.StateOK || len(got) != 2 || !got[1].from.Equal(t0) || !got[1].to.Equal(t0.Add(time.Minute)) {
		t.Fatalf("after the second recovery: %+v, %d intervals; want the missed interval read once", s.Status(), len(got))
	}
}
