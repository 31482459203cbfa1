package jaeger

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/spanmap/spanmap/server/poll"
	"github.com/spanmap/spanmap/server/source/conn"
)

// Protocol names the Jaeger query API a Puller uses.
type Protocol string

// Protocols.
const (
	// Auto picks by URL: api_v2 gRPC for grpc:// and grpcs://; for http(s)
	// api_v3 when /api/v3/services answers, else the legacy API.
	Auto Protocol = "auto"
	// APIv3 is the HTTP gateway of the v3 query API (/api/v3/...).
	APIv3 Protocol = "api_v3"
	// APIv2GRPC is the api_v2 QueryService over gRPC.
	APIv2GRPC Protocol = "api_v2_grpc"
	// APIv3GRPC is the api_v3 QueryService over gRPC.
	APIv3GRPC Protocol = "api_v3_grpc"
	// Legacy is the HTTP API of the Jaeger UI (/api/services, /api/traces).
	Legacy Protocol = "legacy"
)

// Protocols lists the accepted protocol names.
func Protocols() []Protocol { return []Protocol{Auto, APIv3, APIv2GRPC, APIv3GRPC, Legacy} }

// ParseProtocol returns the protocol named s ("" is Auto).
func ParseProtocol(s string) (Protocol, error) {
	if s == "" {
		return Auto, nil
	}
	for _, p := range Protocols() {
		if strings.EqualFold(s, string(p)) {
			return p, nil
		}
	}
	return "", fmt.Errorf("jaeger protocol %q: want auto, api_v3, api_v2_grpc or legacy", s)
}

// ErrMalformed is wrapped by errors about responses that could not be
// decoded. It is poll.ErrMalformed, so the poller can tell them from a
// backend that is down.
var ErrMalformed = poll.ErrMalformed

// ErrTooLarge is wrapped by errors about responses larger than
// Config.MaxResponseBytes.
var ErrTooLarge = errors.New("response too large")

// Config configures a Puller.
type Config struct {
	// Conn is the query service's URL (http(s):// for api_v3 and legacy,
	// grpc(s):// for api_v2 gRPC), credentials, TLS and per-request timeout.
	Conn conn.Config `yaml:",inline"`
	// Protocol selects the query API; "" or auto picks it from the URL and
	// what the server answers.
	Protocol Protocol `yaml:"protocol"`
	// MaxResponseBytes bounds one HTTP response body, or the sum of one gRPC
	// FindTraces stream's chunks.
	MaxResponseBytes int64 `yaml:"max_response_bytes"`
}

// DefaultConfig returns the defaults (the URL is left for the caller).
func DefaultConfig() Config {
	return Config{
		Conn:             conn.Config{Timeout: 30 * time.Second},
		Protocol:         Auto,
		MaxResponseBytes: 256 << 20,
	}
}

// Validate checks the connection, the protocol and that they fit each
// other.
func (c Config) Validate() error {
	if err := c.Conn.Validate(); err != nil {
		return fmt.Errorf("jaeger source: %w", err)
	}
	p, err := ParseProtocol(string(c.Protocol))
	if err != nil {
		return fmt.Errorf("jaeger source: %w", err)
	}
	if c.MaxResponseBytes <= 0 {
		return fmt.Errorf("jaeger source: max response bytes must be positive, got %d", c.MaxResponseBytes)
	}
	grpcURL := isGRPC(c.Conn.URL)
	switch {
	case (p == APIv2GRPC || p == APIv3GRPC) && !grpcURL:
		return fmt.Errorf("jaeger source: protocol %s needs a grpc:// or grpcs:// URL, got %q", p, c.Conn.URL)
	case (p == APIv3 || p == Legacy) && grpcURL:
		return fmt.Errorf("jaeger source: protocol %s needs an http:// or https:// URL, got %q", p, c.Conn.URL)
	}
	return nil
}

// isGRPC reports a grpc:// or grpcs:// URL.
func isGRPC(raw string) bool {
	u, err := url.Parse(raw)
	return err == nil && (u.Scheme == "grpc" || u.Scheme == "grpcs")
}
