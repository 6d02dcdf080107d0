package cu_test

import (
	"context"
	"testing"

	"github.com/aogo-dev/aogo/runtime/cu"
)

// TestStats: the counters behind the node's metrics follow evaluations
// (failed ones included) and the process instances held live.
func TestStats(t *testing.T) {
	w := newWorld(t, "minimal-fmt2-metered.wasm", "wasm32-unknown-emscripten2") // Memory-Limit 256-mb
	pid := w.spawn()
	w.send(pid, "Inc", "")
	w.send(pid, "Error", "")
	last := w.send(pid, "Inc", "")
	u := w.newCU(t.TempDir())
	if st := u.Stats(); st != (cu.Stats{}) {
		t.Fatalf("before any request: %+v", st)
	}
	if _, err := u.Result(context.Background(), pid, last); err != nil {
		t.Fatal(err)
	}
	// The process message, then three messages.
	want := cu.Stats{Evaluations: 4, Failed: 1, LiveProcesses: 1, LiveMemory: 256 << 20}
	if st := u.Stats(); st != want {
		t.Fatalf("after a result: %+v, want %+v", st, want)
	}
	u.Close()
	if st := u.Stats(); st.LiveProcesses != 0 || st.LiveMemory != 0 || st.Evaluations != 4 {
		t.Fatalf("after Close: %+v", st)
	}
}
