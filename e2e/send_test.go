//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"sync"
	"syscall"
	"testing"
	"time"

	zmodel "github.com/openzipkin/zipkin-go/model"
	zipkinhttp "github.com/openzipkin/zipkin-go/reporter/http"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	sdkresource "go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// Synthetic traffic. Every figure below is what the checks expect.
const (
	shopTraces   = 20 // checkout traces sent over OTLP
	shopFailures = 5  // of them, payments fail (every 4th)
	// payWait is the client-side duration of orders -> payments, the
	// latency spanmap must report for that edge (Jaeger reports none).
	payWait      = 40 * time.Millisecond
	zipkinTraces = 20 // web -> api traces sent over Zipkin
	zipkinErrors = 4  // of them, the api fails (every 5th)
	dispatches   = 5  // HotROD /dispatch requests
)

// otlpProvider returns a tracer provider for one service exporting to
// Jaeger over OTLP/gRPC or OTLP/HTTP.
func otlpProvider(t *testing.T, service, grpcAddr, httpAddr string) *sdktrace.TracerProvider {
	t.Helper()
	ctx := context.Background()
	var (
		exp sdktrace.SpanExporter
		err error
	)
	if grpcAddr != "" {
		exp, err = otlptracegrpc.New(ctx, otlptracegrpc.WithEndpoint(grpcAddr), otlptracegrpc.WithInsecure())
	} else {
		exp, err = otlptracehttp.New(ctx, otlptracehttp.WithEndpoint(httpAddr), otlptracehttp.WithInsecure())
	}
	if err != nil {
		t.Fatal(err)
	}
	res := sdkresource.NewSchemaless(attribute.String("service.name", service))
	return sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp, sdktrace.WithBatchTimeout(100*time.Millisecond)),
		sdktrace.WithResource(res), sdktrace.WithSampler(sdktrace.AlwaysSample()))
}

// sendShop sends shopTraces checkout traces over OTLP: shop-gateway and
// shop-orders over gRPC, shop-payments and shop-mailer over HTTP.
//
//	shop-gateway  GET /checkout (server, root)
//	  POST /orders (client)             -> shop-orders  POST /orders (server)
//	    SELECT ordersdb (client, db.system=postgresql, no callee)
//	    POST /pay (client, 40ms)        -> shop-payments POST /pay (server; every 4th fails)
//	    orders publish (producer, kafka) -> shop-mailer  orders process (consumer)
func sendShop(t *testing.T, e env, base time.Time) {
	providers := map[string]*sdktrace.TracerProvider{
		"shop-gateway":  otlpProvider(t, "shop-gateway", e.otlpGRPC, ""),
		"shop-orders":   otlpProvider(t, "shop-orders", e.otlpGRPC, ""),
		"shop-payments": otlpProvider(t, "shop-payments", "", e.otlpHTTP),
		"shop-mailer":   otlpProvider(t, "shop-mailer", "", e.otlpHTTP),
	}
	tr := func(svc string) trace.Tracer { return providers[svc].Tracer("spanmap-e2e") }
	at := func(st time.Time, ms int) trace.SpanStartEventOption {
		return trace.WithTimestamp(st.Add(time.Duration(ms) * time.Millisecond))
	}
	end := func(s trace.Span, st time.Time, ms int) {
		s.End(trace.WithTimestamp(st.Add(time.Duration(ms) * time.Millisecond)))
	}
	kind := trace.WithSpanKind
	for i := range shopTraces {
		st := base.Add(time.Duration(i) * 100 * time.Millisecond)
		ctx, root := tr("shop-gateway").Start(context.Background(), "GET /checkout", kind(trace.SpanKindServer), at(st, 0))
		ctx1, call := tr("shop-gateway").Start(ctx, "POST /orders", kind(trace.SpanKindClient), at(st, 1))
		ctx2, orders := tr("shop-orders").Start(ctx1, "POST /orders", kind(trace.SpanKindServer), at(st, 2))
		_, db := tr("shop-orders").Start(ctx2, "SELECT ordersdb", kind(trace.SpanKindClient), at(st, 3),
			trace.WithAttributes(attribute.String("db.system", "postgresql"), attribute.String("db.name", "ordersdb")))
		end(db, st, 8)
		ctx3, pay := tr("shop-orders").Start(ctx2, "POST /pay", kind(trace.SpanKindClient), at(st, 10))
		_, paySrv := tr("shop-payments").Start(ctx3, "POST /pay", kind(trace.SpanKindServer), at(st, 11))
		if i%4 == 0 {
			paySrv.SetStatus(codes.Error, "card declined")
		}
		end(paySrv, st, 45)
		end(pay, st, 10+int(payWait/time.Millisecond))
		ctx4, pub := tr("shop-orders").Start(ctx2, "orders publish", kind(trace.SpanKindProducer), at(st, 51),
			trace.WithAttributes(attribute.String("messaging.system", "kafka"), attribute.String("messaging.destination.name", "orders")))
		end(pub, st, 52)
		_, cons := tr("shop-mailer").Start(ctx4, "orders process", kind(trace.SpanKindConsumer), at(st, 55))
		end(cons, st, 65)
		end(orders, st, 70)
		end(call, st, 72)
		end(root, st, 75)
	}
	for name, p := range providers {
		if err := p.Shutdown(context.Background()); err != nil {
			t.Fatalf("flush %s spans to Jaeger over OTLP: %v", name, err)
		}
	}
}

// sendZipkin sends zipkinTraces traces over Zipkin v2 JSON:
//
//	zk-web  GET / (server, root)
//	  GET /api (client)   -> zk-api GET /api (server; shared span ID in even
//	                         traces, its own ID in odd ones; every 5th fails)
//	  GET (client to an uninstrumented redis, remoteEndpoint "redis")
func sendZipkin(t *testing.T, e env, base time.Time) {
	rep := zipkinhttp.NewReporter("http://"+e.zipkin+"/api/v2/spans", zipkinhttp.BatchInterval(100*time.Millisecond))
	ep := func(name string) *zmodel.Endpoint { return &zmodel.Endpoint{ServiceName: name} }
	for i := range zipkinTraces {
		st := base.Add(time.Duration(i) * 100 * time.Millisecond)
		tid := zmodel.TraceID{High: 0x5a11ab1e, Low: uint64(1000 + i)}
		rootID, callID, apiID, cacheID := zmodel.ID(1000+i), zmodel.ID(2000+i), zmodel.ID(3000+i), zmodel.ID(4000+i)
		span := func(id zmodel.ID, parent *zmodel.ID, name string, k zmodel.Kind, local string, startMs, durMs int) zmodel.SpanModel {
			return zmodel.SpanModel{
				SpanContext: zmodel.SpanContext{TraceID: tid, ID: id, ParentID: parent},
				Name:        name, Kind: k, LocalEndpoint: ep(local),
				Timestamp: st.Add(time.Duration(startMs) * time.Millisecond), Duration: time.Duration(durMs) * time.Millisecond,
			}
		}
		root := span(rootID, nil, "get /", zmodel.Server, "zk-web", 0, 50)
		call := span(callID, &rootID, "get /api", zmodel.Client, "zk-web", 2, 30)
		call.RemoteEndpoint = ep("zk-api")
		api := span(callID, &rootID, "get /api", zmodel.Server, "zk-api", 3, 28)
		api.Shared = true
		if i%2 == 1 {
			api = span(apiID, &callID, "get /api", zmodel.Server, "zk-api", 3, 28)
		}
		if i%5 == 0 {
			api.Tags = map[string]string{"error": "upstream exploded"}
		}
		cache := span(cacheID, &rootID, "get", zmodel.Client, "zk-web", 35, 4)
		cache.RemoteEndpoint = ep("redis")
		for _, s := range []zmodel.SpanModel{root, call, api, cache} {
			rep.Send(s)
		}
	}
	if err := rep.Close(); err != nil {
		t.Fatalf("send Zipkin spans to Jaeger: %v", err)
	}
}

// lockedBuffer collects a process's output for the failure message.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// runHotROD starts HotROD exporting to Jaeger's OTLP/HTTP receiver, drives
// dispatches /dispatch requests through it and stops it (by its PID).
func runHotROD(t *testing.T, e env) {
	ports := freePorts(t, 4)
	cmd := exec.Command(e.hotrod, "all",
		"--customer-service-hostname", "127.0.0.1", "--driver-service-hostname", "127.0.0.1",
		"--frontend-service-hostname", "127.0.0.1", "--route-service-hostname", "127.0.0.1",
		"-c", fmt.Sprint(ports[0]), "-d", fmt.Sprint(ports[1]), "-f", fmt.Sprint(ports[2]), "-r", fmt.Sprint(ports[3]))
	cmd.Env = append(cmd.Environ(),
		"OTEL_EXPORTER_OTLP_ENDPOINT=http://"+e.otlpHTTP,
		"OTEL_BSP_SCHEDULE_DELAY=100",
	)
	out := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	dieWithTest(cmd)
	if err := cmd.Start(); err != nil {
		t.Fatalf("start HotROD: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	}
	t.Cleanup(stop)

	frontend := fmt.Sprintf("http://127.0.0.1:%d", ports[2])
	client := &http.Client{Timeout: 30 * time.Second}
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := client.Get(frontend + "/config")
		if err == nil {
			resp.Body.Close()
			break
		}
		select {
		case err := <-done:
			t.Fatalf("HotROD exited before it served: %v\n%s", err, out)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("HotROD frontend did not answer: %v\n%s", err, out)
		}
		time.Sleep(100 * time.Millisecond)
	}
	customers := []int{123, 392, 731, 567, 123}
	for i := range dispatches {
		resp, err := client.Get(fmt.Sprintf("%s/dispatch?customer=%d&nonse=%d", frontend, customers[i%len(customers)], i))
		if err != nil {
			t.Fatalf("HotROD dispatch: %v\n%s", err, out)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("HotROD dispatch: %s: %s", resp.Status, body)
		}
	}
	// HotROD exports every 100ms; give the last batch time to leave.
	time.Sleep(500 * time.Millisecond)
	stop()
}
