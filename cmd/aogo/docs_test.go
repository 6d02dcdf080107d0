package main

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aogo-dev/aogo/internal/builtin"
)

// TestGettingStarted runs every ```sh block of docs/getting-started.md, in
// order, in one shell in a fresh directory with aogo on the PATH, so the
// tutorial cannot drift from the product. The clone-and-make block (the
// first) is skipped: the test already runs inside a clone.
func TestGettingStarted(t *testing.T) {
	blocks := shellBlocks(t, filepath.Join("..", "..", "docs", "getting-started.md"))
	if len(blocks) < 2 {
		t.Fatalf("found %d sh blocks", len(blocks))
	}
	// The node spawns its built-in counter: the aogo built below embeds it
	// only if it was built.
	if err := builtin.Check(); err != nil {
		t.Fatal(err) // says to run `make builtin-modules`
	}
	binDir := t.TempDir()
	build := exec.Command("go", "build", "-o", filepath.Join(binDir, "aogo"), ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	// NB: the trap stops what the blocks started in the background (the
	// gateway, the node) when a block fails half-way: an orphaned node
	// would hold its port and break every later run.
	script := "set -euo pipefail\ntrap 'kill $(jobs -p) 2>/dev/null || true' EXIT\n" + strings.Join(blocks[1:], "\n") + "\nwait\n"
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-c", script)
	cmd.Dir = t.TempDir()
	// `aogo aos` keeps its default wallet and history in the config
	// directory: the test's own, not the user's.
	cmd.Env = append(os.Environ(), "PATH="+binDir+string(os.PathListSeparator)+os.Getenv("PATH"),
		"XDG_CONFIG_HOME="+filepath.Join(t.TempDir(), "config"))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("getting-started script failed: %v\n%s", err, out)
	}
	t.Logf("%s", out)
}

// shellBlocks returns the bodies of the ```sh fenced blocks of a Markdown file.
func shellBlocks(t *testing.T, path string) []string {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var blocks []string
	var cur *strings.Builder
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case cur == nil && strings.TrimSpace(line) == "```sh":
			cur = &strings.Builder{}
		case cur != nil && strings.TrimSpace(line) == "```":
			blocks = append(blocks, cur.String())
			cur = nil
		case cur != nil:
			cur.WriteString(line + "\n")
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return blocks
}

// TestVMDocExamples runs the ```sh blocks of docs/vm.md with the test
// modules built by `make test-modules`.
func TestVMDocExamples(t *testing.T) {
	modules, err := filepath.Abs(filepath.Join("..", "..", "vm", "testdata", "build"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(modules, "minimal-fmt2-metered.wasm")); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("test modules are not built: %v", err)
		}
		t.Skipf("test modules are not built (make test-modules): %v", err)
	}
	blocks := shellBlocks(t, filepath.Join("..", "..", "docs", "vm.md"))
	if len(blocks) < 2 {
		t.Fatalf("found %d sh blocks", len(blocks))
	}
	binDir := t.TempDir()
	if out, err := exec.Command("go", "build", "-o", filepath.Join(binDir, "aogo"), ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-c", "set -euo pipefail\n"+strings.Join(blocks, "\n"))
	cmd.Dir = t.TempDir()
	cmd.Env = append(os.Environ(), "AOGO_MODULES="+modules, "PATH="+binDir+string(os.PathListSeparator)+os.Getenv("PATH"))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("docs/vm.md examples failed: %v\n%s", err, out)
	}
	t.Logf("%s", out)
}
