package derive

// interner maps strings to small integers. ID 0 is the empty string. The
// last string seen per call site is cached, since decoders hand over runs of
// spans from one service.
type interner struct {
	ids  map[string]uint32
	strs []string
	// ns holds, per service ID, the interned namespace last seen with it.
	ns []uint32
}

func newInterner() interner {
	return interner{ids: map[string]uint32{"": 0}, strs: []string{""}}
}

// id returns the ID of s, adding it when new. The stored copy is cloned so
// the interner never pins a decoder's buffer.
func (in *interner) id(s string) uint32 {
	if s == "" {
		return 0
	}
	if id, ok := in.ids[s]; ok {
		return id
	}
	s = cloneString(s)
	id := uint32(len(in.strs))
	in.strs = append(in.strs, s)
	in.ids[s] = id
	return id
}

// str returns the string of id.
func (in *interner) str(id uint32) string { return in.strs[id] }

func (in *interner) len() int { return len(in.strs) }

// setNamespace records the namespace of service svc.
func (in *interner) setNamespace(svc, ns uint32) {
	for int(svc) >= len(in.ns) {
		in.ns = append(in.ns, 0)
	}
	in.ns[svc] = ns
}

// namespace returns the namespace last seen with service svc.
func (in *interner) namespace(svc uint32) string {
	if int(svc) < len(in.ns) {
		return in.strs[in.ns[svc]]
	}
	return ""
}

func cloneString(s string) string {
	b := make([]byte, len(s))
	copy(b, s)
	return string(b)
}

// strCache is a small direct-mapped cache in front of the interner: most
// spans repeat a few service, operation and peer names, and comparing a
// string that shares its bytes with the cached one is cheaper than hashing it.
type strCache struct {
	s  [64]string
	id [64]uint32
}

func (c *strCache) get(in *interner, s string) uint32 {
	if s == "" {
		return 0
	}
	i := (uint(len(s))*31 + uint(s[0]) + uint(s[len(s)-1])*7) & 63
	if c.s[i] == s {
		return c.id[i]
	}
	id := in.id(s)
	c.s[i], c.id[i] = in.str(id), id
	return id
}
