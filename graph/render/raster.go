package render

import (
	"encoding/json"
	"fmt"
	"image"
	"math"
	"strconv"
	"strings"

	"github.com/fogleman/gg"
	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/opentype"
)

// Graphviz's "json" output carries, for the graph, every cluster, node and
// edge, the xdot drawing operations that draw it. raster replays them with
// a 2D vector library, which gives PNG output the same look as the SVG.

// xdoc is the part of graphviz's json output that raster reads.
type xdoc struct {
	BB      string   `json:"bb"`
	Draw    []xop    `json:"_draw_"`
	LDraw   []xop    `json:"_ldraw_"`
	Objects []xthing `json:"objects"`
	Edges   []xthing `json:"edges"`
}

// xthing is a cluster (Nodes set), node or edge with its drawing lists.
type xthing struct {
	Nodes  []int `json:"nodes"`
	Draw   []xop `json:"_draw_"`
	LDraw  []xop `json:"_ldraw_"`
	HDraw  []xop `json:"_hdraw_"`
	TDraw  []xop `json:"_tdraw_"`
	HLDraw []xop `json:"_hldraw_"`
	TLDraw []xop `json:"_tldraw_"`
}

// xop is one xdot operation.
type xop struct {
	Op     string      `json:"op"`
	Color  string      `json:"color"`
	Style  string      `json:"style"`
	Size   float64     `json:"size"`
	Pt     []float64   `json:"pt"`
	Align  string      `json:"align"`
	Width  float64     `json:"width"`
	Text   string      `json:"text"`
	Points [][]float64 `json:"points"`
	Rect   []float64   `json:"rect"`
}

// raster draws graphviz json output at scale pixels per point, with pad
// points of margin on every side.
type raster struct {
	dc              *gg.Context
	scale, pad      float64
	minX, maxY      float64
	font            *opentype.Font
	faces           map[int]font.Face // by font size in 1/4 pixels
	pen, fill       [4]float64
	lineWidth       float64
	dash            []float64
	fontSize        float64
	halo, invisible bool
}

// rasterSize returns the pixel size of doc drawn at scale.
func rasterSize(bb []float64, scale, pad float64) (int, int) {
	w := int(math.Round((bb[2] - bb[0] + 2*pad) * scale))
	h := int(math.Round((bb[3] - bb[1] + 2*pad) * scale))
	return max(w, 1), max(h, 1)
}

// parseXDoc reads graphviz json output and its bounding box.
func parseXDoc(data []byte) (*xdoc, []float64, error) {
	var doc xdoc
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, nil, fmt.Errorf("render png: graphviz json: %w", err)
	}
	bb, err := floats(doc.BB, 4)
	if err != nil {
		return nil, nil, fmt.Errorf("render png: graphviz bb %q: %w", doc.BB, err)
	}
	return &doc, bb, nil
}

// rasterize draws doc into a new image of width x height pixels.
func rasterize(doc *xdoc, bb []float64, scale, pad float64, width, height int) (image.Image, error) {
	f, err := opentype.Parse(goregular.TTF)
	if err != nil {
		return nil, fmt.Errorf("render png: font: %w", err)
	}
	r := &raster{
		dc: gg.NewContext(width, height), scale: scale, pad: pad,
		minX: bb[0], maxY: bb[3], font: f, faces: map[int]font.Face{},
	}
	defer r.closeFaces()
	r.dc.SetRGB(1, 1, 1)
	r.dc.Clear()
	r.dc.SetLineJoinRound()
	r.run(doc.Draw)
	for _, o := range doc.Objects {
		if o.Nodes != nil {
			r.run(o.Draw)
			r.run(o.LDraw)
		}
	}
	for _, e := range doc.Edges {
		r.run(e.Draw)
		r.run(e.TDraw)
		r.run(e.HDraw)
	}
	for _, o := range doc.Objects {
		if o.Nodes == nil {
			r.run(o.Draw)
			r.run(o.LDraw)
		}
	}
	r.halo = true
	for _, e := range doc.Edges {
		r.run(e.LDraw)
		r.run(e.TLDraw)
		r.run(e.HLDraw)
	}
	r.halo = false
	r.run(doc.LDraw)
	return r.dc.Image(), nil
}

func (r *raster) closeFaces() {
	for _, f := range r.faces {
		f.Close()
	}
}

// run replays one drawing list. Every list starts from graphviz's defaults.
func (r *raster) run(ops []xop) {
	r.pen, r.fill = [4]float64{0, 0, 0, 1}, [4]float64{0, 0, 0, 1}
	r.lineWidth, r.dash, r.fontSize, r.invisible = 1, nil, 14, false
	for _, op := range ops {
		r.do(op)
	}
}

func (r *raster) do(op xop) {
	switch op.Op {
	case "c":
		r.pen = parseColor(op.Color)
	case "C":
		r.fill = parseColor(op.Color)
	case "S":
		r.style(op.Style)
	case "F":
		r.fontSize = op.Size
	case "T":
		r.text(op)
	case "p", "P", "L":
		if len(op.Points) > 0 && !r.invisible {
			r.dc.NewSubPath()
			for i, p := range op.Points {
				x, y := r.xy(p)
				if i == 0 {
					r.dc.MoveTo(x, y)
				} else {
					r.dc.LineTo(x, y)
				}
			}
			if op.Op != "L" {
				r.dc.ClosePath()
			}
			r.paint(op.Op == "P")
		}
	case "b", "B":
		if len(op.Points) >= 4 && !r.invisible {
			r.dc.NewSubPath()
			x, y := r.xy(op.Points[0])
			r.dc.MoveTo(x, y)
			for i := 1; i+2 < len(op.Points); i += 3 {
				x1, y1 := r.xy(op.Points[i])
				x2, y2 := r.xy(op.Points[i+1])
				x3, y3 := r.xy(op.Points[i+2])
				r.dc.CubicTo(x1, y1, x2, y2, x3, y3)
			}
			if op.Op == "B" {
				r.dc.ClosePath()
			}
			r.paint(op.Op == "B")
		}
	case "e", "E":
		if len(op.Rect) == 4 && !r.invisible {
			x, y := r.xy(op.Rect[:2])
			r.dc.NewSubPath()
			r.dc.DrawEllipse(x, y, op.Rect[2]*r.scale, op.Rect[3]*r.scale)
			r.paint(op.Op == "E")
		}
	}
}

// paint fills (for filled operations) and strokes the current path.
func (r *raster) paint(filled bool) {
	if filled && r.fill[3] > 0 {
		r.dc.SetRGBA(r.fill[0], r.fill[1], r.fill[2], r.fill[3])
		r.dc.FillPreserve()
	}
	if r.pen[3] > 0 {
		r.dc.SetRGBA(r.pen[0], r.pen[1], r.pen[2], r.pen[3])
		r.dc.SetLineWidth(r.lineWidth * r.scale)
		dash := make([]float64, len(r.dash))
		for i, d := range r.dash {
			dash[i] = d * r.scale
		}
		r.dc.SetDash(dash...)
		r.dc.StrokePreserve()
	}
	r.dc.ClearPath()
}

func (r *raster) style(s string) {
	switch {
	case s == "solid":
		r.dash = nil
	case s == "dashed":
		r.dash = []float64{5, 2}
	case s == "dotted":
		r.dash = []float64{1, 5}
	case s == "bold":
		r.lineWidth = 2
	case s == "invis" || s == "invisible":
		r.invisible = true
	case strings.HasPrefix(s, "setlinewidth("):
		if w, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimPrefix(s, "setlinewidth("), ")"), 64); err == nil {
			r.lineWidth = w
		}
	}
}

// text draws one text span at its baseline, shrinking the font when the
// bundled font is wider than the span graphviz measured.
func (r *raster) text(op xop) {
	if len(op.Pt) != 2 || op.Text == "" || r.invisible {
		return
	}
	face := r.face(r.fontSize * r.scale)
	r.dc.SetFontFace(face)
	if w, _ := r.dc.MeasureString(op.Text); op.Width > 0 && w > op.Width*r.scale*1.02 {
		face = r.face(r.fontSize * r.scale * op.Width * r.scale / w)
		r.dc.SetFontFace(face)
	}
	ax := 0.5
	switch op.Align {
	case "l":
		ax = 0
	case "r":
		ax = 1
	}
	x, y := r.xy(op.Pt)
	if r.halo {
		r.dc.SetRGB(1, 1, 1)
		d := math.Max(1, r.scale)
		for _, o := range [][2]float64{{-d, 0}, {d, 0}, {0, -d}, {0, d}, {-d, -d}, {d, d}, {-d, d}, {d, -d}} {
			r.dc.DrawStringAnchored(op.Text, x+o[0], y+o[1], ax, 0)
		}
	}
	r.dc.SetRGBA(r.pen[0], r.pen[1], r.pen[2], r.pen[3])
	r.dc.DrawStringAnchored(op.Text, x, y, ax, 0)
}

func (r *raster) face(px float64) font.Face {
	key := int(math.Round(px * 4))
	if f, ok := r.faces[key]; ok {
		return f
	}
	f, err := opentype.NewFace(r.font, &opentype.FaceOptions{Size: float64(key) / 4, DPI: 72, Hinting: font.HintingNone})
	if err != nil {
		return basicfont.Face7x13
	}
	r.faces[key] = f
	return f
}

// xy converts graphviz coordinates to pixels.
func (r *raster) xy(p []float64) (float64, float64) {
	if len(p) < 2 {
		return 0, 0
	}
	return (p[0] - r.minX + r.pad) * r.scale, (r.maxY - p[1] + r.pad) * r.scale
}

// parseColor reads "#rrggbb", "#rrggbbaa" and the few names graphviz
// writes; anything else is black.
func parseColor(s string) [4]float64 {
	switch strings.ToLower(s) {
	case "white":
		return [4]float64{1, 1, 1, 1}
	case "transparent", "none", "invis":
		return [4]float64{}
	}
	if !strings.HasPrefix(s, "#") || (len(s) != 7 && len(s) != 9) {
		return [4]float64{0, 0, 0, 1}
	}
	v, err := strconv.ParseUint(s[1:], 16, 32)
	if err != nil {
		return [4]float64{0, 0, 0, 1}
	}
	if len(s) == 7 {
		v = v<<8 | 0xff
	}
	return [4]float64{float64(v>>24&0xff) / 255, float64(v>>16&0xff) / 255, float64(v>>8&0xff) / 255, float64(v&0xff) / 255}
}

// floats reads want comma-separated numbers.
func floats(s string, want int) ([]float64, error) {
	parts := strings.Split(s, ",")
	if len(parts) != want {
		return nil, fmt.Errorf("want %d numbers, got %d", want, len(parts))
	}
	out := make([]float64, want)
	for i, p := range parts {
		v, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}
