package decode

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/go-json-experiment/json/jsontext"
	"google.golang.org/protobuf/encoding/protowire"
)

// errNeedMore reports a prefix too short to tell the format.
var errNeedMore = errors.New("need more input")

// Detect guesses the format of an input from its first bytes (a few hundred
// are usually enough; see the package documentation for the rules). It
// returns an error wrapping ErrUnknownFormat when the prefix matches no
// format or is too short to tell.
func Detect(prefix []byte) (Format, error) {
	f, err := detect(prefix)
	if errors.Is(err, errNeedMore) {
		return "", fmt.Errorf("%w: cannot tell the format from %d bytes", ErrUnknownFormat, len(prefix))
	}
	return f, err
}

// detectPrefix runs detection on growing prefixes of the input (512 bytes,
// then four times more each time, up to bufSize) so that Stream and Bytes
// decide alike whatever the input's size. peek returns the first n bytes, or
// fewer with an error at the end of input. It returns io.EOF for an input
// that is empty or only white space.
func detectPrefix(peek func(n int) ([]byte, error)) (Format, error) {
	for n := 512; ; n *= 4 {
		n = min(n, bufSize)
		p, perr := peek(n)
		if blank(p) && perr != nil {
			if perr == io.EOF {
				return "", io.EOF
			}
			return "", perr
		}
		f, err := detect(p)
		if err == nil {
			return f, nil
		}
		if !errors.Is(err, errNeedMore) || perr != nil || n == bufSize {
			return Detect(p)
		}
	}
}

// memPeek returns a peek function over b for detectPrefix.
func memPeek(b []byte) func(n int) ([]byte, error) {
	return func(n int) ([]byte, error) {
		if n >= len(b) {
			return b, io.EOF
		}
		return b[:n], nil
	}
}

func detect(p []byte) (Format, error) {
	b := bytes.TrimPrefix(p, []byte("\xef\xbb\xbf"))
	b = bytes.TrimLeft(b, " \t\r\n")
	if len(b) == 0 {
		return "", errNeedMore
	}
	switch b[0] {
	case '[':
		return Zipkin, nil
	case '{':
		return detectJSONObject(b)
	case 0x1f:
		if len(b) > 1 && b[1] == 0x8b {
			return "", fmt.Errorf("%w: gzip-compressed input (Stream decompresses it)", ErrUnknownFormat)
		}
	}
	return detectProto(p)
}

// detectJSONObject decides by the names at the top level of the object.
func detectJSONObject(b []byte) (Format, error) {
	dec := jsontext.NewDecoder(bytes.NewReader(b), jsontext.AllowDuplicateNames(true), jsontext.AllowInvalidUTF8(true))
	if _, err := dec.ReadToken(); err != nil {
		return "", errNeedMore
	}
	for {
		if dec.PeekKind() == '}' {
			return "", fmt.Errorf("%w: JSON object without resourceSpans, batches, data, traceID or traceId", ErrUnknownFormat)
		}
		v, err := dec.ReadValue()
		if err != nil {
			return "", jsonPrefixErr(err)
		}
		switch string(bytes.Trim(v, `"`)) {
		case "resourceSpans", "resource_spans", "batches":
			return OTLPJSON, nil
		case "data", "traceID", "processes", "spans", "total", "limit", "offset", "errors":
			return JaegerJSON, nil
		case "traceId", "id", "parentId", "localEndpoint", "remoteEndpoint", "annotations":
			return Zipkin, nil
		}
		if err := dec.SkipValue(); err != nil {
			return "", jsonPrefixErr(err)
		}
	}
}

// jsonPrefixErr tells a truncated prefix from JSON that is malformed.
func jsonPrefixErr(err error) error {
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return errNeedMore
	}
	return fmt.Errorf("%w: malformed JSON: %w", ErrUnknownFormat, err)
}

// detectProto checks the first top-level message of a protobuf input against
// the shapes of a Jaeger Span, a Zipkin Span and an OTLP ResourceSpans.
func detectProto(p []byte) (Format, error) {
	num, typ, n := protowire.ConsumeTag(p)
	if n < 0 {
		if len(p) < 2 {
			return "", errNeedMore
		}
		return "", fmt.Errorf("%w: neither JSON nor protobuf", ErrUnknownFormat)
	}
	if num != 1 || typ != protowire.BytesType {
		return "", fmt.Errorf("%w: protobuf input does not start with field 1 (spans or resource spans)", ErrUnknownFormat)
	}
	size, m := protowire.ConsumeVarint(p[n:])
	if m < 0 {
		return "", errNeedMore
	}
	body := p[n+m:]
	complete := uint64(len(body)) >= size
	if complete {
		body = body[:size]
	} else if len(body) < 64 {
		return "", errNeedMore
	}
	jaeger := checkShape(body, jaegerSpanShape)
	zipkin := checkShape(body, zipkinSpanShape)
	otlp := checkShape(body, otlpResourceSpansShape)
	switch {
	case jaeger && !zipkin && !otlp:
		return JaegerProto, nil
	case zipkin && !jaeger && !otlp:
		return ZipkinProto, nil
	case otlp && !jaeger && !zipkin:
		return OTLPProto, nil
	case jaeger:
		return JaegerProto, nil // the shapes agree on every field present
	case otlp:
		return OTLPProto, nil
	case zipkin:
		return ZipkinProto, nil
	}
	return "", fmt.Errorf("%w: protobuf input matches no OTLP, Jaeger or Zipkin message", ErrUnknownFormat)
}

// shape reports whether a field of a message type may have this number and
// wire type and, for bytes fields, this size and content. v is nil when the
// field is cut off by the end of the prefix; size is then its declared size.
type shape func(num protowire.Number, typ protowire.Type, size int, v []byte) bool

// checkShape reports whether the fields of b (possibly cut short) all fit s
// and b holds at least one field.
func checkShape(b []byte, s shape) bool {
	seen := 0
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return seen > 0 && len(b) < 11 // a tag cut off
		}
		b = b[n:]
		if typ != protowire.BytesType {
			m := protowire.ConsumeFieldValue(num, typ, b)
			if m < 0 {
				return seen > 0 && len(b) < 10 && s(num, typ, 0, nil)
			}
			if !s(num, typ, 0, nil) {
				return false
			}
			b = b[m:]
			seen++
			continue
		}
		size, m := protowire.ConsumeVarint(b)
		if m < 0 {
			return seen > 0 && len(b) < 10
		}
		b = b[m:]
		if uint64(len(b)) < size {
			return s(num, typ, int(min(size, 1<<30)), nil)
		}
		if !s(num, typ, int(size), b[:size]) {
			return false
		}
		b = b[size:]
		seen++
	}
	return seen > 0
}

// jaegerSpanShape is jaeger.api_v2.Span.
func jaegerSpanShape(num protowire.Number, typ protowire.Type, size int, _ []byte) bool {
	switch num {
	case 1:
		return typ == protowire.BytesType && (size == 8 || size == 16)
	case 2:
		return typ == protowire.BytesType && size == 8
	case 5:
		return typ == protowire.VarintType
	case 3, 4, 6, 7, 8, 9, 10, 11, 12:
		return typ == protowire.BytesType
	}
	return false
}

// zipkinSpanShape is zipkin.proto3.Span.
func zipkinSpanShape(num protowire.Number, typ protowire.Type, size int, _ []byte) bool {
	switch num {
	case 1:
		return typ == protowire.BytesType && (size == 8 || size == 16)
	case 2, 3:
		return typ == protowire.BytesType && size == 8
	case 4, 7, 12, 13:
		return typ == protowire.VarintType
	case 6:
		return typ == protowire.Fixed64Type
	case 5, 8, 9, 10, 11:
		return typ == protowire.BytesType
	}
	return false
}

// otlpResourceSpansShape is opentelemetry.proto.trace.v1.ResourceSpans; its
// resource (field 1) must look like a Resource.
func otlpResourceSpansShape(num protowire.Number, typ protowire.Type, size int, v []byte) bool {
	switch num {
	case 1:
		return typ == protowire.BytesType && (size == 0 || v == nil || checkShape(v, otlpResourceShape))
	case 2, 3:
		return typ == protowire.BytesType
	}
	return false
}

// otlpResourceShape is opentelemetry.proto.resource.v1.Resource.
func otlpResourceShape(num protowire.Number, typ protowire.Type, _ int, _ []byte) bool {
	switch num {
	case 1, 3:
		return typ == protowire.BytesType
	case 2:
		return typ == protowire.VarintType
	}
	return false
}
