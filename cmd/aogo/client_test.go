package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aogo-dev/aogo/internal/builtin"
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
	_, node, _, step := nodeSteps(t)
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

// TestBuiltinCommands: spawn --module with a built-in's name, results, and
// monitor/unmonitor against a node, as scripts/run-demo.sh uses them.
func TestBuiltinCommands(t *testing.T) {
	if err := builtin.Check(); err != nil {
		t.Fatal(err) // says to run `make builtin-modules`
	}
	n, node, wallet, step := nodeSteps(t)
	counter := n.Info().Modules["counter"]
	a := step("spawn", "--module", "counter")
	b := step("spawn", counter) // an id works as well
	step("send", a, "--tag", "Action=Hello")
	mid := step("send", a, "--tag", "Action=Hello")
	if out := step("result", a, mid); !strings.Contains(out, "greeting number 2") {
		t.Fatalf("result: %q", out)
	}
	// results: the spawn's Output, then the two greetings.
	if out := step("results", a); strings.Count(out, "\n") != 2 || !strings.HasPrefix(out, "ready") || !strings.HasSuffix(out, "greeting number 2.") {
		t.Fatalf("results:\n%s", out)
	}
	out, err := run(t, "results", a, "--node", node, "--limit", "1", "--sort", "DESC") // no wallet needed
	if err != nil || !strings.HasPrefix(out, "Hello") || !strings.Contains(out, "greeting number 2.\nmore results: --from ") {
		t.Fatalf("results --limit 1 --sort DESC: %v\n%s", err, out)
	}
	if out, err := run(t, "dry-run", a, "--node", node, "--tag", "Action=Stats"); err != nil || !strings.Contains(out, `"greetings":2`) {
		t.Fatalf("dry-run: %v\n%s", err, out)
	}
	if out, err := run(t, "results", a, "--node", node, "--json"); err != nil || !strings.Contains(out, `"hasNextPage": false`) {
		t.Fatalf("results --json: %v\n%s", err, out)
	}
	for _, args := range [][]string{
		{"spawn", "--module", "nope"},       // no such built-in: the error names counter
		{"spawn"},                           // no module
		{"spawn", "counter", "--module", b}, // two modules
	} {
		if out, err := run(t, append(args, "--node", node, "--wallet", wallet)...); err == nil {
			t.Fatalf("aogo %s: no error\n%s", strings.Join(args, " "), out)
		} else if len(args) == 3 && args[1] == "--module" && !strings.Contains(err.Error(), "counter") {
			t.Fatalf("aogo %s: %v", strings.Join(args, " "), err)
		}
	}

	// monitor and unmonitor (the MU's /monitor routes).
	c := step("spawn", "--module", "counter", "--tag", "Cron-Interval=1-second", "--tag", "Cron-Tag-Action=Tick")
	if out := step("monitor", c); out != "monitoring "+c {
		t.Fatalf("monitor: %q", out)
	}
	if _, err := run(t, "monitor", c, "--node", node, "--wallet", wallet); err == nil {
		t.Fatal("monitoring twice")
	}
	if out := step("unmonitor", c); out != "stopped monitoring "+c {
		t.Fatalf("unmonitor: %q", out)
	}
	if _, err := run(t, "monitor", c, "--node", node); err == nil {
		t.Fatal("monitor without a wallet")
	}
}

// nodeSteps starts a node and a wallet for the client commands, and
// returns step, which runs an aogo command against them and returns its
// output (failing the test if it fails).
func nodeSteps(t *testing.T) (n *runtime.Node, node, wallet string, step func(args ...string) string) {
	t.Helper()
	n, err := runtime.Start(context.Background(), runtime.Config{DataDir: t.TempDir(), Listen: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close(context.Background()) })
	node = "http://" + n.Addr().String()
	wallet = filepath.Join(t.TempDir(), "w.json")
	if _, err := run(t, "wallet", "new", "-o", wallet); err != nil {
		t.Fatal(err)
	}
	step = func(args ...string) string {
		t.Helper()
		out, err := run(t, append(args, "--node", node, "--wallet", wallet)...)
		if err != nil {
			t.Fatalf("aogo %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return strings.TrimSpace(out)
	}
	return n, node, wallet, step
}
