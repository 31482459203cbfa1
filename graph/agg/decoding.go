package agg

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/spanmap/spanmap/graph"
	"github.com/spanmap/spanmap/graph/derive"
	"github.com/spanmap/spanmap/graph/span"
)

// UnmarshalBinary decodes rollups encoded by MarshalBinary, replacing r.
func (r *Rollups) UnmarshalBinary(data []byte) error {
	d := decoder{b: data}
	out, err := d.rollups()
	if err != nil {
		return fmt.Errorf("%w: %w", ErrBadEncoding, err)
	}
	*r = out
	return nil
}

// decoder reads the binary format; every read checks bounds. The sources,
// candidates and sketch bins of the decoded rollups are carved out of shared
// chunks (cap-limited, so an append never writes into a neighbour): a
// rollup then costs a few allocations per chunk instead of several each.
type decoder struct {
	b   []byte
	str []string
	// srcs, cands and words are the unused rest of the current chunks.
	srcs  []string
	cands []Candidate
	words []uint32
}

// Chunk sizes of the decoder's arenas, at most: a chunk is also kept
// within what the input left could hold (a source reference takes a byte,
// a candidate 20 and a bin two words in at least two bytes), so that small
// rollups do not hold large chunks.
const (
	decodeSourceChunk    = 256
	decodeCandidateChunk = 512
	decodeBinChunk       = 8192
)

// carve returns the next n values of *buf, with no room beyond them,
// making *buf a new chunk of max(n, chunk) values when it has fewer left.
func carve[T any](buf *[]T, n, chunk int) []T {
	if len(*buf) < n {
		*buf = make([]T, max(n, chunk))
	}
	out := (*buf)[:n:n]
	*buf = (*buf)[n:]
	return out
}

// takeSources returns an empty slice with room for exactly n sources.
func (d *decoder) takeSources(n int) []string {
	return carve(&d.srcs, n, min(decodeSourceChunk, len(d.b)))[:0]
}

// takeCandidates returns n zero candidates, with no room beyond them.
func (d *decoder) takeCandidates(n int) []Candidate {
	return carve(&d.cands, n, min(decodeCandidateChunk, len(d.b)/20))
}

// takeBins returns an empty slice with room for exactly n bin words.
func (d *decoder) takeBins(n int) []uint32 {
	return carve(&d.words, n, min(decodeBinChunk, len(d.b)))[:0]
}

var errTruncated = errors.New("truncated input")

func (d *decoder) uvarint() (uint64, error) {
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		return 0, errTruncated
	}
	d.b = d.b[n:]
	return v, nil
}

func (d *decoder) varint() (int64, error) {
	v, n := binary.Varint(d.b)
	if n <= 0 {
		return 0, errTruncated
	}
	d.b = d.b[n:]
	return v, nil
}

// count reads a length and checks it against the bytes left, each element
// taking at least minSize bytes.
func (d *decoder) count(minSize int) (int, error) {
	v, err := d.uvarint()
	if err != nil {
		return 0, err
	}
	if v > uint64(len(d.b)/minSize) {
		return 0, fmt.Errorf("count %d exceeds the input", v)
	}
	return int(v), nil
}

// int63 reads a non-negative count.
func (d *decoder) int63() (int64, error) {
	v, err := d.uvarint()
	if err != nil {
		return 0, err
	}
	if v > math.MaxInt64 {
		return 0, fmt.Errorf("count %d overflows", v)
	}
	return int64(v), nil
}

func (d *decoder) bytes(n int) ([]byte, error) {
	if len(d.b) < n {
		return nil, errTruncated
	}
	p := d.b[:n]
	d.b = d.b[n:]
	return p, nil
}

func (d *decoder) float() (float64, error) {
	p, err := d.bytes(8)
	if err != nil {
		return 0, err
	}
	return math.Float64frombits(binary.LittleEndian.Uint64(p)), nil
}

func (d *decoder) string() (string, error) {
	v, err := d.uvarint()
	if err != nil {
		return "", err
	}
	if v >= uint64(len(d.str)) {
		return "", fmt.Errorf("string reference %d out of range", v)
	}
	return d.str[v], nil
}

func (d *decoder) rollups() (Rollups, error) {
	var r Rollups
	head, err := d.bytes(len(rollupMagic) + 1)
	if err != nil {
		return r, err
	}
	if string(head[:4]) != rollupMagic || head[4] != rollupVersion {
		return r, fmt.Errorf("unknown header %q", head)
	}
	if r.accuracy, err = d.float(); err != nil {
		return r, err
	}
	if !(r.accuracy >= 0 && r.accuracy < 1) {
		return r, fmt.Errorf("accuracy %v out of range", r.accuracy)
	}
	w, err := d.int63()
	if err != nil {
		return r, err
	}
	r.Width = time.Duration(w)
	n, err := d.count(1)
	if err != nil {
		return r, err
	}
	d.str = make([]string, n)
	for i := range d.str {
		l, err := d.count(1)
		if err != nil {
			return r, err
		}
		p, _ := d.bytes(l)
		d.str[i] = string(p)
	}
	if n, err = d.count(16); err != nil {
		return r, err
	}
	r.Edges = make([]EdgeRollup, n)
	var prev int64
	for i := range r.Edges {
		if err := d.edge(&r.Edges[i], &prev); err != nil {
			return r, fmt.Errorf("edge rollup %d: %w", i, err)
		}
	}
	if n, err = d.count(3); err != nil {
		return r, err
	}
	r.Drops = make([]DropRollup, n)
	prev = 0
	for i := range r.Drops {
		x := &r.Drops[i]
		delta, err := d.varint()
		if err != nil {
			return r, err
		}
		prev += delta
		x.Start = time.Unix(0, prev)
		if x.Service, err = d.string(); err != nil {
			return r, err
		}
		if x.Count, err = d.int63(); err != nil {
			return r, err
		}
	}
	if len(d.b) != 0 {
		return r, fmt.Errorf("%d trailing bytes", len(d.b))
	}
	return r, nil
}

func (d *decoder) endpoint(ep *derive.Endpoint) error {
	var kind string
	for _, p := range []*string{&ep.ID, &ep.Name, &kind, &ep.Namespace} {
		s, err := d.string()
		if err != nil {
			return err
		}
		*p = s
	}
	ep.Kind = graph.NodeKind(kind)
	return nil
}

func (d *decoder) edge(r *EdgeRollup, prev *int64) error {
	delta, err := d.varint()
	if err != nil {
		return err
	}
	start := *prev + delta
	*prev = start
	r.Start = time.Unix(0, start)
	if err := d.endpoint(&r.From); err != nil {
		return err
	}
	if err := d.endpoint(&r.To); err != nil {
		return err
	}
	kind, err := d.string()
	if err != nil {
		return err
	}
	r.Kind = graph.EdgeKind(kind)
	if r.Operation, err = d.string(); err != nil {
		return err
	}
	for _, p := range []*int64{&r.Errors, &r.Paired, &r.Unpaired} {
		if *p, err = d.int63(); err != nil {
			return err
		}
	}
	if delta, err = d.varint(); err != nil {
		return err
	}
	r.LastSeen = start + delta
	fl, err := d.bytes(1)
	if err != nil {
		return err
	}
	flags := fl[0]
	if flags&flagSampling != 0 {
		if r.SamplingSum, err = d.int63(); err != nil {
			return err
		}
		if r.SamplingCount, err = d.int63(); err != nil {
			return err
		}
	}
	n, err := d.count(1)
	if err != nil {
		return err
	}
	if n > 0 {
		r.Sources = d.takeSources(n)
		for range n {
			s, err := d.string()
			if err != nil {
				return err
			}
			r.Sources = append(r.Sources, s)
		}
	}
	if flags&flagSlowest != 0 {
		r.Slowest = &d.takeCandidates(1)[0]
		if err := d.candidate(r.Slowest, start); err != nil {
			return err
		}
	}
	if flags&flagLatestError != 0 {
		r.LatestError = &d.takeCandidates(1)[0]
		if err := d.candidate(r.LatestError, start); err != nil {
			return err
		}
	}
	if n, err = d.count(20); err != nil {
		return err
	}
	if n > 0 {
		r.Typical = d.takeCandidates(n)
		for i := range r.Typical {
			if err := d.candidate(&r.Typical[i], start); err != nil {
				return err
			}
		}
	}
	for _, s := range []*sketch{&r.client, &r.servPaired, &r.servOnly} {
		if err := d.sketch(s); err != nil {
			return err
		}
	}
	if flags&flagLag != 0 {
		r.lag = &sketch{}
		if err := d.sketch(r.lag); err != nil {
			return err
		}
	}
	return nil
}

// candidate decodes one candidate into c.
func (d *decoder) candidate(c *Candidate, start int64) error {
	p, err := d.bytes(len(span.TraceID{}))
	if err != nil {
		return err
	}
	copy(c.TraceID[:], p)
	if c.Source, err = d.string(); err != nil {
		return err
	}
	if c.Duration, err = d.int63(); err != nil {
		return err
	}
	delta, err := d.varint()
	if err != nil {
		return err
	}
	c.Time = start + delta
	e, err := d.bytes(1)
	if err != nil {
		return err
	}
	c.Error = e[0] != 0
	return nil
}

func (d *decoder) sketch(s *sketch) error {
	z, err := d.uvarint()
	if err != nil {
		return err
	}
	if z > math.MaxUint32 {
		return fmt.Errorf("zero count %d overflows", z)
	}
	s.zero = uint32(z)
	if err := d.bins(&s.pos); err != nil {
		return err
	}
	var neg bins
	if err := d.bins(&neg); err != nil {
		return err
	}
	if !neg.isEmpty() {
		s.neg = new(bins)
		*s.neg = neg
	}
	return nil
}

// bins decodes one bin list into the empty store x. Indexes are strictly
// increasing by construction (gaps are unsigned, plus one), so the pairs
// are stored as read, and the store turns dense by the usual rule.
func (d *decoder) bins(x *bins) error {
	n, err := d.count(2)
	if err != nil || n == 0 {
		return err
	}
	data := d.takeBins(2 * n)
	var idx int64
	for k := range n {
		if k == 0 {
			idx, err = d.varint()
		} else {
			var gap uint64
			gap, err = d.uvarint()
			idx += int64(min(gap, maxDecodedIndex)) + 1
		}
		if err != nil {
			return err
		}
		if idx < 0 || idx > maxDecodedIndex {
			return fmt.Errorf("sketch index %d out of range", idx)
		}
		c, err := d.uvarint()
		if err != nil {
			return err
		}
		if c == 0 || c > math.MaxUint32 {
			return fmt.Errorf("bin count %d out of range", c)
		}
		data = append(data, uint32(idx), uint32(c))
	}
	x.data = data
	x.maybeDense()
	return nil
}
