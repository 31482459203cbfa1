package demo

import (
	"strings"
	"testing"
	"time"
)

func TestConfig_Validate_fields(t *testing.T) {
	tests := []struct {
		name string
		mod  func(*Config)
		want string // substring of the error; empty for valid
	}{
		{"default", func(*Config) {}, ""},
		{"incidents off", func(c *Config) { c.IncidentPeriod = 0 }, ""},
		{"zero rate", func(c *Config) { c.Rate = 0 }, "rate"},
		{"huge rate", func(c *Config) { c.Rate = 1e6 }, "rate"},
		{"zero interval", func(c *Config) { c.Interval = 0 }, "interval"},
		{"short period", func(c *Config) { c.IncidentPeriod = time.Second }, "incident period"},
		{"negative period", func(c *Config) { c.IncidentPeriod = -time.Minute }, "incident period"},
		{"burst rate above one", func(c *Config) { c.BurstErrorRate = 1.5 }, "burst error rate"},
		{"spike below one", func(c *Config) { c.SpikeFactor = 0.5 }, "spike factor"},
		{"negative error scale", func(c *Config) { c.ErrorScale = -1 }, "error scale"},
		{"skew too large", func(c *Config) { c.MaxClockSkew = 2 * time.Second }, "clock skew"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := DefaultConfig()
			tt.mod(&cfg)
			err := cfg.Validate()
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("Validate() = %v, want nil", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("Validate() = %v, want error about %q", err, tt.want)
			}
		})
	}
}

func TestConfig_IncidentAt_phases(t *testing.T) {
	cfg := DefaultConfig() // 3m period
	tests := []struct {
		offset time.Duration
		want   Incident
	}{
		{0, IncidentNone},
		{17 * time.Second, IncidentNone},
		{18 * time.Second, IncidentErrorBurst},
		{53 * time.Second, IncidentErrorBurst},
		{54 * time.Second, IncidentNone},
		{72 * time.Second, IncidentLatencySpike},
		{107 * time.Second, IncidentLatencySpike},
		{108 * time.Second, IncidentNone},
		{126 * time.Second, IncidentNewDependency},
		{161 * time.Second, IncidentNewDependency},
		{162 * time.Second, IncidentNone},
		{180*time.Second + 20*time.Second, IncidentErrorBurst},
		{-160 * time.Second, IncidentErrorBurst}, // the previous cycle
	}
	for _, tt := range tests {
		if got := cfg.IncidentAt(t0.Add(tt.offset)); got != tt.want {
			t.Errorf("IncidentAt(start+%v) = %s, want %s", tt.offset, got, tt.want)
		}
	}
	cfg.IncidentPeriod = 0
	if got := cfg.IncidentAt(t0.Add(20 * time.Second)); got != IncidentNone {
		t.Errorf("IncidentAt with incidents off = %s", got)
	}
}

func TestConfig_IncidentWindow_matchesIncidentAt(t *testing.T) {
	cfg := DefaultConfig()
	cfg.IncidentPeriod = 7*time.Minute + 333*time.Millisecond
	at := time.Unix(1_800_000_123, 456)
	for _, inc := range []Incident{IncidentErrorBurst, IncidentLatencySpike, IncidentNewDependency} {
		from, to := cfg.IncidentWindow(inc, at)
		if d := to.Sub(from) - cfg.IncidentPeriod/5; d < -1 || d > 1 {
			t.Fatalf("%s window [%v, %v) has wrong length", inc, from, to)
		}
		if got := cfg.IncidentAt(from); got != inc {
			t.Errorf("IncidentAt(window start) = %s, want %s", got, inc)
		}
		if got := cfg.IncidentAt(to.Add(-1)); got != inc {
			t.Errorf("IncidentAt(window end - 1ns) = %s, want %s", got, inc)
		}
		if got := cfg.IncidentAt(from.Add(-1)); got == inc {
			t.Errorf("IncidentAt(window start - 1ns) = %s", got)
		}
		if got := cfg.IncidentAt(to); got == inc {
			t.Errorf("IncidentAt(window end) = %s", got)
		}
	}
	if from, to := cfg.IncidentWindow(IncidentNone, at); !from.IsZero() || !to.IsZero() {
		t.Error("IncidentWindow(IncidentNone) is not zero")
	}
}

func TestIncident_String_names(t *testing.T) {
	for inc, want := range map[Incident]string{
		IncidentNone: "none", IncidentErrorBurst: "error-burst", IncidentLatencySpike: "latency-spike",
		IncidentNewDependency: "new-dependency", Incident(9): "incident(9)",
	} {
		if got := inc.String(); got != want {
			t.Errorf("Incident(%d).String() = %q, want %q", uint8(inc), got, want)
		}
	}
}
