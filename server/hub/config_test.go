package hub

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestConfig_Validate(t *testing.T) {
	tests := []struct {
		name   string
		change func(*Config)
		want   string // "" for valid
	}{
		{"default", func(*Config) {}, ""},
		{"allowed origins", func(c *Config) { c.AllowedOrigins = []string{"*.example.com", "https://app.example.org"} }, ""},
		{"compression off", func(c *Config) { c.Compression = CompressionOff }, ""},
		{"zero tick", func(c *Config) { c.Tick = 0 }, "tick must be positive"},
		{"negative write timeout", func(c *Config) { c.WriteTimeout = -time.Second }, "write timeout must be positive"},
		{"zero idle expiry", func(c *Config) { c.IdleViewExpiry = 0 }, "idle view expiry"},
		{"zero status interval", func(c *Config) { c.StatusInterval = 0 }, "status interval"},
		{"zero layout timeout", func(c *Config) { c.LayoutTimeout = 0 }, "layout timeout"},
		{"negative grace", func(c *Config) { c.ResyncGrace = -1 }, "resync grace"},
		{"negative settle", func(c *Config) { c.SettleDelay = -1 }, "settle delay"},
		{"tiny queue", func(c *Config) { c.QueueLen = 1 }, "queue length"},
		{"no subscribers", func(c *Config) { c.MaxSubscribers = 0 }, "max subscribers"},
		{"no views", func(c *Config) { c.MaxViews = 0 }, "max views"},
		{"no layout workers", func(c *Config) { c.LayoutWorkers = 0 }, "layout workers"},
		{"tiny read limit", func(c *Config) { c.ReadLimit = 10 }, "read limit"},
		{"unknown compression", func(c *Config) { c.Compression = "gzip" }, `compression "gzip"`},
		{"empty compression", func(c *Config) { c.Compression = "" }, `compression ""`},
		{"any origin", func(c *Config) { c.AllowedOrigins = []string{"*"} }, `allowed origin "*"`},
		{"empty origin", func(c *Config) { c.AllowedOrigins = []string{""} }, `allowed origin ""`},
		{"bad origin pattern", func(c *Config) { c.AllowedOrigins = []string{"[a-"} }, `allowed origin "[a-"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := DefaultConfig()
			tt.change(&c)
			err := c.Validate()
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) || !errors.Is(err, ErrConfig) {
				t.Fatalf("Validate() = %v, want ErrConfig containing %q", err, tt.want)
			}
		})
	}
}

func TestHub_New_rejects(t *testing.T) {
	bad := DefaultConfig()
	bad.Tick = 0
	if _, err := New(bad, newFakeGraph(), nil, nil, nil, nil); !errors.Is(err, ErrConfig) {
		t.Errorf("bad config: err = %v", err)
	}
	if _, err := New(DefaultConfig(), nil, nil, nil, nil, nil); !errors.Is(err, ErrConfig) {
		t.Errorf("no graph: err = %v", err)
	}
}
