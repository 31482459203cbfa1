package agg

import (
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

// series is the sorted, sparse list of buckets of one edge operation.
type series struct {
	op      string
	buckets []*bucket
}

// bucket returns the bucket idx, creating it when missing.
func (s *series) bucket(idx int64) *bucket {
	n := len(s.buckets)
	if n > 0 {
		if last := s.buckets[n-1]; last.idx == idx {
			return last
		} else if last.idx < idx {
			b := &bucket{idx: idx}
			s.buckets = append(s.buckets, b)
			return b
		}
	} else {
		b := &bucket{idx: idx}
		s.buckets = append(s.buckets, b)
		return b
	}
	k := sort.Search(n, func(k int) bool { return s.buckets[k].idx >= idx })
	if s.buckets[k].idx == idx {
		return s.buckets[k]
	}
	b := &bucket{idx: idx}
	s.buckets = append(s.buckets, nil)
	copy(s.buckets[k+1:], s.buckets[k:])
	s.buckets[k] = b
	return b
}

// window returns the buckets with lo <= idx < hi.
func (s *series) window(lo, hi int64) []*bucket {
	i := sort.Search(len(s.buckets), func(k int) bool { return s.buckets[k].idx >= lo })
	j := sort.Search(len(s.buckets), func(k int) bool { return s.buckets[k].idx >= hi })
	return s.buckets[i:j]
}

// dropBefore removes the buckets with idx < cut and reports how many went.
func (s *series) dropBefore(cut int64) int {
	k := sort.Search(len(s.buckets), func(k int) bool { return s.buckets[k].idx >= cut })
	if k == 0 {
		return 0
	}
	n := copy(s.buckets, s.buckets[k:])
	clear(s.buckets[n:])
	s.buckets = s.buckets[:n]
	return k
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
