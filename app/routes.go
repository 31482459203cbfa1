package app

import "github.com/maxence-charriere/go-app/v10/pkg/app"

// Register routes the app's pages in go-app's (global) router: the full
// map at "/" and the chrome-less embed page at "/embed". Call it once from
// main, in both the browser and the server build, before
// app.RunWhenOnBrowser and before serving Handler: go-app's handler answers
// 404 for paths that are not routed.
func Register() {
	app.Route(PathMap, func() app.Composer { return newMapPage() })
	app.Route(PathEmbed, func() app.Composer { return newEmbedPage() })
}

// Handler returns the go-app handler that serves the app's pages, the
// wasm loader and the PWA files. Pages link the stylesheet
// /web/spanmap.css; go-app loads /web/app.wasm. The server may set
// Version (for cache busting, e.g. from the embedded assets' hash) and
// Resources (to serve the web directory from an embedded file system)
// before serving it.
func Handler() *app.Handler {
	return &app.Handler{
		Name:            "spanmap",
		ShortName:       "spanmap",
		Title:           "spanmap",
		Description:     "Live service-dependency map built from distributed traces",
		Styles:          []string{"/web/spanmap.css"},
		BackgroundColor: "#101418",
		ThemeColor:      "#101418",
		LoadingLabel:    "loading spanmap {progress}%",
		// Local icons: without them go-app links icons on a public host,
		// and every page load would leave the network spanmap runs in.
		Icon: app.Icon{Default: "/web/icon.png", Large: "/web/icon-512.png", SVG: "/web/icon.svg"},
	}
}
