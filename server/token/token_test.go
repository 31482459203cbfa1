package token

import (
	"encoding/base64"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spanmap/spanmap/graph"
)

var (
	testKey  = []byte("0123456789abcdef0123456789abcdef")
	otherKey = []byte("fedcba9876543210fedcba9876543210")
	t0       = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
)

func mustView(t *testing.T, q string) graph.View {
	t.Helper()
	v, err := graph.ParseView(q)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func signer(t *testing.T, key []byte, now time.Time) *Signer {
	t.Helper()
	s, err := NewSigner(key, func() time.Time { return now })
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSigner_Verify_roundTrip(t *testing.T) {
	s := signer(t, testKey, t0)
	for _, q := range []string{"", "focus=checkout&up=2", "window=1h&group=namespace&errors_only=true",
		"from=2025-01-01T00:00:00Z&to=2025-01-02T00:00:00Z&focus=a%26b%3Dc%20d%C3%A9"} {
		t.Run(q, func(t *testing.T) {
			v := mustView(t, q)
			tok, exp, err := s.Mint(v, 720*time.Hour)
			if err != nil {
				t.Fatal(err)
			}
			if url.QueryEscape(tok) != tok {
				t.Errorf("token %q needs escaping in a query string", tok)
			}
			if !strings.HasPrefix(tok, "v1.") {
				t.Errorf("token %q lacks the v1 prefix", tok)
			}
			c, err := s.Verify(tok)
			if err != nil {
				t.Fatal(err)
			}
			if c.ViewKey() != v.Encode() || c.View != v {
				t.Errorf("view = %q, want %q", c.ViewKey(), v.Encode())
			}
			if !c.Expires.Equal(exp) || !exp.Equal(t0.Add(720*time.Hour)) {
				t.Errorf("expires = %s (minted %s), want %s", c.Expires, exp, t0.Add(720*time.Hour))
			}
		})
	}
}

func TestSigner_Verify_canonicalView(t *testing.T) {
	s := signer(t, testKey, t0)
	a, err := s.Sign(mustView(t, "up=1&focus=x&window=5m&layout=dot-lr"), t0.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	c, err := s.Verify(a)
	if err != nil {
		t.Fatal(err)
	}
	if c.ViewKey() != "focus=x" {
		t.Fatalf("view key %q, want the canonical focus=x", c.ViewKey())
	}
}

func TestSigner_Verify_rejects(t *testing.T) {
	s := signer(t, testKey, t0)
	good, err := s.Sign(mustView(t, "focus=checkout"), t0.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(good, ".")
	forged := base64.RawURLEncoding.EncodeToString([]byte("1900000000\nfocus=payment"))
	flip := []byte(parts[2])
	if flip[0] == 'A' {
		flip[0] = 'B'
	} else {
		flip[0] = 'A'
	}
	other, err := signer(t, otherKey, t0).Sign(mustView(t, "focus=checkout"), t0.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, tok string
		want      error
	}{
		{"empty", "", ErrMalformed},
		{"two parts", parts[0] + "." + parts[1], ErrMalformed},
		{"four parts", good + ".x", ErrMalformed},
		{"other version", "v2." + parts[1] + "." + parts[2], ErrMalformed},
		{"signature not base64", parts[0] + "." + parts[1] + ".%%%", ErrMalformed},
		{"payload swapped", parts[0] + "." + forged + "." + parts[2], ErrSignature},
		{"signature altered", parts[0] + "." + parts[1] + "." + string(flip), ErrSignature},
		{"signature truncated", good[:len(good)-3], ErrSignature},
		{"other key", other, ErrSignature},
		{"huge", "v1." + strings.Repeat("A", MaxLen) + ".x", ErrMalformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.Verify(tc.tok)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Verify = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestSigner_Verify_expired(t *testing.T) {
	exp := t0.Add(time.Hour)
	tok, err := signer(t, testKey, t0).Sign(mustView(t, ""), exp)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		now time.Time
		ok  bool
	}{
		{exp.Add(-time.Second), true},
		{exp, false},
		{exp.Add(24 * time.Hour), false},
	} {
		_, err := signer(t, testKey, tc.now).Verify(tok)
		if tc.ok != (err == nil) {
			t.Fatalf("at %s: Verify = %v, want ok=%v", tc.now, err, tc.ok)
		}
		if err == nil {
			continue
		}
		var ee *ExpiredError
		if !errors.As(err, &ee) || !errors.Is(err, ErrExpired) || !ee.At.Equal(exp) {
			t.Fatalf("Verify = %v, want an ExpiredError at %s", err, exp)
		}
		if want := "embed token expired at 2025-03-01T13:00:00Z"; err.Error() != want {
			t.Fatalf("message %q, want %q", err, want)
		}
	}
}

// A payload signed with the right key but holding a bad View is refused as
// malformed rather than trusted.
func TestSigner_Verify_badPayload(t *testing.T) {
	s := signer(t, testKey, t0)
	for _, payload := range []string{"1900000000", "x\nfocus=a", "1900000000\nbogus=1", "-5\n"} {
		signed := "v1." + base64.RawURLEncoding.EncodeToString([]byte(payload))
		tok := signed + "." + base64.RawURLEncoding.EncodeToString(s.mac(signed))
		if _, err := s.Verify(tok); !errors.Is(err, ErrMalformed) {
			t.Errorf("payload %q: Verify = %v, want ErrMalformed", payload, err)
		}
	}
}

func TestSigner_Mint_rejects(t *testing.T) {
	s := signer(t, testKey, t0)
	if _, _, err := s.Mint(graph.DefaultView(), 0); err == nil {
		t.Error("Mint with zero lifetime succeeded")
	}
	if _, _, err := s.Mint(graph.View{Up: 99, Focus: "a"}, time.Hour); err == nil {
		t.Error("Mint of an invalid View succeeded")
	}
	if _, err := s.Sign(graph.DefaultView(), time.Unix(0, 0)); err == nil {
		t.Error("Sign with expiry at the epoch succeeded")
	}
}

func TestNewSigner_shortKey(t *testing.T) {
	if _, err := NewSigner(testKey[:MinKeyLen-1], nil); !errors.Is(err, ErrKeyTooShort) {
		t.Fatalf("NewSigner(31 bytes) = %v, want ErrKeyTooShort", err)
	}
	k, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	k2, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	if len(k) != MinKeyLen || string(k) == string(k2) {
		t.Fatalf("GenerateKey gave %d bytes, repeated=%v", len(k), string(k) == string(k2))
	}
	if _, err := NewSigner(k, nil); err != nil {
		t.Fatal(err)
	}
}

func TestReadKeyFile(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	k, err := ReadKeyFile(write("ok", "\n  "+string(testKey)+"\n"))
	if err != nil || string(k) != string(testKey) {
		t.Fatalf("ReadKeyFile = %q, %v", k, err)
	}
	if _, err := ReadKeyFile(write("short", "too short\n")); !errors.Is(err, ErrKeyTooShort) {
		t.Fatalf("short key file: %v", err)
	}
	if _, err := ReadKeyFile(filepath.Join(dir, "missing")); err == nil || !strings.Contains(err.Error(), "missing") {
		t.Fatalf("missing key file: %v", err)
	}
}
