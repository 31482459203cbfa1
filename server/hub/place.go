package hub

import (
	"context"

	"github.com/spanmap/spanmap/graph"
)

// Place lays s out as spec's View is laid out (its layout engine, on the
// hub's layout workers, within LayoutTimeout) and returns it with
// positions, sizes and edge paths, for snapshots that are not a View's own,
// such as the union of two time ranges. s is not changed. When the layout
// fails, s comes back unplaced (the failure is logged and counted, as for
// Views); Place itself fails only when ctx ends or the hub has stopped.
func (h *Hub) Place(ctx context.Context, s graph.Snapshot, spec graph.View) (graph.Snapshot, error) {
	if h.ctx.Err() != nil {
		return graph.Snapshot{}, ErrClosed
	}
	tk := topologyKey(&s)
	if h.l == nil {
		return (*placement)(nil).unplaced(tk).place(s), nil
	}
	select {
	case h.sem <- struct{}{}:
	case <-ctx.Done():
		return graph.Snapshot{}, ctx.Err()
	case <-h.ctx.Done():
		return graph.Snapshot{}, ErrClosed
	}
	p := h.layout(ctx, s, spec, tk, nil)
	<-h.sem
	if err := ctx.Err(); err != nil {
		return graph.Snapshot{}, err
	}
	return p.place(s), nil
}
