package decode

import "testing"

func TestRawScan_next_stopsWithoutProgress(t *testing.T) {
	// Not valid JSON, which the decoder never hands over; the scanner must
	// still end.
	for _, in := range []string{`{:::}`, `{"a" "b"}`, `[,,,`, `{"a":}`, `{`, `[`, `{"a":[1,{"b":"\"}]`} {
		s := rawScan{b: []byte(in), mark: -1}
		s.enter()
		n := 0
		for s.next() {
			s.name(new([]byte))
			s.skip()
			if n++; n > len(in) {
				t.Fatalf("%q: no end after %d members", in, n)
			}
		}
	}
}

func TestRawScan_scalar_values(t *testing.T) {
	tests := []struct {
		in   string
		want value
	}{
		{`"a\"b"`, value{kind: valString, str: []byte(`a"b`)}},
		{`"plain"`, value{kind: valString, str: []byte("plain")}},
		{`true`, value{kind: valBool, b: true}},
		{`false`, value{kind: valBool}},
		{`-42`, value{kind: valInt, i: -42}},
		{`2.5e1`, value{kind: valFloat, f: 25}},
		{`null`, value{}},
		{`{"x":[1,2]}`, value{}},
	}
	for _, tc := range tests {
		s := rawScan{b: []byte(tc.in), mark: -1}
		var v value
		var scr []byte
		s.scalar(&v, &scr)
		if v.kind != tc.want.kind || string(v.str) != string(tc.want.str) || v.i != tc.want.i || v.f != tc.want.f || v.b != tc.want.b {
			t.Errorf("scalar(%s) = %+v, want %+v", tc.in, v, tc.want)
		}
		if s.i != len(tc.in) {
			t.Errorf("scalar(%s) consumed %d of %d bytes", tc.in, s.i, len(tc.in))
		}
	}
}
