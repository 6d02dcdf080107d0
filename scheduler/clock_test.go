package scheduler

import (
	"context"
	"sync"
	"testing"
	"time"
)

// valueLog keeps named values in memory; only what the clock uses.
type valueLog struct {
	Log
	mu     sync.Mutex
	values map[string][]byte
	sets   int
}

func (l *valueLog) Value(_ context.Context, name string) ([]byte, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.values[name], nil
}

func (l *valueLog) SetValue(_ context.Context, name string, v []byte) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.values == nil {
		l.values = map[string][]byte{}
	}
	l.values[name] = append([]byte(nil), v...)
	l.sets++
	return nil
}

type fakeWall struct{ ms int64 }

func (w *fakeWall) now() int64 { return w.ms }

func newTestClock(t *testing.T, log Log, wall *fakeWall) *clock {
	t.Helper()
	c, err := newClock(context.Background(), log, wall.now, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestClockIssue(t *testing.T) {
	ctx := context.Background()
	wall := &fakeWall{ms: 1_000_000}
	c := newTestClock(t, &valueLog{}, wall)
	a, _ := c.issue(ctx, 0)
	if a != wall.ms {
		t.Errorf("first timestamp %d, want the wall clock %d", a, wall.ms)
	}
	// Same millisecond, same process: strictly after its last.
	b, _ := c.issue(ctx, a)
	if b != a+1 {
		t.Errorf("second timestamp %d, want %d", b, a+1)
	}
	// Another process in the same millisecond may share it.
	if o, _ := c.issue(ctx, 0); o != a {
		t.Errorf("other process: %d, want %d", o, a)
	}
	// The wall clock going back does not move timestamps back.
	wall.ms -= 5000
	if d, _ := c.issue(ctx, b); d != b+1 {
		t.Errorf("after the wall clock went back: %d, want %d", d, b+1)
	}
}

func TestClockSealWaitsForInFlight(t *testing.T) {
	ctx := context.Background()
	wall := &fakeWall{ms: 2_000_000}
	c := newTestClock(t, &valueLog{}, wall)
	t1, _ := c.issue(ctx, 0) // in flight
	wall.ms += 100
	t2, _ := c.issue(ctx, 0)
	c.done(t2)
	s, err := c.seal(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if s != t1-1 {
		t.Fatalf("seal %d with %d in flight, want %d", s, t1, t1-1)
	}
	c.done(t1)
	if s, _ = c.seal(ctx); s != wall.ms {
		t.Fatalf("seal %d after everything is durable, want the wall clock %d", s, wall.ms)
	}
	// Nothing is stamped at or below a published seal.
	if t3, _ := c.issue(ctx, 0); t3 <= s {
		t.Fatalf("timestamp %d at or below the seal %d", t3, s)
	}
	// Seals never go back.
	wall.ms -= 10_000
	if s2, _ := c.seal(ctx); s2 < s {
		t.Fatalf("seal went back from %d to %d", s, s2)
	}
}

func TestClockSurvivesRestart(t *testing.T) {
	ctx := context.Background()
	log := &valueLog{}
	wall := &fakeWall{ms: 3_000_000}
	c := newTestClock(t, log, wall)
	var last int64
	for i := range 50 {
		wall.ms += int64(i % 3)
		ts, err := c.issue(ctx, last)
		if err != nil {
			t.Fatal(err)
		}
		c.done(ts)
		last = ts
	}
	seal, _ := c.seal(ctx)
	// A restart with a wall clock an hour behind: the new clock starts
	// above every timestamp and seal the old one published.
	wall.ms -= 3_600_000
	c2 := newTestClock(t, log, wall)
	first, _ := c2.issue(ctx, 0)
	if first <= seal || first <= last {
		t.Fatalf("after restart: %d, not above seal %d and last %d", first, seal, last)
	}
	if s2, _ := c2.seal(ctx); s2 < seal {
		t.Fatalf("seal after restart %d below %d", s2, seal)
	}
}

func TestClockReservesAhead(t *testing.T) {
	ctx := context.Background()
	log := &valueLog{}
	wall := &fakeWall{ms: 4_000_000}
	c := newTestClock(t, log, wall)
	for range 100 {
		ts, _ := c.issue(ctx, 0)
		c.done(ts)
	}
	// One reservation covers a second of wall-clock time.
	if log.sets != 1 {
		t.Errorf("%d reservations for timestamps within one millisecond", log.sets)
	}
	wall.ms += 5000
	ts, _ := c.issue(ctx, 0)
	if c.ceiling < ts || log.sets != 2 {
		t.Errorf("ceiling %d below %d (%d reservations)", c.ceiling, ts, log.sets)
	}
}
