//go:build e2e

package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"
)

// runDemo runs `spanmap demo --otlp-endpoint endpoint` for ten seconds and
// checks that it exported without errors.
func runDemo(t *testing.T, endpoint string) {
	t.Helper()
	cmd := exec.Command(spanmapBinary(t), "demo", "--otlp-endpoint", endpoint, "--duration", "10s", "--rate", "30", "--seed", "7")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	dieWithTest(cmd)
	if err := cmd.Run(); err != nil {
		t.Fatalf("spanmap demo --otlp-endpoint %s: %v\n%s", endpoint, err, out.String())
	}
	if !strings.Contains(out.String(), " 0 export errors") {
		t.Fatalf("spanmap demo --otlp-endpoint %s:\n%s", endpoint, out.String())
	}
}

// TestDemo_toOwnReceivers sends `spanmap demo` traffic to a running
// `spanmap serve` over OTLP/HTTP and OTLP/gRPC and checks that the map
// shows the demo shop.
func TestDemo_toOwnReceivers(t *testing.T) {
	for _, proto := range []string{"http", "grpc"} {
		t.Run(proto, func(t *testing.T) {
			ports := freePorts(t, 3)
			httpAddr := fmt.Sprintf("127.0.0.1:%d", ports[0])
			otlpHTTP := fmt.Sprintf("127.0.0.1:%d", ports[1])
			otlpGRPC := fmt.Sprintf("127.0.0.1:%d", ports[2])
			_, out := startServe(t, "--http-addr", httpAddr, "--otlp-http-addr", otlpHTTP, "--otlp-grpc-addr", otlpGRPC, "--zipkin-addr", "")
			waitReady(t, "http://"+httpAddr, out)
			endpoint := "http://" + otlpHTTP
			if proto == "grpc" {
				endpoint = "grpc://" + otlpGRPC
			}
			runDemo(t, endpoint)
			deadline := time.Now().Add(30 * time.Second)
			for {
				s, err := graphOf("http://" + httpAddr + "/api/v1/graph?window=5m")
				if err == nil && services(s) >= 15 {
					t.Logf("%s: %d services, %d nodes, %d edges", proto, services(s), len(s.Nodes), len(s.Edges))
					return
				}
				if time.Now().After(deadline) {
					t.Fatalf("after 30 s: %d services, err %v\n%s", services(s), err, out)
				}
				time.Sleep(250 * time.Millisecond)
			}
		})
	}
}

// TestDemo_toJaeger sends `spanmap demo` traffic to the real Jaeger over
// OTLP/HTTP and checks that Jaeger lists the demo's services.
func TestDemo_toJaeger(t *testing.T) {
	e := loadEnv(t)
	runDemo(t, "http://"+e.otlpHTTP)
	want := []string{"web-frontend", "api-gateway", "checkout", "payment", "email-worker"}
	deadline := time.Now().Add(60 * time.Second)
	for {
		got, err := jaegerServices(e.queryHTTP)
		missing := slices.DeleteFunc(slices.Clone(want), func(s string) bool { return slices.Contains(got, s) })
		if err == nil && len(missing) == 0 {
			t.Logf("Jaeger lists %d services", len(got))
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("Jaeger's services lack %v (err %v); it lists %v", missing, err, got)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// jaegerServices returns the services Jaeger's query API knows.
func jaegerServices(queryHTTP string) ([]string, error) {
	resp, err := http.Get("http://" + queryHTTP + "/api/services")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var body struct {
		Data []string `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		return nil, err
	}
	return body.Data, nil
}
