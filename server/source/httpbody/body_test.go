package httpbody

import (
	"bytes"
	"compress/gzip"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func gz(b []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(b)
	zw.Close()
	return buf.Bytes()
}

func TestRead(t *testing.T) {
	body := []byte(strings.Repeat("span", 256)) // 1 KiB
	for _, tc := range []struct {
		name, enc string
		in        []byte
		limit     int64
		want      error
		status    int
	}{
		{"identity", "", body, 1024, nil, 200},
		{"identity named", "identity", body, 1024, nil, 200},
		{"gzip", "gzip", gz(body), 1024, nil, 200},
		{"x-gzip", "X-Gzip", gz(body), 1024, nil, 200},
		{"over the limit", "", body, 1023, ErrTooLarge, 413},
		{"gzip inflating past the limit", "gzip", gz(make([]byte, 1<<20)), 1024, ErrTooLarge, 413},
		{"not gzip", "gzip", body, 1024, ErrMalformed, 400},
		{"truncated gzip", "gzip", gz(body)[:20], 1024, ErrMalformed, 400},
		{"unknown encoding", "br", body, 1024, ErrUnsupportedEncoding, 415},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(tc.in))
			if tc.enc != "" {
				r.Header.Set("Content-Encoding", tc.enc)
			}
			got, err := Read(r, tc.limit)
			if !errors.Is(err, tc.want) || (err == nil && !bytes.Equal(got, body)) {
				t.Fatalf("Read = %d bytes, %v; want %v", len(got), err, tc.want)
			}
			if err != nil && Status(err) != tc.status {
				t.Fatalf("Status(%v) = %d, want %d", err, Status(err), tc.status)
			}
		})
	}
}

func TestMediaType(t *testing.T) {
	r := httptest.NewRequest(http.MethodPost, "/", nil)
	r.Header.Set("Content-Type", " Application/JSON ; charset=utf-8")
	if got := MediaType(r); got != "application/json" {
		t.Fatalf("MediaType = %q", got)
	}
}
