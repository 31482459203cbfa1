package agg

import (
	"math"
	"sort"

	"github.com/spanmap/spanmap/graph"
	"github.com/spanmap/spanmap/graph/derive"
)

// node is the registry entry of a node ID.
type node struct {
	id, name, namespace string
	// kind is the first virtual kind the ID was seen with; service overrides it.
	kind graph.NodeKind
	// service is set once the ID was seen as an instrumented service.
	service bool
	// in are the edges into this node; out counts the edges out of it.
	in  []*edge
	out int
	// drops are the dropped-span counts of this service, by bucket.
	drops []dropBucket
}

// nodeKind is the kind a snapshot reports.
func (n *node) nodeKind() graph.NodeKind {
	if n.service {
		return graph.NodeService
	}
	return n.kind
}

// update records what an endpoint says about the node: a service endpoint
// makes it a service for good; the name and namespace follow the latest
// endpoint of the node's reported kind.
func (n *node) update(ep *derive.Endpoint) {
	if ep.Kind == graph.NodeService {
		n.service = true
	} else if n.kind == "" {
		n.kind = ep.Kind
	}
	if ep.Name != "" && (ep.Kind == graph.NodeService || !n.service || n.name == "") {
		n.name = ep.Name
	}
	if ep.Namespace != "" {
		n.namespace = ep.Namespace
	}
}

type dropBucket struct {
	idx int64
	n   int64
}

// edgeKey identifies an edge series.
type edgeKey struct {
	from, to string
	kind     graph.EdgeKind
}

// edge holds the operation series of one (from, to, kind).
type edge struct {
	key      edgeKey
	from, to *node
	// fromEP and toEP are the endpoints last applied to from and to.
	fromEP, toEP derive.Endpoint
	ops          map[string]*series
	// named counts the series other than OtherOperation.
	named int
}

// series is the sparse list of buckets of one edge operation: buckets are
// the live ones, packed those Prune compacted. Both are sorted by idx; a
// bucket number is in at most one of them.
type series struct {
	op      string
	buckets []*bucket
	packed  []packedBucket
}

// bucket returns the live bucket idx, unpacking or creating it when needed.
// width and k are the bucket width and exemplar sample size.
func (s *series) bucket(idx, width int64, k int) *bucket {
	n := len(s.buckets)
	if n > 0 {
		if last := s.buckets[n-1]; last.idx == idx {
			return last
		} else if last.idx < idx && (len(s.packed) == 0 || s.packed[len(s.packed)-1].idx < idx) {
			b := newBucket(idx, k)
			s.buckets = append(s.buckets, b)
			return b
		}
	}
	k0 := sort.Search(n, func(j int) bool { return s.buckets[j].idx >= idx })
	if k0 < n && s.buckets[k0].idx == idx {
		return s.buckets[k0]
	}
	var b *bucket
	p := sort.Search(len(s.packed), func(j int) bool { return s.packed[j].idx >= idx })
	if p < len(s.packed) && s.packed[p].idx == idx {
		b = unpackBucket(&s.packed[p], width, k)
		s.packed = append(s.packed[:p], s.packed[p+1:]...)
	} else {
		b = newBucket(idx, k)
	}
	s.buckets = append(s.buckets, nil)
	copy(s.buckets[k0+1:], s.buckets[k0:])
	s.buckets[k0] = b
	return b
}

// holds reports whether the series holds bucket idx, live or packed.
func (s *series) holds(idx int64) bool {
	if n := len(s.buckets); n > 0 && s.buckets[n-1].idx >= idx {
		k := sort.Search(n, func(j int) bool { return s.buckets[j].idx >= idx })
		if s.buckets[k].idx == idx {
			return true
		}
	}
	if n := len(s.packed); n > 0 && s.packed[n-1].idx >= idx {
		k := sort.Search(n, func(j int) bool { return s.packed[j].idx >= idx })
		return s.packed[k].idx == idx
	}
	return false
}

// insertPacked adds a packed bucket the series does not hold.
func (s *series) insertPacked(p packedBucket) {
	n := len(s.packed)
	if n == 0 || s.packed[n-1].idx < p.idx {
		s.packed = append(s.packed, p)
		return
	}
	k := sort.Search(n, func(j int) bool { return s.packed[j].idx >= p.idx })
	s.packed = append(s.packed, packedBucket{})
	copy(s.packed[k+1:], s.packed[k:])
	s.packed[k] = p
}

// each calls f for the buckets with lo <= idx < hi in increasing idx order,
// with either the live bucket or the packed one set.
func (s *series) each(lo, hi int64, f func(idx int64, b *bucket, p *packedBucket)) {
	i := sort.Search(len(s.buckets), func(k int) bool { return s.buckets[k].idx >= lo })
	j := sort.Search(len(s.packed), func(k int) bool { return s.packed[k].idx >= lo })
	for {
		bOK := i < len(s.buckets) && s.buckets[i].idx < hi
		pOK := j < len(s.packed) && s.packed[j].idx < hi
		switch {
		case bOK && (!pOK || s.buckets[i].idx < s.packed[j].idx):
			f(s.buckets[i].idx, s.buckets[i], nil)
			i++
		case pOK:
			f(s.packed[j].idx, nil, &s.packed[j])
			j++
		default:
			return
		}
	}
}

// has reports whether the series holds a bucket with lo <= idx < hi.
func (s *series) has(lo, hi int64) bool {
	i := sort.Search(len(s.buckets), func(k int) bool { return s.buckets[k].idx >= lo })
	if i < len(s.buckets) && s.buckets[i].idx < hi {
		return true
	}
	j := sort.Search(len(s.packed), func(k int) bool { return s.packed[k].idx >= lo })
	return j < len(s.packed) && s.packed[j].idx < hi
}

// isEmpty reports whether the series holds no bucket.
func (s *series) isEmpty() bool { return len(s.buckets) == 0 && len(s.packed) == 0 }

// bounds returns the first and last bucket numbers; ok is false when empty.
func (s *series) bounds() (lo, hi int64, ok bool) {
	if s.isEmpty() {
		return 0, 0, false
	}
	lo, hi = int64(math.MaxInt64), int64(math.MinInt64)
	if n := len(s.buckets); n > 0 {
		lo, hi = s.buckets[0].idx, s.buckets[n-1].idx
	}
	if n := len(s.packed); n > 0 {
		lo, hi = min(lo, s.packed[0].idx), max(hi, s.packed[n-1].idx)
	}
	return lo, hi, true
}

// dropBefore removes the buckets with idx < cut.
func (s *series) dropBefore(cut int64) {
	k := sort.Search(len(s.buckets), func(k int) bool { return s.buckets[k].idx >= cut })
	if k > 0 {
		n := copy(s.buckets, s.buckets[k:])
		clear(s.buckets[n:])
		s.buckets = s.buckets[:n]
	}
	k = sort.Search(len(s.packed), func(k int) bool { return s.packed[k].idx >= cut })
	if k > 0 {
		n := copy(s.packed, s.packed[k:])
		clear(s.packed[n:])
		s.packed = s.packed[:n]
	}
}

// compact packs the live buckets with idx < cut; scratch is a reusable
// buffer, returned grown.
func (s *series) compact(cut, width int64, scratch []byte) []byte {
	k := sort.Search(len(s.buckets), func(k int) bool { return s.buckets[k].idx >= cut })
	if k == 0 {
		return scratch
	}
	for _, b := range s.buckets[:k] {
		scratch = b.pack(scratch[:0], b.idx*width)
		p := packedBucket{idx: b.idx, data: append([]byte(nil), scratch...)}
		at := sort.Search(len(s.packed), func(j int) bool { return s.packed[j].idx >= b.idx })
		s.packed = append(s.packed, packedBucket{})
		copy(s.packed[at+1:], s.packed[at:])
		s.packed[at] = p
	}
	n := copy(s.buckets, s.buckets[k:])
	clear(s.buckets[n:])
	s.buckets = s.buckets[:n]
	return scratch
}

// addDrop adds n dropped spans to bucket idx of a sorted drop list.
func addDrop(d []dropBucket, idx, n int64) []dropBucket {
	k := sort.Search(len(d), func(k int) bool { return d[k].idx >= idx })
	if k < len(d) && d[k].idx == idx {
		d[k].n += n
		return d
	}
	d = append(d, dropBucket{})
	copy(d[k+1:], d[k:])
	d[k] = dropBucket{idx: idx, n: n}
	return d
}

// sumDrops sums the drops with lo <= idx < hi.
func sumDrops(d []dropBucket, lo, hi int64) int64 {
	var n int64
	for k := sort.Search(len(d), func(k int) bool { return d[k].idx >= lo }); k < len(d) && d[k].idx < hi; k++ {
		n += d[k].n
	}
	return n
}

// floorDiv divides rounding towards minus infinity.
func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}
