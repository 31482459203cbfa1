package hub

import (
	"encoding/json"
	"time"

	"github.com/spanmap/spanmap/graph"
)

// sendStatus queues a status message to every subscriber. The message is
// encoded once and kept for subscribers that arrive before the next one.
func (h *Hub) sendStatus(now time.Time) {
	if h.status == nil {
		return
	}
	st := h.status()
	st.Time = now.UnixMilli()
	data, err := json.Marshal(graph.NewStatusMessage(&st))
	if err != nil {
		h.log.Error("encode status", "err", err)
		return
	}
	h.statusMsg.Store(&data)
	it := item{kind: kindStatus, data: data}
	h.mu.Lock()
	views := make([]*view, 0, len(h.views))
	for _, v := range h.views {
		views = append(views, v)
	}
	h.mu.Unlock()
	for _, v := range views {
		v.mu.Lock()
		for s := range v.subs {
			s.push(h, it, now)
		}
		v.mu.Unlock()
	}
}

// lastStatusItem returns the latest status message as a queue item, if any.
func (h *Hub) lastStatusItem() (item, bool) {
	p := h.statusMsg.Load()
	if p == nil {
		return item{}, false
	}
	return item{kind: kindStatus, data: *p}, true
}
