package cli

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spanmap/spanmap/graph"
	"github.com/spanmap/spanmap/graph/agg"
	"github.com/spanmap/spanmap/graph/decode"
	"github.com/spanmap/spanmap/graph/derive"
	"github.com/spanmap/spanmap/graph/span"
)

// deriveOptions are the flags of `spanmap derive`.
type deriveOptions struct {
	input      string
	output     string
	outFile    string
	format     string
	noUserNode bool
	groupBy    string
	maxPending int
	source     string
}

func runDerive(ctx context.Context, args []string, s IO) error {
	var o deriveOptions
	fs := newFlagSet("derive")
	fs.StringVar(&o.input, "input", "", "file of spans to read, or - for stdin (required)")
	fs.StringVar(&o.format, "format", "auto", "input format: auto, otlp-json, otlp-proto, zipkin, zipkin-proto, jaeger-json, jaeger-proto")
	fs.StringVar(&o.output, "output", "json", "output format: json, dot, mermaid, svg, png")
	fs.StringVar(&o.outFile, "o", "-", "output file, - for stdout")
	fs.BoolVar(&o.noUserNode, "no-user-node", false, "do not draw the virtual user node for root server spans")
	fs.StringVar(&o.groupBy, "group-by", "", "group nodes: namespace")
	fs.IntVar(&o.maxPending, "max-pending", derive.DefaultConfig().MaxItems, "spans held for pairing at once; bounds memory on huge files")
	fs.StringVar(&o.source, "source-name", "file", "source name recorded on edges and exemplars")
	if err := parseFlags(fs, args, s.Stderr); err != nil {
		return err
	}
	if o.input == "" {
		return usageErrorf("--input is required (a file of spans, or - for stdin)")
	}
	format, err := decode.ParseFormat(o.format)
	if err != nil {
		return &UsageError{Err: fmt.Errorf("--format: %w", err)}
	}
	out, err := parseOutput(o.output)
	if err != nil {
		return err
	}
	view := graph.View{}
	switch o.groupBy {
	case "":
	case "namespace":
		view.Group = "namespace"
	default:
		return usageErrorf("--group-by: unknown grouping %q (want namespace)", o.groupBy)
	}
	cfg := derive.DefaultConfig()
	cfg.UserNode = !o.noUserNode
	cfg.MaxItems = o.maxPending
	if err := cfg.Validate(); err != nil {
		return &UsageError{Err: err}
	}

	in, closeIn, err := openInput(o.input, s.Stdin)
	if err != nil {
		return err
	}
	defer closeIn()
	snap, st, err := deriveStream(ctx, in, format, cfg, o.source)
	if err != nil {
		return err
	}
	if view.Group != "" {
		snap = graph.Filter(snap, view)
	}
	return writeOutput(ctx, o.outFile, s.Stdout, func(w io.Writer) error {
		if out == "json" {
			return writeDeriveJSON(w, snap, st)
		}
		return renderSnapshot(ctx, w, out, snap)
	})
}

// deriveResult is the JSON document `spanmap derive` prints: the graph plus
// the derivation counters.
type deriveResult struct {
	graph.Snapshot
	Derivation derive.Stats `json:"derivation"`
}

func writeDeriveJSON(w io.Writer, snap graph.Snapshot, st derive.Stats) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(deriveResult{Snapshot: snap, Derivation: st})
}

// deriveStream decodes r as one complete batch of spans, derives calls and
// aggregates them over the whole time range the file covers.
func deriveStream(ctx context.Context, r io.Reader, f decode.Format, cfg derive.Config, source string) (graph.Snapshot, derive.Stats, error) {
	acfg := agg.DefaultConfig()
	acfg.Retention = 0 // a file may span any time range: keep every bucket
	// The file gives one snapshot over its whole range, so the buckets only
	// cost memory: day-wide ones keep it flat however long the file's time
	// range (10 s buckets took about 1 KB per edge and 10 s of data, 200 MB
	// for a week of a few edges). The range reported is still rounded to
	// the live map's 10 s steps, and rates are per second over it.
	acfg.BucketWidth = fileBucketWidth
	a := agg.New(acfg)
	// A file is one batch: the clock stands still, so nothing expires by TTL
	// mid-file; Flush settles everything at the end.
	frozen := time.Unix(0, 0)
	d := derive.New(cfg, func() time.Time { return frozen })
	var obs []derive.Observation
	// The first bytes are kept to tell a format mismatch from an input that
	// holds no spans: decoders skip names they do not know, as the OTLP/JSON
	// specification asks, so another format's JSON decodes as zero spans.
	head := &prefixReader{r: r, max: 64 << 10}
	decoded := 0
	err := decode.Stream(head, f, func(batch []span.Span) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		decoded += len(batch)
		obs = d.Add(batch, obs[:0])
		a.Add(source, obs)
		return nil
	})
	if err != nil {
		var de *decode.Error
		if errors.As(err, &de) {
			return graph.Snapshot{}, derive.Stats{}, &UsageError{Err: err}
		}
		return graph.Snapshot{}, derive.Stats{}, fmt.Errorf("read spans: %w", err)
	}
	if decoded == 0 && f != decode.Auto {
		if got, derr := decode.Detect(head.plain()); derr == nil && got != f {
			return graph.Snapshot{}, derive.Stats{}, &UsageError{Err: &decode.Error{Format: f, Offset: 0, Index: -1,
				Err: fmt.Errorf("no spans found: the input looks like %s (try --format %s or auto)", got, got)}}
		}
	}
	obs = d.Flush(obs[:0])
	a.Add(source, obs)
	from, to := a.CallRange(rangeStep)
	snap := a.Snapshot(from, to, agg.Options{})
	return snap, d.Stats(), nil
}

const (
	// fileBucketWidth is the aggregation bucket of `spanmap derive`.
	fileBucketWidth = 24 * time.Hour
	// rangeStep rounds the time range of a file's snapshot, as the live
	// map's buckets do.
	rangeStep = 10 * time.Second
)

// prefixReader passes reads through and keeps up to max of the first bytes.
type prefixReader struct {
	r   io.Reader
	buf []byte
	max int
}

// plain returns the first bytes, decompressed when they are the start of
// gzip input (which Stream decompresses): as much as they hold.
func (p *prefixReader) plain() []byte {
	if len(p.buf) < 2 || p.buf[0] != 0x1f || p.buf[1] != 0x8b {
		return p.buf
	}
	zr, err := gzip.NewReader(bytes.NewReader(p.buf))
	if err != nil {
		return p.buf
	}
	out, _ := io.ReadAll(io.LimitReader(zr, int64(p.max))) // a cut-off stream gives what it holds
	return out
}

func (p *prefixReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	if room := p.max - len(p.buf); room > 0 && n > 0 {
		p.buf = append(p.buf, b[:min(n, room)]...)
	}
	return n, err
}

func openInput(name string, stdin io.Reader) (io.Reader, func(), error) {
	if name == "-" {
		return bufio.NewReaderSize(stdin, 1<<20), func() {}, nil
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, nil, &UsageError{Err: fmt.Errorf("--input: %w", err)}
	}
	return bufio.NewReaderSize(f, 1<<20), func() { f.Close() }, nil
}

// writeOutput writes to stdout or creates name, removing a partial file when
// write fails.
func writeOutput(_ context.Context, name string, stdout io.Writer, write func(io.Writer) error) error {
	if name == "-" || name == "" {
		bw := bufio.NewWriter(stdout)
		if err := write(bw); err != nil {
			return err
		}
		return bw.Flush()
	}
	f, err := os.Create(name)
	if err != nil {
		return &UsageError{Err: fmt.Errorf("-o: %w", err)}
	}
	bw := bufio.NewWriter(f)
	err = write(bw)
	if err == nil {
		err = bw.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(name)
		return fmt.Errorf("write %s: %w", name, err)
	}
	return nil
}
