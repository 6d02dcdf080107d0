package cu_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aogo-dev/aogo/runtime/cu"
)

// TestLiveMemoryBudget: processes whose Memory-Limits do not fit the live
// memory budget wait for others to passivate, or get ErrBusy (a 503 with
// Retry-After) when their request ends first; never an out-of-memory.
func TestLiveMemoryBudget(t *testing.T) {
	w := newWorld(t, "minimal-fmt2-metered.wasm", "wasm32-unknown-emscripten2") // Memory-Limit 256-mb
	a, b := w.spawn(), w.spawn()
	ma, mb := w.send(a, "Inc", ""), w.send(b, "Inc", "")
	u := w.newCU(t.TempDir(), func(c *cu.Config) {
		c.MaxLiveMemory = 300 << 20 // room for one process
		c.Idle = 200 * time.Millisecond
	})
	ctx := context.Background()
	if _, err := u.Result(ctx, a, ma); err != nil {
		t.Fatal(err)
	}
	if got := u.LiveMemory(); got != 256<<20 {
		t.Fatalf("live memory %d after one process", got)
	}

	// b does not fit while a is live: a short request gets ErrBusy (a
	// 503 with Retry-After over HTTP).
	short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	_, err := u.Result(short, b, mb)
	cancel()
	if !errors.Is(err, cu.ErrBusy) {
		t.Fatalf("second process while the first is live: %v", err)
	}

	// A patient request waits until a is passivated (idle), then runs.
	if _, err := u.Result(ctx, b, mb); err != nil {
		t.Fatal(err)
	}
	if got := u.LiveMemory(); got != 256<<20 {
		t.Fatalf("live memory %d after the swap", got)
	}
}
