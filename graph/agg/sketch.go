package agg

import (
	"math"

	"github.com/DataDog/sketches-go/ddsketch/mapping"
)

// sketch is a DDSketch of int64 values (nanoseconds): positive values are
// counted in bins chosen by a DDSketch index mapping, zeros in zero, and
// negative values by magnitude in neg. The mapping is not stored: every
// sketch of an Aggregator uses the Aggregator's mapping.
type sketch struct {
	pos  bins
	neg  *bins // nil until a negative value is added
	zero uint32
}

// bins is a compact bin store. In sparse mode data holds sorted
// (index, count) pairs; in dense mode data holds the counts of the indexes
// off, off+1, ... A store starts sparse and turns dense once the dense form
// is at most twice as large (see maybeDense).
type bins struct {
	off   int32
	dense bool
	data  []uint32
}

// sparseMinEntries is the number of sparse entries below which a store never
// turns dense (small stores stay sparse whatever their spread).
const sparseMinEntries = 8

// sparseMaxEntries and denseMaxSpan: a sparse store with at least
// sparseMaxEntries entries turns dense if that takes at most denseMaxSpan bins.
const (
	sparseMaxEntries = 64
	denseMaxSpan     = 1024
)

// sparseInitialCap is the capacity (in uint32, two per entry) of a new
// sparse store.
const sparseInitialCap = 8

// denseSlack is how many extra bins a dense store allocates on the side it
// grows, so that a slowly widening distribution does not reallocate on every
// new extreme.
const denseSlack = 4

func satAdd(a, b uint32) uint32 {
	s := a + b
	if s < a {
		return math.MaxUint32
	}
	return s
}

func (b *bins) isEmpty() bool { return len(b.data) == 0 }

// add adds n to the count of index i.
func (b *bins) add(i int32, n uint32) {
	if b.dense {
		j := int(i) - int(b.off)
		if j >= 0 && j < len(b.data) {
			b.data[j] = satAdd(b.data[j], n)
			return
		}
		b.grow(i, i)
		b.data[int(i)-int(b.off)] = satAdd(b.data[int(i)-int(b.off)], n)
		return
	}
	b.addSparse(i, n)
}

func (b *bins) addSparse(i int32, n uint32) {
	d := b.data
	entries := len(d) / 2
	// Fast path: appending past the largest index, or hitting it.
	if entries > 0 {
		if last := int32(d[len(d)-2]); last == i {
			d[len(d)-1] = satAdd(d[len(d)-1], n)
			return
		}
	}
	// Binary search for the first entry with index >= i.
	k, hi := 0, entries
	for k < hi {
		h := int(uint(k+hi) >> 1)
		if int32(d[2*h]) < i {
			k = h + 1
		} else {
			hi = h
		}
	}
	if k < entries && int32(d[2*k]) == i {
		d[2*k+1] = satAdd(d[2*k+1], n)
		return
	}
	if d == nil {
		d = make([]uint32, 0, sparseInitialCap)
	}
	d = append(d, 0, 0)
	copy(d[2*k+2:], d[2*k:])
	d[2*k], d[2*k+1] = uint32(i), n
	b.data = d
	b.maybeDense()
}

// maybeDense converts a sparse store to dense when dense needs at most twice
// the memory (dense adds are O(1), sparse ones a binary search), or when the
// store has many entries and the dense form stays small.
func (b *bins) maybeDense() {
	entries := len(b.data) / 2
	if entries < sparseMinEntries {
		return
	}
	lo, hi := int32(b.data[0]), int32(b.data[len(b.data)-2])
	span := int(hi) - int(lo) + 1
	if span > 4*entries && (entries < sparseMaxEntries || span > denseMaxSpan) {
		return
	}
	dense := make([]uint32, span)
	for k := 0; k < len(b.data); k += 2 {
		dense[int(int32(b.data[k]))-int(lo)] = b.data[k+1]
	}
	b.data, b.off, b.dense = dense, lo, true
}

// grow makes a dense store cover [lo, hi], with some slack on the sides it
// grows so that a widening distribution reallocates O(log n) times.
func (b *bins) grow(lo, hi int32) {
	curLo, curHi := b.off, b.off+int32(len(b.data))-1
	if len(b.data) == 0 {
		curLo, curHi = lo, hi
	}
	newLo, newHi := min(curLo, lo), max(curHi, hi)
	slack := int32(max(denseSlack, len(b.data)/4))
	if newLo < curLo {
		newLo -= slack
	}
	if newHi > curHi {
		newHi += slack
	}
	data := make([]uint32, int(newHi)-int(newLo)+1)
	if len(b.data) > 0 {
		copy(data[int(curLo)-int(newLo):], b.data)
	}
	b.data, b.off = data, newLo
}

// bounds returns the smallest and largest index with a count; ok is false
// when the store is empty. A dense store may have zero counts at its ends.
func (b *bins) bounds() (lo, hi int32, ok bool) {
	if len(b.data) == 0 {
		return 0, 0, false
	}
	if !b.dense {
		return int32(b.data[0]), int32(b.data[len(b.data)-2]), true
	}
	return b.off, b.off + int32(len(b.data)) - 1, true
}

// each calls f for every non-empty bin in increasing index order.
func (b *bins) each(f func(i int32, n uint32)) {
	if b.dense {
		for j, n := range b.data {
			if n != 0 {
				f(b.off+int32(j), n)
			}
		}
		return
	}
	for k := 0; k < len(b.data); k += 2 {
		f(int32(b.data[k]), b.data[k+1])
	}
}

// total returns the sum of the counts.
func (b *bins) total() uint64 {
	var t uint64
	if b.dense {
		for _, n := range b.data {
			t += uint64(n)
		}
		return t
	}
	for k := 1; k < len(b.data); k += 2 {
		t += uint64(b.data[k])
	}
	return t
}

// merge adds the counts of o.
func (b *bins) merge(o *bins) {
	if o.isEmpty() {
		return
	}
	if !b.dense {
		// A sparse store stays compact: it takes the pairs of o and turns
		// dense only by the usual rule.
		if o.dense {
			pairs := make([]uint32, 0, 16)
			o.each(func(i int32, n uint32) { pairs = append(pairs, uint32(i), n) })
			b.mergeSparse(&bins{data: pairs})
			return
		}
		b.mergeSparse(o)
		return
	}
	lo, hi, _ := o.bounds()
	if len(b.data) == 0 || lo < b.off || int(hi)-int(b.off) >= len(b.data) {
		b.grow(lo, hi)
	}
	if o.dense {
		d := b.data[int(o.off)-int(b.off):]
		for j, n := range o.data {
			d[j] = satAdd(d[j], n)
		}
		return
	}
	for k := 0; k < len(o.data); k += 2 {
		j := int(int32(o.data[k])) - int(b.off)
		b.data[j] = satAdd(b.data[j], o.data[k+1])
	}
}

// setDense makes an empty store dense: accumulators merge many stores and
// dense adds cost O(1) without reallocating the sparse pairs.
func (b *bins) setDense() {
	if len(b.data) == 0 {
		b.dense = true
	}
}

// setDense makes the stores of an empty sketch dense.
func (s *sketch) setDense() {
	s.pos.setDense()
	if s.neg == nil {
		s.neg = &bins{}
	}
	s.neg.setDense()
}

// mergeSparse merges the sorted pairs of o into the sparse store b: in
// place, from the back, when b has room for both, else into a new slice
// with room to spare, so that a store merging many others reallocates
// O(log n) times.
func (b *bins) mergeSparse(o *bins) {
	x, y := b.data, o.data
	n := len(x) + len(y)
	if cap(x) < n {
		out := make([]uint32, 0, max(n, 2*len(x)))
		for len(x) > 0 && len(y) > 0 {
			ix, iy := int32(x[0]), int32(y[0])
			switch {
			case ix < iy:
				out, x = append(out, x[0], x[1]), x[2:]
			case iy < ix:
				out, y = append(out, y[0], y[1]), y[2:]
			default:
				out = append(out, x[0], satAdd(x[1], y[1]))
				x, y = x[2:], y[2:]
			}
		}
		out = append(out, x...)
		out = append(out, y...)
		b.data = out
		b.maybeDense()
		return
	}
	// Fill d from its end; the write position never passes the next
	// unread pair of x.
	d := x[:n]
	i, j, k := len(x)-2, len(y)-2, n-2
	for j >= 0 {
		switch {
		case i >= 0 && int32(d[i]) > int32(y[j]):
			d[k], d[k+1] = d[i], d[i+1]
			i -= 2
		case i >= 0 && int32(d[i]) == int32(y[j]):
			d[k], d[k+1] = d[i], satAdd(d[i+1], y[j+1])
			i, j = i-2, j-2
		default:
			d[k], d[k+1] = y[j], y[j+1]
			j -= 2
		}
		k -= 2
	}
	// Shared indexes leave a gap of k-i words before the merged pairs.
	if gap := k - i; gap > 0 {
		copy(d[gap:], d[:i+2])
		d = d[:copy(d, d[gap:])]
	}
	b.data = d
	b.maybeDense()
}

// keyAtRank returns the index of the bin holding the element of the given
// rank (0-based, as in DDSketch: the first bin whose cumulative count
// exceeds rank).
func (b *bins) keyAtRank(rank float64) int32 {
	var n float64
	if b.dense {
		last := b.off
		for j, c := range b.data {
			if c == 0 {
				continue
			}
			n += float64(c)
			last = b.off + int32(j)
			if n > rank {
				break
			}
		}
		return last
	}
	k := 0
	for ; k < len(b.data)-2; k += 2 {
		n += float64(b.data[k+1])
		if n > rank {
			break
		}
	}
	return int32(b.data[k])
}

func (b *bins) clone() bins {
	return bins{off: b.off, dense: b.dense, data: append([]uint32(nil), b.data...)}
}

// add counts one value v (nanoseconds).
func (s *sketch) add(m *mapping.CubicallyInterpolatedMapping, v int64) {
	switch {
	case v > 0:
		s.pos.add(int32(m.Index(float64(v))), 1)
	case v == 0:
		s.zero = satAdd(s.zero, 1)
	default:
		if s.neg == nil {
			s.neg = &bins{}
		}
		s.neg.add(int32(m.Index(-float64(v))), 1)
	}
}

func (s *sketch) isEmpty() bool {
	return s.zero == 0 && s.pos.isEmpty() && (s.neg == nil || s.neg.isEmpty())
}

// count returns the number of values.
func (s *sketch) count() uint64 {
	n := uint64(s.zero) + s.pos.total()
	if s.neg != nil {
		n += s.neg.total()
	}
	return n
}

// merge adds the values of o.
func (s *sketch) merge(o *sketch) {
	s.pos.merge(&o.pos)
	s.zero = satAdd(s.zero, o.zero)
	if o.neg != nil && !o.neg.isEmpty() {
		if s.neg == nil {
			s.neg = &bins{}
		}
		s.neg.merge(o.neg)
	}
}

// nearestRank is the 0-based rank of quantile q among n values: ceil(q*n)-1,
// within [0, n-1]. The tolerance keeps q*n that floating point puts just
// above a whole number (0.29*100) on that number.
func nearestRank(q float64, n uint64) uint64 {
	r := math.Ceil(q*float64(n)-1e-9) - 1
	if r <= 0 {
		return 0
	}
	if r >= float64(n-1) {
		return n - 1
	}
	return uint64(r)
}

func (s *sketch) clone() sketch {
	c := sketch{pos: s.pos.clone(), zero: s.zero}
	if s.neg != nil {
		n := s.neg.clone()
		c.neg = &n
	}
	return c
}

// quantile returns the value at quantile q in nanoseconds; n is s.count().
// The quantile is the nearest rank (the smallest value with at least q of
// the values at or below it), so the p99 of two calls is the slower one.
// DDSketch's GetValueAtQuantile reads rank q*(n-1) instead, which for few
// calls gives the lower value (the p99 of 30 ms and 35 ms would be 30 ms);
// for many calls the two differ by at most one rank.
func (s *sketch) quantile(m *mapping.CubicallyInterpolatedMapping, q float64, n uint64) float64 {
	if n == 0 {
		return 0
	}
	return s.valueAtRank(m, float64(nearestRank(q, n)))
}

// valueAtRank returns the value of the key where the count of values up to
// it first exceeds rank (0-based, values in ascending order), as DDSketch's
// stores read ranks.
func (s *sketch) valueAtRank(m *mapping.CubicallyInterpolatedMapping, rank float64) float64 {
	var negN float64
	if s.neg != nil {
		negN = float64(s.neg.total())
	}
	switch {
	case rank < negN:
		return -m.Value(int(s.neg.keyAtRank(negN - 1 - rank)))
	case rank < negN+float64(s.zero):
		return 0
	default:
		return m.Value(int(s.pos.keyAtRank(rank - negN - float64(s.zero))))
	}
}
