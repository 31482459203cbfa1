// Package cli implements spanmap's command line: `spanmap derive` turns a file
// of spans into a service graph, and further subcommands run the server and
// its tools. main parses nothing itself; it hands os.Args to Main.
package cli
