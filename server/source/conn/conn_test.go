package conn

import (
	"encoding/pem"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestConfig_Validate(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  Config
		want string
	}{
		{"ok http", Config{URL: "http://127.0.0.1:16686"}, ""},
		{"ok grpc", Config{URL: "grpc://127.0.0.1:16685"}, ""},
		{"bad scheme", Config{URL: "ftp://x"}, "scheme"},
		{"no host", Config{URL: "http://"}, "missing host"},
		{"two auths", Config{URL: "http://x", BearerToken: "t", BasicUser: "u"}, "not both"},
		{"cert without key", Config{URL: "https://x", TLS: TLSConfig{CertFile: "c.pem"}}, "go together"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.cfg.Validate()
			if (err == nil) != (tc.want == "") || (err != nil && !strings.Contains(err.Error(), tc.want)) {
				t.Fatalf("Validate() = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestConfig_HTTPClient_authAndHeaders(t *testing.T) {
	for _, tc := range []struct {
		name     string
		cfg      Config
		wantAuth string
	}{
		{"bearer", Config{BearerToken: "s3cret"}, "Bearer s3cret"},
		{"basic", Config{BasicUser: "ann", BasicPassword: "pw"}, "Basic YW5uOnB3"},
		{"none", Config{}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var gotAuth, gotOrg string
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				gotAuth, gotOrg = r.Header.Get("Authorization"), r.Header.Get("X-Scope-OrgID")
			}))
			defer srv.Close()
			tc.cfg.URL = srv.URL
			tc.cfg.Headers = map[string]string{"X-Scope-OrgID": "team-a"}
			c, err := tc.cfg.HTTPClient(nil)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := c.Get(srv.URL)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if gotAuth != tc.wantAuth || gotOrg != "team-a" {
				t.Fatalf("server saw Authorization %q, X-Scope-OrgID %q", gotAuth, gotOrg)
			}
		})
	}
}

func TestConfig_HTTPClient_tls(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		tls     TLSConfig
		wantErr bool
	}{
		{"untrusted", TLSConfig{}, true},
		{"ca file", TLSConfig{CAFile: ca}, false},
		{"skip verify", TLSConfig{InsecureSkipVerify: true}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Config{URL: srv.URL, TLS: tc.tls}.HTTPClient(nil)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := c.Get(srv.URL)
			if err == nil {
				resp.Body.Close()
			}
			if (err != nil) != tc.wantErr {
				t.Fatalf("Get error = %v, wantErr %v", err, tc.wantErr)
			}
		})
	}
	if _, err := (Config{URL: srv.URL, TLS: TLSConfig{CAFile: filepath.Join(t.TempDir(), "missing.pem")}}).HTTPClient(nil); err == nil {
		t.Fatal("missing CA file accepted")
	}
}

func TestConfig_GRPCDialOptions(t *testing.T) {
	c := Config{URL: "grpc://127.0.0.1:16685", BearerToken: "tok"}
	opts, err := c.GRPCDialOptions(nil)
	if err != nil || len(opts) != 2 {
		t.Fatalf("opts = %d, err %v; want transport credentials and per-RPC auth", len(opts), err)
	}
	if got := c.GRPCTarget(); got != "127.0.0.1:16685" {
		t.Fatalf("target = %q", got)
	}
	md, _ := headerCreds{md: map[string]string{"Authorization": "Bearer tok"}}.GetRequestMetadata(t.Context())
	if md["authorization"] != "Bearer tok" {
		t.Fatalf("metadata = %v", md)
	}
}

func TestConfig_WithHeader_replacesAnySpellingWithoutTouchingTheOriginal(t *testing.T) {
	c := Config{Headers: map[string]string{"x-scope-orgid": "old", "X-Other": "1"}}
	got := c.WithHeader("X-Scope-OrgID", "team-a")
	want := map[string]string{"X-Scope-OrgID": "team-a", "X-Other": "1"}
	if !maps.Equal(got.Headers, want) {
		t.Errorf("WithHeader headers = %v, want %v", got.Headers, want)
	}
	if c.Headers["x-scope-orgid"] != "old" || len(c.Headers) != 2 {
		t.Errorf("original headers changed: %v", c.Headers)
	}
}

func TestErrorText(t *testing.T) {
	for _, tc := range []struct{ body, want string }{
		{"  bad query\nat line 2\n", "bad query"},
		{"", ""},
		{strings.Repeat("x", 250), strings.Repeat("x", 200) + "..."},
	} {
		if got := ErrorText([]byte(tc.body)); got != tc.want {
			t.Errorf("ErrorText(%q) = %q, want %q", tc.body, got, tc.want)
		}
	}
}
