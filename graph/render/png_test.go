package render

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/png"
	"math"
	"strconv"
	"testing"

	"github.com/spanmap/spanmap/graph"
	"github.com/spanmap/spanmap/graph/layout"
)

// countColour counts the pixels within a small distance of the #rrggbb
// colour hex.
func countColour(img image.Image, hex string) int {
	v, _ := strconv.ParseUint(hex[1:], 16, 32)
	want := [3]float64{float64(v >> 16 & 0xff), float64(v >> 8 & 0xff), float64(v & 0xff)}
	n := 0
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			d := math.Abs(float64(r>>8)-want[0]) + math.Abs(float64(g>>8)-want[1]) + math.Abs(float64(bl>>8)-want[2])
			if d < 24 {
				n++
			}
		}
	}
	return n
}

func renderPNG(t *testing.T, s graph.Snapshot, opt Options) image.Image {
	t.Helper()
	var b bytes.Buffer
	if err := PNG(context.Background(), &b, s, opt); err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(&b)
	if err != nil {
		t.Fatalf("output is not a PNG: %v", err)
	}
	return img
}

func TestPNG_sizeFollowsWidthOrScale(t *testing.T) {
	l, err := layout.New(layout.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	s := sampleSnapshot()
	if err := l.Layout(context.Background(), &s, layout.Options{}); err != nil {
		t.Fatal(err)
	}
	// With a scale, the width follows graphviz's bounding box, which may
	// differ from the snapshot's by its rounding.
	tests := []struct {
		name  string
		opt   Options
		width int
		slack int
	}{
		{"width 640", Options{Layouter: l, Width: 640}, 640, 0},
		{"width 1999", Options{Layouter: l, Width: 1999, Title: "wide"}, 1999, 0},
		{"scale 1", Options{Layouter: l, NoLegend: true}, int(math.Round(s.Width + 2*padPoints)), 1},
		{"scale 2", Options{Layouter: l, NoLegend: true, Scale: 2}, int(math.Round(2 * (s.Width + 2*padPoints))), 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			img := renderPNG(t, s, tc.opt)
			if got := img.Bounds().Dx(); got < tc.width-tc.slack || got > tc.width+tc.slack {
				t.Errorf("width %d, want %d±%d", got, tc.width, tc.slack)
			}
			if img.Bounds().Dy() < 50 {
				t.Errorf("height %d is too small", img.Bounds().Dy())
			}
		})
	}
}

func TestPNG_usesHealthColours(t *testing.T) {
	pal := DefaultPalette()
	allOK := sampleSnapshot()
	for i := range allOK.Nodes {
		allOK.Nodes[i].Health = graph.HealthOK
	}
	for i := range allOK.Edges {
		allOK.Edges[i].Health = graph.HealthOK
	}
	tests := []struct {
		name      string
		s         graph.Snapshot
		opt       Options
		present   []string
		absent    []string
		minPixels int
	}{
		{"mixed", sampleSnapshot(), Options{NoLegend: true, Width: 900}, []string{pal.OK.Stroke, pal.Degraded.Stroke, pal.Failing.Stroke, pal.Failing.Fill}, nil, 40},
		{"all ok", allOK, Options{NoLegend: true, Width: 900}, []string{pal.OK.Stroke, pal.OK.Fill}, []string{pal.Failing.Stroke, pal.Degraded.Stroke}, 40},
		{"legend shows every state", allOK, Options{Width: 900}, []string{pal.Failing.Stroke, pal.Degraded.Stroke}, nil, 40},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			img := renderPNG(t, tc.s, tc.opt)
			for _, c := range tc.present {
				if n := countColour(img, c); n < tc.minPixels {
					t.Errorf("only %d pixels of %s", n, c)
				}
			}
			for _, c := range tc.absent {
				if n := countColour(img, c); n > 0 {
					t.Errorf("%d pixels of %s, want none", n, c)
				}
			}
		})
	}
}

func TestPNG_rejectsBadSizes(t *testing.T) {
	s := sampleSnapshot()
	tests := []struct {
		name string
		opt  Options
		want error
	}{
		{"too wide", Options{Width: 200000}, ErrTooBig},
		{"negative width", Options{Width: -1}, nil},
		{"negative scale", Options{Scale: -2}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := PNG(context.Background(), &bytes.Buffer{}, s, tc.opt)
			if err == nil || (tc.want != nil && !errors.Is(err, tc.want)) {
				t.Errorf("error %v, want %v", err, tc.want)
			}
		})
	}
}

func TestParseColor_readsGraphvizColours(t *testing.T) {
	tests := []struct {
		in   string
		want [4]float64
	}{
		{"#ff0000", [4]float64{1, 0, 0, 1}},
		{"#00ff0080", [4]float64{0, 1, 0, 128.0 / 255}},
		{"white", [4]float64{1, 1, 1, 1}},
		{"transparent", [4]float64{}},
		{"bogus", [4]float64{0, 0, 0, 1}},
	}
	for _, tc := range tests {
		if got := parseColor(tc.in); got != tc.want {
			t.Errorf("parseColor(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
}
