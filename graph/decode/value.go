package decode

import (
	"bytes"
	"math"
	"strconv"
)

// valueKind is the type of an attribute value.
type valueKind uint8

const (
	valNone valueKind = iota
	valString
	valInt
	valFloat
	valBool
)

// value is one attribute value as found in the input. str aliases the
// decoder's buffer and is valid only while the attribute is being applied.
type value struct {
	kind valueKind
	str  []byte
	i    int64
	f    float64
	b    bool
}

// asInt returns the value as an integer: ints, integral floats and decimal
// strings qualify.
func (v *value) asInt() (int64, bool) {
	switch v.kind {
	case valInt:
		return v.i, true
	case valFloat:
		if v.f == math.Trunc(v.f) && math.Abs(v.f) < 1<<62 {
			return int64(v.f), true
		}
	case valString:
		return parseDecimal(v.str)
	}
	return 0, false
}

// asFloat returns the value as a float: numbers, numeric strings, and bools
// as 1 or 0 (Jaeger's const sampler reports sampler.param=true).
func (v *value) asFloat() (float64, bool) {
	switch v.kind {
	case valInt:
		return float64(v.i), true
	case valFloat:
		return v.f, true
	case valBool:
		if v.b {
			return 1, true
		}
		return 0, true
	case valString:
		f, err := strconv.ParseFloat(string(v.str), 64)
		return f, err == nil
	}
	return 0, false
}

// truthy reports an "error" tag that signals a failure: bool true, a
// non-zero number, or any string but "false".
func (v *value) truthy() bool {
	switch v.kind {
	case valBool:
		return v.b
	case valInt:
		return v.i != 0
	case valFloat:
		return v.f != 0
	case valString:
		return !bytes.EqualFold(v.str, []byte("false"))
	}
	return false
}

// parseDecimal parses an optionally signed decimal integer without
// allocating.
func parseDecimal(b []byte) (int64, bool) {
	neg := false
	if len(b) > 0 && (b[0] == '-' || b[0] == '+') {
		neg = b[0] == '-'
		b = b[1:]
	}
	if len(b) == 0 || len(b) > 19 {
		return 0, false
	}
	var n uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + uint64(c-'0')
	}
	if neg {
		if n > 1<<63 {
			return 0, false
		}
		return -int64(n), true
	}
	if n > math.MaxInt64 {
		return 0, false
	}
	return int64(n), true
}
