package layout

import "container/list"

// cacheKey identifies a layout: the topology and the engine. Previous
// positions are not part of it: a topology seen before gets the layout it had.
type cacheKey struct {
	topology uint64
	engine   Engine
	pin      bool
}

// lru is a fixed-size least-recently-used map of finished layouts. It is
// not safe for concurrent use; the Layouter guards it.
type lru struct {
	max   int
	order *list.List // front is the most recent; values are *lruEntry
	items map[cacheKey]*list.Element
}

type lruEntry struct {
	key cacheKey
	res *result
}

func newLRU(max int) *lru {
	return &lru{max: max, order: list.New(), items: map[cacheKey]*list.Element{}}
}

func (c *lru) get(k cacheKey) (*result, bool) {
	el, ok := c.items[k]
	if !ok {
		return nil, false
	}
	c.order.MoveToFront(el)
	return el.Value.(*lruEntry).res, true
}

func (c *lru) put(k cacheKey, r *result) {
	if c.max <= 0 {
		return
	}
	if el, ok := c.items[k]; ok {
		el.Value.(*lruEntry).res = r
		c.order.MoveToFront(el)
		return
	}
	c.items[k] = c.order.PushFront(&lruEntry{key: k, res: r})
	for c.order.Len() > c.max {
		old := c.order.Back()
		c.order.Remove(old)
		delete(c.items, old.Value.(*lruEntry).key)
	}
}

func (c *lru) len() int { return c.order.Len() }
