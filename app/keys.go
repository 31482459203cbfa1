package app

import (
	"strconv"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

// listenKeys installs a window keydown listener that maps keys to
// shortcuts (shortcutFor) and runs them on the UI goroutine. Keys it uses
// have their default action prevented synchronously, which go-app's
// dispatched handlers cannot do. Release the result with unlistenKeys.
func listenKeys(ctx app.Context, run func(app.Context, shortcut)) app.Func {
	fn := app.FuncOf(func(this app.Value, args []app.Value) any {
		if len(args) == 0 {
			return nil
		}
		e := args[0]
		tag := ""
		if t := e.Get("target"); t.Truthy() {
			if n := t.Get("tagName"); n.Truthy() {
				tag = n.String()
			}
		}
		mod := e.Get("ctrlKey").Bool() || e.Get("metaKey").Bool() || e.Get("altKey").Bool()
		sc := shortcutFor(e.Get("key").String(), tag, mod)
		if sc == shortcutNone {
			return nil
		}
		if sc != shortcutClear {
			e.Call("preventDefault")
		}
		ctx.Dispatch(func(ctx app.Context) { run(ctx, sc) })
		return nil
	})
	app.Window().Call("addEventListener", "keydown", fn)
	return fn
}

// unlistenKeys removes a listener installed by listenKeys.
func unlistenKeys(fn app.Func) {
	if fn == nil {
		return
	}
	app.Window().Call("removeEventListener", "keydown", fn)
	fn.Release()
}

// onEnter runs h when Enter is pressed on the element that has the
// handler, so list rows that take a click (and a tab stop) work from the
// keyboard too.
func onEnter(h app.EventHandler) app.EventHandler {
	return func(ctx app.Context, e app.Event) {
		if e.Get("key").String() == "Enter" {
			h(ctx, e)
		}
	}
}

func formatUint(v uint64) string { return strconv.FormatUint(v, 10) }
