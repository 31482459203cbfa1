package render

import (
	"context"
	"errors"
	"fmt"
	"image/png"
	"io"

	"github.com/spanmap/spanmap/graph"
)

// MaxPNGPixels caps the area of a PNG (width times height) so that a huge
// map cannot exhaust memory; larger requests get ErrTooBig.
const MaxPNGPixels = 64 << 20

// ErrTooBig is returned when the requested PNG would exceed MaxPNGPixels.
var ErrTooBig = errors.New("render: png too big")

// padPoints is the margin around a PNG drawing, in points.
const padPoints = 0.2 * 72

// PNG draws s like SVG and writes it as a PNG image: graphviz places every
// shape, line and text (its "json" output lists the drawing operations) and
// they are painted with the bundled Go font. The image is opt.Width pixels
// wide when set (height in proportion), otherwise opt.Scale pixels per
// point (1 when unset).
func PNG(ctx context.Context, w io.Writer, s graph.Snapshot, opt Options) error {
	if opt.Width < 0 || opt.Scale < 0 {
		return fmt.Errorf("render: png width %d or scale %g is negative", opt.Width, opt.Scale)
	}
	ss, err := start(ctx, &s, opt)
	if err != nil {
		return err
	}
	defer ss.close()
	out, err := ss.draw(ctx, opt, "json")
	if err != nil {
		return err
	}
	doc, bb, err := parseXDoc(out)
	if err != nil {
		return err
	}
	scale := opt.Scale
	if scale == 0 {
		scale = 1
	}
	if opt.Width > 0 {
		scale = float64(opt.Width) / (bb[2] - bb[0] + 2*padPoints)
	}
	width, height := rasterSize(bb, scale, padPoints)
	if opt.Width > 0 {
		width = opt.Width
	}
	if int64(width)*int64(height) > MaxPNGPixels {
		return fmt.Errorf("%w: %dx%d pixels (limit %d)", ErrTooBig, width, height, MaxPNGPixels)
	}
	img, err := rasterize(doc, bb, scale, padPoints, width, height)
	if err != nil {
		return err
	}
	enc := png.Encoder{CompressionLevel: png.BestSpeed}
	return enc.Encode(w, img)
}
