package cli

import (
	"io"
	"strings"
	"testing"
	"time"

	"github.com/spanmap/spanmap/server"
)

// TestServeFlags_sources: `--source KIND=URL` is repeatable, SPANMAP_SOURCE
// adds one more, the receivers' addresses come from flags or SPANMAP_*
// variables, and an empty address turns a receiver off.
func TestServeFlags_sources(t *testing.T) {
	cfg := server.DefaultConfig()
	if cfg.OTLPGRPCAddr != "127.0.0.1:4317" || cfg.OTLPHTTPAddr != "127.0.0.1:4318" || cfg.ZipkinAddr != "127.0.0.1:9411" {
		t.Fatalf("default receiver addresses: %q %q %q", cfg.OTLPGRPCAddr, cfg.OTLPHTTPAddr, cfg.ZipkinAddr)
	}
	var configFile, level string
	fs := newFlagSet("serve")
	serveFlags(fs, &cfg, &configFile, &level)
	env := map[string]string{"SPANMAP_SOURCE": "tempo=http://tempo:3200", "SPANMAP_OTLP_GRPC_ADDR": "", "SPANMAP_STALE_AFTER": "90s"}
	if err := applyEnv(fs, func(k string) (string, bool) { v, ok := env[k]; return v, ok }); err != nil {
		t.Fatal(err)
	}
	args := []string{"--source", "jaeger=grpc://jaeger:16685", "--source", "PROMETHEUS=http://prom:9090", "--zipkin-addr", "", "--otlp-http-addr", "127.0.0.1:14318"}
	if err := parseFlags(fs, args, io.Discard); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, sc := range cfg.Sources {
		got = append(got, sc.Kind+"="+sc.Conn.URL)
	}
	if strings.Join(got, " ") != "tempo=http://tempo:3200 jaeger=grpc://jaeger:16685 prometheus=http://prom:9090" {
		t.Fatalf("sources = %v", got)
	}
	if cfg.OTLPGRPCAddr != "" || cfg.ZipkinAddr != "" || cfg.OTLPHTTPAddr != "127.0.0.1:14318" {
		t.Fatalf("receivers: grpc %q, zipkin %q, http %q", cfg.OTLPGRPCAddr, cfg.ZipkinAddr, cfg.OTLPHTTPAddr)
	}
	if cfg.StaleAfter != 90*time.Second {
		t.Fatalf("SPANMAP_STALE_AFTER=90s gives stale_after %v", cfg.StaleAfter)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}

	for _, bad := range []struct{ arg, want string }{
		{"splunk=http://x", `source kind "splunk": want one of jaeger, zipkin, tempo, prometheus`},
		{"jaeger", "want KIND=URL"},
	} {
		cfg := server.DefaultConfig()
		fs := newFlagSet("serve")
		serveFlags(fs, &cfg, &configFile, &level)
		if err := parseFlags(fs, []string{"--source", bad.arg}, io.Discard); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("--source %s: %v, want %q", bad.arg, err, bad.want)
		}
	}
}
