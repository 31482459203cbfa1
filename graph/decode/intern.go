package decode

// interner shares one string per distinct byte sequence within a stream, so
// repeated service names, operation names and attribute values cost one
// allocation each. It forgets everything when its byte budget is spent, which
// bounds its memory on inputs with unbounded distinct values.
type interner struct {
	m    map[string]string
	used int
	max  int
}

// internOverhead approximates the map cost of one entry beyond its bytes.
const internOverhead = 48

// internMaxLen is the longest value worth interning; longer ones are copied.
const internMaxLen = 256

func newInterner(maxBytes int) *interner {
	return &interner{m: make(map[string]string), max: maxBytes}
}

// str returns b as a string, shared with earlier equal values.
func (in *interner) str(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if s, ok := in.m[string(b)]; ok {
		return s
	}
	s := string(b)
	if len(b) > internMaxLen {
		return s
	}
	cost := len(b) + internOverhead
	if in.used+cost > in.max {
		if cost > in.max {
			return s
		}
		clear(in.m)
		in.used = 0
	}
	in.m[s] = s
	in.used += cost
	return s
}
