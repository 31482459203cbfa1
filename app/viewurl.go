package app

import (
	"net/url"
	"strings"
	"time"

	"github.com/spanmap/spanmap/graph"
)

// Paths of the app and the server endpoints it talks to.
const (
	// PathMap is the full map page.
	PathMap = "/"
	// PathEmbed is the chrome-less map for iframes.
	PathEmbed = "/embed"
	// PathStream is the websocket endpoint streaming snapshots and diffs.
	PathStream = "/api/v1/stream"
	// PathSources is the JSON list of data sources.
	PathSources = "/api/v1/sources"
	// PathGraph is the JSON graph of a View.
	PathGraph = "/api/v1/graph"
	// PathSparkline is a node's or an edge's calls and errors over time.
	PathSparkline = "/api/v1/sparkline"
	// ParamAccessToken is the query parameter carrying a bearer token for
	// browsers and iframes, which cannot set headers. It is kept on every
	// link and passed on to the stream, and is not part of the View.
	ParamAccessToken = "access_token"
	// ParamEmbedToken carries a read-only embed token, scoped by the
	// server to one View (see POST /api/v1/tokens). It is passed on to
	// the stream and to export links, is not part of the View, and is
	// never put on links to other Views.
	ParamEmbedToken = "token"
	// PathTokens mints embed tokens (POST).
	PathTokens = "/api/v1/tokens"
)

// ViewFromQuery reads the View and the access token from a page's raw
// query string; an embed token (EmbedTokenFromQuery) is left out of the
// View too. A bad View yields the default View and the parse error, so the
// page can show the map and say what was wrong with the link.
func ViewFromQuery(rawQuery string) (graph.View, string, error) {
	vals, err := url.ParseQuery(rawQuery)
	if err != nil {
		return graph.DefaultView(), "", &graph.ViewError{Param: "query", Reason: err.Error()}
	}
	token := vals.Get(ParamAccessToken)
	v, err := graph.ParseViewValues(vals, ParamAccessToken, ParamEmbedToken)
	if err != nil {
		return graph.DefaultView(), token, err
	}
	return v, token, nil
}

// PageURL is the address of the page at path showing v: the View's
// canonical query string plus the access token, if any. The default View
// without a token is the bare path.
func PageURL(path string, v graph.View, token string) string {
	q := v.Encode()
	if token != "" {
		t := url.Values{ParamAccessToken: {token}}.Encode()
		if q == "" {
			q = t
		} else {
			q += "&" + t
		}
	}
	if q == "" {
		return path
	}
	return path + "?" + q
}

// EmbedTokenFromQuery returns the embed token of a page's raw query
// string, "" when there is none or the query cannot be read.
func EmbedTokenFromQuery(rawQuery string) string {
	vals, err := url.ParseQuery(rawQuery)
	if err != nil {
		return ""
	}
	return vals.Get(ParamEmbedToken)
}

// WithEmbedToken appends embed token tok to address u (a path with or
// without a query string); u is returned as it is when tok is "".
func WithEmbedToken(u, tok string) string {
	if tok == "" {
		return u
	}
	sep := "?"
	if strings.Contains(u, "?") {
		sep = "&"
	}
	return u + sep + url.Values{ParamEmbedToken: {tok}}.Encode()
}

// StreamURL is the websocket address of the stream on the server that
// served page: ws:// for http pages, wss:// for https, with the access
// token and the embed token when there are.
func StreamURL(page *url.URL, token, embedToken string) string {
	u := url.URL{Scheme: "ws", Host: page.Host, Path: PathStream}
	if strings.EqualFold(page.Scheme, "https") {
		u.Scheme = "wss"
	}
	q := url.Values{}
	if token != "" {
		q.Set(ParamAccessToken, token)
	}
	if embedToken != "" {
		q.Set(ParamEmbedToken, embedToken)
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// Origin is the scheme and host of page, "http://127.0.0.1:7700", the
// prefix of absolute addresses on its server.
func Origin(page *url.URL) string {
	return (&url.URL{Scheme: page.Scheme, Host: page.Host}).String()
}

// APIURL is the address of a JSON endpoint on the page's server, with
// the access token when there is one.
func APIURL(page *url.URL, path, token string) string {
	u := url.URL{Scheme: page.Scheme, Host: page.Host, Path: path}
	if token != "" {
		u.RawQuery = url.Values{ParamAccessToken: {token}}.Encode()
	}
	return u.String()
}

// WindowOptions are the windows offered by the window selector.
func WindowOptions() []time.Duration {
	return []time.Duration{time.Minute, 5 * time.Minute, 15 * time.Minute, time.Hour}
}

// WindowLabel names a window the way the selector shows it: "1m", "5m",
// "15m", "1h", "6h", "2d".
func WindowLabel(d time.Duration) string {
	switch {
	case d <= 0:
		return "custom"
	case d%(24*time.Hour) == 0:
		return trimFloat(float64(d/(24*time.Hour)), 0) + "d"
	case d%time.Hour == 0:
		return trimFloat(float64(d/time.Hour), 0) + "h"
	case d%time.Minute == 0:
		return trimFloat(float64(d/time.Minute), 0) + "m"
	default:
		return d.String()
	}
}

// LayoutOptions are the layout engines offered by the layout selector,
// with their labels.
func LayoutOptions() [][2]string {
	return [][2]string{
		{graph.LayoutDotLR, "layered, left to right"},
		{graph.LayoutDotTB, "layered, top to bottom"},
		{graph.LayoutNeato, "spring"},
		{graph.LayoutFDP, "force-directed"},
	}
}

// Focused returns v focused on node id with the given hops (kept as they
// are when v already has a focus, else DefaultHops each way).
func Focused(v graph.View, id string) graph.View {
	if v.Focus == "" {
		v.Up, v.Down = graph.DefaultHops, graph.DefaultHops
	}
	v.Focus = id
	return v.Normalize()
}

// ExportFormats are the static renderings the server offers for a View,
// as file extensions with their labels.
func ExportFormats() [][2]string {
	return [][2]string{
		{"svg", "SVG image"},
		{"png", "PNG image"},
		{"mmd", "Mermaid"},
		{"dot", "Graphviz DOT"},
		{"json", "JSON"},
	}
}

// ExportURL is the stable address of a View rendered as format (an
// extension from ExportFormats), for wikis and docs: /api/v1/graph.<ext>,
// or /api/v1/graph for JSON, with the View's query string.
func ExportURL(format string, v graph.View, token string) string {
	path := "/api/v1/graph"
	if format != "json" {
		path += "." + format
	}
	return PageURL(path, v, token)
}
