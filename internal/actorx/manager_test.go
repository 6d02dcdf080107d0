package actorx

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
)

// counter counts the messages it gets; its count lives in the test's
// registry so that activations can be observed from outside.
type counter struct {
	key string
	reg *registry
	n   int
}

type (
	add   struct{ done chan int }
	boom  struct{}
	stuck struct{ busy bool }
)

func (c *counter) Receive(ctx actor.Context) {
	switch msg := ctx.Message().(type) {
	case *actor.Started:
		c.reg.started(c.key)
	case *actor.Stopped:
		c.reg.stopped(c.key)
	case add:
		c.n++
		msg.done <- c.n
	case boom:
		panic("boom")
	case stuck:
		c.reg.setBusy(c.key, msg.busy)
	}
}

func (c *counter) Busy() bool { return c.reg.isBusy(c.key) }

type registry struct {
	mu     sync.Mutex
	starts map[string]int
	stops  map[string]int
	busy   map[string]bool
	stopCh chan string
}

func newRegistry() *registry {
	return &registry{starts: map[string]int{}, stops: map[string]int{}, busy: map[string]bool{}, stopCh: make(chan string, 100)}
}

func (r *registry) started(k string) { r.mu.Lock(); r.starts[k]++; r.mu.Unlock() }
func (r *registry) stopped(k string) {
	r.mu.Lock()
	r.stops[k]++
	r.mu.Unlock()
	r.stopCh <- k
}
func (r *registry) setBusy(k string, b bool) { r.mu.Lock(); r.busy[k] = b; r.mu.Unlock() }
func (r *registry) isBusy(k string) bool     { r.mu.Lock(); defer r.mu.Unlock(); return r.busy[k] }
func (r *registry) count(k string) (int, int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.starts[k], r.stops[k]
}

func newTestManager(t *testing.T, idle time.Duration) (*Manager, *registry) {
	t.Helper()
	reg := newRegistry()
	sys := NewSystem(nil)
	m := NewManager(sys, ManagerConfig{
		Name:    "test",
		Produce: func(key string) actor.Actor { return &counter{key: key, reg: reg} },
		Idle:    idle,
	})
	t.Cleanup(func() { m.Stop(); sys.Shutdown() })
	return m, reg
}

func send(t *testing.T, m *Manager, key string) int {
	t.Helper()
	done := make(chan int, 1)
	m.Send(key, add{done})
	select {
	case n := <-done:
		return n
	case <-time.After(10 * time.Second):
		t.Fatalf("no answer from %s", key)
		return 0
	}
}

func waitStopped(t *testing.T, reg *registry, key string) {
	t.Helper()
	for {
		select {
		case k := <-reg.stopCh:
			if k == key {
				return
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("%s was not passivated", key)
		}
	}
}

func TestManagerOneActorPerKey(t *testing.T) {
	m, reg := newTestManager(t, 0)
	for i := 1; i <= 3; i++ {
		if n := send(t, m, "a"); n != i {
			t.Fatalf("a: %d, want %d", n, i)
		}
	}
	if n := send(t, m, "b"); n != 1 {
		t.Fatalf("b: %d", n)
	}
	if s, _ := reg.count("a"); s != 1 {
		t.Fatalf("a started %d times", s)
	}
}

func TestManagerPassivatesAndReactivates(t *testing.T) {
	m, reg := newTestManager(t, 20*time.Millisecond)
	send(t, m, "a")
	waitStopped(t, reg, "a")
	// A fresh activation (state comes from outside, here: none).
	if n := send(t, m, "a"); n != 1 {
		t.Fatalf("after passivation: %d", n)
	}
	if s, st := reg.count("a"); s != 2 || st != 1 {
		t.Fatalf("starts %d stops %d", s, st)
	}
}

func TestManagerLosesNothingDuringPassivation(t *testing.T) {
	m, _ := newTestManager(t, time.Millisecond)
	// Messages keep arriving while the actor passivates and reactivates:
	// every one is answered.
	var answered atomic.Int64
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 200 {
				done := make(chan int, 1)
				m.Send("a", add{done})
				select {
				case <-done:
				case <-time.After(10 * time.Second):
					t.Error("a message was lost")
					return
				}
				answered.Add(1)
				time.Sleep(time.Duration(answered.Load()%3) * time.Millisecond)
			}
		}()
	}
	wg.Wait()
	if answered.Load() != 800 {
		t.Fatalf("%d answers", answered.Load())
	}
}

func TestManagerBusyActorIsKept(t *testing.T) {
	m, reg := newTestManager(t, 5*time.Millisecond)
	m.Send("a", stuck{busy: true})
	send(t, m, "a")
	time.Sleep(100 * time.Millisecond) // many idle periods
	if _, st := reg.count("a"); st != 0 {
		t.Fatal("a busy actor was passivated")
	}
	m.Send("a", stuck{busy: false})
	waitStopped(t, reg, "a")
}

func TestManagerRestartsAfterPanic(t *testing.T) {
	m, reg := newTestManager(t, 0)
	send(t, m, "a")
	m.Send("a", boom{})
	// The restarted actor is fresh and answers.
	if n := send(t, m, "a"); n != 1 {
		t.Fatalf("after a panic: %d", n)
	}
	if s, _ := reg.count("a"); s != 2 {
		t.Fatalf("started %d times", s)
	}
}

// saver records PrePassivate calls.
type saver struct {
	counter
	saves *atomic.Int64
}

func (s *saver) PrePassivate() { s.saves.Add(1) }

func TestManagerPrePassivate(t *testing.T) {
	reg := newRegistry()
	var saves atomic.Int64
	sys := NewSystem(nil)
	defer sys.Shutdown()
	m := NewManager(sys, ManagerConfig{
		Name:    "test",
		Produce: func(key string) actor.Actor { return &saver{counter: counter{key: key, reg: reg}, saves: &saves} },
		Idle:    10 * time.Millisecond,
	})
	send(t, m, "a")
	waitStopped(t, reg, "a") // passivated when idle: saved once
	if saves.Load() != 1 {
		t.Fatalf("%d saves after passivation", saves.Load())
	}
	send(t, m, "b")
	send(t, m, "c")
	m.Stop() // every live actor saves before it stops
	if saves.Load() != 3 {
		t.Fatalf("%d saves after Stop", saves.Load())
	}
}
