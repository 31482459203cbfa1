//go:build js && wasm

package main

import (
	goapp "github.com/maxence-charriere/go-app/v10/pkg/app"

	"github.com/spanmap/spanmap/app"
)

func main() {
	app.Register()
	goapp.RunWhenOnBrowser()
}
