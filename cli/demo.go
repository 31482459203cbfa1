package cli

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"time"

	"github.com/spanmap/spanmap/server/demo"
)

// runDemo sends the demo system's traffic to any OTLP endpoint: spanmap's
// own receivers, a collector, or a real Jaeger.
func runDemo(ctx context.Context, args []string, s IO) error {
	cfg := demo.DefaultConfig()
	endpoint := "http://127.0.0.1:4318"
	var gzip bool
	var duration time.Duration
	fs := newFlagSet("demo")
	fs.StringVar(&endpoint, "otlp-endpoint", endpoint, "OTLP endpoint: http(s)://host:port for OTLP/HTTP (/v1/traces is added), grpc://host:port for OTLP/gRPC")
	fs.Float64Var(&cfg.Rate, "rate", cfg.Rate, "user requests (traces) per second")
	fs.DurationVar(&cfg.IncidentPeriod, "incident-period", cfg.IncidentPeriod, "length of the scripted incident cycle (0: no incidents)")
	fs.Uint64Var(&cfg.Seed, "seed", uint64(time.Now().UnixNano()), "random seed (the same seed gives the same traffic)")
	fs.BoolVar(&gzip, "gzip", false, "gzip OTLP/HTTP request bodies")
	fs.DurationVar(&duration, "duration", 0, "stop after this long (0: until interrupted)")
	if err := parseFlags(fs, args, s.Stderr); err != nil {
		return err
	}
	cfg.Logger = slog.New(slog.NewTextHandler(s.Stderr, nil))
	gen, err := demo.New(cfg)
	if err != nil {
		return &UsageError{Err: err}
	}
	u, err := url.Parse(endpoint)
	if err != nil || u.Host == "" {
		return usageErrorf("--otlp-endpoint: %q is not a URL like http://127.0.0.1:4318 or grpc://127.0.0.1:4317", endpoint)
	}
	var sink demo.Sink
	switch u.Scheme {
	case "http", "https":
		hs := demo.NewHTTPSink(endpoint, nil)
		hs.Gzip = gzip
		sink = hs
	case "grpc":
		gs, err := demo.NewGRPCSink(u.Host)
		if err != nil {
			return &UsageError{Err: fmt.Errorf("--otlp-endpoint: %w", err)}
		}
		defer gs.Close()
		sink = gs
	default:
		return usageErrorf("--otlp-endpoint: scheme %q not supported (want http, https or grpc)", u.Scheme)
	}
	if duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, duration)
		defer cancel()
	}
	fmt.Fprintf(s.Stderr, "spanmap demo: %d services, %.0f traces/s to %s (Ctrl-C stops)\n", len(gen.Services()), cfg.Rate, endpoint)
	err = gen.Run(ctx, sink)
	st := gen.Stats()
	fmt.Fprintf(s.Stderr, "spanmap demo: sent %d batches, %d export errors\n", st.Batches, st.ExportErrors)
	return err
}
