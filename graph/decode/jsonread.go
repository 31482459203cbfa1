package decode

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/go-json-experiment/json/jsontext"
)

// jsonReader is a pull parser over a stream of JSON values (one document,
// or several concatenated or newline-delimited ones). It hands out names and
// scalar values as byte slices valid until the next call, so decoders look
// at them without allocating.
type jsonReader struct {
	dec    *jsontext.Decoder
	format Format
	lim    *limitReader // nil when decoding from memory
	max    int64
	base   int64  // bytes skipped before the decoder's input (a byte order mark)
	unit   int64  // offset where the current unit (span, trace) started
	last   int64  // offset of the value read last, for errors
	scr    []byte // unquoting scratch for values
	scrKey []byte // unquoting scratch for attribute keys
	scrNam []byte // unquoting scratch for member names in rawScan
}

func newJSONReader(br *bufio.Reader, mem []byte, f Format, max int64) *jsonReader {
	opts := []jsontext.Options{jsontext.AllowDuplicateNames(true), jsontext.AllowInvalidUTF8(true)}
	j := &jsonReader{format: f, max: max}
	if br != nil {
		j.lim = &limitReader{r: br, max: max}
		j.dec = jsontext.NewDecoder(j.lim, opts...)
	} else {
		j.dec = jsontext.NewDecoder(bytes.NewBuffer(mem), opts...)
	}
	return j
}

// limitReader fails the read when the decoder would buffer more than the
// unit limit (plus slack for the decoder's read-ahead) since the unit began,
// so one huge string or value cannot exhaust memory.
type limitReader struct {
	r    io.Reader
	read int64
	mark int64
	max  int64
}

func (l *limitReader) Read(p []byte) (int, error) {
	if l.read-l.mark > l.max+64<<10 {
		return 0, errReadLimit
	}
	n, err := l.r.Read(p)
	l.read += int64(n)
	return n, err
}

// startUnit marks the start of a unit whose size MaxMessageBytes bounds.
func (j *jsonReader) startUnit() {
	j.unit = j.dec.InputOffset()
	if j.lim != nil {
		j.lim.mark = j.unit
	}
}

// checkUnit reports a unit that grew past the limit.
func (j *jsonReader) checkUnit(what string) error {
	if n := j.dec.InputOffset() - j.unit; n > j.max {
		j.last = j.unit
		return fmt.Errorf("%w: %s is more than %d bytes", ErrTooLarge, what, j.max)
	}
	return nil
}

// peek returns the kind of the next token, 0 at the end or on error (the
// next read returns the error).
func (j *jsonReader) peek() jsontext.Kind { return j.dec.PeekKind() }

// more reports whether the current object or array has more members.
func (j *jsonReader) more() bool {
	k := j.dec.PeekKind()
	return k != 0 && k != '}' && k != ']'
}

// open reads the '{' or '[' that starts the value of field.
func (j *jsonReader) open(want jsontext.Kind, field string) error {
	if k := j.dec.PeekKind(); k != want && k != 0 {
		j.last = j.dec.InputOffset()
		return typeErr(field, want, k)
	}
	_, err := j.dec.ReadToken()
	return err
}

// close reads the '}' or ']' that ends the current value.
func (j *jsonReader) close() error {
	_, err := j.dec.ReadToken()
	return err
}

// name reads an object member name.
func (j *jsonReader) name() ([]byte, error) {
	v, err := j.dec.ReadValue()
	if err != nil {
		return nil, err
	}
	return j.unquote(v), nil
}

// skip skips the next value, however deep. Reading it whole is faster than
// token by token; limitReader bounds its size.
func (j *jsonReader) skip() error {
	_, err := j.dec.ReadValue()
	return err
}

// raw reads the next value, which must be a scalar, returning its kind and
// bytes (unquoted for strings).
func (j *jsonReader) raw() (jsontext.Kind, []byte, error) {
	v, err := j.dec.ReadValue()
	if err != nil {
		return 0, nil, err
	}
	j.last = j.dec.InputOffset() - int64(len(v))
	k := v.Kind()
	if k == '"' {
		return k, j.unquote(v), nil
	}
	return k, v, nil
}

// unquote returns the content of a JSON string, decoding escapes.
func (j *jsonReader) unquote(v []byte) []byte {
	if len(v) < 2 {
		return nil
	}
	if bytes.IndexByte(v, '\\') < 0 {
		return v[1 : len(v)-1]
	}
	j.scr, _ = jsontext.AppendUnquote(j.scr[:0], v)
	return j.scr
}

// str reads a string value; null reads as absent (ok false).
func (j *jsonReader) str(field string) (b []byte, ok bool, err error) {
	switch k := j.dec.PeekKind(); k {
	case '"':
		_, b, err = j.raw()
		return b, err == nil, err
	case 'n':
		_, _, err = j.raw()
		return nil, false, err
	case '{', '[':
		j.last = j.dec.InputOffset()
		return nil, false, typeErr(field, '"', k)
	default:
		k, _, err := j.raw()
		if err != nil {
			return nil, false, err
		}
		return nil, false, typeErr(field, '"', k)
	}
}

// integer reads a number, or a string holding one (as protojson writes
// 64-bit integers); null reads as absent.
func (j *jsonReader) integer(field string) (n int64, ok bool, err error) {
	k := j.dec.PeekKind()
	if k == '{' || k == '[' {
		j.last = j.dec.InputOffset()
		return 0, false, typeErr(field, '0', k)
	}
	k, b, err := j.raw()
	switch {
	case err != nil:
		return 0, false, err
	case k == 'n':
		return 0, false, nil
	case k != '0' && k != '"':
		return 0, false, typeErr(field, '0', k)
	}
	if n, ok := parseDecimal(b); ok {
		return n, true, nil
	}
	f, perr := strconv.ParseFloat(string(b), 64)
	if perr != nil || f != math.Trunc(f) || math.Abs(f) >= 1<<63 {
		return 0, false, fieldErr(field, ErrSyntax, "invalid integer %s", quoteTrunc(b))
	}
	return int64(f), true, nil
}

// unsigned reads a uint64 number or numeric string (OTLP timestamps).
func (j *jsonReader) unsigned(field string) (uint64, error) {
	k := j.dec.PeekKind()
	if k == '{' || k == '[' {
		j.last = j.dec.InputOffset()
		return 0, typeErr(field, '0', k)
	}
	k, b, err := j.raw()
	switch {
	case err != nil:
		return 0, err
	case k == 'n':
		return 0, nil
	case k != '0' && k != '"':
		return 0, typeErr(field, '0', k)
	}
	if n, err := strconv.ParseUint(string(b), 10, 64); err == nil {
		return n, nil
	}
	f, perr := strconv.ParseFloat(string(b), 64)
	if perr != nil || f < 0 || f != math.Trunc(f) || f >= 1<<64 {
		return 0, fieldErr(field, ErrSyntax, "invalid unsigned integer %s", quoteTrunc(b))
	}
	return uint64(f), nil
}

// boolean reads true or false; null reads as false.
func (j *jsonReader) boolean(field string) (bool, error) {
	k := j.dec.PeekKind()
	if k == '{' || k == '[' {
		j.last = j.dec.InputOffset()
		return false, typeErr(field, 't', k)
	}
	k, _, err := j.raw()
	switch {
	case err != nil:
		return false, err
	case k == 't':
		return true, nil
	case k == 'f' || k == 'n':
		return false, nil
	}
	return false, typeErr(field, 't', k)
}

// scalar reads any value into v: strings, numbers and bools are kept,
// null, arrays and objects become valNone.
func (j *jsonReader) scalar(v *value) error {
	*v = value{}
	switch j.dec.PeekKind() {
	case '{', '[':
		return j.skip()
	}
	k, b, err := j.raw()
	if err != nil {
		return err
	}
	switch k {
	case '"':
		v.kind, v.str = valString, b
	case 't', 'f':
		v.kind, v.b = valBool, k == 't'
	case '0':
		if n, ok := parseDecimal(b); ok {
			v.kind, v.i = valInt, n
		} else if f, err := strconv.ParseFloat(string(b), 64); err == nil {
			v.kind, v.f = valFloat, f
		}
	}
	return nil
}

func kindName(k jsontext.Kind) string {
	switch k {
	case '"':
		return "string"
	case '0':
		return "number"
	case 't', 'f':
		return "boolean"
	case 'n':
		return "null"
	case '{':
		return "object"
	case '[':
		return "array"
	}
	return "end of input"
}

func typeErr(field string, want, got jsontext.Kind) error {
	return fieldErr(field, ErrSyntax, "want %s, got %s", kindName(want), kindName(got))
}

// wrap turns an error met while decoding into an *Error for the span at
// index idx (-1 outside spans).
func (j *jsonReader) wrap(err error, idx int) error {
	var ce *callbackError
	var de *Error
	if err == nil || errors.As(err, &ce) || errors.As(err, &de) {
		return err
	}
	off := j.last
	var syn *jsontext.SyntacticError
	switch {
	case errors.Is(err, errReadLimit):
		off = j.unit
		err = fmt.Errorf("%w: value is more than %d bytes", ErrTooLarge, j.max)
	case errors.As(err, &syn):
		off = syn.ByteOffset
		msg := "unexpected end of input"
		if syn.Err != nil && !errors.Is(syn.Err, io.ErrUnexpectedEOF) {
			msg = canonicalEscape(asciiOnly(syn.Err.Error()))
		}
		err = &fieldError{field: "invalid JSON", msg: msg, kind: ErrSyntax}
	case errors.Is(err, io.ErrUnexpectedEOF):
		off = j.dec.InputOffset()
		err = &fieldError{field: "invalid JSON", msg: "unexpected end of input", kind: ErrSyntax}
	}
	return &Error{Format: j.format, Offset: off + j.base, Index: idx, Err: err}
}

// asciiOnly rewrites "invalid character 'X' ..." when X is not ASCII: how
// much of a multi-byte character the decoder had seen depends on how the
// input was read, and the same input must give the same error.
func asciiOnly(msg string) string {
	const prefix = "invalid character '"
	if !strings.HasPrefix(msg, prefix) {
		return msg
	}
	end := strings.Index(msg[len(prefix)+1:], "' ")
	if end < 0 {
		return msg
	}
	end += len(prefix) + 1
	char := msg[len(prefix):end]
	if len(char) == 1 || (len(char) == 2 && char[0] == '\\' && char[1] < utf8.RuneSelf) {
		return msg
	}
	if strings.HasPrefix(char, `\x`) && len(char) == 4 && unhex(char[2]) < 8 {
		return msg // an ASCII control character
	}
	if strings.HasPrefix(char, `\x`) || char[0] >= utf8.RuneSelf {
		return "invalid non-ASCII character " + msg[end+2:]
	}
	return msg
}

// canonicalEscape rewrites "invalid escape sequence `\u00X0` in string" (and
// "invalid surrogate pair ...") to quote the escape only up to its first
// invalid byte. The JSON decoder quotes as much of a bad \u escape as it has
// buffered, so without this the same input read whole or streamed in
// chunks would give different errors.
func canonicalEscape(msg string) string {
	var rest string
	var ok bool
	for _, label := range []string{"invalid escape sequence ", "invalid surrogate pair "} {
		if rest, ok = strings.CutPrefix(msg, label); ok {
			break
		}
	}
	if !ok {
		return msg
	}
	quoted, ok := strings.CutSuffix(rest, " in string")
	if !ok {
		return msg
	}
	seq, err := strconv.Unquote(quoted)
	if err != nil || !strings.HasPrefix(seq, `\u`) {
		return msg
	}
	// The first escape: \u and four hex digits.
	n := 2
	for n < 6 && n < len(seq) && unhex(seq[n]) != 0xff {
		n++
	}
	switch {
	case n < 6:
		seq = seq[:min(n+1, len(seq))]
	case len(seq) > 6:
		// A high surrogate and what follows it: the low half must be
		// \uDC00-\uDFFF.
		low := func(i int, c byte) bool {
			switch i {
			case 0:
				return c == '\\'
			case 1:
				return c == 'u'
			case 2:
				return c == 'd' || c == 'D'
			case 3:
				return unhex(c) >= 0xc && unhex(c) != 0xff
			}
			return unhex(c) != 0xff
		}
		i := 0
		for i < 6 && 6+i < len(seq) && low(i, seq[6+i]) {
			i++
		}
		seq = seq[:min(6+i+1, len(seq), 12)]
	}
	label := "escape sequence"
	if len(seq) > 6 {
		label = "surrogate pair"
	}
	if strings.ContainsFunc(seq, func(r rune) bool {
		return r == '`' || r == utf8.RuneError || unicode.IsSpace(r) || !unicode.IsPrint(r)
	}) {
		return "invalid " + label + " " + strconv.Quote(seq) + " in string"
	}
	return "invalid " + label + " `" + seq + "` in string"
}

// errReadLimit is returned by limitReader to stop an oversized unit.
var errReadLimit = errors.New("read limit reached")

// topLevel iterates over the top-level values of the stream, calling fn for
// each with the kind of its first token (not yet read).
func (j *jsonReader) topLevel(fn func(k jsontext.Kind) error) error {
	for {
		k := j.dec.PeekKind()
		if k == 0 {
			_, err := j.dec.ReadToken()
			if err == io.EOF {
				return nil
			}
			return err
		}
		if k == '}' || k == ']' {
			_, err := j.dec.ReadToken() // a stray closing delimiter
			return err
		}
		if err := fn(k); err != nil {
			return err
		}
	}
}
