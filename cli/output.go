package cli

import (
	"context"
	"fmt"
	"io"

	"github.com/spanmap/spanmap/graph"
	"github.com/spanmap/spanmap/graph/render"
)

// parseOutput validates an --output value; "mmd" is accepted for mermaid.
func parseOutput(s string) (string, error) {
	switch s {
	case "mmd":
		return "mermaid", nil
	case "json", "dot", "mermaid", "svg", "png":
		return s, nil
	}
	return "", usageErrorf("--output: unknown format %q (want json, dot, mermaid, svg or png)", s)
}

// renderSnapshot writes snap in a graphical format.
func renderSnapshot(ctx context.Context, w io.Writer, format string, snap graph.Snapshot) error {
	opt := render.Options{}
	switch format {
	case "dot":
		return render.DOT(w, snap, opt)
	case "mermaid":
		return render.Mermaid(w, snap, opt)
	case "svg":
		return render.SVG(ctx, w, snap, opt)
	case "png":
		return render.PNG(ctx, w, snap, opt)
	}
	return fmt.Errorf("unknown output format %q", format)
}
