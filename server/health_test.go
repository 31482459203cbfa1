package server

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/spanmap/spanmap/graph"
)

// TestServer_health_configuredRules serves with a p99 rule that every call
// breaks: the error-free edge is degraded by latency, the failing one
// stays failing, and the stream's status states the rules for legends.
func TestServer_health_configuredRules(t *testing.T) {
	cfg := testConfig()
	cfg.Health = graph.HealthRules{ErrorRateDegraded: 0.02, ErrorRateFailing: 0.3, P99DegradedMs: 1e-9}
	s := start(t, cfg)
	base := "http://" + s.Addr("--http-addr")
	sendPair(t, s.Addr("--otlp-http-addr"), "checkout", "payment")
	deadline := time.Now().Add(10 * time.Second)
	for {
		snap := fetchGraph(t, base, "window=5m")
		root, failing := hasEdge(snap, "user", "checkout"), hasEdge(snap, "checkout", "payment")
		if root != nil && failing != nil {
			if root.Errors != 0 || root.Health != graph.HealthDegraded {
				t.Errorf("user->checkout: %d errors, health %q; want no errors and degraded by its p99", root.Errors, root.Health)
			}
			if failing.Health != graph.HealthFailing {
				t.Errorf("checkout->payment health %q, want failing", failing.Health)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the edges never appeared: %+v", snap.Edges)
		}
		time.Sleep(100 * time.Millisecond)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, streamURL(base, ""), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	c.SetReadLimit(-1)
	subscribe(ctx, t, c, "window=5m")
	for {
		_, data, err := c.Read(ctx)
		if err != nil {
			t.Fatalf("no status message: %v", err)
		}
		var m graph.Message
		if err := json.Unmarshal(data, &m); err != nil {
			t.Fatal(err)
		}
		if m.Type != graph.MessageStatus {
			continue
		}
		want := graph.HealthRules{ErrorRateDegraded: 0.02, ErrorRateFailing: 0.3, P99DegradedMs: 1e-9}
		if m.Status.Health == nil || *m.Status.Health != want {
			t.Fatalf("status health %+v, want %+v", m.Status.Health, want)
		}
		return
	}
}
