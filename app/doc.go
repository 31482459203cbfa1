// Package app is the spanmap browser application, written with go-app v10
// and compiled to WebAssembly. It draws the live service-dependency map as
// SVG, keeps it current from the server's websocket stream
// (/api/v1/stream), and offers the side panels (details, hotspots), the
// view controls and the chrome-less embed page.
//
// The package imports only go-app, the standard library, the WASM-safe
// github.com/spanmap/spanmap/graph package and github.com/coder/websocket.
// It never imports graph subpackages, so grpc, protobuf and graphviz stay
// out of app.wasm.
//
// go-app's main is built twice, once for the browser and once for the
// server. Both builds must call Register before anything else, because
// go-app's router is global and its handler answers 404 for unrouted paths:
//
//	import (
//		goapp "github.com/maxence-charriere/go-app/v10/pkg/app"
//		spanmapapp "github.com/spanmap/spanmap/app"
//	)
//
//	spanmapapp.Register()          // routes "/" and "/embed", both builds
//	goapp.RunWhenOnBrowser()       // browser build: starts the UI
//	mux.Handle("/", spanmapapp.Handler()) // server build: pages, app.wasm loader
//
// Handler references the stylesheet /web/spanmap.css and go-app loads
// /web/app.wasm; the server serves the web directory.
//
// Components (one per file): mapPage ("/": toolbar, timeSlider,
// controlsPanel, mapCanvas, comparePanel, detailsPanel, hotspotsPanel,
// changesPanel, status bar), embedPage ("/embed":
// mapCanvas with zoom controls, liveStatus and a link to the full map),
// mapCanvas (SVG drawing, pan, wheel zoom, fit, collapsible namespace
// frames, legend), searchBox, controlsPanel, detailsPanel, hotspotsPanel,
// liveStatus, emptyState and legend. Children talk to their page through
// go-app actions (actionSelect, actionFocus, actionView, ...); the pages own
// a session, which follows the View in the URL and keeps the stream
// (streamClient, liveState) subscribed to it.
//
// The View lives in the URL query with the server's parameters
// (graph.ParseView), plus access_token, which is passed on to the stream.
// A control change navigates to the new URL; OnNav then resubscribes, so
// back/forward and shared links restore the View. Preferences that are not
// part of the View (theme, edge labels) live in local storage.
//
// History on the map page: the time slider anchors the View at a fixed
// range (from/to) or returns it live, and replays history by replacing
// the URL with a range one step later once the previous step's snapshot
// arrived. Compare mode draws the union graph of GET /api/v1/diff with
// cmp-added, cmp-removed, cmp-regressed, cmp-improved and cmp-traffic
// classes; the changes panel lists GET /api/v1/events. Their state rides
// in the page URL next to the View (compare, replay, speed, scale:
// SplitHistoryQuery, HistoryURL) and never reaches the server's View.
//
// Pure logic (view and URL mapping, hotspot ranking, label formatting, edge
// width scale, health styles, viewport maths, trace links) lives in plain
// functions that are tested natively with `go test ./app/`.
package app
