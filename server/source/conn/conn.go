// Package conn builds the HTTP clients and gRPC dial options pullers use to
// reach a backend: bearer token, basic auth, custom headers and TLS (CA, client
// certificate, and an insecure skip-verify switch that logs a warning).
package conn

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
)

// TLSConfig configures TLS to a backend.
type TLSConfig struct {
	// CAFile is a PEM bundle of CAs to trust instead of the system pool.
	CAFile string `yaml:"ca_file"`
	// CertFile and KeyFile are a client certificate for mutual TLS.
	CertFile string `yaml:"cert_file"`
	KeyFile  string `yaml:"key_file"`
	// InsecureSkipVerify disables certificate verification (logged as a
	// warning; for testing only).
	InsecureSkipVerify bool `yaml:"insecure_skip_verify"`
	// ServerName overrides the name checked in the server certificate.
	ServerName string `yaml:"server_name"`
}

// Config says how to reach and authenticate to a backend.
type Config struct {
	// URL is the backend's base URL (http, https, or grpc/grpcs for gRPC).
	URL string `yaml:"url"`
	// BearerToken is sent as "Authorization: Bearer <token>".
	BearerToken string `yaml:"bearer_token"`
	// BasicUser and BasicPassword are sent as basic auth.
	BasicUser     string `yaml:"basic_user"`
	BasicPassword string `yaml:"basic_password"`
	// Headers are added to every request (e.g. X-Scope-OrgID).
	Headers map[string]string `yaml:"headers"`
	// TLS configures TLS.
	TLS TLSConfig `yaml:"tls"`
	// Timeout bounds each request.
	Timeout time.Duration `yaml:"timeout"`
}

// Validate checks the URL and that at most one auth method is set.
func (c Config) Validate() error {
	u, err := url.Parse(c.URL)
	if err != nil {
		return fmt.Errorf("url %q: %w", c.URL, err)
	}
	switch u.Scheme {
	case "http", "https", "grpc", "grpcs":
	default:
		return fmt.Errorf("url %q: scheme must be http, https, grpc or grpcs", c.URL)
	}
	if u.Host == "" {
		return fmt.Errorf("url %q: missing host", c.URL)
	}
	if c.BearerToken != "" && c.BasicUser != "" {
		return errors.New("set a bearer token or basic auth, not both")
	}
	if (c.TLS.CertFile == "") != (c.TLS.KeyFile == "") {
		return errors.New("tls: cert_file and key_file go together")
	}
	return nil
}

// TLS returns the tls.Config, or nil for plain connections.
func (c Config) tlsConfig(log *slog.Logger) (*tls.Config, error) {
	t := c.TLS
	u, _ := url.Parse(c.URL)
	secure := u != nil && (u.Scheme == "https" || u.Scheme == "grpcs")
	if !secure && t.CAFile == "" && t.CertFile == "" && !t.InsecureSkipVerify {
		return nil, nil
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: t.ServerName, InsecureSkipVerify: t.InsecureSkipVerify} //nolint:gosec // opt-in, warned below
	if t.InsecureSkipVerify && log != nil {
		log.Warn("TLS certificate verification is disabled for this backend: anyone on the path can impersonate it", "url", c.URL)
	}
	if t.CAFile != "" {
		pem, err := os.ReadFile(t.CAFile)
		if err != nil {
			return nil, fmt.Errorf("tls ca_file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("tls ca_file %s: no PEM certificates found", t.CAFile)
		}
		cfg.RootCAs = pool
	}
	if t.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(t.CertFile, t.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("tls client certificate: %w", err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return cfg, nil
}

// authHeaders returns the headers every request carries.
func (c Config) authHeaders() http.Header {
	h := http.Header{}
	for k, v := range c.Headers {
		h.Set(k, v)
	}
	switch {
	case c.BearerToken != "":
		h.Set("Authorization", "Bearer "+c.BearerToken)
	case c.BasicUser != "":
		h.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(c.BasicUser+":"+c.BasicPassword)))
	}
	return h
}

// HTTPClient returns a client that adds the auth headers and uses the TLS
// settings.
func (c Config) HTTPClient(log *slog.Logger) (*http.Client, error) {
	tc, err := c.tlsConfig(log)
	if err != nil {
		return nil, err
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = tc
	tr.MaxIdleConnsPerHost = 16 // pullers fetch traces concurrently from one host
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	return &http.Client{Timeout: timeout, Transport: &headerTransport{base: tr, headers: c.authHeaders()}}, nil
}

type headerTransport struct {
	base    http.RoundTripper
	headers http.Header
}

func (t *headerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	for k, vs := range t.headers {
		r.Header[k] = vs
	}
	return t.base.RoundTrip(r)
}

// GRPCDialOptions returns transport credentials and per-RPC auth headers.
func (c Config) GRPCDialOptions(log *slog.Logger) ([]grpc.DialOption, error) {
	tc, err := c.tlsConfig(log)
	if err != nil {
		return nil, err
	}
	opts := []grpc.DialOption{}
	if tc != nil {
		opts = append(opts, grpc.WithTransportCredentials(credentials.NewTLS(tc)))
	} else {
		opts = append(opts, grpc.WithTransportCredentials(insecure.NewCredentials()))
	}
	if h := c.authHeaders(); len(h) > 0 {
		md := map[string]string{}
		for k := range h {
			md[http.CanonicalHeaderKey(k)] = h.Get(k)
		}
		opts = append(opts, grpc.WithPerRPCCredentials(headerCreds{md: md, secure: tc != nil}))
	}
	return opts, nil
}

// GRPCTarget returns host:port of a grpc:// or grpcs:// URL.
func (c Config) GRPCTarget() string {
	u, err := url.Parse(c.URL)
	if err != nil {
		return c.URL
	}
	return u.Host
}

type headerCreds struct {
	md     map[string]string
	secure bool
}

func (h headerCreds) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	out := make(map[string]string, len(h.md))
	for k, v := range h.md {
		out[strings.ToLower(k)] = v
	}
	return out, nil
}

// RequireTransportSecurity is false so tokens also reach plain-text
// backends on loopback or inside a mesh, as they do over plain HTTP.
func (h headerCreds) RequireTransportSecurity() bool { return false }

// WithHeader returns c with header name set to value on every request,
// replacing a header of the same name in any spelling; c.Headers is not
// modified.
func (c Config) WithHeader(name, value string) Config {
	h := make(map[string]string, len(c.Headers)+1)
	for k, v := range c.Headers {
		if http.CanonicalHeaderKey(k) != http.CanonicalHeaderKey(name) {
			h[k] = v
		}
	}
	h[name] = value
	c.Headers = h
	return c
}

// ErrorText returns the first line of an error response's body, at most
// 200 bytes, for error messages.
func ErrorText(body []byte) string {
	s := strings.TrimSpace(string(body))
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if len(s) > 200 {
		s = s[:200] + "..."
	}
	return s
}
