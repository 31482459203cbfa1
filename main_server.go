//go:build !(js && wasm)

// Command spanmap derives a live service-dependency map from tracing data.
// The same main is built twice: for the server (this file) and, as
// web/app.wasm, for the browser (main_wasm.go).
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	goapp "github.com/maxence-charriere/go-app/v10/pkg/app"

	"github.com/spanmap/spanmap/app"
	"github.com/spanmap/spanmap/cli"
)

func main() {
	app.Register()
	goapp.RunWhenOnBrowser() // no-op on the server; keeps both builds symmetric
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, os.Args[1:], cli.IO{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr})
	stop()
	os.Exit(code)
}
