package app

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
	"github.com/spanmap/spanmap/graph"
)

// SourceLink is what the app knows about one data source for linking to
// its traces.
type SourceLink struct {
	// Name is the source's configured name (Exemplar.Source).
	Name string `json:"name"`
	// Kind is the backend type: "jaeger", "zipkin", "tempo", "otlp", ...
	Kind string `json:"kind"`
	// UIURL is the base URL of the backend's trace UI, empty when the
	// source has none (receivers) or it is not configured.
	UIURL string `json:"ui_url,omitempty"`
}

// sourcesBody is the body of GET /api/v1/sources.
type sourcesBody struct {
	Sources []SourceLink `json:"sources"`
}

// parseSources decodes the body of GET /api/v1/sources into links by
// source name.
func parseSources(r io.Reader) (map[string]SourceLink, error) {
	var body sourcesBody
	if err := json.NewDecoder(io.LimitReader(r, 4<<20)).Decode(&body); err != nil {
		return nil, fmt.Errorf("decode sources: %w", err)
	}
	out := make(map[string]SourceLink, len(body.Sources))
	for _, s := range body.Sources {
		out[s.Name] = s
	}
	return out, nil
}

// fetchSources loads the source list from the server. It blocks; call it
// from app.Context.Async.
func fetchSources(url string) (map[string]SourceLink, error) {
	resp, err := http.Get(url)
	if err != nil {
		return nil, fmt.Errorf("load sources: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("load sources: %s", resp.Status)
	}
	return parseSources(resp.Body)
}

// ExemplarURL links an exemplar to its trace in the UI of the source it
// came from, "" when the source is unknown or has no trace UI.
func ExemplarURL(ex graph.Exemplar, sources map[string]SourceLink) string {
	s, ok := sources[ex.Source]
	if !ok {
		return ""
	}
	return TraceURL(s.Kind, s.UIURL, ex.TraceID)
}

// loadSources fetches the source list from sourcesURL in the background
// and keeps it for the trace links of the details panel.
func (s *session) loadSources(ctx app.Context, sourcesURL string) {
	ctx.Async(func() {
		srcs, err := fetchSources(sourcesURL)
		if err != nil {
			app.Log(err)
			return
		}
		ctx.Dispatch(func(ctx app.Context) { s.sources = srcs })
	})
}
