package render

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"html"
	"io"
	"strings"

	"github.com/spanmap/spanmap/graph"
	"github.com/spanmap/spanmap/graph/layout"
)

// SVG draws s as a self-contained SVG document: no scripts, stylesheets or
// external fonts. Nodes and edges are <g> elements with the IDs of
// NodeElementID and EdgeElementID, health and kind classes ("node health-ok
// kind-service"), and a <title> with the hover text. A snapshot without
// positions is laid out first with opt.Engine (the caller's copy is left
// alone). The legend and the time range are drawn unless turned off.
func SVG(ctx context.Context, w io.Writer, s graph.Snapshot, opt Options) error {
	ss, err := start(ctx, &s, opt)
	if err != nil {
		return err
	}
	defer ss.close()
	out, err := ss.draw(ctx, opt, "svg")
	if err != nil {
		return err
	}
	doc, err := finishSVG(out, ss.titles(opt))
	if err != nil {
		return err
	}
	_, err = w.Write(doc)
	return err
}

// session is one SVG or PNG rendering: a laid-out snapshot and the
// Layouter that draws it.
type session struct {
	s     *graph.Snapshot
	l     *layout.Layouter
	close func()
}

// start checks s, picks or starts a Layouter and lays s out (on a copy)
// when it has no positions yet. The caller must call close.
func start(ctx context.Context, s *graph.Snapshot, opt Options) (*session, error) {
	if err := check(s); err != nil {
		return nil, err
	}
	ss := &session{s: s, l: opt.Layouter, close: func() {}}
	if ss.l == nil {
		tmp, err := layout.New(layout.Config{})
		if err != nil {
			return nil, err
		}
		ss.l, ss.close = tmp, func() { tmp.Close() }
	}
	if !laidOut(s) {
		c := *s
		c.Nodes = append([]graph.Node(nil), s.Nodes...)
		c.Edges = append([]graph.Edge(nil), s.Edges...)
		if err := ss.l.Layout(ctx, &c, layout.Options{Engine: opt.engine()}); err != nil {
			ss.close()
			return nil, fmt.Errorf("render: %w", err)
		}
		ss.s = &c
	}
	return ss, nil
}

// draw has graphviz draw the session's snapshot in format.
func (ss *session) draw(ctx context.Context, opt Options, format string) ([]byte, error) {
	src, err := dotSource(ss.s, opt, true)
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	if err := ss.l.Draw(ctx, &out, src, "nop2", format); err != nil {
		return nil, fmt.Errorf("render %s: %w", format, err)
	}
	return out.Bytes(), nil
}

// titles returns the hover text of every element ID.
func (ss *session) titles(opt Options) map[string]string {
	s := ss.s
	titles := make(map[string]string, len(s.Nodes)+len(s.Edges)+1)
	for i := range s.Nodes {
		titles[NodeElementID(s.Nodes[i].ID)] = nodeTooltip(s.Nodes[i])
	}
	for i := range s.Edges {
		titles[EdgeElementID(s.Edges[i].ID)] = edgeTooltip(s.Edges[i])
	}
	caption := opt.caption(s)
	if caption == "" {
		caption = "spanmap service map"
	}
	titles["graph0"] = caption
	return titles
}

// finishSVG removes the DOCTYPE (which names an external DTD) and the
// comments from graphviz's SVG, and replaces the <title> of every element
// listed in titles with its hover text.
func finishSVG(doc []byte, titles map[string]string) ([]byte, error) {
	var b bytes.Buffer
	rest := string(doc)
	inEdge := false
	for len(rest) > 0 {
		i := strings.IndexByte(rest, '<')
		if i < 0 {
			b.WriteString(rest)
			break
		}
		b.WriteString(rest[:i])
		rest = rest[i:]
		switch {
		case strings.HasPrefix(rest, "<!--"):
			end := strings.Index(rest, "-->")
			if end < 0 {
				return nil, fmt.Errorf("render svg: unterminated comment")
			}
			rest = strings.TrimLeft(rest[end+3:], "\n")
		case strings.HasPrefix(rest, "<!DOCTYPE"):
			end := strings.IndexByte(rest, '>')
			if end < 0 {
				return nil, fmt.Errorf("render svg: unterminated DOCTYPE")
			}
			rest = strings.TrimLeft(rest[end+1:], "\n")
		case strings.HasPrefix(rest, "<g id=\""):
			end := strings.IndexByte(rest, '>')
			if end < 0 {
				return nil, fmt.Errorf("render svg: unterminated <g>")
			}
			tag := rest[:end+1]
			b.WriteString(tag)
			rest = rest[end+1:]
			inEdge = strings.Contains(tag, `class="edge`)
			id := tag[len(`<g id="`):]
			id = html.UnescapeString(id[:strings.IndexByte(id, '"')])
			if text, ok := titles[id]; ok {
				rest = replaceTitle(&b, rest, text)
			}
		case strings.HasPrefix(rest, "</g>"):
			inEdge = false
			b.WriteString("</g>")
			rest = rest[len("</g>"):]
		case inEdge && strings.HasPrefix(rest, "<text "):
			// A white halo keeps edge labels readable where lines cross.
			b.WriteString(`<text stroke="white" stroke-width="3" stroke-linejoin="round" paint-order="stroke" `)
			rest = rest[len("<text "):]
		default:
			b.WriteByte('<')
			rest = rest[1:]
		}
	}
	return b.Bytes(), nil
}

// replaceTitle writes the element content that precedes its <title>, then
// a <title> holding text, and returns what follows the old title.
func replaceTitle(b *bytes.Buffer, rest, text string) string {
	start := strings.Index(rest, "<title>")
	end := strings.Index(rest, "</title>")
	next := strings.Index(rest, "<g ")
	if start < 0 || end < start || (next >= 0 && next < start) {
		return rest
	}
	b.WriteString(rest[:start])
	b.WriteString("<title>")
	xml.EscapeText(b, []byte(text))
	b.WriteString("</title>")
	return rest[end+len("</title>"):]
}
