package conn

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
)

// pki is a test CA with a server certificate for 127.0.0.1 and a client
// certificate, all written as PEM files.
type pki struct {
	caFile, clientCert, clientKey string
	pool                          *x509.CertPool
	server                        tls.Certificate
}

func newPKI(t *testing.T) pki {
	t.Helper()
	dir := t.TempDir()
	write := func(name, typ string, der []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	leaf := func(serial int64, usage x509.ExtKeyUsage) ([]byte, *ecdsa.PrivateKey) {
		key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: "leaf"},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
			ExtKeyUsage: []x509.ExtKeyUsage{usage}, IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
		if err != nil {
			t.Fatal(err)
		}
		return der, key
	}
	srvDER, srvKey := leaf(2, x509.ExtKeyUsageServerAuth)
	cliDER, cliKey := leaf(3, x509.ExtKeyUsageClientAuth)
	cliKeyDER, _ := x509.MarshalECPrivateKey(cliKey)
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	return pki{
		caFile:     write("ca.pem", "CERTIFICATE", caDER),
		clientCert: write("client.pem", "CERTIFICATE", cliDER),
		clientKey:  write("client-key.pem", "EC PRIVATE KEY", cliKeyDER),
		pool:       pool,
		server:     tls.Certificate{Certificate: [][]byte{srvDER}, PrivateKey: srvKey},
	}
}

// TestConfig_HTTPClient_mutualTLS: a backend that requires a client
// certificate refuses a client without one and accepts the configured
// cert_file/key_file, verified against ca_file.
func TestConfig_HTTPClient_mutualTLS(t *testing.T) {
	p := newPKI(t)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(r.TLS.PeerCertificates[0].Subject.CommonName))
	}))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{p.server}, ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: p.pool}
	srv.StartTLS()
	defer srv.Close()
	for _, tc := range []struct {
		name    string
		tls     TLSConfig
		wantErr string
	}{
		{"no client certificate", TLSConfig{CAFile: p.caFile}, "certificate required"},
		{"client certificate", TLSConfig{CAFile: p.caFile, CertFile: p.clientCert, KeyFile: p.clientKey}, ""},
		{"server not trusted", TLSConfig{CertFile: p.clientCert, KeyFile: p.clientKey}, "certificate signed by unknown authority"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Config{URL: srv.URL, TLS: tc.tls, Timeout: 5 * time.Second}.HTTPClient(nil)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := c.Get(srv.URL)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Get error = %v, want it to mention %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var b bytes.Buffer
			b.ReadFrom(resp.Body)
			if b.String() != "leaf" {
				t.Fatalf("server saw client %q", b.String())
			}
		})
	}
	if _, err := (Config{URL: srv.URL, TLS: TLSConfig{CertFile: p.caFile, KeyFile: p.clientKey}}).HTTPClient(nil); err == nil ||
		!strings.Contains(err.Error(), "tls client certificate") {
		t.Fatalf("mismatched certificate and key: %v", err)
	}
}

// TestConfig_insecureSkipVerify_warns: skipping verification reaches a
// server with an untrusted certificate and logs a warning naming the URL.
func TestConfig_insecureSkipVerify_warns(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer srv.Close()
	for _, skip := range []bool{false, true} {
		var logs bytes.Buffer
		log := slog.New(slog.NewTextHandler(&logs, nil))
		c, err := Config{URL: srv.URL, TLS: TLSConfig{InsecureSkipVerify: skip}}.HTTPClient(log)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := c.Get(srv.URL)
		if err == nil {
			resp.Body.Close()
		}
		warned := strings.Contains(logs.String(), "level=WARN") && strings.Contains(logs.String(), "TLS certificate verification is disabled") &&
			strings.Contains(logs.String(), srv.URL)
		if warned != skip || (err == nil) != skip {
			t.Fatalf("skip verify %v: Get error %v, log %q", skip, err, logs.String())
		}
	}
}

// TestConfig_GRPCDialOptions_tls dials a gRPC server over TLS with the
// configured CA and client certificate, sending the bearer token as
// per-RPC metadata.
func TestConfig_GRPCDialOptions_tls(t *testing.T) {
	p := newPKI(t)
	var gotAuth, gotTeam []string
	gs := grpc.NewServer(
		grpc.Creds(credentials.NewTLS(&tls.Config{Certificates: []tls.Certificate{p.server}, ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: p.pool})),
		grpc.UnaryInterceptor(func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
			md, _ := metadata.FromIncomingContext(ctx)
			gotAuth, gotTeam = md.Get("authorization"), md.Get("x-team")
			return h(ctx, req)
		}))
	healthpb.RegisterHealthServer(gs, health.NewServer())
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go gs.Serve(ln)
	defer gs.Stop()
	for _, tc := range []struct {
		name    string
		cfg     Config
		wantErr bool
	}{
		{"ca and client certificate", Config{TLS: TLSConfig{CAFile: p.caFile, CertFile: p.clientCert, KeyFile: p.clientKey}}, false},
		{"system roots only", Config{TLS: TLSConfig{CertFile: p.clientCert, KeyFile: p.clientKey}}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.cfg.URL = "grpcs://" + ln.Addr().String()
			tc.cfg.BearerToken = "tok"
			tc.cfg.Headers = map[string]string{"X-Team": "payments"}
			opts, err := tc.cfg.GRPCDialOptions(nil)
			if err != nil {
				t.Fatal(err)
			}
			cc, err := grpc.NewClient(tc.cfg.GRPCTarget(), opts...)
			if err != nil {
				t.Fatal(err)
			}
			defer cc.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_, err = healthpb.NewHealthClient(cc).Check(ctx, &healthpb.HealthCheckRequest{})
			if (err != nil) != tc.wantErr {
				t.Fatalf("Check error = %v, want error %v", err, tc.wantErr)
			}
			if !tc.wantErr && (len(gotAuth) != 1 || gotAuth[0] != "Bearer tok" || len(gotTeam) != 1 || gotTeam[0] != "payments") {
				t.Fatalf("server saw authorization %q, x-team %q", gotAuth, gotTeam)
			}
		})
	}
}
