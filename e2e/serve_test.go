//go:build e2e

package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spanmap/spanmap/graph"
)

// spanmapBinary is the binary `make build` produced (make e2e builds it).
func spanmapBinary(t *testing.T) string {
	t.Helper()
	bin, err := filepath.Abs("../bin/spanmap")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("%s: %v (run `make build`, which `make e2e` does first)", bin, err)
	}
	return bin
}

// startServe runs `spanmap serve` with args, killed by PID when the test
// ends, from a directory other than the repository (the binary embeds its
// assets).
func startServe(t *testing.T, args ...string) (*exec.Cmd, *bytes.Buffer) {
	t.Helper()
	cmd := exec.Command(spanmapBinary(t), append([]string{"serve"}, args...)...)
	cmd.Dir = t.TempDir()
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	dieWithTest(cmd)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	return cmd, &out
}

func graphOf(url string) (graph.Snapshot, error) {
	var s graph.Snapshot
	resp, err := http.Get(url)
	if err != nil {
		return s, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return s, fmt.Errorf("status %s", resp.Status)
	}
	return s, json.NewDecoder(resp.Body).Decode(&s)
}

func services(s graph.Snapshot) int {
	n := 0
	for _, nd := range s.Nodes {
		if nd.Kind == graph.NodeService {
			n++
		}
	}
	return n
}

func totalCalls(s graph.Snapshot) int64 {
	var n int64
	for _, e := range s.Edges {
		n += e.Calls
	}
	return n
}

// TestServe_demo starts the built binary as `make run` does and checks that
// within 30 seconds the map has at least 15 services and its figures move;
// the UI page and app.wasm are served from the embedded assets.
func TestServe_demo(t *testing.T) {
	port := freePorts(t, 1)[0]
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	_, out := startServe(t, "--demo", "--http-addr", addr, "--otlp-grpc-addr", "", "--otlp-http-addr", "", "--zipkin-addr", "")
	base := "http://" + addr
	start := time.Now()
	deadline := start.Add(30 * time.Second)
	var first graph.Snapshot
	for {
		s, err := graphOf(base + "/api/v1/graph?window=1m")
		if err == nil && services(s) >= 15 {
			first = s
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 30 s: %d services, err %v\n%s", services(s), err, out)
		}
		time.Sleep(250 * time.Millisecond)
	}
	t.Logf("%d services, %d nodes, %d edges after %s", services(first), len(first.Nodes), len(first.Edges), time.Since(start).Round(time.Millisecond))
	for {
		time.Sleep(500 * time.Millisecond)
		s, err := graphOf(base + "/api/v1/graph?window=1m")
		if err != nil {
			t.Fatal(err)
		}
		if totalCalls(s) != totalCalls(first) {
			t.Logf("figures moved after %s: %d calls, then %d", time.Since(start).Round(time.Millisecond), totalCalls(first), totalCalls(s))
			first = s
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("figures did not move within 30 s: %d calls every time", totalCalls(s))
		}
	}
	// Uninstrumented peers appear once their calls' spans have waited out
	// the pairing TTL (10 s).
	for {
		missing := demoSystemMissing(first)
		if len(missing) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 30 s the demo map lacks: %s", strings.Join(missing, "; "))
		}
		time.Sleep(500 * time.Millisecond)
		s, err := graphOf(base + "/api/v1/graph?window=1m")
		if err != nil {
			t.Fatal(err)
		}
		first = s
	}
	t.Logf("the demo system is complete after %s: %d nodes, %d edges", time.Since(start).Round(time.Millisecond), len(first.Nodes), len(first.Edges))
	for _, p := range []string{"/", "/app.wasm", "/web/spanmap.css"} {
		resp, err := http.Get(base + p)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s = %s", p, resp.Status)
		}
	}
}

// demoSystemMissing lists what the demo's map lacks of the system it
// promises: the named services, two namespaces, and PostgreSQL, Redis, a
// Kafka topic and an external payment provider as uninstrumented peers.
func demoSystemMissing(s graph.Snapshot) []string {
	var missing []string
	nodes := map[string]graph.Node{}
	namespaces := map[string]bool{}
	for _, n := range s.Nodes {
		nodes[n.ID] = n
		if n.Kind == graph.NodeService {
			namespaces[n.Namespace] = true
		}
	}
	for _, name := range []string{"web-frontend", "api-gateway", "auth", "catalog", "search", "cart", "checkout",
		"payment", "inventory", "shipping", "notification", "recommendation"} {
		if n, ok := nodes[name]; !ok || n.Kind != graph.NodeService {
			missing = append(missing, "service "+name)
		}
	}
	for _, p := range []struct {
		id   string
		kind graph.NodeKind
	}{
		{"orders_db", graph.NodeDatabase},               // PostgreSQL
		{"redis-cache", graph.NodeDatabase},             // Redis
		{"payment-events", graph.NodeMessaging},         // a Kafka topic
		{"api.stripe-like.example", graph.NodeExternal}, // the payment provider
	} {
		if n, ok := nodes[p.id]; !ok || n.Kind != p.kind {
			missing = append(missing, fmt.Sprintf("%s node %s", p.kind, p.id))
		}
	}
	if len(namespaces) < 2 {
		missing = append(missing, fmt.Sprintf("a second namespace (services are in %v)", namespaces))
	}
	return missing
}

// TestServe_portInUse checks the one-line error naming the flag, and exit
// status 2, when the address is taken.
func TestServe_portInUse(t *testing.T) {
	port := freePorts(t, 1)[0]
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	startServe(t, "--http-addr", addr, "--otlp-grpc-addr", "", "--otlp-http-addr", "", "--zipkin-addr", "")
	for start := time.Now(); ; time.Sleep(100 * time.Millisecond) {
		if _, err := graphOf("http://" + addr + "/api/v1/graph"); err == nil {
			break
		}
		if time.Since(start) > 20*time.Second {
			t.Fatal("first server did not start")
		}
	}
	cmd := exec.Command(spanmapBinary(t), "serve", "--http-addr", addr, "--otlp-grpc-addr", "", "--otlp-http-addr", "", "--zipkin-addr", "")
	cmd.Dir = t.TempDir() // its own data dir: the first server holds its store
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	ee, ok := err.(*exec.ExitError)
	if !ok || ee.ExitCode() != 2 {
		t.Fatalf("second serve: %v, want exit status 2", err)
	}
	// Start-up logs may come first; the error itself is one line, the last.
	lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
	msg := lines[len(lines)-1]
	if !strings.HasPrefix(msg, "spanmap serve: --http-addr "+addr+": ") || !strings.Contains(msg, "address already in use") {
		t.Fatalf("stderr = %q, want a last line naming --http-addr and the cause", stderr.String())
	}
}
