package derive

import (
	"encoding/binary"
	"math/rand"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/spanmap/spanmap/graph/span"
)

// realisticTraces builds n traces shaped like a small web shop: a gateway
// server span, internal spans, client/server pairs across services, database
// and cache clients, a producer/consumer pair and an external call. About 20
// spans per trace. Within a trace spans are shuffled, as exporters send
// children (which end first) before parents.
func realisticTraces(n int, seed int64) []span.Span {
	rng := rand.New(rand.NewSource(seed))
	services := []string{"frontend", "cart", "checkout", "payment", "shipping", "catalog", "user", "email"}
	ops := []string{"GET /", "POST /cart", "GET /product/{id}", "Charge", "Quote", "GetUser", "Send"}
	out := make([]span.Span, 0, n*22)
	for t := 0; t < n; t++ {
		var tr span.TraceID
		binary.BigEndian.PutUint64(tr[0:8], rng.Uint64())
		binary.BigEndian.PutUint64(tr[8:16], uint64(t+1))
		var next uint64 = 1
		var spans []span.Span
		base := int64(t) * int64(time.Millisecond)
		add := func(parent uint64, kind span.Kind, svc, op string, p span.Peer) uint64 {
			id := next
			next++
			s := span.Span{TraceID: tr, SpanID: sid(id), Kind: kind, Service: svc, Name: op,
				Start: base + int64(id)*1000, Duration: int64(rng.Intn(50_000_000)), Peer: p}
			if parent != 0 {
				s.ParentID = sid(parent)
			}
			if rng.Intn(50) == 0 {
				s.StatusError = true
			}
			spans = append(spans, s)
			return id
		}
		root := add(0, span.KindServer, "frontend", "GET /", span.Peer{})
		in := add(root, span.KindInternal, "frontend", "render", span.Peer{})
		for c := 0; c < 4; c++ {
			svc := services[1+rng.Intn(len(services)-1)]
			cl := add(in, span.KindClient, "frontend", ops[rng.Intn(len(ops))], span.Peer{})
			sv := add(cl, span.KindServer, svc, ops[rng.Intn(len(ops))], span.Peer{})
			work := add(sv, span.KindInternal, svc, "handle", span.Peer{})
			add(work, span.KindClient, svc, "SELECT", span.Peer{DBSystem: "postgresql", DBName: svc + "-db"})
		}
		pr := add(in, span.KindProducer, "frontend", "publish", span.Peer{MessagingSystem: "kafka", Destination: "events"})
		add(pr, span.KindConsumer, "email", "process", span.Peer{MessagingSystem: "kafka"})
		add(in, span.KindClient, "frontend", "GET", span.Peer{ServerAddress: "api.stripe.com"})
		rng.Shuffle(len(spans), func(i, j int) { spans[i], spans[j] = spans[j], spans[i] })
		out = append(out, spans...)
	}
	return out
}

// BenchmarkDeriver_Add feeds decoded spans in batches of 1000 with a clock
// that advances so the store holds about 100,000 pending spans (a 10 s TTL
// at 10,000 spans/s of traffic), expiring as a server would. The span pool is
// reused with fresh trace IDs on every pass.
func BenchmarkDeriver_Add(b *testing.B) {
	pool := realisticTraces(10_000, 1) // ~200k spans
	const batch = 1000
	clk := newClock()
	d := New(DefaultConfig(), clk.now)
	obs := make([]Observation, 0, 4096)
	pos, pass := 0, uint64(0)
	spans := 0
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	for i := 0; i < b.N; i++ {
		if pos+batch > len(pool) {
			b.StopTimer()
			pos = 0
			pass++
			for j := range pool {
				binary.BigEndian.PutUint32(pool[j].TraceID[0:4], uint32(pass))
			}
			b.StartTimer()
		}
		obs = d.Add(pool[pos:pos+batch], obs[:0])
		pos += batch
		spans += batch
		clk.add(100 * time.Millisecond)
		obs = d.Expire(obs[:0])
	}
	b.StopTimer()
	if sec := b.Elapsed().Seconds(); sec > 0 {
		b.ReportMetric(float64(spans)/sec, "spans/s")
	}
	// On a shared machine wall time overstates the cost; CPU time used by
	// the process (GC included) gives spans per second per core.
	if sec := (cpuTime() - cpu0).Seconds(); sec > 0 {
		b.ReportMetric(float64(spans)/sec, "spans/cpu-s")
	}
	b.ReportMetric(float64(d.Stats().Pending), "pending")
}

// BenchmarkDeriver_memory measures heap bytes per pending span with the
// store holding 500,000 spans of realistic traces (children waiting for
// parents included).
func BenchmarkDeriver_memory(b *testing.B) {
	pool := realisticTraces(25_000, 2) // ~500k spans
	for i := 0; i < b.N; i++ {
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		d := New(DefaultConfig(), newClock().now)
		for pos := 0; pos < len(pool); pos += 1000 {
			end := min(pos+1000, len(pool))
			_ = d.Add(pool[pos:end], nil)
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		pending := d.Stats().Pending
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/float64(pending), "bytes/pending-span")
		b.ReportMetric(float64(pending), "pending")
		runtime.KeepAlive(d)
	}
}

// cpuTime returns the CPU time (user + system) used by the process.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
