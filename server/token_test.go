package server

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"maps"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	goapp "github.com/maxence-charriere/go-app/v10/pkg/app"

	"github.com/spanmap/spanmap/graph"
	"github.com/spanmap/spanmap/server/token"
)

const (
	embedKey      = "embed-key-0123456789-0123456789-0123456789"
	otherEmbedKey = "another-key-0123456789-0123456789-01234567"
)

// authConfig requires a bearer token and signs embed tokens with key.
func authConfig(key string) Config {
	cfg := testConfig()
	cfg.Auth = AuthConfig{Tokens: []string{"admin"}, ProtectMetrics: true}
	cfg.Embed.Key = key
	return cfg
}

// mint asks the server for an embed token.
func mint(t *testing.T, base, view, ttl string) tokenResponse {
	t.Helper()
	code, body := post(t, base+"/api/v1/tokens", tokenRequest{View: view, TTL: ttl}, "Authorization", "Bearer admin")
	if code != http.StatusOK {
		t.Fatalf("POST /api/v1/tokens = %d: %s", code, body)
	}
	var tr tokenResponse
	if err := json.Unmarshal(body, &tr); err != nil {
		t.Fatal(err)
	}
	return tr
}

// post sends body as JSON with headers and returns the status and body.
func post(t *testing.T, url string, body any, hdr ...string) (int, []byte) {
	t.Helper()
	b, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out bytes.Buffer
	out.ReadFrom(resp.Body)
	return resp.StatusCode, out.Bytes()
}

// signWith signs a token for view with key and expiry, as a server with
// that key would.
func signWith(t *testing.T, key, view string, exp time.Time) string {
	t.Helper()
	s, err := token.NewSigner([]byte(key), nil)
	if err != nil {
		t.Fatal(err)
	}
	v, err := graph.ParseView(view)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := s.Sign(v, exp)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestEmbedAuth_mint(t *testing.T) {
	_, base := startUI(t, authConfig(embedKey), fakeUI)
	tr := mint(t, base, "up=1&focus=checkout&window=15m", "720h")
	if tr.View != "focus=checkout&window=15m" {
		t.Errorf("view %q, want the canonical form", tr.View)
	}
	if want := "/embed?focus=checkout&window=15m&token=" + tr.Token; tr.URL != want {
		t.Errorf("url %q, want %q", tr.URL, want)
	}
	if d := time.Until(tr.Expires); d < 719*time.Hour || d > 721*time.Hour {
		t.Errorf("expires %s, want in 720h", tr.Expires)
	}
	if code, body := get(t, base+tr.URL); code != http.StatusOK || body != "page /embed" {
		t.Errorf("GET %s = %d %s", tr.URL, code, body)
	}
	if d := time.Until(mint(t, base, "", "").Expires); d < 29*24*time.Hour || d > 31*24*time.Hour {
		t.Errorf("default lifetime %s, want 30 days", d)
	}
	if d := time.Until(mint(t, base, "", "7d").Expires); d < 6*24*time.Hour || d > 8*24*time.Hour {
		t.Errorf("7d lifetime %s", d)
	}

	for _, tc := range []struct {
		name string
		body any
		hdr  []string
		code int
		want string
	}{
		{"no credentials", tokenRequest{}, nil, 401, "authentication required"},
		{"bad view", tokenRequest{View: "window=forever"}, nil, 400, "window"},
		{"bad ttl", tokenRequest{TTL: "soon"}, nil, 400, "ttl"},
		{"ttl too long", tokenRequest{TTL: "9000h"}, nil, 400, "max_ttl"},
		{"ttl too short", tokenRequest{TTL: "1s"}, nil, 400, "ttl"},
		{"unknown field", map[string]string{"vew": "x"}, nil, 400, "vew"},
		{"with an embed token", tokenRequest{}, []string{"X-Embed", "1"}, 403, "read-only"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hdr := []string{"Authorization", "Bearer admin"}
			url := base + "/api/v1/tokens"
			switch tc.name {
			case "no credentials":
				hdr = nil
			case "with an embed token":
				hdr, url = nil, url+"?token="+tr.Token
			}
			code, body := post(t, url, tc.body, hdr...)
			if code != tc.code || !strings.Contains(string(body), tc.want) {
				t.Fatalf("POST = %d %s, want %d naming %q", code, body, tc.code, tc.want)
			}
		})
	}
	req, _ := http.NewRequest(http.MethodPost, base+"/api/v1/tokens", strings.NewReader("view=&ttl=1h"))
	req.Header.Set("Authorization", "Bearer admin")
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnsupportedMediaType {
		t.Errorf("form POST = %d, want 415", resp.StatusCode)
	}
}

func TestEmbedAuth_admit(t *testing.T) {
	_, base := startUI(t, authConfig(embedKey), fakeUI)
	const view = "focus=checkout&window=15m"
	tok := mint(t, base, view, "1h").Token
	q := "?" + view + "&token=" + tok
	expired := signWith(t, embedKey, view, time.Now().Add(-time.Minute).Truncate(time.Second))
	parts := strings.Split(tok, ".")
	tampered := parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte("1999999999\nfocus=payment")) + "." + parts[2]
	foreign := signWith(t, otherEmbedKey, view, time.Now().Add(time.Hour))
	embedRef := base + "/embed" + q

	for _, tc := range []struct {
		name, path string
		hdr        []string
		code       int
		want       string
	}{
		{"embed page", "/embed" + q, nil, 200, "page /embed"},
		{"embed page, other parameter order", "/embed?window=15m&token=" + tok + "&focus=checkout&up=1", nil, 200, "page /embed"},
		{"embed page of another view", "/embed?focus=payment&token=" + tok, nil, 403, "embed token is for another view"},
		{"embed page of the default view", "/embed?token=" + tok, nil, 403, "another view"},
		{"export svg", "/api/v1/graph.svg" + q, nil, 200, "<svg"},
		{"export png with width", "/api/v1/graph.png" + q + "&width=200", nil, 200, "PNG"},
		{"export json", "/api/v1/graph.json" + q, nil, 200, `"nodes"`},
		{"graph json", "/api/v1/graph" + q, nil, 200, `"nodes"`},
		{"export mmd", "/api/v1/graph.mmd" + q, nil, 200, "flowchart"},
		{"export of another view", "/api/v1/graph.dot?focus=checkout&token=" + tok, nil, 403, "another view"},
		{"export with a bad view", "/api/v1/graph.dot?window=x&token=" + tok, nil, 400, "window"},
		{"app script", "/app.js?token=" + tok, nil, 200, "page /app.js"},
		{"app wasm from the page", "/web/app.wasm", []string{"Referer", embedRef}, 200, "page /web/app.wasm"},
		{"worker from the page", "/app-worker.js", []string{"Referer", embedRef}, 200, "page /app-worker.js"},
		{"asset without token", "/web/app.wasm", nil, 401, "authentication required"},
		{"asset, referer on another host", "/web/app.wasm", []string{"Referer", "http://elsewhere.example" + "/embed" + q}, 401, "authentication required"},
		{"asset, referer not the embed page", "/web/app.wasm", []string{"Referer", base + "/?token=" + tok}, 401, "authentication required"},
		{"asset, referer with expired token", "/web/spanmap.css", []string{"Referer", base + "/embed?token=" + expired}, 403, "expired at"},
		{"asset path escaping /web", "/web/../api/v1/sources", []string{"Referer", embedRef}, 401, ""},
		{"page referer does not open the API", "/api/v1/sources", []string{"Referer", embedRef}, 401, "authentication required"},
		{"services", "/api/v1/services?token=" + tok, nil, 403, "embed token grants only"},
		{"sources", "/api/v1/sources?token=" + tok, nil, 403, "embed token grants only"},
		{"metrics", "/metrics?token=" + tok, nil, 403, "embed token grants only"},
		{"full map", "/" + q, nil, 403, "embed token grants only"},
		{"expired", "/embed" + "?" + view + "&token=" + expired, nil, 403, "embed token expired at "},
		{"tampered", "/embed?focus=payment&token=" + tampered, nil, 403, "altered"},
		{"signed with another key", "/embed" + "?" + view + "&token=" + foreign, nil, 403, "signed with another key"},
		{"malformed", "/embed?" + view + "&token=abc", nil, 403, "malformed"},
		{"no credentials", "/embed?" + view, nil, 401, "authentication required"},
		{"bearer still works", "/api/v1/services", []string{"Authorization", "Bearer admin"}, 200, "services"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, body := get(t, base+tc.path, tc.hdr...)
			if code != tc.code || !strings.Contains(body, tc.want) {
				t.Fatalf("GET %s = %d %.200s, want %d with %q", tc.path, code, body, tc.code, tc.want)
			}
		})
	}
}

// Changing the key revokes the tokens signed with the old one.
func TestEmbedAuth_keyRotation(t *testing.T) {
	_, a := startUI(t, authConfig(embedKey), fakeUI)
	tr := mint(t, a, "focus=x", "1h")
	_, b := startUI(t, authConfig(otherEmbedKey), fakeUI)
	if code, body := get(t, b+tr.URL); code != http.StatusForbidden || !strings.Contains(body, "another key") {
		t.Fatalf("token of the old key: %d %s, want 403", code, body)
	}
	if code, _ := get(t, a+tr.URL); code != http.StatusOK {
		t.Fatalf("token on its own server: %d", code)
	}
}

// With auth on and no key configured, a random key is made and the log
// says tokens will not survive a restart.
func TestServer_New_randomEmbedKey(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  Config
		warn bool
	}{
		{"auth without key", authConfig(""), true},
		{"auth with key", authConfig(embedKey), false},
		{"no auth", testConfig(), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var logs bytes.Buffer
			if _, err := New(tc.cfg, slog.New(slog.NewTextHandler(&logs, nil)), fakeUI); err != nil {
				t.Fatal(err)
			}
			if got := strings.Contains(logs.String(), "stop working when spanmap restarts"); got != tc.warn {
				t.Fatalf("warning logged = %v, want %v: %s", got, tc.warn, logs.String())
			}
		})
	}
}

func TestParseTokenTTL(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want time.Duration
		err  bool
	}{
		{"", 30 * 24 * time.Hour, false}, {"720h", 720 * time.Hour, false}, {"2d", 48 * time.Hour, false},
		{"90m", 90 * time.Minute, false}, {"30s", 0, true}, {"x", 0, true}, {"-1h", 0, true}, {"366d", 0, true}, {"d", 0, true},
	} {
		got, err := ParseTokenTTL(tc.in, 365*24*time.Hour)
		if (err != nil) != tc.err || got != tc.want {
			t.Errorf("ParseTokenTTL(%q) = %s, %v; want %s, error %v", tc.in, got, err, tc.want, tc.err)
		}
	}
	if d, _ := ParseTokenTTL("", time.Hour); d != time.Hour {
		t.Errorf("default capped by max: %s", d)
	}
}

func TestEmbedURL(t *testing.T) {
	v, _ := graph.ParseView("focus=a b")
	if got := EmbedURL(v, "v1.x.y"); got != "/embed?focus=a+b&token=v1.x.y" {
		t.Errorf("EmbedURL = %q", got)
	}
	if got := EmbedURL(graph.DefaultView(), "t"); got != "/embed?token=t" {
		t.Errorf("EmbedURL(default) = %q", got)
	}
	if _, err := url.Parse(EmbedURL(v, "v1.x.y")); err != nil {
		t.Error(err)
	}
}

// goAppPage is a trivial page for the go-app handler of
// TestEmbedAuth_admit_goApp.
type goAppPage struct{ goapp.Compo }

// Render draws nothing of interest.
func (p *goAppPage) Render() goapp.UI { return goapp.Div().Text("embed") }

// The real go-app handler's embed page loads: every same-origin file the
// page and its loader script name is admitted with the page's token,
// through the Referer the browser sends.
func TestEmbedAuth_admit_goApp(t *testing.T) {
	goapp.Route(pathEmbed, func() goapp.Composer { return &goAppPage{} })
	ui := &goapp.Handler{Name: "spanmap", Styles: []string{"/web/spanmap.css"}}
	_, base := startUI(t, authConfig(embedKey), ui)
	page := base + mint(t, base, "focus=checkout", "1h").URL
	code, html := get(t, page)
	if code != http.StatusOK || !strings.Contains(html, "<html") {
		t.Fatalf("embed page: %d %.200s", code, html)
	}
	paths := map[string]bool{}
	collect := func(body string) {
		for _, m := range regexp.MustCompile(`["'](/[A-Za-z0-9_.\-/]+\.(?:js|css|wasm|webmanifest|json|png|svg))["']`).FindAllStringSubmatch(body, -1) {
			paths[m[1]] = true
		}
	}
	collect(html)
	for p := range maps.Clone(paths) {
		if strings.HasSuffix(p, ".js") {
			if code, body := get(t, base+p, "Referer", page); code == http.StatusOK {
				collect(body)
			}
		}
	}
	t.Logf("files the embed page loads: %v", slices.Sorted(maps.Keys(paths)))
	for _, want := range []string{"/app.js", "/wasm_exec.js", "/web/spanmap.css", "/manifest.webmanifest"} {
		if !paths[want] {
			t.Errorf("the page does not load %s; the paths it names are %v", want, paths)
		}
	}
	for p := range paths {
		if code, body := get(t, base+p, "Referer", page); code == http.StatusUnauthorized || code == http.StatusForbidden {
			t.Errorf("GET %s from the embed page = %d %s", p, code, body)
		}
		if code, _ := get(t, base+p); code != http.StatusUnauthorized {
			t.Errorf("GET %s without the page's token = %d, want 401", p, code)
		}
	}
}

// A browser loading the embed page with a token that is not admitted
// (often inside an iframe on another site) gets a page saying why, which
// the frame-ancestors policy lets that site show; programs keep the JSON
// error.
func TestEmbedAuth_admit_refusalPage(t *testing.T) {
	cfg := authConfig(embedKey)
	cfg.Embed.FrameAncestors = []string{"http://wiki.example"}
	_, base := startUI(t, cfg, fakeUI)
	const view = "focus=checkout"
	tok := mint(t, base, view, "1h").Token
	const browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
	for _, tc := range []struct {
		name, path, accept string
		code               int
		want               string
	}{
		{"altered", "/embed?" + view + "&token=" + tok + "x", browser, 403, "The server refused the link's read-only token: embed token is not valid: altered, or signed with another key."},
		{"other view", "/embed?focus=<b>&token=" + tok, browser, 403, `embed token is for another view (token: &#34;focus=checkout&#34;, requested: &#34;focus=%3Cb%3E&#34;)`},
		{"bad view", "/embed?window=x&token=" + tok, browser, 400, "window"},
		{"program", "/embed?" + view + "&token=" + tok + "x", "application/json", 403, `{"error":"embed token is not valid`},
		{"accepted", "/embed?" + view + "&token=" + tok, browser, 200, "page /embed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodGet, base+tc.path, nil)
			req.Header.Set("Accept", tc.accept)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var b bytes.Buffer
			b.ReadFrom(resp.Body)
			body := b.String()
			if resp.StatusCode != tc.code || !strings.Contains(body, tc.want) {
				t.Fatalf("GET %s = %d %s, want %d with %q", tc.path, resp.StatusCode, body, tc.code, tc.want)
			}
			if csp := resp.Header.Get("Content-Security-Policy"); csp != "frame-ancestors http://wiki.example" {
				t.Errorf("CSP %q: the refusal could not be shown in the iframe", csp)
			}
			if strings.HasPrefix(tc.accept, "text/html") && tc.code != 200 {
				if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
					t.Errorf("Content-Type %q", ct)
				}
				if strings.Contains(body, "<b>") || strings.Contains(body, "<script") || strings.Contains(body, "src=") {
					t.Errorf("the refusal page loads something or is not escaped: %s", body)
				}
			}
		})
	}
}
