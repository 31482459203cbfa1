//go:build e2e

package e2e

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"
)

// Crash test traffic: crashSenders clients each post a batch of crashBatch
// traces (one call crash-caller -> crash-callee, client and server span)
// every crashEvery, for crashIngest; then spanmap is killed mid-ingest.
const (
	crashSenders = 4
	crashBatch   = 250
	crashEvery   = 100 * time.Millisecond // 10,000 calls/s in all
	crashIngest  = 35 * time.Second       // three flushes at least
	crashFlush   = 10 * time.Second       // spanmap's default flush interval
	crashCaller  = "crash-caller"
	crashCallee  = "crash-callee"
)

// ackLog records, per minute of the calls' start, the calls posted and the
// calls acknowledged (HTTP 200), with the time of each acknowledgement.
type ackLog struct {
	mu        sync.Mutex
	attempted map[int64]int64 // minute (Unix s) -> calls posted
	acks      []ack
}

type ack struct {
	at     time.Time
	minute int64
	calls  int64
}

func (l *ackLog) posted(minute, n int64) {
	l.mu.Lock()
	l.attempted[minute] += n
	l.mu.Unlock()
}

func (l *ackLog) acked(minute, n int64) {
	l.mu.Lock()
	l.acks = append(l.acks, ack{time.Now(), minute, n})
	l.mu.Unlock()
}

// crashRequest encodes n traces of one call each starting at start, with
// trace IDs unique to gen.
func crashRequest(gen uint64, start time.Time, n int) []byte {
	res := func(svc string) *resourcepb.Resource {
		return &resourcepb.Resource{Attributes: []*commonpb.KeyValue{{Key: "service.name",
			Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: svc}}}}}
	}
	var client, server []*tracepb.Span
	for i := range n {
		tid := make([]byte, 16)
		binary.BigEndian.PutUint64(tid, gen)
		binary.BigEndian.PutUint64(tid[8:], uint64(i)+1)
		cid := binary.BigEndian.AppendUint64(nil, gen<<20|uint64(2*i+1))
		sid := binary.BigEndian.AppendUint64(nil, gen<<20|uint64(2*i+2))
		t0 := uint64(start.UnixNano()) + uint64(i)*1000
		client = append(client, &tracepb.Span{TraceId: tid, SpanId: cid, Name: "GET /pay", Kind: tracepb.Span_SPAN_KIND_CLIENT,
			StartTimeUnixNano: t0, EndTimeUnixNano: t0 + 3e6})
		server = append(server, &tracepb.Span{TraceId: tid, SpanId: sid, ParentSpanId: cid, Name: "GET /pay",
			Kind: tracepb.Span_SPAN_KIND_SERVER, StartTimeUnixNano: t0 + 5e5, EndTimeUnixNano: t0 + 25e5})
	}
	req := &coltracepb.ExportTraceServiceRequest{ResourceSpans: []*tracepb.ResourceSpans{
		{Resource: res(crashCaller), ScopeSpans: []*tracepb.ScopeSpans{{Spans: client}}},
		{Resource: res(crashCallee), ScopeSpans: []*tracepb.ScopeSpans{{Spans: server}}},
	}}
	b, err := proto.Marshal(req)
	if err != nil {
		panic(err) // a well-formed message always encodes
	}
	return b
}

// sendCrashTraffic posts batches from crashSenders clients until stop is
// closed, logging every batch.
func sendCrashTraffic(url string, log *ackLog, stop <-chan struct{}) *sync.WaitGroup {
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: crashSenders}}
	var gen atomic.Uint64
	var wg sync.WaitGroup
	for range crashSenders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tick := time.NewTicker(crashEvery)
			defer tick.Stop()
			for {
				select {
				case <-stop:
					return
				case <-tick.C:
				}
				start := time.Now()
				minute := start.Truncate(time.Minute).Unix()
				body := crashRequest(gen.Add(1), start, crashBatch)
				log.posted(minute, crashBatch)
				resp, err := client.Post(url, "application/x-protobuf", bytes.NewReader(body))
				if err != nil {
					continue // refused or cut by the kill: not acknowledged
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					log.acked(minute, crashBatch)
				}
			}
		}()
	}
	return &wg
}

// scrape is one reading of spanmap's /metrics.
type scrape struct {
	at      time.Time // when the request was sent
	flushes float64   // spanmap_history_flushes_total
	paired  float64   // spanmap_calls_paired_total{source="otlp"}
}

func readMetrics(base string, at time.Time) (scrape, error) {
	s := scrape{at: at, flushes: -1, paired: -1}
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		return s, err
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		name, val, ok := strings.Cut(sc.Text(), " ")
		if !ok {
			continue
		}
		v, err := strconv.ParseFloat(val, 64)
		if err != nil {
			continue
		}
		switch name {
		case "spanmap_history_flushes_total":
			s.flushes = v
		case `spanmap_calls_paired_total{source="otlp"}`:
			s.paired = v
		}
	}
	if s.flushes < 0 || s.paired < 0 {
		return s, fmt.Errorf("/metrics lacks the flush or paired-call counter")
	}
	return s, sc.Err()
}

// waitReady polls /readyz until it answers 200.
func waitReady(t *testing.T, base string, out *bytes.Buffer) {
	t.Helper()
	for start := time.Now(); ; time.Sleep(100 * time.Millisecond) {
		if resp, err := http.Get(base + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Since(start) > 60*time.Second {
			t.Fatalf("spanmap not ready after 60 s:\n%s", out)
		}
	}
}

func crashServe(t *testing.T, dataDir string) (*exec.Cmd, *bytes.Buffer, string, string) {
	t.Helper()
	ports := freePorts(t, 2)
	httpAddr, otlpAddr := fmt.Sprintf("127.0.0.1:%d", ports[0]), fmt.Sprintf("127.0.0.1:%d", ports[1])
	cmd, out := startServe(t, "--data-dir", dataDir, "--http-addr", httpAddr, "--otlp-http-addr", otlpAddr,
		"--otlp-grpc-addr", "", "--zipkin-addr", "", "--flush-interval", crashFlush.String())
	base := "http://" + httpAddr
	waitReady(t, base, out)
	return cmd, out, base, "http://" + otlpAddr + "/v1/traces"
}

// TestServe_CrashRestore runs `spanmap serve` with a data dir under
// continuous OTLP/HTTP ingest, kills it with SIGKILL mid-ingest, restarts it
// on the same data dir and checks that the store opens cleanly and that
// the calls restored, minute by minute, are every call derived before the
// last flush and none that was not sent: at most the last flush interval
// is lost.
func TestServe_CrashRestore(t *testing.T) {
	dataDir := t.TempDir()
	cmd, out, base, otlpURL := crashServe(t, dataDir)

	log := &ackLog{attempted: map[int64]int64{}}
	stop := make(chan struct{})
	senders := sendCrashTraffic(otlpURL, log, stop)
	var scrapes []scrape
	begin := time.Now()
	for time.Since(begin) < crashIngest {
		time.Sleep(200 * time.Millisecond)
		s, err := readMetrics(base, time.Now())
		if err != nil {
			close(stop)
			t.Fatalf("%v\n%s", err, out)
		}
		scrapes = append(scrapes, s)
	}
	killAt := time.Now()
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	close(stop)
	senders.Wait()

	// The last flush before the kill happened after the last scrape that
	// still showed the previous flush count: every call derived by then
	// (the paired-call counter is updated after the call is aggregated)
	// was in the flushed minutes.
	last := scrapes[len(scrapes)-1]
	var before scrape
	for i := len(scrapes) - 1; i >= 0; i-- {
		if scrapes[i].flushes < last.flushes {
			before = scrapes[i]
			break
		}
	}
	if last.flushes < 2 || before.at.IsZero() {
		t.Fatalf("%v flushes seen during %v of ingest, want at least 2", last.flushes, crashIngest)
	}
	if gap := killAt.Sub(before.at); gap > 2*crashFlush {
		t.Errorf("last flush seen %v before the kill, want about one flush interval (%v)", gap, crashFlush)
	}
	// The acknowledged calls the pipeline had derived by then, in order of
	// acknowledgement (the queue is first in, first out; a second of
	// margin covers the order of concurrent senders).
	log.mu.Lock()
	acks := append([]ack(nil), log.acks...)
	attempted := log.attempted
	log.mu.Unlock()
	var ackedTotal, derived int64
	cutoff := time.Time{}
	for _, a := range acks {
		ackedTotal += a.calls
		if derived+a.calls <= int64(before.paired) {
			derived += a.calls
			cutoff = a.at
		}
	}
	cutoff = cutoff.Add(-time.Second)
	mustKeep := map[int64]int64{}
	for _, a := range acks {
		if a.at.Before(cutoff) {
			mustKeep[a.minute] += a.calls
		}
	}
	t.Logf("ingest %v: %d calls acknowledged, %v derived before the last flush (%v before the kill), %v derived at the last scrape",
		killAt.Sub(begin).Round(time.Millisecond), ackedTotal, before.paired, killAt.Sub(before.at).Round(time.Millisecond), last.paired)

	_, out2, base2, _ := crashServe(t, dataDir)
	if strings.Contains(out2.String(), "restored partly") || !strings.Contains(out2.String(), "history restored") {
		t.Fatalf("restart did not restore cleanly:\n%s", out2)
	}
	restored := restoredCalls(t, base2, begin)
	var restoredTotal int64
	for m, n := range restored {
		restoredTotal += n
		if n > attempted[m] {
			t.Errorf("minute %s: %d calls restored, only %d sent", time.Unix(m, 0).UTC().Format("15:04"), n, attempted[m])
		}
	}
	for m, n := range mustKeep {
		if restored[m] < n {
			t.Errorf("minute %s: %d calls restored, want at least the %d acknowledged before the last flush",
				time.Unix(m, 0).UTC().Format("15:04"), restored[m], n)
		}
	}
	if restoredTotal < int64(before.paired) {
		t.Errorf("%d calls restored, want at least the %v derived before the last flush", restoredTotal, before.paired)
	}
	t.Logf("restored %d of %d acknowledged calls (%d lost, %.1f s of traffic at the sent rate)", restoredTotal, ackedTotal,
		ackedTotal-restoredTotal, float64(ackedTotal-restoredTotal)/(float64(crashSenders*crashBatch)/crashEvery.Seconds()))
}

// restoredCalls reads the calls of crash-caller -> crash-callee per minute
// since begin from the restarted server's sparkline.
func restoredCalls(t *testing.T, base string, begin time.Time) map[int64]int64 {
	t.Helper()
	minutes := int(time.Since(begin)/time.Minute) + 3
	resp, err := http.Get(fmt.Sprintf("%s/api/v1/sparkline?from=%s&to=%s&minutes=%d", base, crashCaller, crashCallee, minutes))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("sparkline after restart: %s: %s", resp.Status, body)
	}
	var sp struct {
		Points []struct {
			T     int64 `json:"t"`
			Calls int64 `json:"calls"`
		} `json:"points"`
	}
	if err := json.Unmarshal(body, &sp); err != nil {
		t.Fatal(err)
	}
	out := map[int64]int64{}
	for _, p := range sp.Points {
		out[time.UnixMilli(p.T).Truncate(time.Minute).Unix()] += p.Calls
	}
	return out
}
