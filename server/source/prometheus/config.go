package prometheus

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/spanmap/spanmap/server/source/conn"
)

// TenantHeader carries the tenant ID to a multi-tenant Mimir or Cortex.
const TenantHeader = "X-Scope-OrgID"

// Config configures a Source.
type Config struct {
	// Name is the source name recorded on edges and in status.
	Name string `yaml:"name"`
	// Conn is the Prometheus-compatible query URL (e.g. http://prometheus:9090,
	// or Mimir's http://mimir/prometheus), credentials, TLS and per-request
	// timeout.
	Conn conn.Config `yaml:",inline"`
	// Tenant, when set, is sent as X-Scope-OrgID on every request.
	Tenant string `yaml:"tenant"`
	// Interval is the length of one queried interval and the time between
	// polls: the range of increase() and rate(). It should span at least two
	// scrapes of the metrics. Default 1m.
	Interval time.Duration `yaml:"interval"`
	// Settle is how far the end of the queried interval trails now, so the
	// samples of the interval have been scraped or written. Default 30s.
	Settle time.Duration `yaml:"settle"`
	// Lookback is how far back the first poll reaches, and how long a
	// failed interval is retried before it is given up. Default 5m.
	Lookback time.Duration `yaml:"lookback"`
	// MaxCatchUp is the most intervals one poll queries when behind.
	// Default 10.
	MaxCatchUp int `yaml:"max_catch_up"`
	// MetricPrefix starts every metric name: traces_service_graph, or with
	// the namespace of the exporter that wrote them (e.g.
	// servicegraph_traces_service_graph).
	MetricPrefix string `yaml:"metric_prefix"`
	// Selector adds label matchers to every metric, without braces, e.g.
	// cluster="prod",env=~"eu-.*".
	Selector string `yaml:"selector"`
	// NamespaceDimension is the dimension that carries the service
	// namespace, as the labels client_<it> and server_<it>; empty to ignore.
	// Default service_namespace (the dimension service.namespace).
	NamespaceDimension string `yaml:"namespace_dimension"`
	// UserClient is the client name of calls from uninstrumented callers
	// into root spans; they are drawn from a user node. Default user.
	UserClient string `yaml:"user_client"`
	// QueueLag also reads the messaging_system latency histogram (off by
	// default in Tempo) as queue lag of messaging edges.
	QueueLag bool `yaml:"queue_lag"`
	// Timeout bounds one poll. Default 30s.
	Timeout time.Duration `yaml:"timeout"`
	// MinBackoff and MaxBackoff bound the retry delay after failures.
	// Defaults 1s and 2m.
	MinBackoff time.Duration `yaml:"min_backoff"`
	MaxBackoff time.Duration `yaml:"max_backoff"`
	// DownAfter is the number of consecutive failed polls after which the
	// source is reported down (before that: degraded). Default 3.
	DownAfter int `yaml:"down_after"`
}

// DefaultConfig returns the defaults (name and URL are left for the
// caller).
func DefaultConfig() Config {
	return Config{
		Conn:               conn.Config{Timeout: 30 * time.Second},
		Interval:           time.Minute,
		Settle:             30 * time.Second,
		Lookback:           5 * time.Minute,
		MaxCatchUp:         10,
		MetricPrefix:       "traces_service_graph",
		NamespaceDimension: "service_namespace",
		UserClient:         "user",
		Timeout:            30 * time.Second,
		MinBackoff:         time.Second,
		MaxBackoff:         2 * time.Minute,
		DownAfter:          3,
	}
}

var (
	metricName = regexp.MustCompile(`^[a-zA-Z_:][a-zA-Z0-9_:]*$`)
	labelName  = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)
)

// Validate reports the first invalid field.
func (c Config) Validate() error {
	if c.Name == "" {
		return errors.New("prometheus source: name must not be empty")
	}
	if err := c.Conn.Validate(); err != nil {
		return fmt.Errorf("source %s: %w", c.Name, err)
	}
	if s := strings.ToLower(c.Conn.URL); !strings.HasPrefix(s, "http://") && !strings.HasPrefix(s, "https://") {
		return fmt.Errorf("source %s: url %q: the Prometheus API is HTTP: want http:// or https://", c.Name, c.Conn.URL)
	}
	switch {
	case c.Interval < time.Second || c.Interval%time.Second != 0:
		return fmt.Errorf("source %s: interval %v must be a whole number of seconds", c.Name, c.Interval)
	case c.Settle < 0:
		return fmt.Errorf("source %s: settle %v must not be negative", c.Name, c.Settle)
	case c.Lookback < c.Interval:
		return fmt.Errorf("source %s: lookback %v is shorter than the interval %v", c.Name, c.Lookback, c.Interval)
	case c.MaxCatchUp < 1:
		return fmt.Errorf("source %s: max catch-up %d must be at least 1", c.Name, c.MaxCatchUp)
	case !metricName.MatchString(c.MetricPrefix):
		return fmt.Errorf("source %s: metric prefix %q is not a metric name", c.Name, c.MetricPrefix)
	case strings.ContainsAny(c.Selector, "{}"):
		return fmt.Errorf("source %s: selector %q: give the matchers without braces", c.Name, c.Selector)
	case c.NamespaceDimension != "" && !labelName.MatchString(c.NamespaceDimension):
		return fmt.Errorf("source %s: namespace dimension %q is not a label name", c.Name, c.NamespaceDimension)
	case c.UserClient == "":
		return fmt.Errorf("source %s: user client must not be empty", c.Name)
	case c.Timeout <= 0:
		return fmt.Errorf("source %s: timeout must be positive", c.Name)
	case c.MinBackoff <= 0 || c.MaxBackoff < c.MinBackoff:
		return fmt.Errorf("source %s: need 0 < min backoff <= max backoff", c.Name)
	case c.DownAfter < 1:
		return fmt.Errorf("source %s: down-after must be positive", c.Name)
	case strings.ContainsAny(c.Tenant, "\r\n"):
		return fmt.Errorf("source %s: tenant must not contain line breaks", c.Name)
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
