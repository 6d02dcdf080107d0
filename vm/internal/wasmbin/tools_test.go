package wasmbin

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// External tools of the tests: wat2wasm (Debian's wabt) assembles the
// testdata modules, and node with test/js/node_modules runs the reference
// metering package. Without them a test skips, except under CI (the CI
// environment variable set), where it fails: CI must not skip silently.

// requireTool skips (or, under CI, fails) the test unless ok.
func requireTool(t testing.TB, ok bool, msg string) {
	t.Helper()
	if ok {
		return
	}
	if os.Getenv("CI") != "" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// jsDir is test/js, the reference's home; it skips (fails under CI) when
// node or the npm packages are missing.
func jsDir(t testing.TB) string {
	t.Helper()
	_, err := exec.LookPath("node")
	requireTool(t, err == nil, "node is not installed: run make js-deps")
	dir, err := filepath.Abs(filepath.Join("..", "..", "..", "test", "js"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = os.Stat(filepath.Join(dir, "node_modules", "@permaweb", "ao-loader", "dist", "index.cjs"))
	requireTool(t, err == nil, "test/js/node_modules has no @permaweb/ao-loader: run make js-deps")
	return dir
}

// wat assembles testdata/name.wat with wat2wasm and extra flags.
func wat(t testing.TB, name string, flags ...string) []byte {
	t.Helper()
	_, err := exec.LookPath("wat2wasm")
	requireTool(t, err == nil, "wat2wasm is not installed (apt-get install wabt)")
	out := filepath.Join(t.TempDir(), name+".wasm")
	args := append([]string{filepath.Join("testdata", name+".wat"), "-o", out}, flags...)
	if msg, err := exec.Command("wat2wasm", args...).CombinedOutput(); err != nil {
		t.Fatalf("wat2wasm %s: %v\n%s", name, err, msg)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// referenceMeter meters bin with the @permaweb/wasm-metering that
// @permaweb/ao-loader bundles, through test/js/wasmmeter.js; meterType is
// "i32" or "i64".
func referenceMeter(t testing.TB, bin []byte, meterType string) ([]byte, error) {
	t.Helper()
	js := jsDir(t)
	dir := t.TempDir()
	in, out := filepath.Join(dir, "in.wasm"), filepath.Join(dir, "out.wasm")
	if err := os.WriteFile(in, bin, 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", filepath.Join(js, "wasmmeter.js"), in, out, meterType)
	cmd.Dir = js
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return nil, &referenceError{err: err, stderr: stderr.String()}
	}
	return os.ReadFile(out)
}

type referenceError struct {
	err    error
	stderr string
}

func (e *referenceError) Error() string { return "wasmmeter.js: " + e.err.Error() + "\n" + e.stderr }

// sqliteWasm is testdata/sqlite/sqlite.wasm.gz, a real emscripten build
// (see testdata/sqlite/build.sh).
func sqliteWasm(t testing.TB) []byte {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "sqlite", "sqlite.wasm.gz"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
