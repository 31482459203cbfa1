package layout

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/goccy/go-graphviz"
	"github.com/spanmap/spanmap/graph"
)

// Errors returned by this package.
var (
	// ErrUnknownEngine is returned for an engine name that is not supported.
	ErrUnknownEngine = errors.New("unknown layout engine")
	// ErrUnknownNode is returned when an edge names a node that is not in
	// the snapshot.
	ErrUnknownNode = errors.New("unknown node")
	// ErrDuplicateNode is returned when two nodes share an ID.
	ErrDuplicateNode = errors.New("duplicate node ID")
	// ErrTooLarge is returned when a snapshot has more nodes or edges than
	// Config allows.
	ErrTooLarge = errors.New("graph too large to lay out")
	// ErrOutput is returned when graphviz's output cannot be read.
	ErrOutput = errors.New("unreadable graphviz output")
	// ErrUnsupported is returned by Draw for an unknown program or format.
	ErrUnsupported = errors.New("unsupported graphviz program or format")
	// ErrClosed is returned after Close.
	ErrClosed = errors.New("layouter closed")
)

// gvLock serialises every use of graphviz in the process. go-graphviz runs a
// single WebAssembly instance per process, shared by every graphviz.Graphviz
// value and by graphviz.ParseBytes, and that instance must never be entered by
// two goroutines at once. A one-slot channel rather than a sync.Mutex lets a
// waiting caller give up when its context ends.
var gvLock = make(chan struct{}, 1)

func acquire(ctx context.Context) error {
	select {
	case gvLock <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func release() { <-gvLock }

// Config configures a Layouter.
type Config struct {
	// CacheSize is how many finished layouts are kept, keyed by topology and
	// engine. Zero disables the cache.
	CacheSize int
	// MaxNodes refuses snapshots with more nodes (ErrTooLarge). Zero means
	// no limit. A 5,000-node dot layout takes minutes.
	MaxNodes int
	// MaxEdges refuses snapshots with more edges. Zero means no limit.
	MaxEdges int
}

// DefaultConfig returns a Config with a 64-entry cache and limits of 10,000
// nodes and 50,000 edges.
func DefaultConfig() Config {
	return Config{CacheSize: 64, MaxNodes: 10000, MaxEdges: 50000}
}

// Validate reports whether c is usable.
func (c Config) Validate() error {
	if c.CacheSize < 0 {
		return fmt.Errorf("layout: cache size %d is negative", c.CacheSize)
	}
	if c.MaxNodes < 0 || c.MaxEdges < 0 {
		return fmt.Errorf("layout: negative size limit (nodes %d, edges %d)", c.MaxNodes, c.MaxEdges)
	}
	return nil
}

// Stats counts what a Layouter did.
type Stats struct {
	// Layouts is the number of graphviz layouts run.
	Layouts int64
	// CacheHits is the number of Layout calls answered from the cache.
	CacheHits int64
	// Draws is the number of Draw calls that reached graphviz.
	Draws int64
}

// Layouter lays out snapshots with graphviz. It keeps one graphviz context,
// created on first use, and a cache of finished layouts. It is safe for
// concurrent use; graphviz work is serialised process-wide.
type Layouter struct {
	cfg Config

	mu     sync.Mutex // guards cache, stats and closed
	cache  *lru
	stats  Stats
	closed bool

	gv *graphviz.Graphviz // only touched while holding gvLock
}

// New returns a Layouter. The graphviz context is created on first use.
func New(cfg Config) (*Layouter, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Layouter{cfg: cfg, cache: newLRU(cfg.CacheSize)}, nil
}

// Close releases the graphviz context, after any layout already running.
// The Layouter cannot be used after.
func (l *Layouter) Close() error {
	l.mu.Lock()
	l.closed = true
	l.mu.Unlock()
	if err := acquire(context.Background()); err != nil {
		return err
	}
	defer release()
	if l.gv == nil {
		return nil
	}
	err := l.gv.Close()
	l.gv = nil
	return err
}

// Stats returns counters of the work done so far.
func (l *Layouter) Stats() Stats {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.stats
}

// Layout places s's nodes and edges: it sets Node.Pos, Node.Width,
// Node.Height, Edge.Path and s.Width/Height. Only the topology is read, so
// snapshots with the same TopologyKey get the same layout (from the cache
// when it holds it). A layout that has started runs to the end: ctx is
// honoured while waiting for graphviz, not during it.
func (l *Layouter) Layout(ctx context.Context, s *graph.Snapshot, opt Options) error {
	eng := opt.engine()
	if err := eng.Validate(); err != nil {
		return err
	}
	if err := l.checkSize(s); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if len(s.Nodes) == 0 {
		(&result{}).apply(s)
		return nil
	}
	key := cacheKey{topology: TopologyKey(s), engine: eng, pin: opt.Pin}
	l.mu.Lock()
	res, ok := l.cache.get(key)
	if ok {
		l.stats.CacheHits++
	}
	l.mu.Unlock()
	if ok {
		res.apply(s)
		return nil
	}
	in, err := buildInput(s, opt)
	if err != nil {
		return err
	}
	var out bytes.Buffer
	if err := l.run(ctx, in.dot, eng.program(), "json0", &out); err != nil {
		return fmt.Errorf("layout with %s: %w", eng, err)
	}
	res, err = parseOutput(out.Bytes(), s, in)
	if err != nil {
		return fmt.Errorf("layout with %s: %w", eng, err)
	}
	switch {
	case eng.isDot() && opt.Pin && smallChange(s, opt):
		if res, err = l.pinDot(ctx, s, res, opt); err != nil {
			return fmt.Errorf("layout with %s: %w", eng, err)
		}
	case len(opt.Previous) > 0:
		res.align(opt.Previous)
	}
	l.mu.Lock()
	l.stats.Layouts++
	l.cache.put(key, res)
	l.mu.Unlock()
	res.apply(s)
	return nil
}

func (l *Layouter) checkSize(s *graph.Snapshot) error {
	if l.cfg.MaxNodes > 0 && len(s.Nodes) > l.cfg.MaxNodes {
		return fmt.Errorf("%w: %d nodes (limit %d)", ErrTooLarge, len(s.Nodes), l.cfg.MaxNodes)
	}
	if l.cfg.MaxEdges > 0 && len(s.Edges) > l.cfg.MaxEdges {
		return fmt.Errorf("%w: %d edges (limit %d)", ErrTooLarge, len(s.Edges), l.cfg.MaxEdges)
	}
	return nil
}

// program returns the go-graphviz layout for a program name. "nop2" keeps
// the node and edge positions given in the source (neato -n2).
func program(name string) (graphviz.Layout, bool) {
	switch name {
	case "dot", "neato", "fdp", "sfdp", "circo", "twopi", "osage", "nop", "nop1", "nop2":
		return graphviz.Layout(name), true
	}
	return "", false
}

// knownFormat reports whether Draw accepts a graphviz output format.
func knownFormat(name string) bool {
	switch name {
	case "svg", "png", "jpg", "dot", "xdot", "json", "json0", "plain", "plain-ext":
		return true
	}
	return false
}

// Draw parses dot (graphviz source), lays it out with program ("dot",
// "neato", "fdp", ..., or "nop2" to keep the positions the source gives) and
// writes it in format ("svg", "png", "dot", "json0", ...) to w. It shares the
// Layouter's graphviz context and lock.
func (l *Layouter) Draw(ctx context.Context, w io.Writer, dot []byte, prog, format string) error {
	if _, ok := program(prog); !ok {
		return fmt.Errorf("%w: program %q", ErrUnsupported, prog)
	}
	if !knownFormat(format) {
		return fmt.Errorf("%w: format %q", ErrUnsupported, format)
	}
	var out bytes.Buffer
	if err := l.run(ctx, dot, prog, format, &out); err != nil {
		return err
	}
	l.mu.Lock()
	l.stats.Draws++
	l.mu.Unlock()
	_, err := w.Write(out.Bytes())
	return err
}

// run parses src and renders it with graphviz while holding gvLock.
func (l *Layouter) run(ctx context.Context, src []byte, prog, format string, out *bytes.Buffer) error {
	if err := acquire(ctx); err != nil {
		return err
	}
	defer release()
	l.mu.Lock()
	closed := l.closed
	l.mu.Unlock()
	if closed {
		return ErrClosed
	}
	if l.gv == nil {
		gv, err := graphviz.New(ctx)
		if err != nil {
			return fmt.Errorf("start graphviz: %w", err)
		}
		l.gv = gv
	}
	g, err := graphviz.ParseBytes(src)
	if err != nil {
		return fmt.Errorf("parse graphviz source: %w", err)
	}
	defer g.Close()
	layout, _ := program(prog)
	l.gv.SetLayout(layout)
	if err := l.gv.Render(ctx, g, graphviz.Format(format), out); err != nil {
		return fmt.Errorf("graphviz %s: %w", prog, err)
	}
	if out.Len() == 0 {
		return fmt.Errorf("graphviz %s produced no %s output", prog, format)
	}
	return nil
}
