package tempo

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spanmap/spanmap/server/poll"
	"github.com/spanmap/spanmap/server/source/conn"
)

// TraceAPI names the trace-by-ID endpoint a Puller reads.
type TraceAPI string

// Trace-by-ID endpoints.
const (
	// TraceAPIv2 is GET /api/v2/traces/<id>: a TraceByIDResponse that wraps
	// the trace and says whether it is partial (Tempo 2.5 and later).
	TraceAPIv2 TraceAPI = "v2"
	// TraceAPIv1 is GET /api/traces/<id>: the bare trace (every Tempo
	// version).
	TraceAPIv1 TraceAPI = "v1"
)

// TenantHeader carries the tenant ID to a multi-tenant Tempo.
const TenantHeader = "X-Scope-OrgID"

// Errors wrapped by the Puller's errors.
var (
	// ErrMalformed reports a response that could not be decoded. It is
	// poll.ErrMalformed, so the poller can tell it from a backend that is
	// down.
	ErrMalformed = poll.ErrMalformed
	// ErrTooLarge reports a response larger than Config.MaxResponseBytes.
	ErrTooLarge = errors.New("response too large")
	// ErrTraceNotFound reports a trace ID Tempo does not know (404).
	ErrTraceNotFound = errors.New("trace not found")
)

// Config configures a Puller.
type Config struct {
	// Conn is Tempo's query URL (e.g. http://tempo:3200), credentials, TLS
	// and per-request timeout.
	Conn conn.Config `yaml:",inline"`
	// Tenant, when set, is sent as X-Scope-OrgID on every request (it
	// overrides that header in Conn.Headers).
	Tenant string `yaml:"tenant"`
	// TraceAPI picks the trace-by-ID endpoint: v2 (default) or v1.
	TraceAPI TraceAPI `yaml:"trace_api"`
	// Concurrency is how many trace bodies are fetched at once. Default 8.
	Concurrency int `yaml:"concurrency"`
	// MaxResponseBytes bounds one response body. Default 64 MiB.
	MaxResponseBytes int64 `yaml:"max_response_bytes"`
}

// DefaultConfig returns the defaults (the URL is left for the caller).
func DefaultConfig() Config {
	return Config{
		Conn:             conn.Config{Timeout: 30 * time.Second},
		TraceAPI:         TraceAPIv2,
		Concurrency:      8,
		MaxResponseBytes: 64 << 20,
	}
}

// Validate reports the first invalid field.
func (c Config) Validate() error {
	if err := c.Conn.Validate(); err != nil {
		return fmt.Errorf("tempo source: %w", err)
	}
	if s := strings.ToLower(c.Conn.URL); !strings.HasPrefix(s, "http://") && !strings.HasPrefix(s, "https://") {
		return fmt.Errorf("tempo source: url %q: Tempo's query API is HTTP: want http:// or https://", c.Conn.URL)
	}
	switch {
	case c.TraceAPI != TraceAPIv1 && c.TraceAPI != TraceAPIv2:
		return fmt.Errorf("tempo source: trace api %q: want v1 or v2", c.TraceAPI)
	case c.Concurrency < 1:
		return fmt.Errorf("tempo source: concurrency %d must be at least 1", c.Concurrency)
	case c.MaxResponseBytes < 1:
		return fmt.Errorf("tempo source: max response bytes %d must be positive", c.MaxResponseBytes)
	case strings.ContainsAny(c.Tenant, "\r\n"):
		return errors.New("tempo source: tenant must not contain line breaks")
	}
	return nil
}

// connConfig returns Conn with the tenant header set; Conn.Headers is not
// modified.
func (c Config) connConfig() conn.Config {
	if c.Tenant == "" {
		return c.Conn
	}
	return c.Conn.WithHeader(TenantHeader, c.Tenant)
}
