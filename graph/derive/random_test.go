package derive

import (
	"math/rand"
	"sync"
	"testing"
	"time"

	"github.com/spanmap/spanmap/graph/span"
)

// randomTrace builds a random span tree: random kinds, services (some
// missing), peer attributes, errors, a few shared halves and links.
func randomTrace(rng *rand.Rand, trace uint64, n int) []span.Span {
	kinds := []span.Kind{kServer, kClient, kInternal, kProducer, kConsumer, kNone}
	svcs := []string{"a", "b", "c", "d", ""}
	spans := make([]span.Span, 0, n)
	for i := 1; i <= n; i++ {
		var parent uint64
		if i > 1 && rng.Intn(10) != 0 {
			parent = uint64(1 + rng.Intn(i-1))
		}
		s := mk(uint64(i), parent, kinds[rng.Intn(len(kinds))], svcs[rng.Intn(len(svcs))], inTrace(trace))
		switch rng.Intn(6) {
		case 0:
			s.Peer.Service = "peer-" + svcs[rng.Intn(4)]
		case 1:
			s.Peer.DBSystem = "postgresql"
		case 2:
			s.Peer.MessagingSystem = "kafka"
		}
		if rng.Intn(8) == 0 {
			s.ErrorTag = true
		}
		if rng.Intn(12) == 0 && trace > 1 {
			s.Links = []span.Link{{TraceID: tid(trace - 1), SpanID: sid(uint64(1 + rng.Intn(n)))}}
		}
		spans = append(spans, s)
		if s.Kind == kClient && rng.Intn(5) == 0 {
			h := mk(uint64(i), parent, kServer, svcs[rng.Intn(4)], inTrace(trace))
			h.Shared = true // unflagged halves are order-dependent (see recheckHalf)
			spans = append(spans, h)
		}
	}
	// A server directly below a shared span ID in the server half's own
	// service is nested in Zipkin's tree only if the half arrives first:
	// keep such children internal (a documented order dependence).
	half := map[span.SpanID]string{}
	for _, s := range spans {
		if s.Shared {
			half[s.SpanID] = s.Service
		}
	}
	for i := range spans {
		if svc, ok := half[spans[i].ParentID]; ok && !spans[i].Shared && isCallee(spans[i].Kind) && spans[i].Service == svc {
			spans[i].Kind = kInternal
		}
	}
	return spans
}

// TestDeriver_Add_randomOrderInvariance derives random traces in many
// arrival orders and batchings: the calls must not depend on the order, and
// the store must be empty afterwards.
func TestDeriver_Add_randomOrderInvariance(t *testing.T) {
	rng := rand.New(rand.NewSource(11))
	for round := 0; round < 60; round++ {
		var spans []span.Span
		for tr := uint64(1); tr <= 3; tr++ {
			spans = append(spans, randomTrace(rng, tr, 5+rng.Intn(25))...)
		}
		d0 := New(DefaultConfig(), newClock().now)
		want := brief(d0.Flush(d0.Add(spans, nil)))
		assertEmpty(t, d0)
		for k := 0; k < 8; k++ {
			p := append([]span.Span(nil), spans...)
			rng.Shuffle(len(p), func(i, j int) { p[i], p[j] = p[j], p[i] })
			d := New(DefaultConfig(), newClock().now)
			var obs []Observation
			for len(p) > 0 {
				n := 1 + rng.Intn(len(p))
				obs = d.Add(p[:n], obs)
				p = p[n:]
			}
			obs = d.Flush(obs)
			if got := brief(obs); got != want {
				t.Fatalf("round %d order %d:\n%s\nwant:\n%s", round, k, got, want)
			}
			assertEmpty(t, d)
		}
	}
}

func assertEmpty(t *testing.T, d *Deriver) {
	t.Helper()
	if d.ring.len() != 0 || d.index.n != 0 || d.waiters.n != 0 || len(d.links) != 0 || len(d.linkWait) != 0 || d.sharedN != 0 {
		t.Fatalf("store not empty: ring %d index %d waiters %d links %d linkWait %d shared %d",
			d.ring.len(), d.index.n, d.waiters.n, len(d.links), len(d.linkWait), d.sharedN)
	}
}

// TestDeriver_Add_smallStoreStaysConsistent runs random traffic through a
// tiny store so evictions happen in the middle of waiting chains.
func TestDeriver_Add_smallStoreStaysConsistent(t *testing.T) {
	rng := rand.New(rand.NewSource(5))
	cfg := DefaultConfig()
	cfg.MaxItems = 7
	clk := newClock()
	d := New(cfg, clk.now)
	var obs []Observation
	for tr := uint64(1); tr < 400; tr++ {
		p := randomTrace(rng, tr, 3+rng.Intn(12))
		rng.Shuffle(len(p), func(i, j int) { p[i], p[j] = p[j], p[i] })
		obs = d.Add(p, obs[:0])
		if d.ring.len() > cfg.MaxItems {
			t.Fatalf("store holds %d > %d", d.ring.len(), cfg.MaxItems)
		}
		clk.add(time.Duration(rng.Intn(3)) * time.Second)
		obs = d.Expire(obs)
	}
	d.Flush(obs[:0])
	assertEmpty(t, d)
	st := d.Stats()
	if st.Dropped == 0 || st.Added != st.Expired+st.Dropped+st.Flushed {
		t.Errorf("counters do not add up: %+v", st)
	}
}

func TestDeriver_concurrentUse(t *testing.T) {
	clk := &syncClock{t: time.Unix(1_700_000_000, 0)}
	d := New(DefaultConfig(), clk.now)
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			rng := rand.New(rand.NewSource(int64(g)))
			for i := 0; i < 200; i++ {
				d.Add(randomTrace(rng, uint64(g*1000+i+2), 10), nil)
				if i%20 == 0 {
					clk.add(3 * time.Second)
					d.Expire(nil)
					_ = d.Stats()
				}
			}
		}(g)
	}
	wg.Wait()
	d.Flush(nil)
	assertEmpty(t, d)
}

type syncClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *syncClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *syncClock) add(dur time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(dur)
	c.mu.Unlock()
}
