package cu_test

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/aogo-dev/aogo/arweave"
)

// TestCounterExample builds examples/counter (the module `make run` spawns)
// and runs it on a CU: a greeting with its reply, cron ticks, stats.
func TestCounterExample(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a Go module")
	}
	out := filepath.Join(t.TempDir(), "counter.wasm")
	build := exec.Command("go", "build", "-buildmode=c-shared", "-trimpath", "-o", out, "../../examples/counter")
	build.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm", "CGO_ENABLED=0")
	if b, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the example: %v\n%s", err, b)
	}
	wasm, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	w := newWorldWith(t, wasm, "wasm32-wasip1-aogo")
	pid := w.spawn(arweave.Tag{Name: "Cron-Interval", Value: "5-seconds"}, arweave.Tag{Name: "Cron-Tag-Action", Value: "Tick"})
	u := w.newCU(t.TempDir())
	ctx := context.Background()

	hello := w.send(pid, "Hello", "")
	rec, err := u.Result(ctx, pid, hello)
	if err != nil {
		t.Fatal(err)
	}
	var r struct {
		Output   string `json:"Output"`
		Messages []struct {
			Target, Anchor string
			Tags           []arweave.Tag
		} `json:"Messages"`
	}
	if err := json.Unmarshal(rec.Result, &r); err != nil {
		t.Fatalf("%v: %s", err, rec.Result)
	}
	owner := arweave.SignerAddress(w.user)
	if r.Output != "Hello, "+owner+"! You are greeting number 1." || len(r.Messages) != 1 ||
		r.Messages[0].Target != owner || r.Messages[0].Anchor == "" {
		t.Fatalf("Hello: %s", rec.Result)
	}

	w.advance(12 * time.Second)
	recs, err := u.Advance(ctx, pid)
	if err != nil || len(recs) != 2 {
		t.Fatalf("ticks after 12 s: %d, %v", len(recs), err)
	}
	w.advance(time.Second)
	stats := w.send(pid, "Stats", "")
	rec, err = u.Result(ctx, pid, stats)
	if err != nil {
		t.Fatal(err)
	}
	if out := output(t, rec.Result); out != `"{\"children\":[],\"greetings\":1,\"last_tick\":`+jsonInt(recs[1].Key.Timestamp)+`,\"notes\":0,\"notices\":0,\"replies\":0,\"ticks\":2}"` {
		t.Fatalf("Stats: %s", out)
	}
}

func jsonInt(v int64) string { b, _ := json.Marshal(v); return string(b) }
