// Package restartable serves an http.Handler on one loopback address that a
// test can take down (nothing listening, so dials are refused) and bring
// back on the same address: a backend going away and returning.
package restartable

import (
	"net"
	"net/http"
	"testing"
	"time"
)

// Server is an HTTP server whose listener can be closed and reopened on the
// same address.
type Server struct {
	t    testing.TB
	h    http.Handler
	addr string
	srv  *http.Server
}

// New starts h on a free loopback port; the server is closed when the test
// ends.
func New(t testing.TB, h http.Handler) *Server {
	r := &Server{t: t, h: h, addr: "127.0.0.1:0"}
	r.Up()
	t.Cleanup(r.Down)
	return r
}

// Addr returns host:port, the same across Down and Up.
func (r *Server) Addr() string { return r.addr }

// Up listens again on the server's address (a no-op while it is up).
func (r *Server) Up() {
	if r.srv != nil {
		return
	}
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

// Down closes the listener and every open connection.
func (r *Server) Down() {
	if r.srv != nil {
		r.srv.Close()
		r.srv = nil
	}
}
