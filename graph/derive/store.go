package derive

import (
	"encoding/binary"

	"github.com/spanmap/spanmap/graph/span"
)

// rec is the compact, pointer-free record the store keeps per span (96
// bytes). Strings are interned; references to other records are ring slots
// plus one (0 means none).
type rec struct {
	trace  span.TraceID
	id     span.SpanID
	parent span.SpanID
	start  int64
	dur    int64
	// upDur is the duration of the direct parent when it is a client or
	// producer in another service (entry spans), -1 otherwise.
	upDur int64
	// expire is the Unix-nanosecond deadline after which the record settles.
	expire int64
	svc    uint32 // interned service name, 0 = none
	op     uint32 // interned operation name
	peer   uint32 // interned virtual peer name, 0 = no peer attributes
	// upSvc is the caller service when up == upCaller. While the record
	// heads a waiter chain (and so is unresolved) it holds the chain's tail.
	upSvc uint32
	wnext uint32 // next record in the same waiter chain (slot+1)
	prob  float32
	flags uint16
	kind  span.Kind
	up    uint8
}

// Record flags.
const (
	fShared       uint16 = 1 << iota // server half of a Zipkin shared span
	fErr                             // span recorded an error
	fClaimed                         // client/producer claimed by a callee
	fEmitted                         // inbound call emitted by a pairing
	fParentPaired                    // paired with its direct parent
	fEntry                           // direct parent is in another service
	fParentClient                    // direct parent is a client/producer
	fParentErr                       // direct parent recorded an error
	fWaiting                         // in a waiter chain
	fResolved                        // up is final
	fLinks                           // has span links (side table)
	fPeerDB                          // virtual peer is a database
	fPeerMsg                         // virtual peer is a messaging system
	fUnknownSvc                      // span had no service name of its own
)

// up values: what a span knows about its caller (servers and consumers) or
// what its same-service descendants see when their walk reaches it (others).
const (
	upUnknown uint8 = iota // parent (or an ancestor) not resolved yet
	upCaller               // nearest ancestor in another service is upSvc
	upRoot                 // the chain ends at a root span
	upNested               // a same-service server/consumer span is above
)

func isCallee(k span.Kind) bool { return k == span.KindServer || k == span.KindConsumer }
func isCaller(k span.Kind) bool { return k == span.KindClient || k == span.KindProducer }

func (r *rec) has(f uint16) bool { return r.flags&f != 0 }

// chunkBits sizes the ring's chunks (4096 records, 384 KiB).
const (
	chunkBits = 12
	chunkSize = 1 << chunkBits
	chunkMask = chunkSize - 1
)

// ring is a FIFO of records in insertion order, stored in fixed-size chunks
// allocated on demand and released when the head leaves them. A record's slot
// (seq & mask) never changes while it lives.
type ring struct {
	chunks     [][]rec
	spare      [][]rec
	mask       uint32
	head, tail uint32 // sequence numbers; len = tail - head
}

func newRing(maxItems int) ring {
	n := uint32(chunkSize)
	for int(n) < maxItems {
		n <<= 1
	}
	return ring{chunks: make([][]rec, n>>chunkBits), mask: n - 1}
}

func (r *ring) len() int { return int(r.tail - r.head) }

// at returns the record in slot.
func (r *ring) at(slot uint32) *rec {
	return &r.chunks[slot>>chunkBits][slot&chunkMask]
}

// headSlot returns the slot of the oldest record.
func (r *ring) headSlot() uint32 { return r.head & r.mask }

// push appends a zeroed record and returns its slot.
func (r *ring) push() uint32 {
	slot := r.tail & r.mask
	c := slot >> chunkBits
	if r.chunks[c] == nil {
		if n := len(r.spare); n > 0 {
			r.chunks[c] = r.spare[n-1]
			r.spare = r.spare[:n-1]
		} else {
			r.chunks[c] = make([]rec, chunkSize)
		}
	}
	r.chunks[c][slot&chunkMask] = rec{}
	r.tail++
	return slot
}

// pop removes the oldest record, releasing its chunk when it empties.
func (r *ring) pop() {
	slot := r.head & r.mask
	r.head++
	if slot&chunkMask != chunkMask && r.head != r.tail {
		return
	}
	c := slot >> chunkBits
	if r.head != r.tail && ((r.tail-1)&r.mask)>>chunkBits == c {
		return // the tail has wrapped into this chunk
	}
	if r.head == r.tail && slot&chunkMask != chunkMask {
		// Empty ring: keep the chunk, the next push reuses it.
		r.head, r.tail = 0, 0
		if c != 0 {
			r.chunks[0], r.chunks[c] = r.chunks[c], nil
		}
		return
	}
	if len(r.spare) < 2 {
		r.spare = append(r.spare, r.chunks[c])
	}
	r.chunks[c] = nil
}

// hashKey mixes a trace ID, a span ID and the shared-half bit.
func hashKey(t *span.TraceID, s span.SpanID, shared bool) uint32 {
	a := binary.LittleEndian.Uint64(t[0:8])
	b := binary.LittleEndian.Uint64(t[8:16])
	c := binary.LittleEndian.Uint64(s[:])
	h := b ^ c*0x9E3779B97F4A7C15 ^ a*0xC2B2AE3D27D4EB4F
	if shared {
		h ^= 0x165667B19E3779F9
	}
	h ^= h >> 31
	h *= 0xD6E8FEB86659FD93
	h ^= h >> 32
	return uint32(h)
}

// slotEntry is one cell of an open-addressing table: the key's 32-bit hash
// (home position and quick filter) and a record slot plus one (0 = empty).
type slotEntry struct {
	hash uint32
	ref  uint32
}

// table is an open-addressing hash table with linear probing, Robin Hood
// placement (an entry far from its home position displaces one closer to
// its own) and backward-shift deletion, so a miss stops as soon as it meets
// an entry nearer home than the probe. Keys live in the records; the table
// compares the stored hash first and asks the caller to confirm a match.
type table struct {
	e    []slotEntry
	mask uint32
	n    int
}

const minTableSize = 1024

func newTable() table {
	return table{e: make([]slotEntry, minTableSize), mask: minTableSize - 1}
}

// dist is how far position i is from the home position of hash h.
func (t *table) dist(h, i uint32) uint32 { return (i - h) & t.mask }

// find returns the position of the entry matching h for which match(ref)
// is true, or -1.
func (t *table) find(h uint32, match func(ref uint32) bool) int {
	i := h & t.mask
	for d := uint32(0); ; d++ {
		e := &t.e[i]
		if e.ref == 0 || t.dist(e.hash, i) < d {
			return -1
		}
		if e.hash == h && match(e.ref) {
			return int(i)
		}
		i = (i + 1) & t.mask
	}
}

// insert adds an entry; the key must not be present.
func (t *table) insert(h, ref uint32) {
	if (t.n+1)*4 > len(t.e)*3 {
		t.grow()
	}
	t.place(slotEntry{hash: h, ref: ref})
	t.n++
}

// place puts e at its Robin Hood position.
func (t *table) place(e slotEntry) {
	i := e.hash & t.mask
	for d := uint32(0); ; d++ {
		cur := &t.e[i]
		if cur.ref == 0 {
			*cur = e
			return
		}
		if cd := t.dist(cur.hash, i); cd < d {
			e, *cur = *cur, e
			d = cd
		}
		i = (i + 1) & t.mask
	}
}

// remove deletes the entry at position i, shifting later entries back.
func (t *table) remove(i int) {
	pos := uint32(i)
	for {
		next := (pos + 1) & t.mask
		e := t.e[next]
		if e.ref == 0 || t.dist(e.hash, next) == 0 {
			break
		}
		t.e[pos] = e
		pos = next
	}
	t.e[pos] = slotEntry{}
	t.n--
	if t.n == 0 && len(t.e) > minTableSize*16 {
		*t = newTable()
	}
}

func (t *table) grow() {
	old := t.e
	t.e = make([]slotEntry, len(old)*2)
	t.mask = uint32(len(t.e) - 1)
	for _, e := range old {
		if e.ref != 0 {
			t.place(e)
		}
	}
}
