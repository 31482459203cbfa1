package decode

import (
	"errors"
	"fmt"
	"strconv"
)

// Sentinel errors. A decoding failure is an *Error whose Err wraps one of these
// when it falls in one of their classes; errors.Is sees through *Error.
var (
	// ErrUnknownFormat reports a format name or an input that is none of the
	// supported formats.
	ErrUnknownFormat = errors.New("unknown format")
	// ErrTooLarge reports a message, trace or value larger than
	// Config.MaxMessageBytes.
	ErrTooLarge = errors.New("message too large")
	// ErrInvalidID reports a missing, malformed or all-zero trace or span ID.
	ErrInvalidID = errors.New("invalid id")
	// ErrSyntax reports input that is not well-formed JSON or protobuf.
	ErrSyntax = errors.New("syntax error")
)

// Error is a decoding failure at a known place in the input, for example
// "zipkin: span 3 at byte 1042: traceId: invalid hex "xyz"".
type Error struct {
	// Format is the format being decoded.
	Format Format
	// Offset is the byte offset in the input where the problem was found
	// (the start of the offending value or message), -1 if unknown.
	Offset int64
	// Index is the 0-based position, in the whole input, of the span being
	// decoded, -1 if the problem is outside any span.
	Index int
	// Err describes the problem.
	Err error
}

// Error formats the failure as "format: span N at byte M: problem".
func (e *Error) Error() string {
	b := make([]byte, 0, 64)
	b = append(b, e.Format...)
	b = append(b, ':')
	if e.Index >= 0 {
		b = append(b, " span "...)
		b = strconv.AppendInt(b, int64(e.Index), 10)
	}
	if e.Offset >= 0 {
		b = append(b, " at byte "...)
		b = strconv.AppendInt(b, e.Offset, 10)
	}
	if e.Index >= 0 || e.Offset >= 0 {
		b = append(b, ':')
	}
	b = append(b, ' ')
	if e.Err != nil {
		b = append(b, e.Err.Error()...)
	} else {
		b = append(b, "unknown error"...)
	}
	return string(b)
}

// Unwrap returns the underlying problem.
func (e *Error) Unwrap() error { return e.Err }

// fieldError is a problem with one named field of a span.
type fieldError struct {
	field string
	msg   string
	kind  error // sentinel, may be nil
}

func (e *fieldError) Error() string { return e.field + ": " + e.msg }
func (e *fieldError) Unwrap() error { return e.kind }

func fieldErr(field string, kind error, format string, args ...any) error {
	return &fieldError{field: field, msg: fmt.Sprintf(format, args...), kind: kind}
}

// callbackError carries an error returned by the caller's batch function so
// that Stream returns it unchanged.
type callbackError struct{ err error }

func (e *callbackError) Error() string { return e.err.Error() }
func (e *callbackError) Unwrap() error { return e.err }

// quoteTrunc quotes input for an error message, shortening long values.
func quoteTrunc(b []byte) string {
	const max = 40
	if len(b) > max {
		return strconv.Quote(string(b[:max])) + "..."
	}
	return strconv.Quote(string(b))
}
