package server

import (
	"bytes"
	"context"
	"encoding/binary"
	"net/http"
	"sync"
	"syscall"
	"testing"
	"time"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/spanmap/spanmap/server/demo"
)

// BenchmarkServer_OTLPHTTPIngest posts demo traffic as OTLP/HTTP protobuf to
// a running server over loopback, from 4 concurrent clients in the same
// process, and measures spans per second from the first request until the
// pipeline has derived every accepted span (end to end: HTTP, decode, queue,
// derivation, aggregation).
func BenchmarkServer_OTLPHTTPIngest(b *testing.B) {
	cfg := testConfig()
	cfg.OTLPGRPCAddr, cfg.ZipkinAddr = "", ""
	s, err := New(cfg, nil, nil)
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	defer func() { cancel(); <-done }()
	url := "http://" + s.Addr("--otlp-http-addr") + "/v1/traces"

	// Requests of one second of demo traffic each (about 400 spans), every
	// trace ID unique per request.
	g, err := demo.New(demo.DefaultConfig())
	if err != nil {
		b.Fatal(err)
	}
	const nreq = 64
	bodies := make([][]byte, nreq)
	spansPer := 0
	t := time.Now().Add(-time.Minute)
	for i := range bodies {
		req := g.Batch(t.Add(time.Duration(i)*time.Second), 20)
		bodies[i], spansPer = marshalUnique(b, req, uint64(i+1))
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 8}}
	const workers = 4
	b.ResetTimer()
	start := time.Now()
	var ru0 syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru0)
	total := 0
	for b.Loop() {
		var wg sync.WaitGroup
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := w; i < nreq; i += workers {
					for {
						resp, err := client.Post(url, "application/x-protobuf", bytes.NewReader(bodies[i]))
						if err != nil {
							b.Error(err)
							return
						}
						resp.Body.Close()
						if resp.StatusCode == http.StatusOK {
							break
						}
						if resp.StatusCode != http.StatusServiceUnavailable {
							b.Errorf("status %d", resp.StatusCode)
							return
						}
						time.Sleep(10 * time.Millisecond) // queue full: retry as exporters do
					}
				}
			}()
		}
		wg.Wait()
		total += nreq * spansPer
	}
	for {
		st := s.pipeline.Stats()
		if d := st.Derive; d.Added+d.Duplicates+d.Invalid >= int64(total) && st.QueuedSpans == 0 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	elapsed := time.Since(start)
	var ru1 syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru1)
	cpu := time.Duration(ru1.Utime.Nano() + ru1.Stime.Nano() - ru0.Utime.Nano() - ru0.Stime.Nano())
	b.ReportMetric(float64(total)/elapsed.Seconds(), "spans/s")
	b.ReportMetric(float64(total)/cpu.Seconds(), "spans/cpu-s(server+clients)")
}

// marshalUnique encodes req after giving its traces IDs unique to gen, and
// returns the body and its span count. Every request of a benchmark
// iteration is distinct; repeated iterations resend the same traces, which
// derivation counts as duplicates after the first pass.
func marshalUnique(b *testing.B, req *coltracepb.ExportTraceServiceRequest, gen uint64) ([]byte, int) {
	b.Helper()
	n := 0
	for _, rs := range req.ResourceSpans {
		for _, ss := range rs.ScopeSpans {
			for _, sp := range ss.Spans {
				binary.BigEndian.PutUint64(sp.TraceId[:8], gen)
				for _, l := range sp.Links {
					binary.BigEndian.PutUint64(l.TraceId[:8], gen)
				}
				n++
			}
		}
	}
	body, err := proto.Marshal(req)
	if err != nil {
		b.Fatal(err)
	}
	return body, n
}
