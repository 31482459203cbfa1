package decode

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"

	"github.com/spanmap/spanmap/graph/span"
)

// bufSize is the read buffer of Stream, and the longest prefix Auto looks
// at to detect the format.
const bufSize = 64 << 10

// UnknownService is the service name given to OTLP spans whose resource has
// no service.name (as the OpenTelemetry specification and SDKs name them) and
// to Jaeger spans without a process. Zipkin spans without
// localEndpoint.serviceName keep an empty Service instead: Zipkin has no
// default name, and derivation treats such spans as its dependency linker
// does.
const UnknownService = "unknown_service"

// Config bounds the memory and work of one decoding stream.
type Config struct {
	// MaxMessageBytes is the largest unit the decoder holds at once: one OTLP
	// ResourceSpans (protobuf) or resourceSpans element (JSON), one Jaeger
	// trace (JSON) or span, or the spans of a Jaeger protobuf Trace that wait
	// for its process map, one Zipkin span. Larger units fail with ErrTooLarge
	// before they are read into memory.
	MaxMessageBytes int64
	// BatchSpans is the number of spans handed to the batch function per call.
	// Spans that must wait for later input (a Jaeger JSON trace before its
	// processes, an OTLP JSON resourceSpans before its resource) are handed
	// over together, so such a batch may be larger.
	BatchSpans int
	// MaxInternBytes bounds the per-stream table that shares repeated strings
	// (service and operation names, attribute values); when it fills up it
	// starts afresh.
	MaxInternBytes int
}

// DefaultConfig returns limits suited to files and HTTP bodies: 64 MiB per
// message, batches of 1024 spans, 8 MiB of interned strings.
func DefaultConfig() Config {
	return Config{
		MaxMessageBytes: 64 << 20,
		BatchSpans:      1024,
		MaxInternBytes:  8 << 20,
	}
}

// Validate reports a Config whose limits cannot work.
func (c Config) Validate() error {
	switch {
	case c.MaxMessageBytes < 1024:
		return fmt.Errorf("decode config: MaxMessageBytes %d is below 1024", c.MaxMessageBytes)
	case c.MaxMessageBytes > 1<<40:
		return fmt.Errorf("decode config: MaxMessageBytes %d is above 1 TiB", c.MaxMessageBytes)
	case c.BatchSpans < 1:
		return fmt.Errorf("decode config: BatchSpans %d is below 1", c.BatchSpans)
	case c.MaxInternBytes < 0:
		return fmt.Errorf("decode config: MaxInternBytes %d is negative", c.MaxInternBytes)
	}
	return nil
}

// Stream decodes spans from r with DefaultConfig. See Config.Stream.
func Stream(r io.Reader, f Format, fn func(batch []span.Span) error) error {
	return DefaultConfig().Stream(r, f, fn)
}

// Bytes decodes all spans in b with DefaultConfig. See Config.Bytes.
func Bytes(b []byte, f Format) ([]span.Span, error) {
	return DefaultConfig().Bytes(b, f)
}

// Stream decodes spans from r in format f and calls fn with consecutive
// batches until the input ends, fn fails or the input turns out malformed.
// Memory stays bounded by one unit of input (see MaxMessageBytes) whatever
// the size of r. Auto detects the format from the first bytes (see Detect);
// gzip-compressed input is decompressed whatever the format. Empty input is
// zero spans and no error.
//
// The batch slice is reused after fn returns; the Span values in it, their
// strings and Links may be kept. Spans decoded before a malformed one are
// handed to fn before Stream returns the *Error describing the problem. An
// error returned by fn stops decoding and is returned unchanged.
func (c Config) Stream(r io.Reader, f Format, fn func(batch []span.Span) error) error {
	if err := c.Validate(); err != nil {
		return err
	}
	br := bufio.NewReaderSize(r, bufSize)
	if p, _ := br.Peek(2); len(p) == 2 && p[0] == 0x1f && p[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return &Error{Format: f, Offset: 0, Index: -1, Err: fmt.Errorf("gzip: %w", err)}
		}
		defer zr.Close()
		br = bufio.NewReaderSize(zr, bufSize)
	}
	if f == Auto {
		var err error
		if f, err = detectPrefix(br.Peek); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return &Error{Format: Auto, Offset: 0, Index: -1, Err: err}
		}
	}
	return c.run(br, nil, f, fn)
}

// Bytes decodes all spans in b in format f (Auto detects it). On malformed
// input it returns the spans decoded before the problem and the *Error.
// Decoding from memory avoids a copy of b; strings are still copied out of b.
func (c Config) Bytes(b []byte, f Format) ([]span.Span, error) {
	var out []span.Span
	collect := func(batch []span.Span) error {
		out = append(out, batch...)
		return nil
	}
	if len(b) >= 2 && b[0] == 0x1f && b[1] == 0x8b {
		err := c.Stream(bytes.NewReader(b), f, collect)
		return out, err
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	if f == Auto {
		g, err := detectPrefix(memPeek(b))
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil, nil
			}
			return nil, &Error{Format: Auto, Offset: 0, Index: -1, Err: err}
		}
		f = g
	}
	err := c.run(nil, b, f, collect)
	return out, err
}

// blank reports input that holds nothing but white space and byte order
// marks: zero spans in any format that Auto could pick.
func blank(b []byte) bool {
	return len(bytes.TrimLeft(b, " \t\r\n\ufeff")) == 0
}

// skipBOM drops a UTF-8 byte order mark that starts a JSON input and
// returns its length.
func skipBOM(br *bufio.Reader, mem *[]byte) int64 {
	const bom = "\xef\xbb\xbf"
	if br == nil {
		if !bytes.HasPrefix(*mem, []byte(bom)) {
			return 0
		}
		*mem = (*mem)[len(bom):]
		return int64(len(bom))
	}
	if p, _ := br.Peek(3); string(p) == bom {
		br.Discard(3)
		return int64(len(bom))
	}
	return 0
}

// run dispatches to the decoder for f, reading either from br or from mem.
func (c Config) run(br *bufio.Reader, mem []byte, f Format, fn func([]span.Span) error) error {
	em := &emitter{max: c.BatchSpans, hold: -1, fn: fn}
	in := newInterner(c.MaxInternBytes)
	var err error
	switch f {
	case OTLPProto, JaegerProto, ZipkinProto:
		src := newPBStream(br, mem, c.MaxMessageBytes)
		switch f {
		case OTLPProto:
			err = (&otlpProto{em: em, in: in}).run(src)
		case JaegerProto:
			err = (&jaegerProto{em: em, in: in, max: c.MaxMessageBytes}).run(src)
		default:
			err = (&zipkinProto{em: em, in: in}).run(src)
		}
	case OTLPJSON, Zipkin, JaegerJSON:
		bom := skipBOM(br, &mem)
		j := newJSONReader(br, mem, f, c.MaxMessageBytes)
		j.base = bom
		switch f {
		case OTLPJSON:
			err = (&otlpJSON{j: j, em: em, in: in}).run()
		case Zipkin:
			err = (&zipkinJSON{j: j, em: em, in: in}).run()
		default:
			err = (&jaegerJSON{j: j, em: em, in: in}).run()
		}
	default:
		return fmt.Errorf("%w %q", ErrUnknownFormat, string(f))
	}
	if err == nil {
		err = em.flush()
	} else if ferr := em.flush(); ferr != nil {
		err = ferr
	}
	var ce *callbackError
	if errors.As(err, &ce) {
		return ce.err
	}
	return err
}
