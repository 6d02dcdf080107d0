package wasmbin

import (
	"bytes"
	"context"
	"errors"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"
	"github.com/tetratelabs/wazero/sys"
)

// TestGoGuest runs the rewrites the vm applies to a Go guest (the budget
// pass, then ExportGlobals) on a real GOOS=wasip1 binary, built from
// testdata/goguest, and runs the result: it still prints what it should,
// the budget counts, and the stack pointer (global 0) is exported. The
// budget pass runs in both modes, which must count the same.
func TestGoGuest(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a Go wasm binary")
	}
	bin := buildGoGuest(t)

	m, err := Decode(bin)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(m.Encode(), bin) {
		t.Fatal("Decode+Encode changed the Go binary (it uses padded LEB128 forms)")
	}
	globals := m.Globals()
	if len(globals) == 0 || globals[0] != (GlobalType{I32, true}) {
		t.Fatalf("global 0 is %v, want a mutable i32 (SP)", globals)
	}

	unmetered := runGoGuest(t, bin, nil, len(globals))
	calls := runGoGuest(t, bin, &MeterConfig{MeterType: I64, Module: "aogo", Field: "budget", MinCost: 1}, len(globals))
	inline := runGoGuest(t, bin, &MeterConfig{MinCost: 1, InlineGlobal: "aogo_budget"}, len(globals))
	if unmetered.used != 0 || calls.used == 0 {
		t.Errorf("budget used: %d unmetered, %d metered", unmetered.used, calls.used)
	}
	if inline.used != calls.used {
		t.Errorf("the inline counter went down by %d, usegas was charged %d", inline.used, calls.used)
	}
	t.Logf("%d bytes, %d with the budget calls, %d with the inline budget; %d budget units",
		len(bin), calls.size, inline.size, calls.used)
}

type goGuestRun struct {
	used uint64 // budget units
	size int    // of the rewritten binary
}

// runGoGuest applies the budget pass cfg (if any) and ExportGlobals to the
// Go guest, which has n globals, runs it, checks its output and returns
// what the budget counted.
func runGoGuest(t *testing.T, bin []byte, cfg *MeterConfig, n int) goGuestRun {
	t.Helper()
	ctx := context.Background()
	inline := cfg != nil && cfg.InlineGlobal != ""
	out := bin
	if cfg != nil {
		var err error
		if out, err = Meter(bin, *cfg); err != nil {
			t.Fatal(err)
		}
	}
	out, names, err := ExportGlobals(out, "aogo.global.")
	if err != nil {
		t.Fatal(err)
	}
	if inline {
		n++ // the counter, exported under both names
	}
	if len(names) != n {
		t.Fatalf("%d names for %d globals", len(names), n)
	}

	r := newRuntime(t)
	wasi_snapshot_preview1.MustInstantiate(ctx, r)
	var g gasMeter
	if cfg != nil && !inline {
		g.register(t, r, cfg.Module, cfg.Field, cfg.MeterType)
	}
	var stdout bytes.Buffer
	mc := wazero.NewModuleConfig().WithName("goguest").WithStdout(&stdout).WithStartFunctions()
	mod, err := r.InstantiateWithConfig(ctx, out, mc)
	if err != nil {
		t.Fatal(err)
	}
	if mod.ExportedGlobal("aogo.global.0") == nil {
		t.Fatal("SP is not exported")
	}
	var counter api.MutableGlobal
	if inline {
		counter = mod.ExportedGlobal(cfg.InlineGlobal).(api.MutableGlobal)
		if mod.ExportedGlobal(names[n-1]).Get() != 0 {
			t.Fatalf("%s is not the counter (initially 0)", names[n-1])
		}
		counter.Set(math.MaxInt64)
		if mod.ExportedGlobal(names[n-1]).Get() != math.MaxInt64 {
			t.Fatalf("%s is not the counter", names[n-1])
		}
	}
	_, err = mod.ExportedFunction("_start").Call(ctx)
	var exit *sys.ExitError
	if err != nil && (!errors.As(err, &exit) || exit.ExitCode() != 0) {
		t.Fatalf("_start: %v", err)
	}
	if got := stdout.String(); got != "fib 75025 100\n" {
		t.Errorf("stdout %q", got)
	}
	run := goGuestRun{used: g.used, size: len(out)}
	if inline {
		run.used = math.MaxInt64 - counter.Get()
	}
	return run
}

// buildGoGuest builds testdata/goguest for GOOS=wasip1.
func buildGoGuest(t *testing.T) []byte {
	t.Helper()
	goBin := filepath.Join(os.Getenv("GOROOT"), "bin", "go")
	if _, err := os.Stat(goBin); err != nil {
		goBin = "go"
	}
	out := filepath.Join(t.TempDir(), "goguest.wasm")
	cmd := exec.Command(goBin, "build", "-o", out, "main.go")
	cmd.Dir = filepath.Join("testdata", "goguest")
	cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm")
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, msg)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
