package weavedrive

import (
	"container/list"
	"sync"
)

// cacheBytes bounds the data the cache keeps: processes often open the same
// small files (a boot script, a config) on every message.
const cacheBytes = 64 << 20

// cache keeps the data of recently opened ids, least recently used first
// out, at most max bytes in all. A file larger than max is not kept. The
// slices are shared with the files handed out, which only read them.
type cache struct {
	max int64

	mu struct {
		sync.Mutex
		size  int64
		order *list.List // of *cacheEntry, most recently used first
		byID  map[string]*list.Element
	}
}

type cacheEntry struct {
	id   string
	data []byte
}

func newCache(max int64) *cache {
	c := &cache{max: max}
	c.mu.order = list.New()
	c.mu.byID = map[string]*list.Element{}
	return c
}

func (c *cache) get(id string) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.mu.byID[id]
	if !ok {
		return nil, false
	}
	c.mu.order.MoveToFront(e)
	return e.Value.(*cacheEntry).data, true
}

func (c *cache) put(id string, data []byte) {
	n := int64(len(data))
	if n > c.max {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.mu.byID[id]; ok {
		return
	}
	for c.mu.size+n > c.max {
		e := c.mu.order.Back()
		old := c.mu.order.Remove(e).(*cacheEntry)
		delete(c.mu.byID, old.id)
		c.mu.size -= int64(len(old.data))
	}
	c.mu.byID[id] = c.mu.order.PushFront(&cacheEntry{id: id, data: data})
	c.mu.size += n
}
