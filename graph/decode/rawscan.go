package decode

import (
	"strconv"

	"github.com/go-json-experiment/json/jsontext"
)

// rawScan walks a small JSON value that the decoder has already read whole
// and validated (an attribute, a tag, a reference), which is several times
// faster than reading it token by token. Input is valid JSON, but every index
// is still bounds-checked so that a mistake cannot panic.
type rawScan struct {
	b    []byte
	i    int
	base int64 // input offset of b[0]
	mark int   // position of the member or element next returned last
}

// readRaw reads the next value, which must be of kind want, whole and
// returns a scanner over it. Arrays of small objects (attributes, tags,
// references) are read this way whole; limitReader bounds their size.
func (j *jsonReader) readRaw(want jsontext.Kind, field string) (rawScan, error) {
	if k := j.dec.PeekKind(); k != want && k != 0 {
		j.last = j.dec.InputOffset()
		return rawScan{}, typeErr(field, want, k)
	}
	v, err := j.dec.ReadValue()
	if err != nil {
		return rawScan{}, err
	}
	start := j.dec.InputOffset() - int64(len(v))
	j.last = start
	return rawScan{b: v, base: start, mark: -1}, nil
}

func (s *rawScan) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// kind returns the first byte of the next value, normalised as jsontext
// kinds are ('0' for numbers), 0 at the end.
func (s *rawScan) kind() jsontext.Kind {
	s.ws()
	if s.i >= len(s.b) {
		return 0
	}
	switch c := s.b[s.i]; c {
	case '"', '{', '[', 't', 'f', 'n':
		return jsontext.Kind(c)
	case '}', ']', ',', ':':
		return 0
	default:
		return '0'
	}
}

// offset returns the input offset of the next value.
func (s *rawScan) offset() int64 {
	s.ws()
	return s.base + int64(s.i)
}

// enter consumes the '{' or '[' that opens the value.
func (s *rawScan) enter() {
	s.ws()
	if s.i < len(s.b) {
		s.i++
	}
}

// next moves to the next member or element, consuming a ',' and, at the
// end, the closing '}' or ']'. It reports whether one follows.
func (s *rawScan) next() bool {
	if s.i == s.mark {
		// Nothing was consumed since the last member: only malformed input
		// could do that; stop rather than loop.
		s.i = len(s.b)
		return false
	}
	s.ws()
	if s.i < len(s.b) && s.b[s.i] == ',' {
		s.i++
		s.ws()
	}
	if s.i >= len(s.b) {
		return false
	}
	if c := s.b[s.i]; c == '}' || c == ']' {
		s.i++
		return false
	}
	s.mark = s.i
	return true
}

// quoted returns the next string with its quotes and whether it holds
// escapes.
func (s *rawScan) quoted() ([]byte, bool) {
	s.ws()
	start := s.i
	if s.i >= len(s.b) || s.b[s.i] != '"' {
		return nil, false
	}
	esc := false
	for s.i++; s.i < len(s.b); s.i++ {
		switch s.b[s.i] {
		case '\\':
			esc = true
			s.i++
		case '"':
			s.i++
			return s.b[start:s.i], esc
		}
	}
	return s.b[start:], esc
}

// str returns the next string's content, unescaped into *scr when needed.
func (s *rawScan) str(scr *[]byte) []byte {
	q, esc := s.quoted()
	if len(q) < 2 {
		return nil
	}
	if !esc {
		return q[1 : len(q)-1]
	}
	*scr, _ = jsontext.AppendUnquote((*scr)[:0], q)
	return *scr
}

// name reads a member name and the colon after it.
func (s *rawScan) name(scr *[]byte) []byte {
	n := s.str(scr)
	s.ws()
	if s.i < len(s.b) && s.b[s.i] == ':' {
		s.i++
	}
	return n
}

// literal returns the next number or literal.
func (s *rawScan) literal() []byte {
	s.ws()
	start := s.i
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ',', '}', ']', ' ', '\t', '\n', '\r':
			return s.b[start:s.i]
		}
		s.i++
	}
	return s.b[start:]
}

// leaveObject skips the rest of the object being read, through its '}'.
func (s *rawScan) leaveObject() {
	for s.next() {
		s.quoted()
		s.ws()
		if s.i < len(s.b) && s.b[s.i] == ':' {
			s.i++
		}
		s.skip()
	}
}

// nextElement moves to the next element of the array being read, which must
// be of kind want; field names the array in errors.
func (j *jsonReader) nextElement(s *rawScan, want jsontext.Kind, field string) (bool, error) {
	if !s.next() {
		return false, nil
	}
	if k := s.kind(); k != want {
		j.last = s.offset()
		return false, typeErr(field, want, k)
	}
	return true, nil
}

// skip skips the next value.
func (s *rawScan) skip() {
	switch s.kind() {
	case '"':
		s.quoted()
	case '{', '[':
		depth := 0
		for s.i < len(s.b) {
			switch s.b[s.i] {
			case '"':
				s.quoted()
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					s.i++
					return
				}
			}
			s.i++
		}
	default:
		s.literal()
	}
}

// scalar reads the next value into v (strings unescaped into *scr);
// objects, arrays and null become valNone.
func (s *rawScan) scalar(v *value, scr *[]byte) {
	*v = value{}
	switch k := s.kind(); k {
	case '"':
		v.kind, v.str = valString, s.str(scr)
	case 't', 'f':
		s.literal()
		v.kind, v.b = valBool, k == 't'
	case '0':
		b := s.literal()
		if n, ok := parseDecimal(b); ok {
			v.kind, v.i = valInt, n
		} else if f, err := strconv.ParseFloat(string(b), 64); err == nil {
			v.kind, v.f = valFloat, f
		}
	default:
		s.skip()
	}
}

// stringField reads a string member value; null reads as absent.
func (s *rawScan) stringField(field string, scr *[]byte) ([]byte, bool, error) {
	switch k := s.kind(); k {
	case '"':
		return s.str(scr), true, nil
	case 'n':
		s.literal()
		return nil, false, nil
	default:
		return nil, false, typeErr(field, '"', k)
	}
}

// integerField reads a number or numeric string member value.
func (s *rawScan) integerField(field string, scr *[]byte) (int64, bool, error) {
	var b []byte
	switch k := s.kind(); k {
	case '"':
		b = s.str(scr)
	case '0':
		b = s.literal()
	case 'n':
		s.literal()
		return 0, false, nil
	default:
		return 0, false, typeErr(field, '0', k)
	}
	if n, ok := parseDecimal(b); ok {
		return n, true, nil
	}
	if f, err := strconv.ParseFloat(string(b), 64); err == nil && f == float64(int64(f)) {
		return int64(f), true, nil
	}
	return 0, false, fieldErr(field, ErrSyntax, "invalid integer %s", quoteTrunc(b))
}
