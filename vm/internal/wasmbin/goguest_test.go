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
// budget pass runs in both modes, which must count the same, and in the
// sparse inline mode, which must count less.
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
	sparse := runGoGuest(t, bin, &MeterConfig{MinCost: 1, InlineGlobal: "aogo_budget", InlineSparse: true}, len(globals))
	if sparse.used == 0 || sparse.used > inline.used {
		t.Errorf("the sparse counter went down by %d, the dense one by %d", sparse.used, inline.used)
	}
	t.Logf("%d bytes, %d with the budget calls, %d with the inline budget, %d sparse; %d budget units, %d sparse",
		len(bin), calls.size, inline.size, sparse.size, calls.used, sparse.used)
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
func buildGoGuest(t testing.TB) []byte {
	t.Helper()
	return buildGo(t, "goguest")
}

// buildGo builds the Go program in testdata/dir for GOOS=wasip1, with the
// extra go build flags.
func buildGo(t testing.TB, dir string, flags ...string) []byte {
	t.Helper()
	goBin := filepath.Join(os.Getenv("GOROOT"), "bin", "go")
	if _, err := os.Stat(goBin); err != nil {
		goBin = "go"
	}
	out := filepath.Join(t.TempDir(), dir+".wasm")
	args := append(append([]string{"build", "-o", out}, flags...), "main.go")
	cmd := exec.Command(goBin, args...)
	cmd.Dir = filepath.Join("testdata", dir)
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

// BenchmarkBudgetGoGuest calls the handle of testdata/goreactor, a Go
// reactor doing a trivial message's worth of work (JSON, a map, a
// goroutine), in wazero's compiler: unmetered, with the inline budget, and
// with the sparse inline budget, the counter set before each call as the
// vm does. Go code runs very many short blocks, most of which the sparse
// budget leaves alone. ns/op is the figure; units/op is what the budget
// counted.
func BenchmarkBudgetGoGuest(b *testing.B) {
	ctx := context.Background()
	bin := buildGo(b, "goreactor", "-buildmode=c-shared")
	for _, bc := range []struct {
		name string
		cfg  *MeterConfig
	}{
		{"unmetered", nil},
		{"inline", &MeterConfig{MinCost: 1, InlineGlobal: "aogo_budget"}},
		{"inline-sparse", &MeterConfig{MinCost: 1, InlineGlobal: "aogo_budget", InlineSparse: true}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			out := bin
			if bc.cfg != nil {
				var err error
				if out, err = Meter(bin, *bc.cfg); err != nil {
					b.Fatal(err)
				}
			}
			r := newRuntimeWith(b, wazero.NewRuntimeConfigCompiler())
			wasi_snapshot_preview1.MustInstantiate(ctx, r)
			mod, err := r.InstantiateWithConfig(ctx, out, wazero.NewModuleConfig().WithName("goreactor").WithStartFunctions())
			if err != nil {
				b.Fatal(err)
			}
			reset, used := func() {}, func() uint64 { return 0 }
			if bc.cfg != nil {
				counter := counterOf(b, mod)
				reset = func() { counter.Set(math.MaxInt64) }
				used = func() uint64 { return math.MaxInt64 - counter.Get() }
			}
			reset()
			if _, err := mod.ExportedFunction("_initialize").Call(ctx); err != nil {
				b.Fatal(err)
			}
			handle := mod.ExportedFunction("handle")
			var units uint64
			for b.Loop() {
				reset()
				if res, err := handle.Call(ctx); err != nil || int32(res[0]) <= 0 {
					b.Fatalf("handle: %v, %v", res, err)
				}
				units += used()
			}
			b.ReportMetric(float64(units)/float64(b.N), "units/op")
		})
	}
}
