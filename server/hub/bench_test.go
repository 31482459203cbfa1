package hub

import (
	"bufio"
	"bytes"
	"compress/flate"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/spanmap/spanmap/graph"
	"github.com/spanmap/spanmap/graph/layout"
)

// The fan-out benchmark runs its subscribers in a child process (this test
// binary running TestHelperFanoutClients), so the CPU it measures is the
// server's alone. The child prints one line per snapshot or diff version
// once every subscriber has it: the version and the receive times (Unix
// nanoseconds) at the 50th and 99th percentile and the last one.

const (
	envFanoutURL     = "SPANMAP_HUB_FANOUT_URL"
	envFanoutN       = "SPANMAP_HUB_FANOUT_N"
	envFanoutDeflate = "SPANMAP_HUB_FANOUT_DEFLATE"
)

// fanoutTicks is the number of one-second ticks in one op of
// BenchmarkHub_fanout.
const fanoutTicks = 10

// BenchmarkHub_fanout streams one View of a 500-service graph to 1,000
// subscribers at one tick a second, with 10% of the edges' figures changing
// each tick, and reports the server's CPU per tick (the subscribers run in
// a child process) and the delivery latency: the median over ticks of the
// 99th-percentile subscriber, and the worst one.
func BenchmarkHub_fanout(b *testing.B) {
	for _, mode := range []struct {
		name        string
		compression CompressionMode
	}{
		{"plain", CompressionOff},
		{"deflate", CompressionNoContextTakeover},
		{"deflate-takeover", CompressionContextTakeover},
	} {
		b.Run(mode.name, func(b *testing.B) { benchFanout(b, 1000, 500, mode.compression) })
	}
}

func benchFanout(b *testing.B, subscribers, services int, mode CompressionMode) {
	cfg := DefaultConfig()
	cfg.QueueLen = 64
	cfg.MaxSubscribers = subscribers
	cfg.Compression = mode
	e := newEnv(b, cfg)
	e.g.shop(services)
	const q = ""
	base := e.snapshot(q) // lays out the graph once, outside the timing
	var m0 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m0)

	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperFanoutClients$")
	cmd.Env = append(os.Environ(), envFanoutURL+"="+e.url, envFanoutN+"="+strconv.Itoa(subscribers),
		envFanoutDeflate+"="+string(mode))
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() {
		e.h.shutdown() // closes every subscriber: the child exits
		if err := cmd.Wait(); err != nil {
			b.Errorf("client process: %v", err)
		}
	}()
	lines := bufio.NewScanner(out)
	next := func() (version uint64, p50, p99, last int64) {
		if !lines.Scan() {
			b.Fatalf("client process ended: %v", lines.Err())
		}
		if _, err := fmt.Sscan(lines.Text(), &version, &p50, &p99, &last); err != nil {
			b.Fatalf("client line %q: %v", lines.Text(), err)
		}
		return version, p50, p99, last
	}
	next() // every subscriber has its first snapshot

	var m1 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m1)
	r := randFor(b)
	var p99s, lasts []float64
	var diffBytes uint64
	st0 := e.h.Stats()
	cpu0 := cpuTime()
	b.ResetTimer()
	ticks := 0
	for range b.N {
		// One op is fanoutTicks ticks at the hub's rate, one a second, so
		// the figures include what the server does between ticks.
		for range fanoutTicks {
			e.g.churnMetrics(r, 0.1)
			start := time.Now()
			e.tick()
			ticks++
			want := e.view(q).current().Version
			for {
				v, _, p99, last := next()
				if v == want {
					p99s = append(p99s, float64(p99-start.UnixNano())/1e6)
					lasts = append(lasts, float64(last-start.UnixNano())/1e6)
					break
				}
			}
			time.Sleep(time.Until(start.Add(time.Second)))
		}
	}
	b.StopTimer()
	cpu := cpuTime() - cpu0
	st := e.h.Stats()
	diffBytes = (st.DiffBytes - st0.DiffBytes) / uint64(subscribers)
	slices.Sort(p99s)
	slices.Sort(lasts)
	b.ReportMetric(cpu.Seconds()*1e3/float64(ticks), "server-cpu-ms/tick")
	b.ReportMetric((st.TickSeconds-st0.TickSeconds)*1e3/float64(ticks), "compute-ms/tick")
	b.ReportMetric(p99s[len(p99s)/2], "p99-delivery-ms")
	b.ReportMetric(lasts[len(lasts)-1], "max-delivery-ms")
	b.ReportMetric(float64(diffBytes)/float64(ticks), "diff-B/tick")
	b.ReportMetric(float64(int64(m1.HeapInuse)-int64(m0.HeapInuse))/float64(subscribers)/1024, "heap-KiB/subscriber")
	b.ReportMetric(float64(len(base.Nodes)), "nodes")
}

// cpuTime returns the user and system CPU time of this process.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// TestHelperFanoutClients is the subscriber side of BenchmarkHub_fanout; it
// only runs in the child process the benchmark starts.
func TestHelperFanoutClients(t *testing.T) {
	url := os.Getenv(envFanoutURL)
	if url == "" {
		t.Skip("runs as the client process of BenchmarkHub_fanout")
	}
	n, err := strconv.Atoi(os.Getenv(envFanoutN))
	if err != nil {
		t.Fatal(err)
	}
	opts := &websocket.DialOptions{CompressionMode: CompressionMode(os.Getenv(envFanoutDeflate)).websocketMode()}
	var (
		mu   sync.Mutex
		seen = map[uint64][]int64{}
		out  = bufio.NewWriter(os.Stdout)
		wg   sync.WaitGroup
	)
	got := func(version uint64, at int64) {
		mu.Lock()
		defer mu.Unlock()
		seen[version] = append(seen[version], at)
		if ts := seen[version]; len(ts) == n {
			slices.Sort(ts)
			fmt.Fprintf(out, "%d %d %d %d\n", version, ts[n/2], ts[n*99/100], ts[n-1])
			out.Flush()
			delete(seen, version)
		}
	}
	sub, err := json.Marshal(graph.NewSubscribe(""))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for range n {
		conn, _, err := websocket.Dial(ctx, url, opts)
		if err != nil {
			t.Fatal(err)
		}
		conn.SetReadLimit(-1)
		if err := conn.Write(ctx, websocket.MessageText, sub); err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer conn.CloseNow()
			var buf bytes.Buffer
			for {
				_, r, err := conn.Reader(ctx)
				if err != nil {
					return
				}
				buf.Reset()
				if _, err := buf.ReadFrom(r); err != nil {
					return
				}
				if v, ok := messageVersion(buf.Bytes()); ok {
					got(v, time.Now().UnixNano())
				}
			}
		}()
	}
	wg.Wait()
}

// messageVersion finds the envelope version of a snapshot or diff message
// without decoding the payload.
func messageVersion(msg []byte) (uint64, bool) {
	head := msg[:min(len(msg), 200)]
	if !bytes.Contains(head, []byte(`"type":"diff"`)) && !bytes.Contains(head, []byte(`"type":"snapshot"`)) {
		return 0, false
	}
	_, rest, ok := bytes.Cut(head, []byte(`"version":`))
	if !ok {
		return 0, false
	}
	end := bytes.IndexAny(rest, ",}")
	if end < 0 {
		return 0, false
	}
	v, err := strconv.ParseUint(string(rest[:end]), 10, 64)
	return v, err == nil
}

// BenchmarkHub_diffSize measures a metric-only diff against the snapshot it
// updates on a 500-service graph, raw and deflated the way
// permessage-deflate does it, for growing shares of changed edges. The
// timed part is diffing and encoding one tick's change.
func BenchmarkHub_diffSize(b *testing.B) {
	for _, share := range []float64{0.01, 0.1, 1} {
		b.Run(fmt.Sprintf("changed=%g%%", share*100), func(b *testing.B) {
			e := newEnv(b, DefaultConfig())
			e.g.shop(500)
			spec := graph.DefaultView()
			now := e.clk.Now()
			prev, p, err := e.h.build(context.Background(), spec, spec.Encode(), now)
			if err != nil {
				b.Fatal(err)
			}
			prev.Version = 1
			e.g.churnMetrics(randFor(b), share)
			fresh, err := e.h.compute(context.Background(), spec, spec.Encode(), now)
			if err != nil {
				b.Fatal(err)
			}
			next := p.place(fresh)
			next.Version = 2
			snap, err := json.Marshal(graph.NewSnapshotMessage(&next))
			if err != nil {
				b.Fatal(err)
			}
			var diff []byte
			b.ResetTimer()
			for range b.N {
				d := graph.Compute(prev, next)
				diff, err = json.Marshal(graph.NewDiffMessage(spec.Encode(), &d))
				if err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(len(snap)), "snapshot-B")
			b.ReportMetric(float64(len(diff)), "diff-B")
			b.ReportMetric(float64(len(diff))/float64(len(snap)), "diff/snapshot")
			b.ReportMetric(float64(deflated(snap)), "snapshot-deflate-B")
			b.ReportMetric(float64(deflated(diff)), "diff-deflate-B")
		})
	}
}

// deflated returns the size of p compressed as one permessage-deflate
// message without context takeover.
func deflated(p []byte) int {
	var buf bytes.Buffer
	w, _ := flate.NewWriter(&buf, flate.BestSpeed)
	w.Write(p)
	w.Flush()
	return buf.Len()
}

// BenchmarkHub_tickDuringLayout lays out a 1,000-service, 3,000-call View
// with graphviz after a topology change and measures the ticks that run
// meanwhile, with a second, small View streaming figures all along. The
// hub never waits for the layout, but graphviz runs as WebAssembly code the
// Go runtime cannot preempt, so a garbage collection that starts during a
// layout stops every goroutine until the layout returns: worst-tick-ms
// shows it.
func BenchmarkHub_tickDuringLayout(b *testing.B) {
	l, err := layout.New(layout.DefaultConfig())
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	e := newEnvWith(b, DefaultConfig(), l, nil)
	r := randFor(b)
	e.g.mesh(r, 1000, 3000)
	t0 := time.Now()
	e.snapshot("") // the layouter caches it for the first snapshot below
	first := time.Since(t0)
	big, small := e.dial(nil).start(), e.dial(nil).start()
	big.subscribe("")
	small.subscribe("focus=svc-001&up=0")
	big.sync(e, "")
	small.sync(e, "focus=svc-001&up=0")
	callee := ""
	for _, ed := range e.g.edgeEnds() {
		if ed[0] == "svc-001" {
			callee = ed[1]
			break
		}
	}
	var ticks int
	var worst, layoutTime time.Duration
	b.ResetTimer()
	for i := range b.N {
		e.g.addNode(fmt.Sprintf("new-%d", i), graph.NodeService, "ns-0")
		e.g.addEdge(svc(500), fmt.Sprintf("new-%d", i))
		start := time.Now()
		e.tick() // starts the layout
		for len(e.h.sem) > 0 {
			e.g.setEdgeCalls("svc-001", callee, int64(r.IntN(1000)), 0)
			t0 := time.Now()
			e.tick()
			worst = max(worst, time.Since(t0))
			ticks++
			time.Sleep(100 * time.Millisecond)
		}
		layoutTime += time.Since(start)
		e.tick() // lands it
	}
	b.StopTimer()
	big.sync(e, "")
	small.sync(e, "focus=svc-001&up=0")
	b.ReportMetric(first.Seconds(), "first-layout-s")
	b.ReportMetric(layoutTime.Seconds()/float64(b.N), "layout-s")
	b.ReportMetric(float64(ticks)/float64(b.N), "ticks-during-layout")
	b.ReportMetric(float64(worst.Milliseconds()), "worst-tick-ms")
}
