package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spanmap/spanmap/graph"
	"github.com/spanmap/spanmap/graph/decode"
	"github.com/spanmap/spanmap/graph/derive"
	"github.com/spanmap/spanmap/graph/layout"
	"github.com/spanmap/spanmap/graph/render"
)

// renderOptions are the flags of `spanmap render`.
type renderOptions struct {
	server      string
	view        string
	token       string
	accessToken string
	input       string
	inputFormat string
	noUserNode  bool
	format      string
	outFile     string
	width       int
	scale       float64
	timeout     time.Duration
}

// runRender draws a map into a file for docs pipelines: fetched from a
// running server's export endpoint (--server), or derived from a file of
// spans (--input).
func runRender(ctx context.Context, args []string, s IO) error {
	var o renderOptions
	fs := newFlagSet("render")
	fs.StringVar(&o.server, "server", "", "spanmap server URL to fetch the map from, e.g. http://127.0.0.1:7700")
	fs.StringVar(&o.view, "view", "", "the View: its query string (focus=checkout&window=1h) or a map URL")
	fs.StringVar(&o.token, "token", "", "embed token for --server (see spanmap token)")
	fs.StringVar(&o.accessToken, "access-token", "", "bearer token for --server (or SPANMAP_ACCESS_TOKEN)")
	fs.StringVar(&o.input, "input", "", "file of spans to derive the map from, or - for stdin")
	fs.StringVar(&o.inputFormat, "input-format", "auto", "format of --input: auto, otlp-json, otlp-proto, zipkin, jaeger-json, jaeger-proto")
	fs.BoolVar(&o.noUserNode, "no-user-node", false, "with --input: do not draw the virtual user node")
	fs.StringVar(&o.format, "format", "", "output format: svg, png, dot, mmd or json (default: from the -o extension, else svg)")
	fs.StringVar(&o.outFile, "o", "-", "output file, - for stdout")
	fs.IntVar(&o.width, "width", 0, "PNG width in pixels")
	fs.Float64Var(&o.scale, "scale", 0, "PNG pixels per point (when --width is not given)")
	fs.DurationVar(&o.timeout, "timeout", time.Minute, "with --server: time limit of the request")
	if err := parseFlags(fs, args, s.Stderr); err != nil {
		return err
	}
	if o.accessToken == "" {
		o.accessToken = os.Getenv(envName("access-token"))
	}
	format, err := o.outputFormat()
	if err != nil {
		return err
	}
	v, err := parseViewArg(o.view)
	if err != nil {
		return err
	}
	if (o.width != 0 || o.scale != 0) && format != "png" {
		return usageErrorf("--width and --scale apply to png output only, not %s", format)
	}
	if o.width < 0 || o.scale < 0 {
		return usageErrorf("--width and --scale must be positive")
	}
	switch {
	case o.server != "" && o.input != "":
		return usageErrorf("give --server or --input, not both")
	case o.server != "":
		return o.fetch(ctx, s, v, format)
	case o.input != "":
		if o.token != "" || o.accessToken != "" {
			return usageErrorf("--token and --access-token need --server")
		}
		return o.derive(ctx, s, v, format)
	}
	return usageErrorf("--server or --input is required")
}

// outputFormat picks the output format: --format, else the -o extension,
// else svg.
func (o renderOptions) outputFormat() (string, error) {
	f := o.format
	if f == "" {
		switch ext := strings.ToLower(filepath.Ext(o.outFile)); ext {
		case ".svg", ".png", ".dot", ".mmd", ".json":
			f = ext[1:]
		case ".gv":
			f = "dot"
		case ".mermaid":
			f = "mmd"
		case "":
			f = "svg"
		default:
			return "", usageErrorf("-o %s: unknown extension %q: give --format svg, png, dot, mmd or json", o.outFile, ext)
		}
	}
	switch f {
	case "mermaid":
		return "mmd", nil
	case "svg", "png", "dot", "mmd", "json":
		return f, nil
	}
	return "", usageErrorf("--format: unknown format %q (want svg, png, dot, mmd or json)", f)
}

// fetch downloads the View's export from the server into the output.
func (o renderOptions) fetch(ctx context.Context, s IO, v graph.View, format string) error {
	base, err := url.Parse(strings.TrimSuffix(o.server, "/"))
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return usageErrorf("--server %q: want a URL such as http://127.0.0.1:7700", o.server)
	}
	u := *base
	u.Path += "/api/v1/graph." + format
	q := v.Encode()
	extra := url.Values{}
	if o.width > 0 {
		extra.Set("width", strconv.Itoa(o.width))
	}
	if o.scale > 0 {
		extra.Set("scale", strconv.FormatFloat(o.scale, 'g', -1, 64))
	}
	if o.token != "" {
		extra.Set("token", o.token)
	}
	if e := extra.Encode(); e != "" && q != "" {
		q += "&" + e
	} else if e != "" {
		q = e
	}
	u.RawQuery = q
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return err
	}
	if o.accessToken != "" {
		req.Header.Set("Authorization", "Bearer "+o.accessToken)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("fetch %s: %w", base.Redacted(), err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return serverError(resp)
	}
	return writeOutput(ctx, o.outFile, s.Stdout, func(w io.Writer) error {
		_, err := io.Copy(w, resp.Body)
		return err
	})
}

// serverError turns a refusal into an error naming the server's reason:
// a UsageError for 4xx (bad View, bad or expired token), which the user
// can fix, a plain error otherwise.
func serverError(resp *http.Response) error {
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	var body struct {
		Error string `json:"error"`
	}
	msg := strings.TrimSpace(string(b))
	if json.Unmarshal(b, &body) == nil && body.Error != "" {
		msg = body.Error
	}
	err := fmt.Errorf("server answered %s: %s", resp.Status, msg)
	if resp.StatusCode >= 400 && resp.StatusCode < 500 {
		return &UsageError{Err: err}
	}
	return err
}

// derive derives the map from the input file, applies the View's
// filters, focus and grouping (a file is one batch: the View's window or
// time range is not applied) and draws it.
func (o renderOptions) derive(ctx context.Context, s IO, v graph.View, format string) error {
	inFormat, err := decode.ParseFormat(o.inputFormat)
	if err != nil {
		return &UsageError{Err: fmt.Errorf("--input-format: %w", err)}
	}
	cfg := derive.DefaultConfig()
	cfg.UserNode = !o.noUserNode
	in, closeIn, err := openInput(o.input, s.Stdin)
	if err != nil {
		return err
	}
	defer closeIn()
	snap, st, err := deriveStream(ctx, in, inFormat, cfg, "file")
	if err != nil {
		return err
	}
	snap = graph.Filter(snap, v)
	opt := render.Options{Engine: layout.Engine(v.Layout), Width: o.width, Scale: o.scale}
	return writeOutput(ctx, o.outFile, s.Stdout, func(w io.Writer) error {
		if format == "json" {
			return writeDeriveJSON(w, snap, st)
		}
		return drawSnapshot(ctx, w, format, snap, opt)
	})
}

// drawSnapshot writes snap in a drawn format with opt.
func drawSnapshot(ctx context.Context, w io.Writer, format string, snap graph.Snapshot, opt render.Options) error {
	var err error
	switch format {
	case "dot":
		err = render.DOT(w, snap, opt)
	case "mmd":
		err = render.Mermaid(w, snap, opt)
	case "svg":
		err = render.SVG(ctx, w, snap, opt)
	case "png":
		err = render.PNG(ctx, w, snap, opt)
	default:
		err = fmt.Errorf("unknown output format %q", format)
	}
	if errors.Is(err, render.ErrTooBig) {
		return &UsageError{Err: fmt.Errorf("--width or --scale: %w", err)}
	}
	return err
}
