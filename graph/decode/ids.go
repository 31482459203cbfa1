package decode

import (
	"github.com/spanmap/spanmap/graph/span"
)

// unhex returns the value of a hex digit, or 0xff.
func unhex(c byte) byte {
	switch {
	case '0' <= c && c <= '9':
		return c - '0'
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10
	}
	return 0xff
}

// hexInto decodes the hex digits of src into the right end of dst, padding
// the left with zeros. src must hold at most 2*len(dst) digits.
func hexInto(dst, src []byte) bool {
	clear(dst)
	j := len(dst) - 1
	for i := len(src); i > 0; i -= 2 {
		lo := unhex(src[i-1])
		var hi byte
		if i >= 2 {
			hi = unhex(src[i-2])
		}
		if lo > 15 || hi > 15 {
			return false
		}
		dst[j] = hi<<4 | lo
		j--
	}
	return true
}

// idRule says which hex lengths an ID field accepts.
type idRule uint8

const (
	// idExact accepts exactly 2*len(dst) digits (OTLP JSON).
	idExact idRule = iota
	// idUpTo accepts 1 to 2*len(dst) digits, left-padded with zeros, as
	// Zipkin and Jaeger themselves do.
	idUpTo
)

// parseHex decodes a hex ID field into dst, checking length and digits.
func parseHex(field string, dst []byte, src []byte, rule idRule) error {
	want := 2 * len(dst)
	switch {
	case len(src) == 0:
		return fieldErr(field, ErrInvalidID, "empty")
	case rule == idExact && len(src) != want:
		return fieldErr(field, ErrInvalidID, "want %d hex digits, got %d", want, len(src))
	case len(src) > want:
		return fieldErr(field, ErrInvalidID, "too long (%d hex digits, at most %d)", len(src), want)
	}
	if !hexInto(dst, src) {
		return fieldErr(field, ErrInvalidID, "invalid hex %s", quoteTrunc(src))
	}
	return nil
}

// parseTraceIDHex decodes a hex trace ID; 16-digit IDs are right-aligned.
func parseTraceIDHex(field string, src []byte, rule idRule) (span.TraceID, error) {
	var t span.TraceID
	if err := parseHex(field, t[:], src, rule); err != nil {
		return t, err
	}
	if t.IsZero() {
		return t, fieldErr(field, ErrInvalidID, "all zeros")
	}
	return t, nil
}

// parseSpanIDHex decodes a hex span ID.
func parseSpanIDHex(field string, src []byte, rule idRule) (span.SpanID, error) {
	var s span.SpanID
	err := parseHex(field, s[:], src, rule)
	return s, err
}

// traceIDBytes takes a binary trace ID of 16 bytes, or 8 when short is set
// (stored right-aligned).
func traceIDBytes(field string, b []byte, short bool) (span.TraceID, error) {
	var t span.TraceID
	switch {
	case len(b) == 16:
		copy(t[:], b)
	case short && len(b) == 8:
		copy(t[8:], b)
	case len(b) == 0:
		return t, fieldErr(field, ErrInvalidID, "missing")
	case short:
		return t, fieldErr(field, ErrInvalidID, "length %d bytes, want 8 or 16", len(b))
	default:
		return t, fieldErr(field, ErrInvalidID, "length %d bytes, want 16", len(b))
	}
	if t.IsZero() {
		return t, fieldErr(field, ErrInvalidID, "all zeros")
	}
	return t, nil
}

// spanIDBytes takes a binary span ID of 8 bytes; empty is the zero ID.
func spanIDBytes(field string, b []byte) (span.SpanID, error) {
	var s span.SpanID
	switch len(b) {
	case 0:
	case 8:
		copy(s[:], b)
	default:
		return s, fieldErr(field, ErrInvalidID, "length %d bytes, want 8", len(b))
	}
	return s, nil
}

// requireSpanID reports a missing (zero) span ID.
func requireSpanID(field string, s span.SpanID) error {
	if s.IsZero() {
		return fieldErr(field, ErrInvalidID, "missing or all zeros")
	}
	return nil
}
