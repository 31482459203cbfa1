package tempo

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/spanmap/spanmap/internal/restartable"
	"github.com/spanmap/spanmap/server/poll"
)

// TestPuller_withPoller_downAtStartAndMidRun: a Tempo that is not there
// at start makes the source degraded, then down, naming the source and the
// failed connection; once Tempo answers, the window that was missed is
// fetched; down again mid-run, nothing is fetched twice after recovery.
func TestPuller_withPoller_downAtStartAndMidRun(t *testing.T) {
	now := time.Now()
	ft := &fakeTempo{}
	for i := range 5 {
		ft.addCall(i, now.Add(-time.Duration(30+i)*time.Second))
	}
	srv := restartable.New(t, ft)
	srv.Down()
	p := newTestPuller(t, "http://"+srv.Addr(), func(c *Config) { c.Conn.Timeout = time.Second })
	cfg := poll.DefaultConfig()
	cfg.Name, cfg.Kind, cfg.Lookback, cfg.Settle = "tempo-test", "tempo", 2*time.Minute, time.Second
	s := &sink{}
	pl, err := poll.New(cfg, p, s, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []poll.State{poll.StateDegraded, poll.StateDegraded, poll.StateDown} {
		err := pl.Poll(context.Background())
		st := pl.Status()
		if err == nil || st.State != want || !strings.Contains(st.LastError, "list services of tempo-test") ||
			!strings.Contains(st.LastError, "dial tcp "+srv.Addr()) { // connection refused (or reset, while the port closes)
			t.Fatalf("poll %d of a Tempo that is down: %v, status %+v; want %s naming the source and the failed connection", i+1, err, st, want)
		}
	}
	srv.Up()
	if err := pl.Poll(context.Background()); err != nil {
		t.Fatalf("poll after Tempo came up: %v", err)
	}
	if st := pl.Status(); st.State != poll.StateOK || st.TracesFetched != 5 || s.traces() != 5 {
		t.Fatalf("after recovery: %+v, %d traces in the sink; want ok and 5", st, s.traces())
	}
	srv.Down()
	if err := pl.Poll(context.Background()); err == nil || pl.Status().State != poll.StateDegraded {
		t.Fatalf("poll of a Tempo gone mid-run: %v, %+v", err, pl.Status())
	}
	srv.Up()
	if err := pl.Poll(context.Background()); err != nil {
		t.Fatalf("poll after Tempo came back: %v", err)
	}
	if st := pl.Status(); st.State != poll.StateOK || st.TracesFetched != 5 || len(s.spans) != 15 {
		t.Fatalf("after the second recovery: %+v, %d spans; want ok, the 5 traces once (15 spans)", st, len(s.spans))
	}
}
