package scheduler

import (
	"container/heap"
	"context"
	"encoding/binary"
	"fmt"
	"sync"
	"time"
)

// clock is the scheduler's node-wide millisecond clock. It gives every
// assignment its Timestamp and answers GET /timestamp with a seal, and
// keeps three promises:
//
//   - it never goes backwards, across restarts too: every timestamp issued
//     or sealed is at most a durable ceiling, reserved ahead of the wall
//     clock, and a restarted clock starts above the old ceiling;
//   - a process's timestamps strictly increase (Issue takes the process's
//     last one);
//   - a seal T is published only when every assignment stamped at or
//     below T is durable, and nothing is ever stamped at or below a
//     published seal. A CU may evaluate cron ticks up to T knowing that no
//     later message can be ordered before them.
type clock struct {
	wall    func() int64 // ms since the Unix epoch
	persist func(ctx context.Context, ceiling int64) error
	reserve int64 // how far ahead of the wall clock the ceiling is kept

	mu        sync.Mutex
	sealed    int64 // the highest published seal
	maxIssued int64
	ceiling   int64 // durable: nothing above it was issued or sealed
	inflight  inflight
}

// clockValue names the durable ceiling in the Log.
const clockValue = "clock-ceiling"

func newClock(ctx context.Context, log Log, wall func() int64, reserve time.Duration) (*clock, error) {
	v, err := log.Value(ctx, clockValue)
	if err != nil {
		return nil, fmt.Errorf("scheduler: clock: %w", err)
	}
	var ceiling int64
	switch len(v) {
	case 0:
	case 8:
		ceiling = int64(binary.BigEndian.Uint64(v))
	default:
		return nil, fmt.Errorf("scheduler: clock: corrupt ceiling of %d bytes", len(v))
	}
	c := &clock{
		wall:    wall,
		reserve: reserve.Milliseconds(),
		persist: func(ctx context.Context, ceiling int64) error {
			return log.SetValue(ctx, clockValue, binary.BigEndian.AppendUint64(nil, uint64(ceiling)))
		},
		sealed:    ceiling,
		maxIssued: ceiling,
		ceiling:   ceiling,
		inflight:  inflight{count: make(map[int64]int)},
	}
	if c.reserve <= 0 {
		c.reserve = 1000
	}
	return c, nil
}

// issue returns a timestamp greater than after (the process's last), than
// every seal, and not below the wall clock. It stays in flight, holding
// seals below it, until done is called with it.
func (c *clock) issue(ctx context.Context, after int64) (int64, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := max(c.wall(), c.sealed+1, after+1)
	if err := c.cover(ctx, t); err != nil {
		return 0, err
	}
	c.maxIssued = max(c.maxIssued, t)
	c.inflight.add(t)
	return t, nil
}

// done releases a timestamp from issue: its assignment is durable (or was
// never written).
func (c *clock) done(t int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.inflight.remove(t)
}

// seal returns the time up to which the log is complete: every assignment
// stamped at or below it is durable, and none will ever be stamped at or
// below it again.
func (c *clock) seal(ctx context.Context) (int64, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := max(c.sealed, c.wall(), c.maxIssued)
	if low, ok := c.inflight.min(); ok {
		s = max(c.sealed, low-1)
	}
	if err := c.cover(ctx, s); err != nil {
		return 0, err
	}
	c.sealed = s
	return s, nil
}

// cover makes the durable ceiling at least t. Called with c.mu held.
func (c *clock) cover(ctx context.Context, t int64) error {
	if t <= c.ceiling {
		return nil
	}
	next := t + c.reserve
	if err := c.persist(ctx, next); err != nil {
		return fmt.Errorf("scheduler: clock: reserve: %w", err)
	}
	c.ceiling = next
	return nil
}

// keepAhead extends the ceiling in the background before the wall clock
// reaches it, so that issue rarely waits for a sync. It returns when ctx
// is done.
func (c *clock) keepAhead(ctx context.Context) {
	tick := time.NewTicker(time.Duration(c.reserve/4+1) * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		c.mu.Lock()
		if w := c.wall(); w+c.reserve/2 > c.ceiling {
			// A failure here is retried by the next issue, synchronously,
			// which reports it.
			_ = c.cover(ctx, w+c.reserve/2)
		}
		c.mu.Unlock()
	}
}

// inflight is a multiset of timestamps with a fast minimum.
type inflight struct {
	count map[int64]int
	heap  int64Heap
}

func (f *inflight) add(t int64) {
	if f.count[t] == 0 {
		heap.Push(&f.heap, t)
	}
	f.count[t]++
}

func (f *inflight) remove(t int64) {
	switch n := f.count[t]; {
	case n > 1:
		f.count[t] = n - 1
	case n == 1:
		delete(f.count, t)
		f.min() // drops released timestamps from the top of the heap
	}
}

func (f *inflight) min() (int64, bool) {
	for f.heap.Len() > 0 {
		if t := f.heap[0]; f.count[t] > 0 {
			return t, true
		}
		heap.Pop(&f.heap)
	}
	return 0, false
}

type int64Heap []int64

func (h int64Heap) Len() int           { return len(h) }
func (h int64Heap) Less(i, j int) bool { return h[i] < h[j] }
func (h int64Heap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *int64Heap) Push(x any)        { *h = append(*h, x.(int64)) }
func (h *int64Heap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
