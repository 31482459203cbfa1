package browser

import (
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"testing"
	"time"

	goapp "github.com/maxence-charriere/go-app/v10/pkg/app"

	"github.com/spanmap/spanmap/app"
)

// Environment variables that steer the tests (see doc.go).
const (
	envRequire     = "SPANMAP_BROWSER_TESTS"
	envChromium    = "SPANMAP_CHROMIUM"
	envArtifacts   = "SPANMAP_E2E_ARTIFACTS"
	envScreenshots = "SPANMAP_SCREENSHOTS"
	envBench       = "SPANMAP_BROWSER_BENCH"
	envServerLog   = "SPANMAP_E2E_SERVER_LOG"
	envProfile     = "SPANMAP_BROWSER_PROFILE"
)

// moduleRoot is the repository root, relative to this package.
const moduleRoot = "../.."

// suite is what TestMain prepares once for every test: the browser to run
// and the web directory with a freshly built app.wasm. It is written only
// by TestMain, before any test runs.
var suite struct {
	// chromium is the browser executable, "" when none was found.
	chromium string
	// webDir holds app.wasm, its gzip twin and the static assets.
	webDir string
	// version is a content hash of webDir, go-app's cache-busting version.
	version string
	// setupErr is why webDir could not be prepared.
	setupErr error
}

func TestMain(m *testing.M) {
	// go-app's router is global and its handler answers 404 for unrouted
	// paths: route the pages before serving them, as main does.
	app.Register()
	suite.chromium = findChromium()
	var tmp string
	if suite.chromium != "" {
		var err error
		tmp, err = os.MkdirTemp("", "spanmap-browser-")
		if err == nil {
			suite.webDir = filepath.Join(tmp, "web")
			start := time.Now()
			suite.version, err = prepareWeb(suite.webDir)
			if err == nil {
				fmt.Fprintf(os.Stderr, "browser tests: app.wasm built in %s, browser %s\n",
					time.Since(start).Round(time.Millisecond), suite.chromium)
			}
		}
		suite.setupErr = err
	}
	code := m.Run()
	if tmp != "" {
		os.RemoveAll(tmp)
	}
	os.Exit(code)
}

// findChromium returns the browser to run: $SPANMAP_CHROMIUM, or the first
// Chromium or Chrome found on PATH.
func findChromium() string {
	if p := os.Getenv(envChromium); p != "" {
		if _, err := os.Stat(p); err == nil {
			return p
		}
		return ""
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// needBrowser skips the test when no browser is installed, unless
// SPANMAP_BROWSER_TESTS=1 asks for these tests, in which case it fails.
// It also fails when the app could not be built.
func needBrowser(t testing.TB) {
	t.Helper()
	if suite.chromium == "" {
		msg := "Chromium not found (install Debian's chromium, or set " + envChromium + "=/path/to/chrome)"
		if os.Getenv(envRequire) == "1" {
			t.Fatalf("%s=1 but %s", envRequire, msg)
		}
		t.Skip("browser tests skipped: " + msg)
	}
	if suite.setupErr != nil {
		t.Fatalf("preparing the web assets: %v", suite.setupErr)
	}
}

// prepareWeb fills dir with the static assets of the repository's web
// directory and an app.wasm compiled from the working tree (as `make wasm`
// does, with a gzip twin), and returns a content hash of it all.
func prepareWeb(dir string) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	src := filepath.Join(moduleRoot, "web")
	entries, err := os.ReadDir(src)
	if err != nil {
		return "", err
	}
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || strings.HasSuffix(name, ".go") || strings.HasPrefix(name, "app.wasm") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(src, name))
		if err != nil {
			return "", err
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			return "", err
		}
	}
	wasm := filepath.Join(dir, "app.wasm")
	goTool, err := exec.LookPath("go")
	if err != nil {
		return "", fmt.Errorf("the go tool is needed to build app.wasm: %w", err)
	}
	ldflags := "-ldflags=-s -w"
	if profileDir() != "" {
		ldflags = "-ldflags=-w" // keep the function names for the profile
	}
	cmd := exec.Command(goTool, "build", "-trimpath", ldflags, "-o", wasm, ".")
	cmd.Dir = moduleRoot
	cmd.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("GOOS=js GOARCH=wasm go build: %v\n%s", err, out)
	}
	if err := gzipFile(wasm); err != nil {
		return "", err
	}
	return hashDir(dir)
}

// gzipFile writes name+".gz" next to name, as `gzip -9 -k` does.
func gzipFile(name string) error {
	in, err := os.Open(name)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(name + ".gz")
	if err != nil {
		return err
	}
	zw, err := gzip.NewWriterLevel(out, gzip.BestCompression)
	if err != nil {
		out.Close()
		return err
	}
	if _, err := io.Copy(zw, in); err != nil {
		out.Close()
		return err
	}
	if err := zw.Close(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// hashDir returns a short hash of the names and contents of dir's files.
func hashDir(dir string) (string, error) {
	h := sha256.New()
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		h.Write([]byte(d.Name()))
		_, err = io.Copy(h, f)
		return err
	})
	if err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil))[:16], nil
}

// uiHandler returns the go-app handler serving the pages, with the /web/
// resources read from suite.webDir, the way `spanmap serve` serves its
// embedded assets.
func uiHandler() http.Handler {
	h := app.Handler()
	h.Resources = webDir{files: os.DirFS(suite.webDir)}
	h.Version = suite.version
	return h
}

// webDir resolves go-app's /web/ resources to a directory and serves them,
// gzip-compressed when a .gz twin exists and the client accepts it.
type webDir struct{ files fs.FS }

var _ goapp.ResourceResolver = webDir{}

// Resolve keeps /web/ paths as they are: ServeHTTP serves them.
func (webDir) Resolve(location string) string {
	switch {
	case location == "" || location == "/":
		return "/"
	case strings.HasPrefix(location, "web/"):
		return "/" + location
	}
	return location
}

func (w webDir) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	name := strings.TrimPrefix(path.Clean(r.URL.Path), "/web/")
	if name == "" || name == "." || strings.HasPrefix(name, "/") {
		http.NotFound(rw, r)
		return
	}
	ct := map[string]string{
		".wasm": "application/wasm",
		".css":  "text/css; charset=utf-8",
		".js":   "text/javascript; charset=utf-8",
		".svg":  "image/svg+xml",
	}[path.Ext(name)]
	if ct != "" {
		rw.Header().Set("Content-Type", ct)
	}
	if strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
		if _, err := fs.Stat(w.files, name+".gz"); err == nil {
			rw.Header().Set("Content-Encoding", "gzip")
			rw.Header().Set("Vary", "Accept-Encoding")
			http.ServeFileFS(rw, r, w.files, name+".gz")
			return
		}
	}
	http.ServeFileFS(rw, r, w.files, name)
}
