package decode

import (
	"bytes"
	"encoding/base64"
	"strconv"

	"github.com/spanmap/spanmap/graph/span"
)

// attributes decodes an array of KeyValue into a.
func (d *otlpJSON) attributes(a *attrs) error {
	j := d.j
	if j.peek() == 'n' {
		return j.skip()
	}
	s, err := j.readRaw('[', "attributes")
	if err != nil {
		return err
	}
	s.enter()
	for {
		ok, err := j.nextElement(&s, '{', "attributes")
		if !ok || err != nil {
			return err
		}
		if err := d.keyValue(&s, a); err != nil {
			return err
		}
	}
}

// keyValue decodes {"key", "value"} into a when the key is kept.
func (d *otlpJSON) keyValue(s *rawScan, a *attrs) error {
	j := d.j
	k := keyNone
	var haveKey, haveVal bool
	s.enter()
	for s.next() {
		name := s.name(&j.scrNam)
		at := s.offset()
		var err error
		switch string(name) {
		case "key":
			var b []byte
			var ok bool
			if b, ok, err = s.stringField("attributes.key", &j.scrKey); ok {
				k, haveKey = lookupKey(b), true
				if k == keyNone {
					s.leaveObject() // not kept: the value does not matter
					return nil
				}
			}
		case "value":
			err = d.anyValue(s)
			haveVal = true
		default:
			s.skip()
		}
		if err != nil {
			j.last = at
			return err
		}
	}
	if haveKey && haveVal {
		a.set(k, &d.v, d.in)
	}
	return nil
}

// anyValue decodes an AnyValue into d.v; arrays, maps and bytes are not kept.
func (d *otlpJSON) anyValue(s *rawScan) error {
	j := d.j
	v := &d.v
	*v = value{}
	switch k := s.kind(); k {
	case 'n':
		s.skip()
		return nil
	case '{':
	default:
		return typeErr("attributes.value", '{', k)
	}
	s.enter()
	for s.next() {
		name := s.name(&j.scrNam)
		var err error
		switch string(name) {
		case "stringValue", "string_value":
			var b []byte
			var ok bool
			if b, ok, err = s.stringField("stringValue", &j.scr); ok {
				v.kind, v.str = valString, b
			}
		case "boolValue", "bool_value":
			switch k := s.kind(); k {
			case 't', 'f':
				s.literal()
				v.kind, v.b = valBool, k == 't'
			case 'n':
				s.skip()
			default:
				err = typeErr("boolValue", 't', k)
			}
		case "intValue", "int_value":
			var ok bool
			if v.i, ok, err = s.integerField("intValue", &j.scr); ok {
				v.kind = valInt
			}
		case "doubleValue", "double_value":
			d.double(s)
		default:
			s.skip() // arrayValue, kvlistValue, bytesValue
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// double reads a doubleValue: a number or "NaN", "Infinity", "-Infinity".
func (d *otlpJSON) double(s *rawScan) {
	var b []byte
	switch s.kind() {
	case '0':
		b = s.literal()
	case '"':
		b = s.str(&d.j.scr)
	default:
		s.skip()
		return
	}
	if bytes.Equal(b, []byte("Infinity")) {
		b = []byte("+Inf")
	}
	if f, err := strconv.ParseFloat(string(b), 64); err == nil {
		d.v.kind, d.v.f = valFloat, f
	}
}

// otlpID decodes an OTLP/JSON ID: hex as the specification says, or base64
// as protobuf's generic JSON mapping writes bytes (Grafana Tempo's trace API
// does). The lengths tell them apart: 32 hex or 24 base64 characters for a
// trace ID, 16 hex or 12 base64 characters for a span ID.
func otlpID(field string, dst, src []byte) error {
	if len(src) == base64.StdEncoding.EncodedLen(len(dst)) && len(src) != 2*len(dst) {
		var buf [18]byte
		n, err := base64.StdEncoding.Decode(buf[:], src)
		if err != nil {
			n, err = base64.URLEncoding.Decode(buf[:], src)
		}
		if err != nil || n != len(dst) {
			return fieldErr(field, ErrInvalidID, "invalid base64 %s", quoteTrunc(src))
		}
		copy(dst, buf[:n])
		return nil
	}
	return parseHex(field, dst, src, idExact)
}

func otlpTraceID(field string, src []byte) (span.TraceID, error) {
	var t span.TraceID
	if err := otlpID(field, t[:], src); err != nil {
		return t, err
	}
	if t.IsZero() {
		return t, fieldErr(field, ErrInvalidID, "all zeros")
	}
	return t, nil
}

func otlpSpanID(field string, src []byte) (span.SpanID, error) {
	var id span.SpanID
	err := otlpID(field, id[:], src)
	return id, err
}
