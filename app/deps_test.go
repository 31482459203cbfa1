//go:build !js

package app

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDeps_BrowserBuild_staysSmall checks the dependency direction: the
// browser build of the app must not pull in the server's heavy modules.
func TestDeps_BrowserBuild_staysSmall(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the go command")
	}
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go command not found")
	}
	cmd := exec.Command(gobin, "list", "-deps", ".")
	cmd.Env = append(cmd.Environ(), "GOOS=js", "GOARCH=wasm")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	forbidden := []string{
		"google.golang.org/grpc", "google.golang.org/protobuf", "go.opentelemetry.io/collector/pdata",
		"github.com/goccy/go-graphviz", "github.com/labstack/echo", "github.com/spanmap/spanmap/server",
		"github.com/spanmap/spanmap/graph/",
	}
	for _, pkg := range strings.Fields(string(out)) {
		for _, f := range forbidden {
			if strings.HasPrefix(pkg, f) {
				t.Errorf("browser build depends on %s", pkg)
			}
		}
	}
}
