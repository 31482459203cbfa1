package agg

import (
	"encoding/binary"
)

// Packed buckets. Prune packs the buckets older than Config.CompactAfter into
// a byte string: varint counts, delta-encoded sketch bins and candidates with
// times relative to the bucket start. Readers merge packed buckets straight
// into their accumulators; a late call for a packed bucket unpacks it first.
//
// Layout: paired, unpaired, errors, last seen - start, sampling count and
// (if non-zero) sum, sources (count, indexes), a flags byte (slowest, latest
// error, queue lag), the slowest and latest-error candidates when flagged,
// the typical candidates (count, then per candidate a tag byte: the
// candidate follows, or it is the slowest or latest-error one),
// then the client, paired-server, server-only and (when flagged) queue-lag
// sketches in the Rollups sketch format.

// Tags of packed typical candidates.
const (
	typFull        = 0 // a candidate follows
	typSlowest     = 1 // same call as the slowest candidate
	typLatestError = 2 // same call as the latest-error candidate
)

// packedBucket is a packed bucket of a series.
type packedBucket struct {
	idx  int64
	data []byte
}

// pack appends the packed form of b; start is the bucket start in ns.
func (b *bucket) pack(dst []byte, start int64) []byte {
	dst = binary.AppendUvarint(dst, uint64(b.paired))
	dst = binary.AppendUvarint(dst, uint64(b.unpaired))
	dst = binary.AppendUvarint(dst, uint64(b.errors))
	dst = binary.AppendVarint(dst, b.lastSeen-start)
	dst = binary.AppendUvarint(dst, uint64(b.sampN))
	if b.sampN > 0 {
		dst = binary.AppendUvarint(dst, uint64(b.sampSum))
	}
	n := 0
	b.srcs.each(func(int) { n++ })
	dst = binary.AppendUvarint(dst, uint64(n))
	b.srcs.each(func(i int) { dst = binary.AppendUvarint(dst, uint64(i)) })
	var flags byte
	if b.ex.hasSlow {
		flags |= flagSlowest
	}
	if b.ex.hasErr {
		flags |= flagLatestError
	}
	if b.lag != nil && !b.lag.isEmpty() {
		flags |= flagLag
	}
	dst = append(dst, flags)
	if b.ex.hasSlow {
		dst = packCandidate(dst, &b.ex.slow, start)
	}
	if b.ex.hasErr {
		dst = packCandidate(dst, &b.ex.lastErr, start)
	}
	dst = binary.AppendUvarint(dst, uint64(len(b.ex.typ)))
	for i := range b.ex.typ {
		// A sampled call is often the slowest or latest error too.
		switch c := &b.ex.typ[i]; {
		case b.ex.hasSlow && *c == b.ex.slow:
			dst = append(dst, typSlowest)
		case b.ex.hasErr && *c == b.ex.lastErr:
			dst = append(dst, typLatestError)
		default:
			dst = append(dst, typFull)
			dst = packCandidate(dst, c, start)
		}
	}
	dst = appendSketch(dst, &b.client)
	dst = appendSketch(dst, &b.servPaired)
	dst = appendSketch(dst, &b.servOnly)
	if flags&flagLag != 0 {
		dst = appendSketch(dst, b.lag)
	}
	return dst
}

func packCandidate(dst []byte, c *candidate, start int64) []byte {
	dst = append(dst, c.trace[:]...)
	dst = binary.AppendUvarint(dst, uint64(c.dur))
	dst = binary.AppendVarint(dst, c.t-start)
	v := uint64(c.src) << 1
	if c.err {
		v |= 1
	}
	return binary.AppendUvarint(dst, v)
}

// unpacker reads what pack wrote. The input is the package's own output, so
// reads do not check for damage.
type unpacker struct {
	b []byte
}

func (u *unpacker) uvarint() uint64 {
	v, n := binary.Uvarint(u.b)
	u.b = u.b[n:]
	return v
}

func (u *unpacker) varint() int64 {
	v, n := binary.Varint(u.b)
	u.b = u.b[n:]
	return v
}

func (u *unpacker) candidate(c *candidate, start int64) {
	copy(c.trace[:], u.b[:len(c.trace)])
	u.b = u.b[len(c.trace):]
	c.dur = int64(u.uvarint())
	c.t = start + u.varint()
	v := u.uvarint()
	c.src, c.err = int32(v>>1), v&1 != 0
}

// bins adds the bins of one encoded store to x.
func (u *unpacker) bins(x *bins) {
	n := u.uvarint()
	var idx int64
	for k := uint64(0); k < n; k++ {
		if k == 0 {
			idx = u.varint()
		} else {
			idx += int64(u.uvarint()) + 1
		}
		x.add(int32(idx), uint32(u.uvarint()))
	}
}

func (u *unpacker) sketch(s *sketch) {
	s.zero = satAdd(s.zero, uint32(u.uvarint()))
	u.bins(&s.pos)
	if len(u.b) > 0 && u.b[0] == 0 {
		u.b = u.b[1:]
		return
	}
	if s.neg == nil {
		s.neg = &bins{}
	}
	u.bins(s.neg)
}

// packedCounts returns the calls and errors of a packed bucket.
func packedCounts(data []byte) (calls, errors int64) {
	u := unpacker{b: data}
	calls = int64(u.uvarint())
	calls += int64(u.uvarint())
	return calls, int64(u.uvarint())
}

// mergePacked folds a packed bucket into acc, like acc.merge does for a
// bucket; start is the packed bucket's start in ns.
func (acc *bucket) mergePacked(data []byte, start int64, k int, withExemplars bool) {
	acc.unpack(data, start, k, withExemplars, false)
}

// unpack folds a packed bucket into acc. restore rebuilds the exemplars of an
// empty acc exactly instead of merging them.
func (acc *bucket) unpack(data []byte, start int64, k int, withExemplars, restore bool) {
	u := unpacker{b: data}
	paired, unpaired, errors := int64(u.uvarint()), int64(u.uvarint()), int64(u.uvarint())
	lastSeen := start + u.varint()
	if lastSeen > acc.lastSeen || acc.calls() == 0 {
		acc.lastSeen = lastSeen
	}
	acc.paired += paired
	acc.unpaired += unpaired
	acc.errors += errors
	if n := int64(u.uvarint()); n > 0 {
		acc.sampN += n
		acc.sampSum += int64(u.uvarint())
	}
	for n := u.uvarint(); n > 0; n-- {
		acc.srcs.add(int(u.uvarint()))
	}
	flags := u.b[0]
	u.b = u.b[1:]
	var ex exemplars
	var typ [maxCandidates]candidate
	if flags&flagSlowest != 0 {
		u.candidate(&ex.slow, start)
		ex.hasSlow = true
	}
	if flags&flagLatestError != 0 {
		u.candidate(&ex.lastErr, start)
		ex.hasErr = true
	}
	n := int(u.uvarint())
	for i := range n {
		tag := u.b[0]
		u.b = u.b[1:]
		switch tag {
		case typSlowest:
			typ[i] = ex.slow
		case typLatestError:
			typ[i] = ex.lastErr
		default:
			u.candidate(&typ[i], start)
		}
	}
	ex.typ = typ[:n]
	switch {
	case restore:
		keep := acc.ex.typ[:0]
		acc.ex = ex
		acc.ex.typ = nil
		if n > 0 {
			if cap(keep) < n {
				keep = make([]candidate, 0, max(k, n))
			}
			acc.ex.typ = append(keep, typ[:n]...)
			if n == k {
				acc.ex.findTop()
			}
		}
	case withExemplars:
		acc.ex.merge(&ex, k)
	}
	u.sketch(&acc.client)
	u.sketch(&acc.servPaired)
	u.sketch(&acc.servOnly)
	if flags&flagLag != 0 {
		if acc.lag == nil {
			acc.lag = &sketch{}
		}
		u.sketch(acc.lag)
	}
}

// unpackBucket rebuilds a bucket from its packed form.
func unpackBucket(p *packedBucket, width int64, k int) *bucket {
	b := newBucket(p.idx, k)
	b.unpack(p.data, p.idx*width, k, true, true)
	return b
}
