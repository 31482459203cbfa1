package prometheus

import (
	"context"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/spanmap/spanmap/server/poll"
)

// restartable serves a handler on one loopback address that can go down
// (nothing listening) and come back.
type restartable struct {
	t    *testing.T
	h    http.Handler
	addr string
	srv  *http.Server
}

func newRestartable(t *testing.T, h http.Handler) *restartable {
	r := &restartable{t: t, h: h, addr: "127.0.0.1:0"}
	r.up()
	t.Cleanup(r.down)
	return r
}

func (r *restartable) up() {
	var (
		ln  net.Listener
		err error
	)
	for range 50 { // the address was just released: retry briefly
		if ln, err = net.Listen("tcp", r.addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		r.t.Fatal(err)
	}
	r.addr = ln.Addr().String()
	r.srv = &http.Server{Handler: r.h}
	go r.srv.Serve(ln)
}

func (r *restartable) down() {
	if r.srv != nil {
		r.srv.Close()
		r.srv = nil
	}
}

// TestSource_Poll_downAtStartAndMidRun: a Prometheus that is not there at
// start makes the source degraded, then down, naming the source, the query
// and the failed connection; once it answers, the intervals missed are
// read; down again mid-run, the interval due is retried after recovery.
func TestSource_Poll_downAtStartAndMidRun(t *testing.T) {
	fp := &fakeProm{data: map[int64][]series{t0.Unix(): shop(), t0.Add(time.Minute).Unix(): shop()}}
	srv := newRestartable(t, fp)
	srv.down()
	clk := &clock{t: t0.Add(30 * time.Second)}
	sink := &recSink{}
	s := newTestSource(t, "http://"+srv.addr, sink, clk.now, func(c *Config) { c.Lookback = time.Minute })
	for i, want := range []poll.State{poll.StateDegraded, poll.StateDegraded, poll.StateDown} {
		err := s.Poll(context.Background())
		st := s.Status()
		if err == nil || st.State != want || !strings.HasPrefix(st.LastError, "source prom: query ") ||
			!strings.Contains(st.LastError, "dial tcp "+srv.addr) { // connection refused (or reset, while the port closes)
			t.Fatalf("poll %d of a Prometheus that is down: %v, status %+v; want %s naming the source and the failed connection", i+1, err, st, want)
		}
	}
	srv.up()
	if err := s.Poll(context.Background()); err != nil {
		t.Fatalf("poll after Prometheus came up: %v", err)
	}
	if got := sink.intervals(); s.Status().State != poll.StateOK || len(got) != 1 || !got[0].to.Equal(t0) || len(got[0].edges) == 0 {
		t.Fatalf("after recovery: %+v, intervals %+v; want ok and the interval ending at t0", s.Status(), got)
	}
	srv.down()
	clk.add(time.Minute)
	if err := s.Poll(context.Background()); err == nil || s.Status().State != poll.StateDegraded || s.Status().PollsBehind != 1 {
		t.Fatalf("poll of a Prometheus gone mid-run: %v, %+v; want degraded, one interval behind", err, s.Status())
	}
	srv.up()
	if err := s.Poll(context.Background()); err != nil {
		t.Fatalf("poll after Prometheus came back: %v", err)
	}
	if got := sink.intervals(); s.Status().State != poll.StateOK || len(got) != 2 || !got[1].from.Equal(t0) || !got[1].to.Equal(t0.Add(time.Minute)) {
		t.Fatalf("after the second recovery: %+v, %d intervals; want the missed interval read once", s.Status(), len(got))
	}
}
