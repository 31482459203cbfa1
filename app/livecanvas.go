package app

// canvasHandle lets a page reach its mounted map canvas, to draw a live
// update as soon as it is applied. go-app renders a dispatch's changes
// on its next frame, up to a frame period later; the map, the costly
// part, need not wait for the panels and the status bar.
type canvasHandle struct {
	c *mapCanvas
}

// attach makes h reach c while c is mounted.
func (h *canvasHandle) attach(c *mapCanvas) {
	if h != nil {
		h.c = c
	}
}

// detach forgets c, when it is the canvas h reaches.
func (h *canvasHandle) detach(c *mapCanvas) {
	if h != nil && h.c == c {
		h.c = nil
	}
}

// drawNow gives the mounted canvas the exported fields of want, the
// canvas its page would render now, and draws its layers at once. It
// then asks go-app to render the canvas on its next frame, for what its
// shell shows of the snapshot (the minimap's frame); that render finds
// the layers drawn already. It reports whether there was a mounted
// canvas to draw.
func (h *canvasHandle) drawNow(want *mapCanvas) bool {
	if h == nil || h.c == nil || !h.c.mounted {
		return false
	}
	c := h.c
	c.take(want)
	c.autoFit()
	c.flushLayers(c.ctx)
	c.ctx.Update()
	return true
}

// take sets c's exported fields, but Handle, to want's, as go-app would on
// an update.
func (c *mapCanvas) take(want *mapCanvas) {
	c.Snapshot, c.Selected, c.Labels = want.Snapshot, want.Selected, want.Labels
	c.Highlights, c.FitKey, c.Compact, c.Health, c.Stale = want.Highlights, want.FitKey, want.Compact, want.Health, want.Stale
}
