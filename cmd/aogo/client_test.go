package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aogo-dev/aogo/runtime"
)

// TestClientCommands: module publish, spawn, send and result against a
// node, as scripts use them.
func TestClientCommands(t *testing.T) {
	module := filepath.Join("..", "..", "vm", "testdata", "build", "minimal-fmt2-metered.wasm")
	if _, err := os.Stat(module); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("test modules are not built (%v): run `make test-modules`", err)
		}
		t.Skipf("test modules are not built: run `make test-modules` (%v)", err)
	}
	n, err := runtime.Start(context.Background(), runtime.Config{DataDir: t.TempDir(), Listen: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close(context.Background()) })
	node := "http://" + n.Addr().String()
	wallet := filepath.Join(t.TempDir(), "w.json")
	if _, err := run(t, "wallet", "new", "-o", wallet); err != nil {
		t.Fatal(err)
	}
	step := func(args ...string) string {
		t.Helper()
		out, err := run(t, append(args, "--node", node, "--wallet", wallet)...)
		if err != nil {
			t.Fatalf("aogo %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return strings.TrimSpace(out)
	}
	mod := step("module", "publish", module, "--format", "wasm32-unknown-emscripten2", "--memory-limit", "64-mb")
	pid := step("spawn", mod, "--tag", "Name=cli")
	step("send", pid, "--tag", "Action=Inc")
	mid := step("send", pid, "--tag", "Action=Inc")
	if out := step("result", pid, mid); out != "3" { // the process message counts too
		t.Fatalf("result: %q", out)
	}
	if out, err := run(t, "result", pid, mid, "--node", node, "--json"); err != nil || !strings.Contains(out, `"Output": "3"`) {
		t.Fatalf("result --json: %v %s", err, out)
	}
	if _, err := run(t, "send", pid, "--node", node); err == nil {
		t.Fatal("send without a wallet")
	}
}
