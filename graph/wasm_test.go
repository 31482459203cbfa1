package graph

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

const packagePath = "github.com/spanmap/spanmap/graph"

// goCommand returns a go command for the browser target, skipping the test
// when no go tool is on PATH.
func goCommand(t *testing.T, args ...string) *exec.Cmd {
	t.Helper()
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go command not on PATH")
	}
	cmd := exec.Command(gobin, args...)
	cmd.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm", "CGO_ENABLED=0")
	return cmd
}

func TestPackage_buildsForWasm(t *testing.T) {
	out, err := goCommand(t, "build", packagePath).CombinedOutput()
	if err != nil {
		t.Fatalf("GOOS=js GOARCH=wasm go build %s: %v\n%s", packagePath, err, out)
	}
}

func TestPackage_standardLibraryOnly(t *testing.T) {
	out, err := goCommand(t, "list", "-deps", "-f", "{{.ImportPath}} {{.Standard}}", packagePath).Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	var std int
	var foreign []string
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		path, standard, _ := strings.Cut(line, " ")
		switch {
		case standard == "true":
			std++
		case path != packagePath:
			foreign = append(foreign, path)
		}
	}
	if len(foreign) > 0 {
		t.Errorf("%s imports non-standard packages for js/wasm: %s", packagePath, strings.Join(foreign, ", "))
	}
	if std == 0 || !strings.Contains(string(out), "encoding/json true") {
		t.Errorf("go list output does not look like a dependency list:\n%s", out)
	}
}
