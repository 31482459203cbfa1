package server

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/spanmap/spanmap/graph"
	"github.com/spanmap/spanmap/graph/agg"
	"github.com/spanmap/spanmap/server/history"
	"github.com/spanmap/spanmap/server/hub"
	"github.com/spanmap/spanmap/server/ingest"
)

// Config is the whole server configuration: YAML file, then SPANMAP_*
// environment variables, then flags, each overriding the one before.
type Config struct {
	// HTTPAddr is the UI/API listen address.
	HTTPAddr string `yaml:"http_addr"`
	// OTLPGRPCAddr is the OTLP/gRPC receiver address; empty turns it off.
	OTLPGRPCAddr string `yaml:"otlp_grpc_addr"`
	// OTLPHTTPAddr is the OTLP/HTTP receiver address; empty turns it off.
	OTLPHTTPAddr string `yaml:"otlp_http_addr"`
	// ZipkinAddr is the Zipkin receiver address; empty turns it off.
	ZipkinAddr string `yaml:"zipkin_addr"`
	// Demo runs the built-in demo system and feeds its spans in-process.
	Demo bool `yaml:"demo"`
	// DemoRate is the demo's traces per second.
	DemoRate float64 `yaml:"demo_rate"`
	// InsecurePublic allows a non-loopback HTTPAddr without access control.
	InsecurePublic bool `yaml:"insecure_public"`
	// Auth configures access control.
	Auth AuthConfig `yaml:"auth"`
	// MaxBodyBytes limits request bodies of the receivers (after gunzip).
	MaxBodyBytes int64 `yaml:"max_body_bytes"`
	// Sources are the pulled backends (jaeger, zipkin, tempo, prometheus).
	Sources []SourceConfig `yaml:"sources"`
	// Embed configures the /embed page's framing and embed tokens.
	Embed EmbedConfig `yaml:"embed"`
	// Ingest configures the derivation pipeline.
	Ingest ingest.Config `yaml:"-"`
	// Hub configures live streaming.
	Hub hub.Config `yaml:"-"`
	// AllowedOrigins are the browser origins (host patterns, e.g.
	// "wiki.example.com" or "*.example.com") besides spanmap's own that may
	// open the websocket stream.
	AllowedOrigins []string `yaml:"allowed_origins"`
	// LayoutCommand, when set, runs graph layout in child processes with
	// this argv (`spanmap layout-worker`), so a long graphviz layout never
	// stalls the server; empty lays out in-process.
	LayoutCommand []string `yaml:"-"`
	// LayoutWorkers is the number of layout child processes.
	LayoutWorkers int `yaml:"layout_workers"`
	// ShutdownTimeout bounds graceful shutdown.
	ShutdownTimeout time.Duration `yaml:"shutdown_timeout"`
	// DataDir is the directory of the on-disk history (spanmap.db): the
	// aggregated map is written there every few seconds and restored on
	// start. Empty keeps everything in memory only.
	DataDir string `yaml:"data_dir"`
	// Retention is how long the on-disk history is kept.
	Retention time.Duration `yaml:"retention"`
	// HourlyAfter is the age from which the minutes of the on-disk history
	// are merged into one rollup per hour: less disk, and windows older than
	// that read whole hours. 0 never merges; otherwise at least 2h.
	HourlyAfter time.Duration `yaml:"hourly_after"`
	// FlushInterval is how often the recent minutes are written to the data
	// dir (at most this much ingest is lost to a crash) and how often the
	// map is evaluated for topology-change events.
	FlushInterval time.Duration `yaml:"flush_interval"`
	// FlushMinutes is how many minutes, the open one included, each flush
	// rewrites, so calls completing late still reach the disk.
	FlushMinutes int `yaml:"flush_minutes"`
	// Events configures topology-change events.
	Events EventsConfig `yaml:"events"`
	// StaleAfter is how long a source's data stays fresh after it last
	// delivered (for a puller, at least two poll intervals): past it the
	// source is stale, and so are the nodes and edges only it saw; with
	// every source stale the whole map is.
	StaleAfter time.Duration `yaml:"stale_after"`
	// Health is when a node or edge is degraded or failing, judged over
	// the window of the View that shows it; the map colours, hotspots,
	// events and exports follow it, and the map's legend states it. The
	// zero value is the aggregator's default.
	Health graph.HealthRules `yaml:"health"`
}

// AuthConfig configures access control. With nothing set, every route is
// open, which is only allowed on loopback (or with InsecurePublic).
type AuthConfig struct {
	// Tokens are accepted bearer tokens ("Authorization: Bearer <token>").
	Tokens []string `yaml:"tokens"`
	// Users are basic-auth users with bcrypt password hashes.
	Users []User `yaml:"users"`
	// ProxyUserHeader names a header set by a trusted reverse proxy to the
	// authenticated user (e.g. X-Forwarded-User); requests carrying it pass.
	ProxyUserHeader string `yaml:"proxy_user_header"`
	// ProtectMetrics requires credentials for /metrics too.
	ProtectMetrics bool `yaml:"protect_metrics"`
}

// User is one basic-auth account.
type User struct {
	// Name is the user name.
	Name string `yaml:"name"`
	// PasswordHash is a bcrypt hash (`htpasswd -nbB` or `spanmap hash-password`).
	PasswordHash string `yaml:"password_hash"`
}

// Enabled reports whether any access control is configured.
func (a AuthConfig) Enabled() bool {
	return len(a.Tokens) > 0 || len(a.Users) > 0 || a.ProxyUserHeader != ""
}

// DefaultConfig returns the configuration of a plain `spanmap serve`.
func DefaultConfig() Config {
	return Config{
		HTTPAddr:        "127.0.0.1:7700",
		OTLPGRPCAddr:    "127.0.0.1:4317",
		OTLPHTTPAddr:    "127.0.0.1:4318",
		ZipkinAddr:      "127.0.0.1:9411",
		DemoRate:        20,
		MaxBodyBytes:    16 << 20,
		Embed:           DefaultEmbedConfig(),
		Ingest:          ingest.DefaultConfig(),
		Hub:             hub.DefaultConfig(),
		LayoutWorkers:   2,
		ShutdownTimeout: 10 * time.Second,
		Retention:       7 * 24 * time.Hour,
		HourlyAfter:     history.DefaultOptions().HourlyAfter,
		FlushInterval:   history.DefaultOptions().FlushInterval,
		FlushMinutes:    history.DefaultOptions().FlushMinutes,
		Events:          DefaultEventsConfig(),
		StaleAfter:      DefaultStaleAfter,
		Health:          agg.DefaultConfig().Health(),
	}
}

// historyOptions returns the on-disk history's options from c.
func (c Config) historyOptions() history.Options {
	opt := history.DefaultOptions()
	opt.Retention = c.Retention
	opt.HourlyAfter = c.HourlyAfter
	opt.FlushInterval = c.FlushInterval
	opt.FlushMinutes = c.FlushMinutes
	return opt
}

// LoadFile merges a YAML file into c. Unknown keys are errors.
func (c *Config) LoadFile(path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("config: %w", err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(c); err != nil && !errors.Is(err, io.EOF) { // an empty file is fine
		return fmt.Errorf("config %s: %w", path, err)
	}
	return nil
}

// Validate reports the first invalid setting, naming it.
func (c Config) Validate() error {
	if c.HTTPAddr == "" {
		return errors.New("--http-addr: must not be empty")
	}
	for _, a := range []struct{ flag, addr string }{
		{"--http-addr", c.HTTPAddr}, {"--otlp-grpc-addr", c.OTLPGRPCAddr},
		{"--otlp-http-addr", c.OTLPHTTPAddr}, {"--zipkin-addr", c.ZipkinAddr},
	} {
		if a.addr == "" {
			continue
		}
		if _, _, err := net.SplitHostPort(a.addr); err != nil {
			return fmt.Errorf("%s: %q is not host:port: %w", a.flag, a.addr, err)
		}
	}
	if c.MaxBodyBytes <= 0 {
		return fmt.Errorf("max_body_bytes: must be positive, got %d", c.MaxBodyBytes)
	}
	if c.DataDir != "" && c.Retention < time.Hour {
		return fmt.Errorf("--retention: must be at least 1h, got %v", c.Retention)
	}
	if c.HourlyAfter != 0 && c.HourlyAfter < 2*time.Hour {
		return fmt.Errorf("--hourly-after: must be 0 (never merge) or at least 2h, got %v", c.HourlyAfter)
	}
	if c.FlushInterval < 100*time.Millisecond || c.FlushInterval > 10*time.Minute {
		return fmt.Errorf("--flush-interval: must be from 100ms to 10m, got %v", c.FlushInterval)
	}
	if c.StaleAfter < time.Second || c.StaleAfter > 24*time.Hour {
		return fmt.Errorf("--stale-after: must be from 1s to 24h, got %v", c.StaleAfter)
	}
	if c.FlushMinutes < 1 || c.FlushMinutes > 60 {
		return fmt.Errorf("flush_minutes: must be from 1 to 60, got %d", c.FlushMinutes)
	}
	if err := c.Events.Validate(); err != nil {
		return err
	}
	if err := c.Health.Validate(); err != nil && c.Health != (graph.HealthRules{}) {
		return fmt.Errorf("health.%w", err)
	}
	if c.Demo && c.DemoRate <= 0 {
		return fmt.Errorf("--demo-rate: must be positive, got %g", c.DemoRate)
	}
	for i, u := range c.Auth.Users {
		if u.Name == "" || !strings.HasPrefix(u.PasswordHash, "$2") {
			return fmt.Errorf("auth.users[%d]: needs a name and a bcrypt password_hash", i)
		}
	}
	if !c.Auth.Enabled() && !c.InsecurePublic && !isLoopback(c.HTTPAddr) {
		return fmt.Errorf("--http-addr %s is not a loopback address and no access control is configured: "+
			"set auth tokens, users or a proxy user header in --config, or pass --insecure-public to serve the map to anyone who can reach it", c.HTTPAddr)
	}
	srcs := append([]SourceConfig(nil), c.Sources...)
	if err := nameSources(srcs); err != nil {
		return err
	}
	if err := validateSources(srcs); err != nil {
		return err
	}
	if err := c.Embed.Validate(); err != nil {
		return err
	}
	if err := c.Ingest.Validate(); err != nil {
		return err
	}
	return c.Hub.Validate()
}

// isLoopback reports whether addr only listens on a loopback interface.
func isLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
