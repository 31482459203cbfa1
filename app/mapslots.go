package app

import "unsafe"

// slots keeps one entry per element of a list sorted by ID (the edges or
// the nodes of the drawing) from one draw to the next. While the list has
// the same IDs in the same order as in the last draw, which is what a live
// update that changes figures leaves, entries are found by position with
// no hashing; otherwise by ID. Entries of IDs a draw did not see are
// dropped at its end.
type slots[E any] struct {
	gen     uint32 // the current draw
	ids     []string
	byPos   []*slot[E]
	byID    map[string]*slot[E]
	aligned bool // the list has the IDs of the last draw, in order
	used    int  // entries the current draw used
	// layout counts the draws whose list was not aligned with the one
	// before, so that an index kept in another entry can be checked.
	layout uint32
}

type slot[E any] struct {
	v   E
	gen uint32
}

// begin starts a draw of a list of n elements whose IDs id returns.
func (s *slots[E]) begin(n int, id func(int) string) {
	s.gen++
	s.used = 0
	s.aligned = s.byID != nil && n == len(s.ids)
	for i := 0; s.aligned && i < n; i++ {
		s.aligned = id(i) == s.ids[i]
	}
	if s.aligned {
		return
	}
	s.layout++
	if s.byID == nil {
		s.byID = make(map[string]*slot[E], n)
	}
	s.ids = append(s.ids[:0], make([]string, n)...)
	clear(s.byPos)
	s.byPos = append(s.byPos[:0], make([]*slot[E], n)...)
}

// at returns the entry of the element at position i, whose ID is id,
// creating it when it is new. Every position must be asked for, in any
// order, for positions to be used in the next draw.
func (s *slots[E]) at(i int, id string) *E {
	var sl *slot[E]
	if s.aligned {
		sl = s.byPos[i]
	}
	if sl == nil {
		sl = s.byID[id]
		if sl == nil {
			sl = &slot[E]{}
			s.byID[id] = sl
		}
		s.byPos[i], s.ids[i] = sl, id
	}
	if sl.gen != s.gen {
		sl.gen = s.gen
		s.used++
	}
	return &sl.v
}

// done ends a draw, dropping the entries it did not use.
func (s *slots[E]) done() {
	if s.used == len(s.byID) {
		return
	}
	for k, sl := range s.byID {
		if sl.gen != s.gen {
			delete(s.byID, k)
		}
	}
}

// memo is one remembered description and what it was made from.
type memo[K memoKey[K]] struct {
	in K
	el velem
	ok bool
}

// memoKey is what a description is remembered by: same is ==, written
// out so that strings sharing their bytes (IDs, names and paths kept from
// one snapshot to the next) compare without a call to the runtime, which
// in WebAssembly costs more than the rest of the comparison.
type memoKey[K any] interface {
	comparable
	same(K) bool
}

// sameStr is a == b, without a runtime call when a and b share their
// bytes.
func sameStr[S ~string](a, b S) bool {
	return len(a) == len(b) && (unsafe.StringData(string(a)) == unsafe.StringData(string(b)) || a == b)
}

// get returns the remembered description when it was made from in.
func (m *memo[K]) get(in K) (velem, bool) {
	if m == nil || !m.ok || !m.in.same(in) {
		return velem{}, false
	}
	return m.el, true
}

// put remembers el, made from in.
func (m *memo[K]) put(in K, el velem) {
	if m != nil {
		m.in, m.el, m.ok = in, el, true
	}
}
