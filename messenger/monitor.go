package messenger

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/aogo-dev/aogo/internal/ao"
	"github.com/aogo-dev/aogo/runtime/results"
	"github.com/cockroachdb/pebble"
)

// Errors of Monitor and Unmonitor; match them with errors.Is.
var (
	ErrMonitored    = errors.New("Process already being monitored")
	ErrNotMonitored = errors.New("Process monitor not found")
	ErrNoCron       = errors.New("this messenger has no compute unit to advance processes")
)

// Monitor periods: a monitored process is advanced at its shortest time
// cron interval, but at least every maxPeriod (the reference MU polls every
// 10 s: block crons and late messages are picked up as often) and at most
// every minPeriod.
const (
	minPeriod = time.Second
	maxPeriod = 10 * time.Second
	// monitorWorkers bounds the processes advanced at once.
	monitorWorkers = 4
	// cronPage is how many cron results one queue write takes.
	cronPage = 100
)

// monitorRecord is a monitor as the queue stores it.
type monitorRecord struct {
	// Cursor is the key of the newest result whose cron outbox is queued
	// (nil: none yet; every cron result is delivered).
	Cursor *results.Key `json:"cursor"`
	Period int64        `json:"period_ms"`
}

// monitors is the in-memory schedule of the monitored processes.
type monitors struct {
	mu   sync.Mutex
	due  map[string]*monitorState
	wake chan struct{}
}

type monitorState struct {
	period  time.Duration
	next    time.Time
	running bool
}

// loadMonitors reads the monitors of the queue (they survive restarts).
func (c *Cranker) loadMonitors() error {
	c.mon.due = map[string]*monitorState{}
	c.mon.wake = make(chan struct{}, 1)
	return c.scan([]byte{kMonitor}, func(k, v []byte) error {
		var m monitorRecord
		if err := json.Unmarshal(v, &m); err != nil {
			return fmt.Errorf("monitor of %s: %w", k[1:], err)
		}
		c.mon.due[string(k[1:])] = &monitorState{period: time.Duration(m.Period) * time.Millisecond}
		return nil
	})
}

// periodOf is how often a process with these crons is advanced.
func periodOf(crons []ao.Cron) time.Duration {
	p := maxPeriod
	for _, c := range crons {
		if c.IsTime() {
			p = min(p, time.Duration(c.Millis)*time.Millisecond)
		}
	}
	return max(p, minPeriod)
}

// Monitor starts the cron delivery of process pid: from now on it is
// advanced to the SU's seal at its cron interval (at most every 10 s), and
// the outbox of each of its cron ticks is cranked like a message's. The
// ticks evaluated before the newest result the CU holds now are not
// delivered (as the reference MU's cursor). The monitor is durable.
func (c *Cranker) Monitor(ctx context.Context, pid string) error {
	if c.cfg.Cron == nil {
		return ErrNoCron
	}
	p, err := c.cfg.SU.Process(ctx, pid)
	if err != nil {
		return fmt.Errorf("monitor %s: %w", pid, err)
	}
	crons, err := ao.ParseCrons(p.Item.Tags)
	if err != nil {
		return fmt.Errorf("monitor %s: %w", pid, err)
	}
	rec := monitorRecord{Period: periodOf(crons).Milliseconds()}
	last, _, err := c.cfg.Cron.Results(ctx, pid, results.Query{Desc: true, Limit: 1})
	if err != nil {
		return fmt.Errorf("monitor %s: newest result: %w", pid, err)
	}
	if len(last) == 1 {
		rec.Cursor = &last[0].Key
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	key := append([]byte{kMonitor}, pid...)
	if _, closer, err := c.db.Get(key); err == nil {
		closer.Close()
		return ErrMonitored
	}
	v, _ := json.Marshal(rec)
	if err := c.db.Set(key, v, pebble.Sync); err != nil {
		return fmt.Errorf("monitor %s: %w", pid, err)
	}
	c.mon.mu.Lock()
	c.mon.due[pid] = &monitorState{period: time.Duration(rec.Period) * time.Millisecond}
	c.mon.mu.Unlock()
	select {
	case c.mon.wake <- struct{}{}:
	default:
	}
	return nil
}

// Unmonitor stops the cron delivery of pid. Its ticks still happen (they
// are part of its history) whenever the process is evaluated; only their
// outboxes are no longer delivered.
func (c *Cranker) Unmonitor(pid string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	key := append([]byte{kMonitor}, pid...)
	if _, closer, err := c.db.Get(key); err != nil {
		return ErrNotMonitored
	} else {
		closer.Close()
	}
	if err := c.db.Delete(key, pebble.Sync); err != nil {
		return fmt.Errorf("unmonitor %s: %w", pid, err)
	}
	c.mon.mu.Lock()
	delete(c.mon.due, pid)
	c.mon.mu.Unlock()
	return nil
}

// Monitors lists the monitored processes.
func (c *Cranker) Monitors() []string {
	var out []string
	c.scan([]byte{kMonitor}, func(k, _ []byte) error {
		out = append(out, string(k[1:]))
		return nil
	})
	return out
}

// runMonitors advances each monitored process when it is due, a few at a
// time, until ctx is done.
func (c *Cranker) runMonitors(ctx context.Context) {
	sem := make(chan struct{}, monitorWorkers)
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		now := time.Now()
		wait := maxPeriod
		var due []string
		c.mon.mu.Lock()
		for pid, m := range c.mon.due {
			if m.running {
				continue
			}
			if !m.next.After(now) {
				m.running = true
				due = append(due, pid)
				continue
			}
			wait = min(wait, m.next.Sub(now))
		}
		c.mon.mu.Unlock()
		for _, pid := range due {
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer func() { <-sem }()
				if err := c.advance(ctx, pid); err != nil && ctx.Err() == nil {
					c.log.Warn("monitor: advancing a process failed", "process", pid, "err", err)
				}
				c.mon.mu.Lock()
				if m := c.mon.due[pid]; m != nil {
					m.running = false
					m.next = time.Now().Add(m.period)
				}
				c.mon.mu.Unlock()
				select {
				case c.mon.wake <- struct{}{}:
				default:
				}
			}()
		}
		if len(due) > 0 {
			continue
		}
		select {
		case <-ctx.Done():
			return
		case <-c.mon.wake:
		case <-time.After(wait):
		}
	}
}

// advance evaluates a monitored process to the seal and queues the
// outboxes of its cron ticks after the monitor's cursor. Each page of
// jobs is written with the moved cursor in one batch, so after a crash a
// tick's outbox is queued exactly once.
func (c *Cranker) advance(ctx context.Context, pid string) error {
	if _, err := c.cfg.Cron.Advance(ctx, pid); err != nil {
		return err
	}
	key := append([]byte{kMonitor}, pid...)
	for {
		rec, ok, err := c.monitorRecord(key)
		if err != nil || !ok {
			return err // unmonitored meanwhile: nothing to do
		}
		page, more, err := c.cfg.Cron.Results(ctx, pid, results.Query{From: rec.Cursor, CronOnly: true, Limit: cronPage})
		if err != nil {
			return fmt.Errorf("cron results: %w", err)
		}
		if len(page) == 0 {
			return nil
		}
		if err := c.queueTicks(key, pid, rec, page); err != nil {
			return err
		}
		if !more {
			return nil
		}
	}
}

func (c *Cranker) monitorRecord(key []byte) (monitorRecord, bool, error) {
	var rec monitorRecord
	v, closer, err := c.db.Get(key)
	if errors.Is(err, pebble.ErrNotFound) {
		return rec, false, nil
	}
	if err != nil {
		return rec, false, err
	}
	defer closer.Close()
	return rec, true, json.Unmarshal(v, &rec)
}

// queueTicks writes crank jobs for the ticks of page that have an outbox,
// and moves the monitor's cursor past the page, in one batch.
func (c *Cranker) queueTicks(key []byte, pid string, rec monitorRecord, page []results.Record) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	current, ok, err := c.monitorRecord(key)
	if err != nil || !ok || !sameCursor(current.Cursor, rec.Cursor) {
		return err // unmonitored, or moved by another advance: skip this page
	}
	b := c.db.NewBatch()
	queued := int64(0)
	for _, r := range page {
		if !hasOutbox(r.Result) {
			continue
		}
		j := job{
			Process: pid,
			Message: fmt.Sprintf("cron:%s:%d:%d:%d", pid, r.Key.Timestamp, r.Key.Ordinate, r.Key.Cron),
			Result:  r.Result,
		}
		v, _ := json.Marshal(j)
		b.Set(c.jobKey(pid, c.seq.Add(1)), v, nil)
		queued++
	}
	last := page[len(page)-1].Key
	rec.Cursor = &last
	v, _ := json.Marshal(rec)
	b.Set(key, v, nil)
	if err := b.Commit(pebble.Sync); err != nil {
		return fmt.Errorf("queue cron outboxes of %s: %w", pid, err)
	}
	c.jobs.Add(queued)
	c.signal(laneOf(pid))
	return nil
}

func sameCursor(a, b *results.Key) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

// hasOutbox reports whether a result has anything to deliver.
func hasOutbox(result []byte) bool {
	var out struct {
		Messages, Spawns, Assignments []json.RawMessage
	}
	if json.Unmarshal(result, &out) != nil {
		return false
	}
	return len(out.Messages)+len(out.Spawns)+len(out.Assignments) > 0
}
