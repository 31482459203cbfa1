// Package httpbody reads request bodies for the push receivers: it enforces a
// size limit on the decompressed bytes (so a gzip bomb is cut off at the
// limit, not inflated), understands Content-Encoding gzip and identity, and
// returns errors the receivers map to 413 and 415.
package httpbody

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// ErrTooLarge means the body, after decompression, exceeds the limit.
var ErrTooLarge = errors.New("request body too large")

// ErrUnsupportedEncoding means the Content-Encoding is not gzip or identity.
var ErrUnsupportedEncoding = errors.New("unsupported content encoding")

// ErrMalformed means the body could not be decompressed.
var ErrMalformed = errors.New("malformed request body")

// Read returns the request body, decompressed, refusing more than limit bytes.
func Read(r *http.Request, limit int64) ([]byte, error) {
	if r.ContentLength > limit && headerEncoding(r) == "" {
		return nil, fmt.Errorf("%w: %d bytes, limit %d", ErrTooLarge, r.ContentLength, limit)
	}
	var src io.Reader = r.Body
	switch enc := headerEncoding(r); enc {
	case "", "identity":
	case "gzip", "x-gzip":
		zr, err := gzip.NewReader(io.LimitReader(r.Body, limit+1))
		if err != nil {
			return nil, fmt.Errorf("%w: gzip: %v", ErrMalformed, err)
		}
		defer zr.Close()
		src = zr
	default:
		return nil, fmt.Errorf("%w %q (want gzip or identity)", ErrUnsupportedEncoding, enc)
	}
	var buf bytes.Buffer
	if r.ContentLength > 0 && r.ContentLength <= limit {
		buf.Grow(int(r.ContentLength))
	}
	n, err := buf.ReadFrom(io.LimitReader(src, limit+1))
	if err != nil {
		if errors.Is(err, gzip.ErrChecksum) || errors.Is(err, gzip.ErrHeader) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
		}
		return nil, fmt.Errorf("read body: %w", err)
	}
	if n > limit {
		return nil, fmt.Errorf("%w: more than %d bytes", ErrTooLarge, limit)
	}
	return buf.Bytes(), nil
}

func headerEncoding(r *http.Request) string {
	return strings.ToLower(strings.TrimSpace(r.Header.Get("Content-Encoding")))
}

// MediaType returns the request's media type without parameters, lowercased.
func MediaType(r *http.Request) string {
	ct := r.Header.Get("Content-Type")
	if i := strings.IndexByte(ct, ';'); i >= 0 {
		ct = ct[:i]
	}
	return strings.ToLower(strings.TrimSpace(ct))
}

// Status maps a Read error to its HTTP status: 413, 415 or 400.
func Status(err error) int {
	switch {
	case errors.Is(err, ErrTooLarge):
		return http.StatusRequestEntityTooLarge
	case errors.Is(err, ErrUnsupportedEncoding):
		return http.StatusUnsupportedMediaType
	default:
		return http.StatusBadRequest
	}
}
