package cu_test

import (
	"context"
	"encoding/json"
	"testing"
)

type resultJSON struct {
	Output      json.RawMessage   `json:"Output"`
	Messages    []json.RawMessage `json:"Messages"`
	Spawns      []json.RawMessage `json:"Spawns"`
	Assignments []json.RawMessage `json:"Assignments"`
	Error       json.RawMessage   `json:"Error"`
	GasUsed     *uint64           `json:"GasUsed"`
}

func TestEvaluateInOrder(t *testing.T) {
	w := newWorld(t, "minimal-fmt2-metered.wasm", "wasm32-unknown-emscripten2")
	pid := w.spawn()
	var ids []string
	for range 5 {
		ids = append(ids, w.send(pid, "Inc", ""))
	}
	u := w.newCU(t.TempDir())
	ctx := context.Background()
	rec, err := u.Result(ctx, pid, ids[4])
	if err != nil {
		t.Fatal(err)
	}
	var r resultJSON
	if err := json.Unmarshal(rec.Result, &r); err != nil {
		t.Fatalf("%v: %s", err, rec.Result)
	}
	// The process message counts too (it has no Action tag).
	if string(r.Output) != `"6"` {
		t.Fatalf("output %s, want \"6\": %s", r.Output, rec.Result)
	}
	for _, id := range ids[:4] {
		if _, err := u.Result(ctx, pid, id); err != nil {
			t.Fatal(err)
		}
	}
}
