//go:build e2e

package e2e

import (
	"net"
	"os"
	"testing"
)

// env holds what build/e2e.sh passes to the tests.
type env struct {
	queryHTTP, queryGRPC string // Jaeger query service, host:port
	otlpGRPC, otlpHTTP   string // Jaeger's OTLP receivers, host:port
	zipkin               string // Jaeger's Zipkin receiver, host:port
	hotrod               string // HotROD binary
}

// loadEnv reads the E2E_* variables; a missing one fails the test, since
// the e2e tag asks for these tests explicitly.
func loadEnv(t *testing.T) env {
	t.Helper()
	get := func(name string) string {
		v := os.Getenv(name)
		if v == "" {
			t.Fatalf("%s is not set: run these tests with `make e2e` (build/e2e.sh starts Jaeger and sets it)", name)
		}
		return v
	}
	return env{
		queryHTTP: get("E2E_JAEGER_QUERY_HTTP"),
		queryGRPC: get("E2E_JAEGER_QUERY_GRPC"),
		otlpGRPC:  get("E2E_JAEGER_OTLP_GRPC"),
		otlpHTTP:  get("E2E_JAEGER_OTLP_HTTP"),
		zipkin:    get("E2E_JAEGER_ZIPKIN"),
		hotrod:    get("E2E_HOTROD"),
	}
}

// freePorts returns n loopback ports nothing listens on right now.
func freePorts(t *testing.T, n int) []int {
	t.Helper()
	var lns []net.Listener
	defer func() {
		for _, ln := range lns {
			ln.Close()
		}
	}()
	ports := make([]int, 0, n)
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		lns = append(lns, ln)
		ports = append(ports, ln.Addr().(*net.TCPAddr).Port)
	}
	return ports
}
