package token

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spanmap/spanmap/graph"
)

// Version is the format prefix of the tokens this package signs.
const Version = "v1"

// MinKeyLen is the shortest signing key accepted, in bytes.
const MinKeyLen = 32

// MaxLen bounds the length of a token Verify looks at, in bytes.
const MaxLen = 4096

// Errors returned by Verify; the expired case is an *ExpiredError, which
// matches ErrExpired with errors.Is.
var (
	// ErrMalformed is a token that is not "v1.<payload>.<signature>" or
	// whose payload cannot be read.
	ErrMalformed = errors.New("embed token is malformed")
	// ErrSignature is a token whose signature does not match: altered, or
	// signed with another key (the key may have been changed since).
	ErrSignature = errors.New("embed token is not valid: altered, or signed with another key")
	// ErrExpired is a token past its expiry time.
	ErrExpired = errors.New("embed token expired")
	// ErrKeyTooShort is a signing key shorter than MinKeyLen bytes.
	ErrKeyTooShort = fmt.Errorf("embed key must be at least %d bytes", MinKeyLen)
)

// ExpiredError is a genuine token past its expiry time.
type ExpiredError struct {
	// At is when the token expired.
	At time.Time
}

// Error implements error: "embed token expired at 2025-01-02T15:04:05Z".
func (e *ExpiredError) Error() string {
	return "embed token expired at " + e.At.UTC().Format(time.RFC3339)
}

// Is makes errors.Is(err, ErrExpired) true.
func (e *ExpiredError) Is(target error) bool { return target == ErrExpired }

// Claims is what a genuine token says.
type Claims struct {
	// View is the one View the token is for, in canonical form.
	View graph.View
	// Expires is when the token stops being accepted, to the second.
	Expires time.Time
}

// ViewKey returns the canonical encoding of the token's View, the key to
// compare requested Views against.
func (c Claims) ViewKey() string { return c.View.Encode() }

// Signer signs and verifies tokens with one key. It is safe for concurrent
// use.
type Signer struct {
	key []byte
	now func() time.Time
}

// NewSigner returns a Signer for key (at least MinKeyLen bytes; it is
// copied). now is the clock (time.Now when nil).
func NewSigner(key []byte, now func() time.Time) (*Signer, error) {
	if len(key) < MinKeyLen {
		return nil, fmt.Errorf("%w, got %d", ErrKeyTooShort, len(key))
	}
	if now == nil {
		now = time.Now
	}
	return &Signer{key: bytes.Clone(key), now: now}, nil
}

// GenerateKey returns a random key of MinKeyLen bytes.
func GenerateKey() ([]byte, error) {
	k := make([]byte, MinKeyLen)
	if _, err := rand.Read(k); err != nil {
		return nil, fmt.Errorf("generate embed key: %w", err)
	}
	return k, nil
}

// ReadKeyFile reads a key from path: the file's content without leading
// and trailing white space (so `head -c 48 /dev/urandom | base64 > key`
// makes a good one), at least MinKeyLen bytes.
func ReadKeyFile(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("embed key file: %w", err)
	}
	k := bytes.TrimSpace(b)
	if len(k) < MinKeyLen {
		return nil, fmt.Errorf("embed key file %s: %w, got %d", path, ErrKeyTooShort, len(k))
	}
	return k, nil
}

// Sign returns a token for v that expires at expires (truncated to the
// second). v must be a valid View.
func (s *Signer) Sign(v graph.View, expires time.Time) (string, error) {
	if err := v.Validate(); err != nil {
		return "", err
	}
	if expires.Unix() <= 0 {
		return "", fmt.Errorf("embed token expiry %s is before 1970", expires)
	}
	payload := strconv.FormatInt(expires.Unix(), 10) + "\n" + v.Encode()
	signed := Version + "." + base64.RawURLEncoding.EncodeToString([]byte(payload))
	return signed + "." + base64.RawURLEncoding.EncodeToString(s.mac(signed)), nil
}

// Mint returns a token for v valid for ttl from now, and its expiry.
func (s *Signer) Mint(v graph.View, ttl time.Duration) (string, time.Time, error) {
	if ttl < time.Second {
		return "", time.Time{}, fmt.Errorf("embed token lifetime %s is shorter than a second", ttl)
	}
	exp := s.now().Add(ttl).Truncate(time.Second).UTC()
	tok, err := s.Sign(v, exp)
	return tok, exp, err
}

// Verify checks tok's signature, then its expiry, and returns its claims.
// Errors are ErrMalformed, ErrSignature (both wrapped with detail) or an
// *ExpiredError.
func (s *Signer) Verify(tok string) (Claims, error) {
	if len(tok) > MaxLen {
		return Claims{}, fmt.Errorf("%w: longer than %d bytes", ErrMalformed, MaxLen)
	}
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return Claims{}, fmt.Errorf("%w: want %s.<payload>.<signature>", ErrMalformed, Version)
	}
	if parts[0] != Version {
		return Claims{}, fmt.Errorf("%w: unknown version %q, want %q", ErrMalformed, parts[0], Version)
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return Claims{}, fmt.Errorf("%w: signature is not URL-safe base64", ErrMalformed)
	}
	if !hmac.Equal(sig, s.mac(parts[0]+"."+parts[1])) {
		return Claims{}, ErrSignature
	}
	c, err := parsePayload(parts[1])
	if err != nil {
		return Claims{}, err
	}
	if !s.now().Before(c.Expires) {
		return Claims{}, &ExpiredError{At: c.Expires}
	}
	return c, nil
}

// parsePayload reads the expiry and View of a signed payload.
func parsePayload(p string) (Claims, error) {
	b, err := base64.RawURLEncoding.DecodeString(p)
	if err != nil {
		return Claims{}, fmt.Errorf("%w: payload is not URL-safe base64", ErrMalformed)
	}
	exp, view, ok := strings.Cut(string(b), "\n")
	if !ok {
		return Claims{}, fmt.Errorf("%w: payload has no View", ErrMalformed)
	}
	secs, err := strconv.ParseInt(exp, 10, 64)
	if err != nil || secs <= 0 {
		return Claims{}, fmt.Errorf("%w: bad expiry %q", ErrMalformed, exp)
	}
	v, err := graph.ParseView(view)
	if err != nil {
		return Claims{}, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	return Claims{View: v, Expires: time.Unix(secs, 0).UTC()}, nil
}

// mac is the HMAC-SHA256 of s under the signer's key.
func (s *Signer) mac(msg string) []byte {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte(msg))
	return m.Sum(nil)
}
