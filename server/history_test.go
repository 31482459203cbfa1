package server

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spanmap/spanmap/server/history"
)

// runUntilStopped runs a server and returns a function that stops it and
// waits for Run to return.
func runUntilStopped(t *testing.T, cfg Config) (*Server, func()) {
	t.Helper()
	s, err := New(cfg, nil, http.NotFoundHandler())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	s.Addr("--http-addr")
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("server did not stop")
		}
	}
	t.Cleanup(stop)
	return s, stop
}

func TestServer_History_restoredAfterRestart(t *testing.T) {
	dir := t.TempDir()
	cfg := testConfig()
	cfg.DataDir = dir
	s1, stop := runUntilStopped(t, cfg)
	base := "http://" + s1.Addr("--http-addr")
	sendPair(t, s1.Addr("--otlp-http-addr"), "checkout", "payment")
	var calls int64
	deadline := time.Now().Add(10 * time.Second)
	for {
		if e := hasEdge(fetchGraph(t, base, "window=5m"), "checkout", "payment"); e != nil {
			calls = e.Calls
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("edge checkout->payment never appeared")
		}
		time.Sleep(50 * time.Millisecond)
	}

	// A second spanmap on the same data dir is refused while the first runs.
	if _, err := New(cfg, nil, http.NotFoundHandler()); err == nil || !strings.Contains(err.Error(), "in use by another spanmap process") {
		t.Fatalf("second server on %s: %v, want an in-use error", dir, err)
	}
	stop()
	if _, err := os.Stat(filepath.Join(dir, history.FileName)); err != nil {
		t.Fatal(err)
	}

	s2, _ := runUntilStopped(t, cfg)
	snap := fetchGraph(t, "http://"+s2.Addr("--http-addr"), "window=5m")
	e := hasEdge(snap, "checkout", "payment")
	if e == nil {
		t.Fatalf("edge checkout->payment missing right after restart: %+v", snap.Edges)
	}
	if e.Calls != calls || e.Errors != 1 || e.Trust.Paired != 1 {
		t.Fatalf("restored edge = %+v, want %d paired call with 1 error", e, calls)
	}
	if hasEdge(snap, "user", "checkout") == nil {
		t.Fatalf("edge user->checkout missing right after restart: %+v", snap.Edges)
	}
}

func TestConfig_Validate_retention(t *testing.T) {
	cfg := testConfig()
	cfg.DataDir = t.TempDir()
	cfg.Retention = time.Minute
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "--retention") {
		t.Fatalf("Validate = %v, want a --retention error", err)
	}
	cfg.DataDir = ""
	if err := cfg.Validate(); err != nil {
		t.Fatalf("Validate without data dir = %v", err)
	}
}
