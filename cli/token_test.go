package cli

import (
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spanmap/spanmap/server/token"
)

const testEmbedKey = "cli-test-embed-key-0123456789-0123456789"

// keyFile writes the test embed key to a file.
func keyFile(t *testing.T) string {
	t.Helper()
	return writeTemp(t, "embed.key", testEmbedKey+"\n")
}

func verify(t *testing.T, tok string) token.Claims {
	t.Helper()
	s, err := token.NewSigner([]byte(testEmbedKey), nil)
	if err != nil {
		t.Fatal(err)
	}
	c, err := s.Verify(tok)
	if err != nil {
		t.Fatalf("token %q: %v", tok, err)
	}
	return c
}

func TestMain_token(t *testing.T) {
	kf := keyFile(t)
	cfg := writeTemp(t, "spanmap.yaml", "embed:\n  key_file: "+kf+"\n  max_ttl: 48h\n")
	for _, tc := range []struct {
		name     string
		args     []string
		view     string
		lifetime time.Duration
	}{
		{"key file", []string{"--view", "focus=checkout&up=2", "--ttl", "720h", "--key-file", kf}, "focus=checkout&up=2", 720 * time.Hour},
		{"days", []string{"--view", "?window=1h", "--ttl", "7d", "--key-file", kf}, "window=1h", 7 * 24 * time.Hour},
		{"map URL", []string{"--view", "https://spanmap.example.com/?focus=cart&access_token=x", "--key-file", kf}, "focus=cart", 720 * time.Hour},
		{"config", []string{"--view", "", "--ttl", "24h", "--config", cfg}, "", 24 * time.Hour},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := run(t, "", append([]string{"token"}, tc.args...)...)
			if code != ExitOK {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			c := verify(t, strings.TrimSpace(out))
			if c.ViewKey() != tc.view {
				t.Errorf("view %q, want %q", c.ViewKey(), tc.view)
			}
			if d := time.Until(c.Expires); d < tc.lifetime-time.Minute || d > tc.lifetime {
				t.Errorf("expires in %s, want %s", d, tc.lifetime)
			}
		})
	}
	code, out, errOut := run(t, "", "token", "--view", "focus=a b", "--key-file", kf, "--base-url", "https://spanmap.example.com/")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	u, err := url.Parse(strings.TrimSpace(out))
	if err != nil || u.Host != "spanmap.example.com" || u.Path != "/embed" || u.Query().Get("focus") != "a b" {
		t.Fatalf("--base-url printed %q (%v)", out, err)
	}
	if verify(t, u.Query().Get("token")).ViewKey() != "focus=a+b" {
		t.Fatalf("token of the URL is for another view")
	}
}

func TestMain_token_badInput(t *testing.T) {
	kf := keyFile(t)
	short := writeTemp(t, "short.key", "short")
	noKey := writeTemp(t, "nokey.yaml", "http_addr: 127.0.0.1:7700\n")
	capped := writeTemp(t, "capped.yaml", "embed:\n  key_file: "+kf+"\n  max_ttl: 48h\n")
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"no key", []string{"--view", "focus=a"}, "--key-file or --config is required"},
		{"both", []string{"--key-file", kf, "--config", noKey}, "not both"},
		{"short key", []string{"--key-file", short}, "at least 32 bytes"},
		{"missing key file", []string{"--key-file", filepath.Join(t.TempDir(), "nope")}, "--key-file"},
		{"config without key", []string{"--config", noKey}, "sets no embed.key_file"},
		{"missing config", []string{"--config", filepath.Join(t.TempDir(), "nope.yaml")}, "--config"},
		{"ttl over max", []string{"--config", capped, "--ttl", "72h"}, "max_ttl"},
		{"bad ttl", []string{"--key-file", kf, "--ttl", "forever"}, "--ttl"},
		{"bad view", []string{"--key-file", kf, "--view", "window=eternity"}, "--view: view parameter window"},
		{"unknown view parameter", []string{"--key-file", kf, "--view", "colour=red"}, "colour"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := run(t, "", append([]string{"token"}, tc.args...)...)
			if code != ExitUsage || !strings.Contains(errOut, tc.want) || out != "" {
				t.Fatalf("exit %d, stdout %q, stderr %q; want %d naming %q", code, out, errOut, ExitUsage, tc.want)
			}
			if strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
				t.Fatalf("error is not one line: %q", errOut)
			}
		})
	}
}
