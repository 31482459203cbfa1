package cli

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/spanmap/spanmap/server"
	"github.com/spanmap/spanmap/server/layoutproc"
)

// envPrefix prefixes the environment variables that set serve's flags:
// --otlp-http-addr is SPANMAP_OTLP_HTTP_ADDR.
const envPrefix = "SPANMAP_"

// envName returns the environment variable for a flag name.
func envName(flagName string) string {
	return envPrefix + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// configPath finds --config in args (or SPANMAP_CONFIG) before the other
// flags are parsed, because the file supplies their defaults.
func configPath(args []string) string {
	for i, a := range args {
		switch {
		case a == "--config" || a == "-config":
			if i+1 < len(args) {
				return args[i+1]
			}
		case strings.HasPrefix(a, "--config="):
			return strings.TrimPrefix(a, "--config=")
		case strings.HasPrefix(a, "-config="):
			return strings.TrimPrefix(a, "-config=")
		}
	}
	return os.Getenv(envName("config"))
}

// applyEnv sets every flag that has a SPANMAP_* variable in env.
func applyEnv(fs *flag.FlagSet, lookup func(string) (string, bool)) error {
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		if err != nil {
			return
		}
		if v, ok := lookup(envName(f.Name)); ok {
			if serr := fs.Set(f.Name, v); serr != nil {
				err = usageErrorf("%s: %v", envName(f.Name), serr)
			}
		}
	})
	return err
}

func serveFlags(fs *flag.FlagSet, cfg *server.Config, configFile *string, logLevel *string) {
	fs.StringVar(configFile, "config", *configFile, "YAML configuration file (flags and SPANMAP_* variables override it)")
	fs.StringVar(&cfg.HTTPAddr, "http-addr", cfg.HTTPAddr, "UI and API listen address")
	fs.StringVar(&cfg.OTLPGRPCAddr, "otlp-grpc-addr", cfg.OTLPGRPCAddr, "OTLP/gRPC receiver address (empty: off)")
	fs.StringVar(&cfg.OTLPHTTPAddr, "otlp-http-addr", cfg.OTLPHTTPAddr, "OTLP/HTTP receiver address (empty: off)")
	fs.StringVar(&cfg.ZipkinAddr, "zipkin-addr", cfg.ZipkinAddr, "Zipkin receiver address (empty: off)")
	fs.BoolVar(&cfg.Demo, "demo", cfg.Demo, "run the built-in demo system and map its traffic")
	fs.Float64Var(&cfg.DemoRate, "demo-rate", cfg.DemoRate, "demo traces per second")
	fs.BoolVar(&cfg.InsecurePublic, "insecure-public", cfg.InsecurePublic, "allow a non-loopback --http-addr without access control")
	fs.Int64Var(&cfg.MaxBodyBytes, "max-body-bytes", cfg.MaxBodyBytes, "largest receiver request body, after decompression")
	fs.StringVar(&cfg.DataDir, "data-dir", cfg.DataDir, "directory of the on-disk history, restored on start (empty: memory only)")
	fs.DurationVar(&cfg.Retention, "retention", cfg.Retention, "how long the on-disk history is kept")
	fs.DurationVar(&cfg.HourlyAfter, "hourly-after", cfg.HourlyAfter, "age from which history minutes are merged into hours (0: never, else at least 2h)")
	fs.DurationVar(&cfg.FlushInterval, "flush-interval", cfg.FlushInterval, "how often recent minutes are written to the data dir and topology-change events evaluated")
	fs.DurationVar(&cfg.StaleAfter, "stale-after", cfg.StaleAfter, "how long a source's data stays fresh after it last delivered (a puller's: at least two poll intervals)")
	fs.StringVar(logLevel, "log-level", *logLevel, "log level: debug, info, warn, error")
	fs.Var(sourceFlag{cfg}, "source", "pull from a backend: KIND=URL, repeatable (kinds: "+strings.Join(server.SourceKinds(), ", ")+")")
}

// sourceFlag appends each --source KIND=URL to the configured sources.
type sourceFlag struct{ cfg *server.Config }

func (f sourceFlag) String() string { return "" }

func (f sourceFlag) Set(v string) error {
	sc, err := server.ParseSourceFlag(v)
	if err != nil {
		return err
	}
	f.cfg.Sources = append(f.cfg.Sources, sc)
	return nil
}

func runServe(ctx context.Context, args []string, s IO) error {
	cfg := server.DefaultConfig()
	cfg.DataDir = "./data"
	configFile := configPath(args)
	if configFile != "" {
		if err := cfg.LoadFile(configFile); err != nil {
			return &UsageError{Err: fmt.Errorf("--config: %w", err)}
		}
	}
	logLevel := "info"
	fs := newFlagSet("serve")
	serveFlags(fs, &cfg, &configFile, &logLevel)
	if err := applyEnv(fs, os.LookupEnv); err != nil {
		return err
	}
	if err := parseFlags(fs, args, s.Stderr); err != nil {
		return err
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(logLevel)); err != nil {
		return usageErrorf("--log-level: %v", err)
	}
	if err := cfg.Validate(); err != nil {
		return &UsageError{Err: err}
	}
	if exe, err := os.Executable(); err == nil {
		cfg.LayoutCommand = []string{exe, "layout-worker"}
	}
	log := slog.New(slog.NewTextHandler(s.Stderr, &slog.HandlerOptions{Level: level}))
	srv, err := server.New(cfg, log, uiHandler())
	if err != nil {
		return &UsageError{Err: err}
	}
	if err := srv.Run(ctx); err != nil {
		if server.IsListenError(err) {
			return &UsageError{Err: err}
		}
		return err
	}
	return nil
}

// runLayoutWorker is the child process `spanmap serve` runs its graph
// layouts in; it speaks JSON lines on stdin and stdout.
func runLayoutWorker(_ context.Context, args []string, s IO) error {
	if len(args) > 0 {
		return usageErrorf("layout-worker takes no arguments")
	}
	return layoutproc.Serve(s.Stdin, s.Stdout)
}
