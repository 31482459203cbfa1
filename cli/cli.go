package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"
)

// Exit codes returned by Main.
const (
	// ExitOK means success.
	ExitOK = 0
	// ExitFailure means the command failed for a reason other than its input
	// (I/O error, server failure).
	ExitFailure = 1
	// ExitUsage means bad flags or bad input: the command printed one line
	// naming the problem.
	ExitUsage = 2
)

// UsageError is an error caused by the user's flags or input. Main reports it
// on one line and exits with ExitUsage.
type UsageError struct{ Err error }

// Error implements error.
func (e *UsageError) Error() string { return e.Err.Error() }

// Unwrap returns the underlying error.
func (e *UsageError) Unwrap() error { return e.Err }

func usageErrorf(format string, args ...any) error {
	return &UsageError{Err: fmt.Errorf(format, args...)}
}

// IO bundles the standard streams a command uses.
type IO struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
}

// command is one subcommand.
type command struct {
	summary string
	run     func(ctx context.Context, args []string, s IO) error
}

func commands() map[string]command {
	return map[string]command{
		"derive":        {"derive a service graph from a file of spans", runDerive},
		"serve":         {"run the live map server (UI, API, receivers, pullers)", runServe},
		"demo":          {"send the demo system's traces to an OTLP endpoint", runDemo},
		"layout-worker": {"(internal) graph layout child process of serve", runLayoutWorker},
		"render":        {"draw a map as SVG, PNG, DOT or Mermaid, from a server or a file of spans", runRender},
		"token":         {"mint a read-only embed token for one View", runToken},
	}
}

// Main runs the subcommand named by args[0] and returns the process exit code.
func Main(ctx context.Context, args []string, s IO) int {
	cmds := commands()
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		printUsage(s.Stderr, cmds)
		if len(args) == 0 {
			return ExitUsage
		}
		return ExitOK
	}
	cmd, ok := cmds[args[0]]
	if !ok {
		fmt.Fprintf(s.Stderr, "spanmap: unknown command %q (run 'spanmap help')\n", args[0])
		return ExitUsage
	}
	err := cmd.run(ctx, args[1:], s)
	switch {
	case err == nil:
		return ExitOK
	case errors.Is(err, flag.ErrHelp):
		return ExitOK
	}
	fmt.Fprintf(s.Stderr, "spanmap %s: %s\n", args[0], oneLine(err.Error()))
	var ue *UsageError
	if errors.As(err, &ue) {
		return ExitUsage
	}
	return ExitFailure
}

func printUsage(w io.Writer, cmds map[string]command) {
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	fmt.Fprintln(w, "usage: spanmap <command> [flags]")
	fmt.Fprintln(w, "\ncommands:")
	for _, n := range names {
		fmt.Fprintf(w, "  %-8s %s\n", n, cmds[n].summary)
	}
	fmt.Fprintln(w, "\nrun 'spanmap <command> -h' for a command's flags")
}

// newFlagSet returns a FlagSet that neither prints nor exits: parseFlags
// turns its errors into UsageErrors.
func newFlagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet("spanmap "+name, flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors are reported once, on one line, by Main
	fs.Usage = func() {}
	return fs
}

// parseFlags parses args, turning flag errors into UsageErrors and rejecting
// stray positional arguments. -h prints the flags to help.
func parseFlags(fs *flag.FlagSet, args []string, help io.Writer) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprintf(help, "usage of %s:\n", fs.Name())
			fs.SetOutput(help)
			fs.PrintDefaults()
			return err
		}
		return &UsageError{Err: err}
	}
	if fs.NArg() > 0 {
		return usageErrorf("unexpected argument %q", fs.Arg(0))
	}
	return nil
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
