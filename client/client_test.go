package client_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/aogo-dev/aogo/arweave"
	"github.com/aogo-dev/aogo/client"
	"github.com/aogo-dev/aogo/runtime"
)

// TestClient drives a node through the client: publish examples/counter,
// spawn it, message it, read its result, dry-run it.
func TestClient(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a Go module")
	}
	out := filepath.Join(t.TempDir(), "counter.wasm")
	build := exec.Command("go", "build", "-buildmode=c-shared", "-trimpath", "-o", out, "../examples/counter")
	build.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm", "CGO_ENABLED=0")
	if b, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the example: %v\n%s", err, b)
	}
	wasm, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	n, err := runtime.Start(ctx, runtime.Config{DataDir: t.TempDir(), Listen: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close(context.Background()) })
	wallet, err := arweave.GenerateWallet(arweave.SignatureED25519)
	if err != nil {
		t.Fatal(err)
	}
	c, err := client.New(ctx, "http://"+n.Addr().String(), wallet)
	if err != nil {
		t.Fatal(err)
	}
	if u := c.Units(); u.MU == "" || u.CU == "" || u.SU == "" || u.Scheduler == "" {
		t.Fatalf("units %+v", u)
	}
	module, err := c.PublishModule(ctx, client.Module{Binary: wasm, Format: "wasm32-wasip1-aogo"})
	if err != nil {
		t.Fatal(err)
	}
	pid, err := c.Spawn(ctx, module, []arweave.Tag{{Name: "Name", Value: "client-test"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	mid, err := c.Message(ctx, pid, []arweave.Tag{{Name: "Action", Value: "Hello"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	r, err := c.Result(ctx, pid, mid)
	if err != nil {
		t.Fatal(err)
	}
	if want := "Hello, " + c.Address() + "! You are greeting number 1."; r.OutputText() != want || len(r.Messages) != 1 || r.Failed() {
		t.Fatalf("result %+v", r)
	}
	dry, err := c.DryRun(ctx, pid, []arweave.Tag{{Name: "Action", Value: "Stats"}}, "")
	if err != nil || dry.OutputText() != `{"children":null,"greetings":1,"last_tick":0,"notes":0,"notices":0,"replies":0,"ticks":0}` {
		t.Fatalf("dry-run %+v %v", dry, err)
	}
	// Errors come back as *client.Error with the unit's status.
	_, err = c.Message(ctx, module, nil, nil) // the module is not a process
	var e *client.Error
	if !errors.As(err, &e) || e.Status != 404 {
		t.Fatalf("message to a non-process: %v", err)
	}
}
