// Package layoutproc runs graph layout in child processes. Graphviz runs as
// WebAssembly inside go-graphviz, which the Go runtime cannot preempt: a
// garbage collection that starts during a long layout waits for it, and every
// goroutine of the process waits with it. In a child process a layout of any
// size stalls only that child, and two children lay out two Views at once.
//
// The parent talks to each child over its stdin and stdout, one JSON request
// and one JSON response per line. A child that times out or whose context is
// cancelled is killed; a child that dies is replaced on the next call.
package layoutproc

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"

	"github.com/spanmap/spanmap/graph"
	"github.com/spanmap/spanmap/graph/layout"
)

// Config configures the pool of layout processes.
type Config struct {
	// Command is the child's argv, e.g. {"/usr/bin/spanmap", "layout-worker"}.
	Command []string
	// Env is added to the child's environment.
	Env []string
	// Workers is the number of child processes (layouts run in parallel).
	Workers int
}

// Validate reports the first invalid field.
func (c Config) Validate() error {
	switch {
	case len(c.Command) == 0 || c.Command[0] == "":
		return errors.New("layoutproc: command must not be empty")
	case c.Workers <= 0:
		return fmt.Errorf("layoutproc: workers must be positive, got %d", c.Workers)
	}
	return nil
}

// request is one layout job sent to a child.
type request struct {
	Snapshot graph.Snapshot `json:"snapshot"`
	Options  layout.Options `json:"options"`
}

// response is a child's answer: the laid-out snapshot or an error.
type response struct {
	Snapshot *graph.Snapshot `json:"snapshot,omitempty"`
	Error    string          `json:"error,omitempty"`
}

// Layouter lays out snapshots in child processes. It satisfies the hub's
// Layouter interface.
type Layouter struct {
	cfg  Config
	log  *slog.Logger
	idle chan *worker // idle or not-yet-started workers (nil entries)
}

// New returns a Layouter; children start on first use.
func New(cfg Config, log *slog.Logger) (*Layouter, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	l := &Layouter{cfg: cfg, log: log, idle: make(chan *worker, cfg.Workers)}
	for range cfg.Workers {
		l.idle <- nil
	}
	return l, nil
}

// worker is one child process.
type worker struct {
	cmd  *exec.Cmd
	in   io.WriteCloser
	out  *bufio.Reader
	done chan struct{} // closed when the process has exited
}

func (l *Layouter) start() (*worker, error) {
	cmd := exec.Command(l.cfg.Command[0], l.cfg.Command[1:]...)
	cmd.Env = append(os.Environ(), l.cfg.Env...)
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start layout process %s: %w", l.cfg.Command[0], err)
	}
	w := &worker{cmd: cmd, in: in, out: bufio.NewReaderSize(out, 1<<20), done: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(w.done) }()
	return w, nil
}

func (w *worker) kill() {
	_ = w.cmd.Process.Kill()
	<-w.done
}

// Close kills every child.
func (l *Layouter) Close() error {
	for range l.cfg.Workers {
		if w := <-l.idle; w != nil {
			w.in.Close()
			w.kill()
		}
	}
	return nil
}

// Layout lays s out in a child process, filling the same fields as
// layout.Layouter.Layout. When ctx ends first, the child is killed.
func (l *Layouter) Layout(ctx context.Context, s *graph.Snapshot, opt layout.Options) error {
	var w *worker
	select {
	case w = <-l.idle:
	case <-ctx.Done():
		return ctx.Err()
	}
	if w == nil {
		var err error
		if w, err = l.start(); err != nil {
			l.idle <- nil
			return err
		}
	}
	resp, err := w.roundTrip(ctx, request{Snapshot: *s, Options: opt})
	if err != nil {
		w.kill()
		l.idle <- nil // replaced on the next call
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("layout process: %w", err)
	}
	l.idle <- w
	if resp.Error != "" {
		return errors.New(resp.Error)
	}
	if resp.Snapshot == nil {
		return errors.New("layout process: empty response")
	}
	copyLayout(s, resp.Snapshot)
	return nil
}

// roundTrip sends one request and waits for its response or ctx.
func (w *worker) roundTrip(ctx context.Context, req request) (response, error) {
	type result struct {
		resp response
		err  error
	}
	ch := make(chan result, 1)
	go func() {
		if err := json.NewEncoder(w.in).Encode(req); err != nil {
			ch <- result{err: err}
			return
		}
		line, err := w.out.ReadBytes('\n')
		if err != nil {
			ch <- result{err: fmt.Errorf("read: %w", err)}
			return
		}
		var resp response
		err = json.Unmarshal(line, &resp)
		ch <- result{resp: resp, err: err}
	}()
	select {
	case r := <-ch:
		return r.resp, r.err
	case <-ctx.Done():
		w.kill() // unblocks the goroutine's read
		<-ch
		return response{}, ctx.Err()
	case <-w.done:
		return response{}, errors.New("layout process exited")
	}
}

// copyLayout copies the fields layout sets from laid into s, matching nodes
// and edges by ID.
func copyLayout(s, laid *graph.Snapshot) {
	s.Width, s.Height = laid.Width, laid.Height
	nodes := make(map[string]*graph.Node, len(laid.Nodes))
	for i := range laid.Nodes {
		nodes[laid.Nodes[i].ID] = &laid.Nodes[i]
	}
	for i := range s.Nodes {
		if n, ok := nodes[s.Nodes[i].ID]; ok {
			s.Nodes[i].Pos, s.Nodes[i].Width, s.Nodes[i].Height = n.Pos, n.Width, n.Height
		}
	}
	edges := make(map[string]*graph.Edge, len(laid.Edges))
	for i := range laid.Edges {
		edges[laid.Edges[i].ID] = &laid.Edges[i]
	}
	for i := range s.Edges {
		if e, ok := edges[s.Edges[i].ID]; ok {
			s.Edges[i].Path = e.Path
		}
	}
}

// Serve is the child's side: it answers requests from r on w until r ends,
// laying out with an in-process layout.Layouter.
func Serve(r io.Reader, w io.Writer) error {
	l, err := layout.New(layout.DefaultConfig())
	if err != nil {
		return err
	}
	defer l.Close()
	dec := json.NewDecoder(bufio.NewReaderSize(r, 1<<20))
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	for { // one request at a time: the parent never pipelines
		var req request
		if err := dec.Decode(&req); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return fmt.Errorf("layout worker: read request: %w", err)
		}
		var resp response
		if err := l.Layout(context.Background(), &req.Snapshot, req.Options); err != nil {
			resp.Error = err.Error()
		} else {
			resp.Snapshot = &req.Snapshot
		}
		err := enc.Encode(resp)
		if err == nil {
			err = bw.Flush()
		}
		if err != nil {
			return fmt.Errorf("layout worker: write response: %w", err)
		}
	}
}
