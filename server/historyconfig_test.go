package server

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spanmap/spanmap/graph"
)

func TestConfig_LoadFile_historyAndEvents(t *testing.T) {
	c := loadConfigFile(t, "data_dir: /var/lib/spanmap\nretention: 72h\nhourly_after: 6h\nflush_interval: 5s\nflush_minutes: 4\n"+
		"events:\n  window: 2m\n  quiet_period: 10m\n  confirm: 2\n  min_calls: 5\n  memory_events: 100\n")
	want := EventsConfig{Window: 2 * time.Minute, QuietPeriod: 10 * time.Minute, Confirm: 2, MinCalls: 5, MemoryEvents: 100}
	if c.HourlyAfter != 6*time.Hour || c.FlushInterval != 5*time.Second || c.FlushMinutes != 4 || c.Events != want {
		t.Fatalf("config = %+v", c)
	}
	opt := c.historyOptions()
	if opt.Retention != 72*time.Hour || opt.HourlyAfter != 6*time.Hour || opt.FlushInterval != 5*time.Second || opt.FlushMinutes != 4 {
		t.Fatalf("history options = %+v", opt)
	}
	if err := opt.Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestConfig_Validate_historyAndEvents(t *testing.T) {
	if err := DefaultConfig().historyOptions().Validate(); err != nil {
		t.Fatalf("default history options: %v", err)
	}
	for _, tc := range []struct {
		name string
		set  func(*Config)
		want string
	}{
		{"hourly after too short", func(c *Config) { c.HourlyAfter = time.Hour }, "--hourly-after"},
		{"hourly after off", func(c *Config) { c.HourlyAfter = 0 }, ""},
		{"flush interval zero", func(c *Config) { c.FlushInterval = 0 }, "--flush-interval"},
		{"flush interval too long", func(c *Config) { c.FlushInterval = time.Hour }, "--flush-interval"},
		{"flush minutes", func(c *Config) { c.FlushMinutes = 0 }, "flush_minutes"},
		{"event window", func(c *Config) { c.Events.Window = 0 }, "events.window"},
		{"quiet period", func(c *Config) { c.Events.QuietPeriod = 30 * time.Second }, "events.quiet_period"},
		{"confirm", func(c *Config) { c.Events.Confirm = 0 }, "events.confirm"},
		{"min calls", func(c *Config) { c.Events.MinCalls = 0 }, "events.min_calls"},
		{"memory events", func(c *Config) { c.Events.MemoryEvents = 0 }, "events.memory_events"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := testConfig()
			c.DataDir = t.TempDir()
			tc.set(&c)
			err := c.Validate()
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Validate = %v, want an error naming %s", err, tc.want)
			}
		})
	}
}

func TestConfig_LoadFile_health(t *testing.T) {
	c := loadConfigFile(t, "health:\n  error_rate_failing: 0.2\n  p99_degraded_ms: 250\n")
	want := graph.HealthRules{ErrorRateDegraded: 0.01, ErrorRateFailing: 0.2, P99DegradedMs: 250}
	if c.Health != want {
		t.Fatalf("health = %+v, want %+v (unset rules keep their defaults)", c.Health, want)
	}
	for _, tc := range []struct {
		h    graph.HealthRules
		want string
	}{
		{graph.HealthRules{ErrorRateDegraded: 0, ErrorRateFailing: 0.05}, "health.error_rate_degraded"},
		{graph.HealthRules{ErrorRateDegraded: 0.1, ErrorRateFailing: 0.05}, "health.error_rate_failing"},
		{graph.HealthRules{ErrorRateDegraded: 0.01, ErrorRateFailing: 1.5}, "health.error_rate_failing"},
		{graph.HealthRules{ErrorRateDegraded: 0.01, ErrorRateFailing: 0.05, P99DegradedMs: -1}, "health.p99_degraded_ms"},
		{graph.HealthRules{ErrorRateDegraded: 0.01, ErrorRateFailing: 0.05, P99DegradedMs: 500, P99FailingMs: 100}, "health.p99_failing_ms"},
	} {
		c := DefaultConfig()
		c.Health = tc.h
		if err := c.Validate(); err == nil || !strings.HasPrefix(err.Error(), tc.want+":") {
			t.Errorf("%+v: error %v, want one naming %s", tc.h, err, tc.want)
		}
	}
}

// loadConfigFile loads a configuration file with body over the defaults
// and validates it.
func loadConfigFile(t *testing.T, body string) Config {
	t.Helper()
	p := filepath.Join(t.TempDir(), "spanmap.yaml")
	if err := writeFile(p, body); err != nil {
		t.Fatal(err)
	}
	c := DefaultConfig()
	if err := c.LoadFile(p); err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	return c
}
