package derive

import (
	"math/rand"
	"testing"
)

// TestTable_insertFindRemove checks the table against a map under random
// inserts and removals, including colliding hashes.
func TestTable_insertFindRemove(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	tb := newTable()
	want := map[uint32]uint32{} // ref -> hash
	next := uint32(1)
	for step := 0; step < 200_000; step++ {
		if len(want) == 0 || rng.Intn(3) != 0 {
			h := rng.Uint32()
			if rng.Intn(4) == 0 {
				h &= 0xff // many collisions on few home positions
			}
			tb.insert(h, next)
			want[next] = h
			next++
			continue
		}
		for ref, h := range want {
			i := tb.find(h, func(r uint32) bool { return r == ref })
			if i < 0 {
				t.Fatalf("step %d: ref %d not found", step, ref)
			}
			tb.remove(i)
			delete(want, ref)
			break
		}
	}
	if tb.n != len(want) {
		t.Fatalf("table holds %d, want %d", tb.n, len(want))
	}
	for ref, h := range want {
		if tb.find(h, func(r uint32) bool { return r == ref }) < 0 {
			t.Fatalf("ref %d lost", ref)
		}
	}
	if tb.find(0xdeadbeef, func(uint32) bool { return true }) >= 0 && want[0] == 0 {
		for _, h := range want {
			if h == 0xdeadbeef {
				return
			}
		}
		t.Fatal("found a hash never inserted")
	}
}

func TestRing_pushPop(t *testing.T) {
	r := newRing(3 * chunkSize)
	seqs := 0
	for round := 0; round < 5; round++ {
		for i := 0; i < 3*chunkSize+100 && r.len() < int(r.mask)+1; i++ {
			s := r.push()
			r.at(s).start = int64(seqs)
			seqs++
		}
		for i := 0; i < 2*chunkSize+7; i++ {
			want := int64(seqs - r.len())
			if got := r.at(r.headSlot()).start; got != want {
				t.Fatalf("round %d: head %d, want %d", round, got, want)
			}
			r.pop()
		}
	}
	for r.len() > 0 {
		r.pop()
	}
	n := 0
	for _, c := range r.chunks {
		if c != nil {
			n++
		}
	}
	if n > 1 {
		t.Errorf("%d chunks kept after emptying", n)
	}
}
