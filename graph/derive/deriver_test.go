package derive

import (
	"errors"
	"fmt"
	"math/rand"
	"testing"
	"time"
	"unsafe"

	"github.com/spanmap/spanmap/graph/span"
)

func TestRec_size(t *testing.T) {
	if got := unsafe.Sizeof(rec{}); got != 96 {
		t.Errorf("record size = %d bytes, want 96", got)
	}
}

func TestConfig_Validate_errors(t *testing.T) {
	tests := []struct {
		name string
		mod  func(*Config)
		want error
	}{
		{"default is valid", func(*Config) {}, nil},
		{"zero TTL", func(c *Config) { c.TTL = 0 }, ErrBadTTL},
		{"zero MaxItems", func(c *Config) { c.MaxItems = 0 }, ErrBadMaxItems},
		{"huge MaxItems", func(c *Config) { c.MaxItems = 1 << 31 }, ErrBadMaxItems},
		{"empty user node name", func(c *Config) { c.UserNodeName = "" }, ErrBadUserNode},
		{"empty user node name allowed when off", func(c *Config) { c.UserNodeName = ""; c.UserNode = false }, nil},
		{"unknown peer attribute", func(c *Config) { c.PeerOrder = []string{"peer.host"} }, ErrPeerOrder},
		{"repeated peer attribute", func(c *Config) { c.PeerOrder = []string{PeerService, PeerService} }, ErrPeerOrder},
		{"empty peer order", func(c *Config) { c.PeerOrder = nil }, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := DefaultConfig()
			tc.mod(&c)
			if err := c.Validate(); !errors.Is(err, tc.want) {
				t.Errorf("Validate() = %v, want %v", err, tc.want)
			}
		})
	}
}

// TestDeriver_Add_permutations checks that every arrival order of small
// traces gives the same calls, in one batch and one span per batch.
func TestDeriver_Add_permutations(t *testing.T) {
	for _, tc := range ruleCases() {
		if len(tc.spans) > 7 {
			continue
		}
		t.Run(tc.name, func(t *testing.T) {
			cfg := DefaultConfig()
			if tc.cfg != nil {
				tc.cfg(&cfg)
			}
			// One Deriver per mode, reused: Flush leaves it empty.
			d1 := New(cfg, newClock().now)
			d := New(cfg, newClock().now)
			permute(tc.spans, func(p []span.Span) {
				obs := d1.Flush(d1.Add(p, nil))
				if got := brief(obs); got != tc.want {
					t.Fatalf("order %v:\n%s\nwant:\n%s", order(p), got, tc.want)
				}
				var obs2 []Observation
				for i := range p {
					obs2 = d.Add(p[i:i+1], obs2)
				}
				obs2 = d.Flush(obs2)
				if got := brief(obs2); got != tc.want {
					t.Fatalf("order %v one per batch:\n%s\nwant:\n%s", order(p), got, tc.want)
				}
			})
		})
	}
}

func order(p []span.Span) []string {
	out := make([]string, len(p))
	for i, s := range p {
		out[i] = s.Service + "/" + s.Kind.String()
	}
	return out
}

// permute calls fn with every permutation of s (Heap's algorithm).
func permute(s []span.Span, fn func([]span.Span)) {
	p := append([]span.Span(nil), s...)
	c := make([]int, len(p))
	fn(p)
	for i := 0; i < len(p); {
		if c[i] < i {
			if i%2 == 0 {
				p[0], p[i] = p[i], p[0]
			} else {
				p[c[i]], p[i] = p[i], p[c[i]]
			}
			fn(p)
			c[i]++
			i = 0
		} else {
			c[i] = 0
			i++
		}
	}
}

func TestDeriver_Add_pairsImmediately(t *testing.T) {
	d := New(DefaultConfig(), newClock().now)
	obs := d.Add([]span.Span{mk(2, 1, kServer, "app")}, nil)
	if len(obs) != 0 {
		t.Fatalf("server alone emitted %d calls", len(obs))
	}
	obs = d.Add([]span.Span{mk(1, 0, kClient, "web", startMs(1), durMs(30))}, obs)
	if len(obs) != 1 {
		t.Fatalf("pair emitted %d calls, want 1", len(obs))
	}
	o := obs[0]
	if !o.Paired || o.From.ID != "web" || o.To.ID != "app" || o.ClientDuration != 30e6 || o.ServerDuration != 10e6 || o.QueueLag != -1 {
		t.Errorf("unexpected observation %+v", o)
	}
	if o.Time != 1e6 || o.Operation != "op2" || o.TraceID != tid(1) {
		t.Errorf("time/op/trace = %d %q %v", o.Time, o.Operation, o.TraceID)
	}
	if st := d.Stats(); st.Completed != 1 || st.Pending != 2 || st.Added != 2 {
		t.Errorf("stats %+v", st)
	}
}

func TestDeriver_Expire_ttl(t *testing.T) {
	clk := newClock()
	cfg := DefaultConfig()
	cfg.TTL = 10 * time.Second
	d := New(cfg, clk.now)
	obs := d.Add([]span.Span{mk(1, 0, kClient, "api", peerService("payments"))}, nil)
	clk.add(5 * time.Second)
	obs = d.Add([]span.Span{mk(2, 0, kServer, "web", inTrace(2))}, obs)
	clk.add(4 * time.Second)
	if obs = d.Expire(obs); len(obs) != 0 {
		t.Fatalf("expired too early: %v", brief(obs))
	}
	clk.add(time.Second)
	obs = d.Expire(obs)
	if got, want := brief(obs), lines("api->payments external n=1 e=0 p=0"); got != want {
		t.Fatalf("after 10s:\n%s\nwant:\n%s", got, want)
	}
	clk.add(5 * time.Second)
	obs = d.Expire(obs)
	if got, want := brief(obs), lines("api->payments external n=1 e=0 p=0", "user->web rpc n=1 e=0 p=0"); got != want {
		t.Fatalf("after 15s:\n%s\nwant:\n%s", got, want)
	}
	st := d.Stats()
	if st.Expired != 2 || st.Pending != 0 || st.Unpaired != 2 {
		t.Errorf("stats %+v", st)
	}
}

func TestDeriver_PendingTraces(t *testing.T) {
	clk := newClock()
	cfg := DefaultConfig()
	cfg.TTL = 10 * time.Second
	d := New(cfg, clk.now)
	if n := d.PendingTraces(); n != 0 {
		t.Fatalf("empty store: %d pending traces", n)
	}
	// Three spans of trace 1, one of trace 2, two of trace 3.
	d.Add([]span.Span{
		mk(1, 0, kServer, "web"), mk(2, 1, kClient, "web", peerService("api")), mk(3, 2, kServer, "api"),
		mk(4, 0, kServer, "web", inTrace(2)),
	}, nil)
	clk.add(5 * time.Second)
	d.Add([]span.Span{mk(5, 0, kServer, "web", inTrace(3)), mk(6, 5, kInternal, "web", inTrace(3))}, nil)
	if n, p := d.PendingTraces(), d.Stats().Pending; n != 3 || p != 6 {
		t.Fatalf("pending traces %d, spans %d; want 3 and 6", n, p)
	}
	clk.add(5 * time.Second)
	d.Expire(nil) // traces 1 and 2 settle
	if n := d.PendingTraces(); n != 1 {
		t.Fatalf("after the first TTL: %d pending traces, want 1", n)
	}
}

// TestDeriver_clockOutsideLock: the injected clock is caller code, so the
// store reads it before taking its lock. A clock that calls back into the
// store (here: Stats) would deadlock otherwise.
func TestDeriver_clockOutsideLock(t *testing.T) {
	var d *Deriver
	clk := newClock()
	reentrant := func() time.Time {
		_ = d.Stats()
		return clk.now()
	}
	d = New(DefaultConfig(), reentrant)
	done := make(chan []Observation, 1)
	go func() {
		obs := d.Add([]span.Span{mk(1, 0, kClient, "api", peerService("payments"))}, nil)
		clk.add(time.Hour)
		done <- d.Expire(obs)
	}()
	select {
	case obs := <-done:
		if got, want := brief(obs), lines("api->payments external n=1 e=0 p=0"); got != want {
			t.Fatalf("got:\n%s\nwant:\n%s", got, want)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Add or Expire called the clock while holding the store's lock (deadlock)")
	}
}

func TestDeriver_Expire_lateChildMissesParent(t *testing.T) {
	clk := newClock()
	cfg := DefaultConfig()
	cfg.TTL = time.Second
	d := New(cfg, clk.now)
	obs := d.Add([]span.Span{mk(1, 0, kClient, "web", peerService("app"))}, nil)
	clk.add(2 * time.Second)
	obs = d.Expire(obs)
	obs = d.Add([]span.Span{mk(2, 1, kServer, "app")}, obs)
	obs = d.Flush(obs)
	want := lines("web->app external n=1 e=0 p=0", "user->app rpc n=1 e=0 p=0")
	if got := brief(obs); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
	if st := d.Stats(); st.MissingParent != 1 {
		t.Errorf("missing parent = %d, want 1", st.MissingParent)
	}
}

func TestDeriver_Add_resolvedAncestorsStayForLateChildren(t *testing.T) {
	clk := newClock()
	d := New(DefaultConfig(), clk.now)
	obs := d.Add([]span.Span{mk(1, 0, kClient, "web"), mk(2, 1, kServer, "app")}, nil)
	clk.add(5 * time.Second)
	obs = d.Expire(obs)
	obs = d.Add([]span.Span{mk(3, 2, kInternal, "app"), mk(4, 3, kServer, "db")}, obs)
	obs = d.Flush(obs)
	want := lines("web->app rpc n=1 e=0 p=1", "app->db rpc n=1 e=0 p=0")
	if got := brief(obs); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}

func TestDeriver_Add_evictsOldest(t *testing.T) {
	cfg := DefaultConfig()
	cfg.MaxItems = 3
	d := New(cfg, newClock().now)
	var obs []Observation
	for i := uint64(1); i <= 5; i++ {
		obs = d.Add([]span.Span{mk(1, 0, kClient, "api", inTrace(i), peerService("payments"))}, obs)
	}
	if len(obs) != 2 {
		t.Fatalf("evictions emitted %d calls, want 2", len(obs))
	}
	for _, o := range obs {
		if !o.Evicted {
			t.Errorf("evicted call not marked: %+v", o)
		}
	}
	st := d.Stats()
	if st.Dropped != 2 || st.Pending != 3 {
		t.Errorf("stats %+v", st)
	}
	obs = d.Flush(obs[:0])
	if len(obs) != 3 || obs[0].Evicted {
		t.Errorf("flush emitted %d calls (evicted=%v)", len(obs), len(obs) > 0 && obs[0].Evicted)
	}
}

func TestDeriver_Add_duplicates(t *testing.T) {
	spans := []span.Span{
		mk(1, 0, kClient, "web"),
		mk(2, 1, kServer, "app"),
		mk(2, 1, kServer, "app"),
		mk(1, 0, kClient, "web"),
		mk(2, 1, kServer, "app", shared()),
		mk(2, 1, kServer, "app", shared()),
	}
	obs, st := derive(DefaultConfig(), spans)
	if got, want := brief(obs), lines("web->app rpc n=1 e=0 p=1"); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
	if st.Duplicates != 4 || st.Added != 2 {
		t.Errorf("duplicates=%d added=%d, want 4 and 2", st.Duplicates, st.Added)
	}
}

func TestDeriver_Add_invalidIDs(t *testing.T) {
	s := mk(1, 0, kServer, "web")
	s.TraceID = span.TraceID{}
	s2 := mk(1, 0, kServer, "web")
	s2.SpanID = span.SpanID{}
	obs, st := derive(DefaultConfig(), []span.Span{s, s2})
	if len(obs) != 0 || st.Invalid != 2 || st.Added != 0 {
		t.Errorf("obs=%d stats=%+v", len(obs), st)
	}
}

func TestDeriver_Add_queueLag(t *testing.T) {
	obs, st := derive(DefaultConfig(), []span.Span{
		mk(1, 0, kProducer, "orders", startMs(100)),
		mk(2, 1, kConsumer, "billing", startMs(130)),
		mk(1, 0, kProducer, "orders", startMs(100), inTrace(2)),
		mk(2, 1, kConsumer, "billing", startMs(90), inTrace(2)), // consumer clock behind
	})
	if len(obs) != 2 {
		t.Fatalf("calls = %d", len(obs))
	}
	if obs[0].QueueLag != 30e6 {
		t.Errorf("lag = %d, want 30ms", obs[0].QueueLag)
	}
	if obs[1].QueueLag != -1 || st.NegativeQueueLag != 1 {
		t.Errorf("skewed lag = %d, negative count %d", obs[1].QueueLag, st.NegativeQueueLag)
	}
}

func TestDeriver_Add_clockSkewKeepsPairing(t *testing.T) {
	// The server starts before its client and ends after it: durations are
	// reported as recorded.
	obs, _ := derive(DefaultConfig(), []span.Span{
		mk(1, 0, kClient, "web", startMs(1000), durMs(5)),
		mk(2, 1, kServer, "app", startMs(400), durMs(50)),
	})
	if len(obs) != 1 || obs[0].ClientDuration != 5e6 || obs[0].ServerDuration != 50e6 || obs[0].Time != 1000e6 {
		t.Errorf("got %+v", obs)
	}
}

func TestDeriver_Add_splitAcrossBatches(t *testing.T) {
	spans := []span.Span{
		mk(1, 0, kServer, "web"),
		mk(2, 1, kInternal, "web"),
		mk(3, 2, kClient, "web"),
		mk(4, 3, kServer, "app"),
		mk(5, 4, kClient, "app", dbSystem("postgresql")),
		mk(6, 4, kProducer, "app", msgSystem("kafka")),
		mk(7, 6, kConsumer, "worker"),
	}
	want := lines("user->web rpc n=1 e=0 p=0", "web->app rpc n=1 e=1 p=1",
		"app->postgresql database n=1 e=0 p=0", "app->worker messaging n=1 e=0 p=1")
	spans[3].HTTPStatus = 503
	rng := rand.New(rand.NewSource(1))
	for round := 0; round < 50; round++ {
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
			t.Fatalf("round %d:\n%s\nwant:\n%s", round, got, want)
		}
	}
}

// bigTrace builds one trace of n spans: a root server in "gw" fanning out to
// services, each call a client span and a server span, with internal spans.
func bigTrace(trace uint64, n int) []span.Span {
	spans := []span.Span{mk(1, 0, kServer, "gw", inTrace(trace))}
	id := uint64(2)
	for len(spans)+3 <= n {
		svc := "svc" + string(rune('a'+int(id)%7))
		in := mk(id, 1, kInternal, "gw", inTrace(trace))
		cl := mk(id+1, id, kClient, "gw", inTrace(trace))
		sv := mk(id+2, id+1, kServer, svc, inTrace(trace))
		spans = append(spans, in, cl, sv)
		id += 3
	}
	return spans
}

func TestDeriver_Add_tenThousandSpanTrace(t *testing.T) {
	spans := bigTrace(1, 10_000)
	calls := (len(spans) - 1) / 3
	for _, reverse := range []bool{false, true} {
		p := append([]span.Span(nil), spans...)
		if reverse {
			for i, j := 0, len(p)-1; i < j; i, j = i+1, j-1 {
				p[i], p[j] = p[j], p[i]
			}
		}
		obs, st := derive(DefaultConfig(), p)
		paired := 0
		for _, o := range obs {
			if o.Paired {
				paired++
			}
		}
		if paired != calls || len(obs) != calls+1 {
			t.Errorf("reverse=%v: %d paired of %d calls, %d observations", reverse, paired, calls, len(obs))
		}
		if st.MissingParent != 0 {
			t.Errorf("reverse=%v: missing parents %d", reverse, st.MissingParent)
		}
	}
}

func TestDeriver_Add_deepInternalChain(t *testing.T) {
	const depth = 20_000
	spans := []span.Span{mk(1, 0, kClient, "a")}
	spans = append(spans, mk(2, 1, kServer, "b"))
	for i := uint64(3); i < depth; i++ {
		spans = append(spans, mk(i, i-1, kInternal, "b"))
	}
	spans = append(spans, mk(depth, depth-1, kServer, "c"))
	want := lines("a->b rpc n=1 e=0 p=1", "b->c rpc n=1 e=0 p=0")
	for _, reverse := range []bool{false, true} {
		p := append([]span.Span(nil), spans...)
		if reverse {
			for i, j := 0, len(p)-1; i < j; i, j = i+1, j-1 {
				p[i], p[j] = p[j], p[i]
			}
		}
		obs, _ := derive(DefaultConfig(), p)
		if got := brief(obs); got != want {
			t.Errorf("reverse=%v:\n%s\nwant:\n%s", reverse, got, want)
		}
	}
}

func TestDeriver_Add_deepChainOfServices(t *testing.T) {
	// Nested same-service servers through a long chain stay nested.
	spans := []span.Span{mk(1, 0, kServer, "a"), mk(2, 1, kInternal, "a")}
	for i := uint64(3); i < 1000; i++ {
		spans = append(spans, mk(i, i-1, kInternal, "a"))
	}
	spans = append(spans, mk(1000, 999, kServer, "a"))
	obs, st := derive(DefaultConfig(), spans)
	if got, want := brief(obs), lines("user->a rpc n=1 e=0 p=0"); got != want || st.Nested != 1 {
		t.Errorf("got:\n%s nested=%d", got, st.Nested)
	}
}

func TestDeriver_Observation_endpoints(t *testing.T) {
	obs, _ := derive(DefaultConfig(), []span.Span{
		mk(1, 0, kClient, "web", namespace("shop"), prob(0.25)),
		mk(2, 1, kServer, "app", namespace("core")),
		mk(3, 2, kClient, "app", dbSystem("postgresql")),
	})
	if len(obs) != 2 {
		t.Fatalf("calls = %d", len(obs))
	}
	p := obs[0]
	if p.From.Namespace != "shop" || p.To.Namespace != "core" || p.From.Kind != "service" || p.SamplingProbability != 0.25 {
		t.Errorf("pair endpoints %+v %+v prob %v", p.From, p.To, p.SamplingProbability)
	}
	v := obs[1]
	if v.To.Kind != "database" || v.To.ID != "postgresql" || v.Kind != "database" || v.ClientDuration != 10e6 || v.ServerDuration != -1 {
		t.Errorf("virtual %+v", v)
	}
}

func TestDeriver_Flush_resetsInterner(t *testing.T) {
	d := New(DefaultConfig(), newClock().now)
	var spans []span.Span
	for i := uint64(1); i <= 70_000; i++ {
		spans = append(spans, mk(1, 0, kClient, "api", inTrace(i), name("GET /item/"+string(rune(i))), peerService("x")))
	}
	obs := d.Flush(d.Add(spans, nil))
	if len(obs) != 70_000 {
		t.Fatalf("calls %d", len(obs))
	}
	if d.in.len() > 1000 {
		t.Errorf("interner kept %d strings after flush", d.in.len())
	}
	obs = d.Flush(d.Add([]span.Span{mk(1, 0, kClient, "web"), mk(2, 1, kServer, "app")}, obs[:0]))
	if got, want := brief(obs), lines("web->app rpc n=1 e=0 p=1"); got != want {
		t.Errorf("after compaction:\n%s", got)
	}
}

// TestDeriver_Add_compactsInterner: on a standing clock (a file read as one
// batch) nothing expires, yet a full store settles its oldest spans; Add
// compacts the interner, so distinct operation names do not pile up.
func TestDeriver_Add_compactsInterner(t *testing.T) {
	cfg := DefaultConfig()
	cfg.MaxItems = 1000
	frozen := time.Unix(0, 0)
	d := New(cfg, func() time.Time { return frozen })
	for b := range 70 {
		var spans []span.Span
		for i := uint64(1); i <= 1000; i++ {
			n := uint64(b)*1000 + i
			spans = append(spans, mk(1, 0, kClient, "api", inTrace(n+10), name(fmt.Sprintf("GET /item/%d", n)), peerService("x")))
		}
		d.Add(spans, nil)
	}
	if d.in.len() >= 1<<16 {
		t.Fatalf("interner holds %d strings for %d pending spans", d.in.len(), d.ring.len())
	}
}

func TestDeriver_Expire_compactsInternerKeepingLiveNames(t *testing.T) {
	clk := newClock()
	d := New(DefaultConfig(), clk.now)
	var spans []span.Span
	for i := uint64(1); i <= 70_000; i++ {
		spans = append(spans, mk(1, 0, kClient, "api", inTrace(i+10), name(fmt.Sprintf("GET /item/%d", i)), peerService("x")))
	}
	d.Add(spans, nil)
	clk.add(5 * time.Second)
	d.Add([]span.Span{mk(1, 0, kClient, "web", namespace("shop"), peerService("payments")), mk(3, 2, kServer, "db")}, nil)
	clk.add(6 * time.Second)
	if obs := d.Expire(nil); len(obs) != 70_000 {
		t.Fatalf("expired %d calls", len(obs))
	}
	if d.in.len() > 100 {
		t.Fatalf("interner not compacted: %d strings", d.in.len())
	}
	obs := d.Add([]span.Span{mk(2, 1, kServer, "app", name("POST /pay"))}, nil)
	obs = d.Flush(obs)
	want := lines("web->app rpc n=1 e=0 p=1", "app->db rpc n=1 e=0 p=0")
	if got := brief(obs); got != want {
		t.Fatalf("got:\n%s\nwant:\n%s", got, want)
	}
	if obs[0].Operation != "POST /pay" || obs[0].From.Namespace != "shop" {
		t.Errorf("names after compaction: %+v", obs[0])
	}
}
