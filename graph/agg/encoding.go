package agg

import (
	"encoding/binary"
	"errors"
	"math"

	"github.com/spanmap/spanmap/graph/derive"
)

// Binary format of Rollups (all integers are varints unless noted):
//
//	magic "SMRU", version byte 1, accuracy float64 (8 bytes little endian),
//	width ns, string table (count, then length + bytes each),
//	edge rollups (count, then each as below), drop rollups (count, then
//	start delta, service string, count).
//
// An edge rollup is: start (delta from the previous start), from and to
// endpoints (ID, name, kind, namespace as string references), kind,
// operation, errors, paired, unpaired, last seen (delta from start), a flags
// byte (sampling, slowest, latest error, queue lag), sampling sum and count
// when flagged, sources, candidates, then the client, paired
// server, server-only and (when flagged) queue-lag sketches. A sketch is its
// zero count and two bin lists (positive, negative): bin count, then the
// first index and the gaps to the next indexes, each followed by its count.
const (
	rollupMagic   = "SMRU"
	rollupVersion = 1
	// maxDecodedIndex bounds sketch indexes accepted by the decoder; Import
	// checks the tighter bound of its own mapping.
	maxDecodedIndex = 1 << 22
)

const (
	flagSampling = 1 << iota
	flagSlowest
	flagLatestError
	flagLag
)

// ErrBadEncoding reports Rollups bytes that cannot be decoded.
var ErrBadEncoding = errors.New("bad rollup encoding")

// MarshalBinary encodes the rollups.
func (r *Rollups) MarshalBinary() ([]byte, error) { return r.AppendBinary(nil) }

// AppendBinary appends the encoded rollups to b.
func (r *Rollups) AppendBinary(b []byte) ([]byte, error) {
	st := stringTable{idx: map[string]uint64{}}
	r.strings(&st)
	b = append(b, rollupMagic...)
	b = append(b, rollupVersion)
	b = binary.LittleEndian.AppendUint64(b, math.Float64bits(r.accuracy))
	b = binary.AppendUvarint(b, uint64(r.Width))
	b = binary.AppendUvarint(b, uint64(len(st.list)))
	for _, s := range st.list {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	b = binary.AppendUvarint(b, uint64(len(r.Edges)))
	var prev int64
	for i := range r.Edges {
		e := &r.Edges[i]
		b = e.append(b, &st, prev)
		prev = e.Start.UnixNano()
	}
	b = binary.AppendUvarint(b, uint64(len(r.Drops)))
	prev = 0
	for _, d := range r.Drops {
		b = binary.AppendVarint(b, d.Start.UnixNano()-prev)
		prev = d.Start.UnixNano()
		b = binary.AppendUvarint(b, st.idx[d.Service])
		b = binary.AppendUvarint(b, uint64(d.Count))
	}
	return b, nil
}

type stringTable struct {
	idx  map[string]uint64
	list []string
}

func (t *stringTable) add(s string) {
	if _, ok := t.idx[s]; !ok {
		t.idx[s] = uint64(len(t.list))
		t.list = append(t.list, s)
	}
}

func (r *Rollups) strings(t *stringTable) {
	for i := range r.Edges {
		e := &r.Edges[i]
		for _, ep := range []*derive.Endpoint{&e.From, &e.To} {
			t.add(ep.ID)
			t.add(ep.Name)
			t.add(string(ep.Kind))
			t.add(ep.Namespace)
		}
		t.add(string(e.Kind))
		t.add(e.Operation)
		for _, s := range e.Sources {
			t.add(s)
		}
		if e.Slowest != nil {
			t.add(e.Slowest.Source)
		}
		if e.LatestError != nil {
			t.add(e.LatestError.Source)
		}
		for i := range e.Typical {
			t.add(e.Typical[i].Source)
		}
	}
	for _, d := range r.Drops {
		t.add(d.Service)
	}
}

// candidates lists the slowest, latest error and typical candidates.
func (r *EdgeRollup) candidates() []*Candidate {
	var out []*Candidate
	if r.Slowest != nil {
		out = append(out, r.Slowest)
	}
	if r.LatestError != nil {
		out = append(out, r.LatestError)
	}
	for i := range r.Typical {
		out = append(out, &r.Typical[i])
	}
	return out
}

func (r *EdgeRollup) append(b []byte, st *stringTable, prev int64) []byte {
	start := r.Start.UnixNano()
	b = binary.AppendVarint(b, start-prev)
	for _, ep := range []*derive.Endpoint{&r.From, &r.To} {
		for _, s := range []string{ep.ID, ep.Name, string(ep.Kind), ep.Namespace} {
			b = binary.AppendUvarint(b, st.idx[s])
		}
	}
	b = binary.AppendUvarint(b, st.idx[string(r.Kind)])
	b = binary.AppendUvarint(b, st.idx[r.Operation])
	b = binary.AppendUvarint(b, uint64(r.Errors))
	b = binary.AppendUvarint(b, uint64(r.Paired))
	b = binary.AppendUvarint(b, uint64(r.Unpaired))
	b = binary.AppendVarint(b, r.LastSeen-start)
	var flags byte
	if r.SamplingCount > 0 {
		flags |= flagSampling
	}
	if r.Slowest != nil {
		flags |= flagSlowest
	}
	if r.LatestError != nil {
		flags |= flagLatestError
	}
	if r.lag != nil && !r.lag.isEmpty() {
		flags |= flagLag
	}
	b = append(b, flags)
	if flags&flagSampling != 0 {
		b = binary.AppendUvarint(b, uint64(r.SamplingSum))
		b = binary.AppendUvarint(b, uint64(r.SamplingCount))
	}
	b = binary.AppendUvarint(b, uint64(len(r.Sources)))
	for _, s := range r.Sources {
		b = binary.AppendUvarint(b, st.idx[s])
	}
	appendCand := func(c *Candidate) {
		b = append(b, c.TraceID[:]...)
		b = binary.AppendUvarint(b, st.idx[c.Source])
		b = binary.AppendUvarint(b, uint64(max(c.Duration, 0)))
		b = binary.AppendVarint(b, c.Time-start)
		if c.Error {
			b = append(b, 1)
		} else {
			b = append(b, 0)
		}
	}
	if r.Slowest != nil {
		appendCand(r.Slowest)
	}
	if r.LatestError != nil {
		appendCand(r.LatestError)
	}
	b = binary.AppendUvarint(b, uint64(len(r.Typical)))
	for i := range r.Typical {
		appendCand(&r.Typical[i])
	}
	b = appendSketch(b, &r.client)
	b = appendSketch(b, &r.servPaired)
	b = appendSketch(b, &r.servOnly)
	if flags&flagLag != 0 {
		b = appendSketch(b, r.lag)
	}
	return b
}

func appendSketch(b []byte, s *sketch) []byte {
	b = binary.AppendUvarint(b, uint64(s.zero))
	b = appendBins(b, &s.pos)
	if s.neg == nil {
		return binary.AppendUvarint(b, 0)
	}
	return appendBins(b, s.neg)
}

func appendBins(b []byte, x *bins) []byte {
	n := 0
	x.each(func(int32, uint32) { n++ })
	b = binary.AppendUvarint(b, uint64(n))
	first, prev := true, int32(0)
	x.each(func(i int32, c uint32) {
		if first {
			b = binary.AppendVarint(b, int64(i))
			first = false
		} else {
			b = binary.AppendUvarint(b, uint64(i-prev-1))
		}
		prev = i
		b = binary.AppendUvarint(b, uint64(c))
	})
	return b
}
