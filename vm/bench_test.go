package vm_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/aogo-dev/aogo/internal/arlocaltest"
	"github.com/aogo-dev/aogo/vm"
)

// benchModules are the modules per-message overhead is measured on: a
// trivial handler (Inc) in each format family.
var benchModules = []string{
	"minimal-fmt1@wasm32-unknown-emscripten",
	"minimal-fmt1-metered@wasm32-unknown-emscripten",
	"minimal-fmt2@wasm32-unknown-emscripten2",
	"minimal-fmt2-metered@wasm32-unknown-emscripten2",
	"minimal-fmt3@wasm32-unknown-emscripten3",
	"rich-fmt4@wasm32-unknown-emscripten4",
	"rich-wasm64@wasm64-unknown-emscripten-draft_2024_02_15",
	"goproc@wasm32-wasip1-aogo",
}

func benchModule(b *testing.B, name string) testModule {
	for _, tm := range testModules(b) {
		if tm.name() == name {
			return tm
		}
	}
	b.Fatalf("module %s is not built", name)
	return testModule{}
}

// BenchmarkHandle is the per-message cost of a trivial handler: the host's
// marshalling, the call and the module's own work.
func BenchmarkHandle(b *testing.B) {
	rt := newRuntime(b, vm.Config{})
	m := msg(1, "Inc", "")
	for _, name := range benchModules {
		b.Run(name, func(b *testing.B) {
			inst := benchModule(b, name).start(b, rt, vm.Limits{})
			ctx := context.Background()
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				res, err := inst.Handle(ctx, m, testEnv)
				if err != nil || res.Failed() {
					b.Fatal(err, res)
				}
			}
		})
	}
}

// BenchmarkAOLoaderHandle is the baseline: the same message on the same
// module in @permaweb/ao-loader 0.0.49, as the reference CU runs it (the
// memory copied in and out per message). Run it with -benchtime Nx: each
// run starts node once and reports node's mean time per message.
func BenchmarkAOLoaderHandle(b *testing.B) {
	js := arlocaltest.JSDir(b)
	for _, name := range benchModules {
		tm := benchModule(b, name)
		if tm.Format == vm.FormatNative {
			continue
		}
		b.Run(name, func(b *testing.B) {
			mod, _ := filepath.Abs(filepath.Join(buildDir, tm.File))
			args := []string{"aoloader.js", "--module", mod, "--format", string(tm.Format), "--bench", itoa(max(b.N, 20))}
			if tm.Format == vm.FormatWasm64 {
				args = append([]string{"--experimental-wasm-memory64"}, args...)
			}
			cmd := exec.Command("node", args...)
			cmd.Dir = js
			cmd.Stderr = os.Stderr
			out, err := cmd.Output()
			if err != nil {
				b.Fatal(err)
			}
			var r struct {
				Mean    float64 `json:"mean_ms_per_message"`
				Compile float64 `json:"compile_instantiate_ms"`
			}
			if err := json.Unmarshal(bytes.TrimSpace(out), &r); err != nil {
				b.Fatalf("%v: %s", err, out)
			}
			b.ReportMetric(r.Mean*1e6, "ns/op")
			b.ReportMetric(r.Compile, "compile+instantiate-ms")
		})
	}
}

func itoa(n int) string { return string(json.Number(jsonInt(n))) }

func jsonInt(n int) string { b, _ := json.Marshal(n); return string(b) }

// BenchmarkLoadCached is Load of a module whose compiled code is in the
// on-disk cache (a node restarting), in a fresh runtime each time.
func BenchmarkLoadCached(b *testing.B) {
	dir := b.TempDir()
	for _, name := range []string{"rich-fmt2@wasm32-unknown-emscripten2", "goproc@wasm32-wasip1-aogo"} {
		tm := benchModule(b, name)
		bin := tm.binary(b)
		b.Run(name, func(b *testing.B) {
			ctx := context.Background()
			warm, err := vm.New(ctx, vm.Config{CacheDir: dir})
			if err != nil {
				b.Fatal(err)
			}
			if _, err := warm.Load(ctx, vm.ModuleSpec{ID: name, Format: tm.Format, Binary: bin}); err != nil {
				b.Fatal(err)
			}
			warm.Close(ctx)
			b.ResetTimer()
			for range b.N {
				rt, err := vm.New(ctx, vm.Config{CacheDir: dir})
				if err != nil {
					b.Fatal(err)
				}
				if _, err := rt.Load(ctx, vm.ModuleSpec{ID: name, Format: tm.Format, Binary: bin}); err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				rt.Close(ctx)
				b.StartTimer()
			}
		})
	}
}

// BenchmarkInstantiate is a fresh process: instantiate and boot.
func BenchmarkInstantiate(b *testing.B) {
	rt := newRuntime(b, vm.Config{})
	for _, name := range []string{"rich-fmt2@wasm32-unknown-emscripten2", "rich-fmt4@wasm32-unknown-emscripten4", "goproc@wasm32-wasip1-aogo"} {
		mod := benchModule(b, name).load(b, rt)
		b.Run(name, func(b *testing.B) {
			ctx := context.Background()
			for range b.N {
				inst, err := mod.Instantiate(ctx, vm.InstanceConfig{}, nil)
				if err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				inst.Close(ctx)
				b.StartTimer()
			}
		})
	}
}

// bigState is a state of the given size for rich-fmt2: the module's own
// memory after a message, extended with heap-like pages (each 4 KiB page
// starts with 512 pseudo-random bytes, the rest zero: 1/8 of the memory is
// incompressible).
func bigState(b *testing.B, rt *vm.Runtime, size int) (*vm.Module, *vm.State) {
	return bigStateEvery(b, rt, size, 1)
}

// bigStateEvery is bigState with only every n-th page written.
func bigStateEvery(b *testing.B, rt *vm.Runtime, size, n int) (*vm.Module, *vm.State) {
	tm := benchModule(b, "rich-fmt2@wasm32-unknown-emscripten2")
	inst := tm.start(b, rt, vm.Limits{})
	handle(b, inst, msg(1, "Inc", ""))
	s, err := inst.Snapshot()
	if err != nil {
		b.Fatal(err)
	}
	r := rand.New(rand.NewPCG(1, 2))
	old := len(s.Memory)
	s.Memory = append(s.Memory, make([]byte, size-old)...)
	for p := old; p < size; p += 4096 * n {
		for k := p; k < p+512; k += 8 {
			v := r.Uint64()
			for j := range 8 {
				s.Memory[k+j] = byte(v >> (8 * j))
			}
		}
	}
	return tm.load(b, rt), s
}

// BenchmarkSnapshot is a live instance's state to compressed bytes with its
// SHA-256 (EncodeState, the checkpoint path: no copy of the memory).
func BenchmarkSnapshot(b *testing.B) {
	rt := newRuntime(b, vm.Config{})
	for _, c := range []struct {
		size, every int
		name        string
	}{{16 << 20, 1, "16MiB"}, {128 << 20, 1, "128MiB"}, {128 << 20, 16, "128MiB-sparse"}} {
		size := c.size
		mod, s := bigStateEvery(b, rt, size, c.every)
		inst, err := mod.Instantiate(context.Background(), vm.InstanceConfig{}, s)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(size))
			var out bytes.Buffer
			for range b.N {
				out.Reset()
				if _, err := inst.EncodeState(&out); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(out.Len())/float64(size), "compressed/raw")
		})
		inst.Close(context.Background())
	}
}

// BenchmarkRestore is compressed bytes to a live instance (DecodeState +
// Instantiate), a process reactivated from a checkpoint.
func BenchmarkRestore(b *testing.B) {
	rt := newRuntime(b, vm.Config{})
	for _, size := range []int{16 << 20, 128 << 20} {
		mod, s := bigState(b, rt, size)
		raw, err := s.MarshalBinary()
		if err != nil {
			b.Fatal(err)
		}
		b.Run(sizeName(size), func(b *testing.B) {
			b.SetBytes(int64(size))
			ctx := context.Background()
			for range b.N {
				st, err := vm.UnmarshalState(raw)
				if err != nil {
					b.Fatal(err)
				}
				inst, err := mod.Instantiate(ctx, vm.InstanceConfig{}, st)
				if err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				inst.Close(ctx)
				b.StartTimer()
			}
		})
	}
}

func sizeName(n int) string { return jsonInt(n>>20) + "MiB" }

// BenchmarkSHA256Baseline is SHA-256 over the same sizes: the floor of any
// snapshot, since a state carries the SHA-256 of its raw bytes.
func BenchmarkSHA256Baseline(b *testing.B) {
	for _, size := range []int{16 << 20, 128 << 20} {
		buf := make([]byte, size)
		for k := range buf {
			buf[k] = byte(k)
		}
		b.Run(sizeName(size), func(b *testing.B) {
			b.SetBytes(int64(size))
			for range b.N {
				sha256.Sum256(buf)
			}
		})
	}
}
