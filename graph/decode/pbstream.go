package decode

import (
	"bufio"
	"errors"
	"fmt"
	"io"

	"google.golang.org/protobuf/encoding/protowire"
)

// pbStream reads the top-level fields of a protobuf message one at a time,
// either from a reader (holding one field's bytes at once) or from memory.
// Top-level repeated fields are how OTLP's ExportTraceServiceRequest, Jaeger's
// Trace and SpansResponseChunk and Zipkin's ListOfSpans carry their items, so
// streaming them keeps memory bounded by one item.
type pbStream struct {
	r   *bufio.Reader
	mem []byte
	off int64 // offset of the next unread byte
	buf []byte
	max int64
}

func newPBStream(r *bufio.Reader, mem []byte, max int64) *pbStream {
	return &pbStream{r: r, mem: mem, max: max}
}

// pbField is one top-level field. For bytes fields of the wanted number,
// data holds the payload, valid until the next call of next.
type pbField struct {
	num   protowire.Number
	typ   protowire.Type
	data  []byte
	start int64 // offset of the payload (or value)
	tag   int64 // offset of the tag
}

// next reads the next top-level field, keeping the payload only when the
// field is a bytes field whose number want accepts. It returns io.EOF at a
// clean end of input.
func (p *pbStream) next(want func(protowire.Number) bool) (pbField, error) {
	var f pbField
	f.tag = p.off
	v, err := p.varint()
	if err != nil {
		if err == io.EOF {
			return f, io.EOF
		}
		return f, p.errAt(f.tag, err)
	}
	if v>>3 == 0 || v>>3 > uint64(protowire.MaxValidNumber) {
		return f, p.errAt(f.tag, syntaxErr("invalid field number %d", v>>3))
	}
	f.num, f.typ = protowire.DecodeTag(v)
	switch f.typ {
	case protowire.VarintType:
		f.start = p.off
		_, err = p.varint()
	case protowire.Fixed32Type:
		f.start = p.off
		err = p.skip(4)
	case protowire.Fixed64Type:
		f.start = p.off
		err = p.skip(8)
	case protowire.BytesType:
		var n uint64
		lenAt := p.off
		if n, err = p.varint(); err != nil {
			break
		}
		f.start = p.off
		if n > uint64(p.max) {
			return f, p.errAt(lenAt, fmt.Errorf("%w: field %d is %d bytes, limit %d", ErrTooLarge, f.num, n, p.max))
		}
		if want(f.num) {
			f.data, err = p.read(int(n))
		} else {
			err = p.skip(int64(n))
		}
	default:
		return f, p.errAt(f.tag, syntaxErr("unsupported wire type %d for field %d", f.typ, f.num))
	}
	if err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return f, p.errAt(f.tag, err)
	}
	return f, nil
}

func (p *pbStream) errAt(off int64, err error) error {
	if errors.Is(err, io.ErrUnexpectedEOF) {
		err = syntaxErr("unexpected end of input")
	}
	return &pbError{off: off, err: err}
}

// syntaxErr reports malformed protobuf.
func syntaxErr(format string, args ...any) error {
	return fieldErr("invalid protobuf", ErrSyntax, format, args...)
}

// pbError is a stream-level problem; the decoder adds its format.
type pbError struct {
	off int64
	err error
}

func (e *pbError) Error() string { return e.err.Error() }
func (e *pbError) Unwrap() error { return e.err }

// varint reads one varint; io.EOF only if no byte at all was available.
func (p *pbStream) varint() (uint64, error) {
	var v uint64
	for i := 0; i < 10; i++ {
		c, err := p.byte()
		if err != nil {
			if i > 0 && err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return 0, err
		}
		if i == 9 && c > 1 {
			return 0, syntaxErr("varint overflows 64 bits")
		}
		v |= uint64(c&0x7f) << (7 * i)
		if c < 0x80 {
			return v, nil
		}
	}
	return 0, syntaxErr("varint overflows 64 bits")
}

func (p *pbStream) byte() (byte, error) {
	if p.r == nil {
		if p.off >= int64(len(p.mem)) {
			return 0, io.EOF
		}
		c := p.mem[p.off]
		p.off++
		return c, nil
	}
	c, err := p.r.ReadByte()
	if err == nil {
		p.off++
	}
	return c, err
}

func (p *pbStream) skip(n int64) error {
	if p.r == nil {
		if int64(len(p.mem))-p.off < n {
			p.off = int64(len(p.mem))
			return io.ErrUnexpectedEOF
		}
		p.off += n
		return nil
	}
	m, err := io.CopyN(io.Discard, p.r, n)
	p.off += m
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return err
}

// read returns the next n bytes. From a reader it grows its buffer as data
// arrives, so a false length prefix costs memory only for bytes really sent.
func (p *pbStream) read(n int) ([]byte, error) {
	if p.r == nil {
		if int64(len(p.mem))-p.off < int64(n) {
			p.off = int64(len(p.mem))
			return nil, io.ErrUnexpectedEOF
		}
		b := p.mem[p.off : p.off+int64(n) : p.off+int64(n)]
		p.off += int64(n)
		return b, nil
	}
	b := p.buf[:0]
	for len(b) < n {
		chunk := min(n-len(b), max(len(b), 64<<10))
		if cap(b)-len(b) < chunk {
			nb := make([]byte, len(b), len(b)+chunk)
			copy(nb, b)
			b = nb
		}
		m, err := io.ReadFull(p.r, b[len(b):len(b)+chunk])
		b = b[:len(b)+m]
		p.off += int64(m)
		if err != nil {
			p.buf = b
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return nil, err
		}
	}
	p.buf = b
	return b, nil
}

// msgReader walks the fields of an in-memory message, tracking offsets.
type msgReader struct {
	b    []byte
	pos  int
	base int64 // stream offset of b[0]
}

// field reads the next tag and, for bytes fields, the payload. For other
// wire types, it reads the scalar into v. ok is false at the end; err reports
// malformed input.
func (m *msgReader) field() (num protowire.Number, typ protowire.Type, data []byte, v uint64, err error) {
	b := m.b[m.pos:]
	// Fast path: a one-byte tag (fields 1-15) followed by a one-byte length
	// or varint, which is most fields of spans.
	if len(b) >= 2 && b[0] < 0x80 && b[0] >= 8 && b[1] < 0x80 {
		num, typ = protowire.Number(b[0]>>3), protowire.Type(b[0]&7)
		switch typ {
		case protowire.BytesType:
			if end := 2 + int(b[1]); end <= len(b) {
				m.pos += end
				return num, typ, b[2:end], 0, nil
			}
		case protowire.VarintType:
			m.pos += 2
			return num, typ, nil, uint64(b[1]), nil
		}
	}
	num, typ, n := protowire.ConsumeTag(b)
	if n < 0 {
		return 0, 0, nil, 0, m.fail(n)
	}
	b = b[n:]
	switch typ {
	case protowire.BytesType:
		data, n = protowire.ConsumeBytes(b)
	case protowire.VarintType:
		v, n = protowire.ConsumeVarint(b)
	case protowire.Fixed64Type:
		v, n = protowire.ConsumeFixed64(b)
	case protowire.Fixed32Type:
		var v32 uint32
		v32, n = protowire.ConsumeFixed32(b)
		v = uint64(v32)
	default:
		n = protowire.ConsumeFieldValue(num, typ, b)
	}
	if n < 0 {
		return 0, 0, nil, 0, m.fail(n)
	}
	m.pos += len(m.b[m.pos:]) - len(b) + n
	return num, typ, data, v, nil
}

// more reports whether fields remain.
func (m *msgReader) more() bool { return m.pos < len(m.b) }

// offsetOf returns the stream offset of a sub-slice of m.b.
func (m *msgReader) offsetOf(sub []byte) int64 {
	if len(sub) == 0 {
		return m.base + int64(m.pos)
	}
	return m.base + int64(cap(m.b)-cap(sub))
}

func (m *msgReader) fail(code int) error {
	return &pbError{off: m.base + int64(m.pos), err: syntaxErr("%v", protowire.ParseError(code))}
}
