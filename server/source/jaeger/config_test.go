package jaeger

import (
	"context"
	"net/http"
	"strings"
	"testing"
)

func TestConfig_Validate(t *testing.T) {
	for _, tc := range []struct {
		name  string
		url   string
		proto Protocol
		max   int64
		want  string
	}{
		{"http auto", "http://jaeger:16686", Auto, 1, ""},
		{"empty protocol is auto", "https://jaeger", "", 1, ""},
		{"grpc auto", "grpc://jaeger:16685", Auto, 1, ""},
		{"grpcs v2", "grpcs://jaeger:16685", APIv2GRPC, 1, ""},
		{"v2 over http", "http://jaeger:16686", APIv2GRPC, 1, "needs a grpc://"},
		{"v3 over grpc", "grpc://jaeger:16685", APIv3, 1, "needs an http://"},
		{"legacy over grpc", "grpc://jaeger:16685", Legacy, 1, "needs an http://"},
		{"unknown protocol", "http://jaeger", "thrift", 1, "want auto, api_v3"},
		{"no scheme", "jaeger:16686", Auto, 1, "scheme"},
		{"no response bound", "http://jaeger", Auto, 0, "max response bytes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := DefaultConfig()
			c.Conn.URL, c.Protocol, c.MaxResponseBytes = tc.url, tc.proto, tc.max
			err := c.Validate()
			if (err == nil) != (tc.want == "") || (err != nil && !strings.Contains(err.Error(), tc.want)) {
				t.Fatalf("Validate() = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestNewPuller_credentials(t *testing.T) {
	f := newFakeJaeger(t)
	hs := f.serve(t)
	var auth string
	hs.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth = r.Header.Get("Authorization")
		f.ServeHTTP(w, r)
	})
	fq := newFakeQuery(t)
	gs := serveGRPC(t, fq, "")
	for name, p := range map[string]*Puller{
		"legacy":      newTestPuller(t, hs.URL, Legacy, func(c *Config) { c.Conn.BearerToken = "tok" }),
		"api_v2_grpc": newTestPuller(t, "grpc://"+gs.addr, APIv2GRPC, func(c *Config) { c.Conn.BearerToken = "tok" }),
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := p.Services(context.Background()); err != nil {
				t.Fatal(err)
			}
			got := auth
			if name == "api_v2_grpc" {
				got = fq.lastAuth()
			}
			if got != "Bearer tok" {
				t.Fatalf("authorization = %q, want the bearer token", got)
			}
		})
	}
}
