package compare

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestPackage_wasmDeps checks that the package builds for the browser and
// imports nothing but the standard library and graph.
func TestPackage_wasmDeps(t *testing.T) {
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go command not on PATH")
	}
	const self, core = "github.com/spanmap/spanmap/graph/compare", "github.com/spanmap/spanmap/graph"
	cmd := exec.Command(gobin, "list", "-deps", "-f", "{{.ImportPath}} {{.Standard}}", self)
	cmd.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm", "CGO_ENABLED=0")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("GOOS=js GOARCH=wasm go list -deps %s: %v", self, err)
	}
	var foreign []string
	seenCore := false
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		path, standard, _ := strings.Cut(line, " ")
		switch {
		case standard == "true" || path == self:
		case path == core:
			seenCore = true
		default:
			foreign = append(foreign, path)
		}
	}
	if len(foreign) > 0 {
		t.Errorf("%s imports more than the standard library and graph for js/wasm: %s", self, strings.Join(foreign, ", "))
	}
	if !seenCore {
		t.Errorf("go list output does not list %s:\n%s", core, out)
	}
}
