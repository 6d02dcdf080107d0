package cu_test

import (
	"context"
	"testing"

	"github.com/aogo-dev/aogo/runtime/cu"
	"github.com/aogo-dev/aogo/runtime/results"
)

// TestResultRetention: with KeepResults, old results are pruned at each
// checkpoint, and asking for one again recomputes it from the log without
// moving the process.
func TestResultRetention(t *testing.T) {
	w := newWorld(t, "minimal-fmt2-metered.wasm", "wasm32-unknown-emscripten2")
	pid := w.spawn()
	var ids []string
	for range 30 {
		ids = append(ids, w.send(pid, "Inc", ""))
	}
	u := w.newCU(t.TempDir(), func(c *cu.Config) { c.CheckpointEvery = 10; c.KeepResults = 5 })
	ctx := context.Background()
	last, err := u.Result(ctx, pid, ids[29])
	if err != nil {
		t.Fatal(err)
	}
	if output(t, last.Result) != `"31"` {
		t.Fatalf("last: %s", last.Result)
	}
	kept, _, err := u.Results(ctx, pid, results.Query{})
	if err != nil {
		t.Fatal(err)
	}
	if len(kept) > 5+10 { // pruned at the last checkpoint, 5 kept, fewer than 10 since
		t.Fatalf("%d results kept", len(kept))
	}
	// An early result is recomputed (the process message counted 1).
	first, err := u.Result(ctx, pid, ids[2])
	if err != nil {
		t.Fatal(err)
	}
	if output(t, first.Result) != `"4"` {
		t.Fatalf("recomputed: %s", first.Result)
	}
	// The process itself did not move: the next message continues.
	next := w.send(pid, "Inc", "")
	r, err := u.Result(ctx, pid, next)
	if err != nil || output(t, r.Result) != `"32"` {
		t.Fatalf("after a recompute: %v %s", err, r.Result)
	}
}
