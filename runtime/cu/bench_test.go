package cu_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aogo-dev/aogo/arweave"
	"github.com/aogo-dev/aogo/runtime/checkpoint"
	"github.com/aogo-dev/aogo/runtime/cu"
	"github.com/aogo-dev/aogo/runtime/results"
	"github.com/aogo-dev/aogo/vm"
)

// benchModule is a test module with a trivial handler (Inc) and the format
// it is published as.
type benchModule struct{ file, format string }

func (m benchModule) name() string { return strings.TrimSuffix(m.file, ".wasm") }

// replayModules: one module of each format family, as vm's BenchmarkHandle.
var replayModules = []benchModule{
	{"minimal-fmt1.wasm", "wasm32-unknown-emscripten"},
	{"minimal-fmt1-metered.wasm", "wasm32-unknown-emscripten"},
	{"minimal-fmt2.wasm", "wasm32-unknown-emscripten2"},
	{"minimal-fmt2-metered.wasm", "wasm32-unknown-emscripten2"},
	{"minimal-fmt3.wasm", "wasm32-unknown-emscripten3"},
	{"rich-fmt4.wasm", "wasm32-unknown-emscripten4"},
	{"rich-wasm64.wasm", "wasm64-unknown-emscripten-draft_2024_02_15"},
	{"goproc.wasm", "wasm32-wasip1-aogo"},
}

// activationModules: a small C module, aos 2's format and Go (whose
// memory and boot are the largest).
var activationModules = []benchModule{
	{"minimal-fmt2.wasm", "wasm32-unknown-emscripten2"},
	{"rich-fmt4.wasm", "wasm32-unknown-emscripten4"},
	{"goproc.wasm", "wasm32-wasip1-aogo"},
}

// benchWorld is a world with one process of Inc messages, kept across the
// runs of a sub-benchmark (its resources belong to the top-level
// benchmark).
type benchWorld struct {
	*world
	mod  benchModule
	pid  string
	ids  []string // message ids in nonce order
	rt   *vm.Runtime
	item *arweave.DataItem // a scheduled message, for the vm baselines
}

func newBenchWorld(top *testing.B, mod benchModule) *benchWorld {
	top.Helper()
	w := newWorld(top, mod.file, mod.format)
	bw := &benchWorld{world: w, mod: mod, pid: w.spawn()}
	rt, err := vm.New(context.Background(), vm.Config{CacheDir: filepath.Join(w.dir, "vm-cache")})
	if err != nil {
		top.Fatal(err)
	}
	top.Cleanup(func() { rt.Close(context.Background()) })
	bw.rt = rt
	return bw
}

// messages makes the process hold at least n messages.
func (bw *benchWorld) messages(b *testing.B, n int) {
	b.Helper()
	bw.t = b
	if n > len(bw.ids) {
		bw.ids = append(bw.ids, scheduleIncs(b, bw.world, bw.pid, n-len(bw.ids))...)
	}
}

// benchCU is a CU over bw's SU with fresh stores in dir (a checkpoint
// directory already there is used), on bw's vm runtime unless rt is given.
func (bw *benchWorld) benchCU(b *testing.B, dir string, rt *vm.Runtime) (*cu.Unit, func()) {
	b.Helper()
	return bw.openStores(b, dir)(rt)
}

// openStores opens a CU's stores in dir and returns what starts the CU
// (on bw's vm runtime unless rt is given) and later closes it all: the
// benchmarks time starting a CU, not opening its databases.
func (bw *benchWorld) openStores(b *testing.B, dir string) func(rt *vm.Runtime) (*cu.Unit, func()) {
	b.Helper()
	res, err := results.Open(results.Config{Dir: filepath.Join(dir, "results")})
	if err != nil {
		b.Fatal(err)
	}
	ck, err := checkpoint.Open(checkpoint.Config{Dir: filepath.Join(dir, "checkpoints")})
	if err != nil {
		b.Fatal(err)
	}
	return func(rt *vm.Runtime) (*cu.Unit, func()) {
		if rt == nil {
			rt = bw.rt
		}
		u, err := cu.New(cu.Config{Source: bw.su, Store: bw.store, Runtime: rt, Results: res, Checkpoints: ck})
		if err != nil {
			b.Fatal(err)
		}
		return u, func() { u.Close(); res.Close() }
	}
}

// vmModule is the process's module loaded directly in the vm, and the
// process's limits.
func (bw *benchWorld) vmModule(b *testing.B, rt *vm.Runtime) (*vm.Module, vm.Limits) {
	b.Helper()
	ctx := context.Background()
	mod, err := bw.store.Item(ctx, bw.module)
	if err != nil {
		b.Fatal(err)
	}
	proc, err := bw.su.Process(ctx, bw.pid)
	if err != nil {
		b.Fatal(err)
	}
	compiled, err := rt.Load(ctx, vm.ModuleSpec{ID: mod.ID(), Format: vm.Format(bw.mod.format), Binary: mod.Data})
	if err != nil {
		b.Fatal(err)
	}
	limits, err := vm.LimitsFromTags(proc.Item.Tags, mod.Tags, 0, 0)
	if err != nil {
		b.Fatal(err)
	}
	return compiled, limits
}

func instantiate(b *testing.B, m *vm.Module, limits vm.Limits, state *vm.State) *vm.Instance {
	inst, err := m.Instantiate(context.Background(), vm.InstanceConfig{Limits: limits}, state)
	if err != nil {
		b.Fatal(err)
	}
	return inst
}

// vmMessage is a message and env as the CU builds them (protocol.md 7.2,
// 7.3) for the process's first scheduled message: the same fields, sizes
// and tags, for the vm baselines.
func (bw *benchWorld) vmMessage(b *testing.B) (msg, env []byte) {
	b.Helper()
	ctx := context.Background()
	e, err := bw.su.Find(ctx, bw.pid, bw.ids[0])
	if err != nil {
		b.Fatal(err)
	}
	proc, err := bw.su.Process(ctx, bw.pid)
	if err != nil {
		b.Fatal(err)
	}
	mod, err := bw.store.Item(ctx, bw.module)
	if err != nil {
		b.Fatal(err)
	}
	it := e.Message
	type tag struct {
		Name  string `json:"name"`
		Value string `json:"value"`
	}
	tags := func(ts arweave.Tags) []tag {
		out := []tag{}
		for _, t := range ts {
			out = append(out, tag{t.Name, t.Value})
		}
		return out
	}
	m := struct {
		ID          string `json:"Id"`
		Signature   string `json:"Signature"`
		Data        string `json:"Data"`
		Owner       string `json:"Owner"`
		Target      string `json:"Target"`
		Anchor      string `json:"Anchor"`
		From        string `json:"From"`
		Tags        []tag  `json:"Tags"`
		Epoch       int64  `json:"Epoch"`
		Nonce       int64  `json:"Nonce"`
		Timestamp   int64  `json:"Timestamp"`
		BlockHeight int64  `json:"Block-Height"`
		HashChain   string `json:"Hash-Chain"`
		Cron        bool   `json:"Cron"`
		ReadOnly    bool   `json:"Read-Only"`
	}{
		ID: it.ID(), Signature: arweave.B64(it.Signature), Data: string(it.Data), Owner: it.OwnerAddress(),
		Target: bw.pid, Anchor: string(it.Anchor), From: it.OwnerAddress(), Tags: tags(it.Tags),
		Epoch: e.Epoch, Nonce: e.Nonce, Timestamp: e.Timestamp, BlockHeight: e.BlockHeight, HashChain: e.HashChain,
	}
	type entity struct {
		ID    string `json:"Id"`
		Owner string `json:"Owner"`
		Tags  []tag  `json:"Tags"`
	}
	en := struct {
		Process entity `json:"Process"`
		Module  entity `json:"Module"`
	}{
		entity{proc.ID(), proc.Item.OwnerAddress(), tags(proc.Item.Tags)},
		entity{mod.ID(), mod.OwnerAddress(), tags(mod.Tags)},
	}
	if msg, err = json.Marshal(m); err != nil {
		b.Fatal(err)
	}
	if env, err = json.Marshal(en); err != nil {
		b.Fatal(err)
	}
	return msg, env
}

func handleOK(b *testing.B, inst *vm.Instance, msg, env []byte) {
	res, err := inst.Handle(context.Background(), msg, env)
	if err != nil {
		b.Fatal(err)
	}
	if res.Failed() {
		b.Fatalf("message failed: %s", res.ErrorMessage())
	}
}

// BenchmarkReplay is replay throughput: a fresh CU (on a running vm
// runtime, with default checkpoints) evaluates a process from its start
// to its b.N-th message, scheduled before the timer starts. Its baseline,
// run next to it, is the vm alone: Instance.Handle of a message of the
// same shape on the same module, b.N times. Run with -benchtime Nx: each
// run of /cu schedules the messages it lacks.
func BenchmarkReplay(b *testing.B) {
	for _, mod := range replayModules {
		b.Run(mod.name(), func(b *testing.B) {
			bw := newBenchWorld(b, mod) // one world for /cu and /vm
			b.Run("cu", func(b *testing.B) {
				b.StopTimer()
				bw.messages(b, b.N)
				dir := b.TempDir()
				last := bw.ids[b.N-1]
				ctx := context.Background()
				startCU := bw.openStores(b, dir)
				b.StartTimer()
				start := time.Now()
				u, closeCU := startCU(nil)
				rec, err := u.Result(ctx, bw.pid, last)
				elapsed := time.Since(start)
				b.StopTimer()
				if err != nil {
					b.Fatal(err)
				}
				if rec.Error {
					b.Fatalf("last message failed: %s", rec.Result)
				}
				closeCU()
				b.ReportMetric(float64(b.N)/elapsed.Seconds(), "msgs/s")
			})
			b.Run("vm", func(b *testing.B) {
				b.StopTimer()
				bw.messages(b, 1)
				m, limits := bw.vmModule(b, bw.rt)
				inst := instantiate(b, m, limits, nil)
				defer inst.Close(context.Background())
				msg, env := bw.vmMessage(b)
				handleOK(b, inst, msg, env) // the module's first call sets up its state
				b.StartTimer()
				start := time.Now()
				for range b.N {
					handleOK(b, inst, msg, env)
				}
				b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "msgs/s")
			})
		})
	}
}

// BenchmarkReactivate is a process's reactivation: the time from a new CU
// (cu.New; its stores are already open) to its first result, given a
// checkpoint at the last message evaluated (the result is the next
// message's, so the CU loads the checkpoint and evaluates one message).
// /cu shares a running vm runtime, /cu-new-runtime starts one too (a node
// restarting; the compiled module comes from the on-disk cache). The
// baseline /vm is the least any reactivation does: checkpoint.Latest,
// Instantiate from its state and one Handle.
func BenchmarkReactivate(b *testing.B) {
	const before = 100 // messages evaluated before the checkpoint
	ctx := context.Background()
	for _, mod := range activationModules {
		b.Run(mod.name(), func(b *testing.B) {
			bw := newBenchWorld(b, mod)
			bw.messages(b, before+1)
			// The template: a checkpoint at message before-1, written when
			// the CU closes.
			template := filepath.Join(b.TempDir(), "template")
			u, closeCU := bw.benchCU(b, template, nil)
			if _, err := u.Result(ctx, bw.pid, bw.ids[before-1]); err != nil {
				b.Fatal(err)
			}
			closeCU()
			ckDir := filepath.Join(template, "checkpoints")
			ck, err := checkpoint.Open(checkpoint.Config{Dir: ckDir})
			if err != nil {
				b.Fatal(err)
			}
			meta, _, err := ck.Latest(ctx, bw.pid, nil)
			if err != nil || meta.Nonce != before-1 {
				b.Fatalf("template checkpoint at nonce %d (%v), want %d", meta.Nonce, err, before-1)
			}
			next := bw.ids[before]
			for _, newRuntime := range []bool{false, true} {
				name := "cu"
				if newRuntime {
					name = "cu-new-runtime"
				}
				b.Run(name, func(b *testing.B) {
					for range b.N {
						b.StopTimer()
						dir := b.TempDir()
						copyDir(b, ckDir, filepath.Join(dir, "checkpoints"))
						start := bw.openStores(b, dir)
						b.StartTimer()
						var rt *vm.Runtime
						if newRuntime {
							if rt, err = vm.New(ctx, vm.Config{CacheDir: filepath.Join(bw.dir, "vm-cache")}); err != nil {
								b.Fatal(err)
							}
						}
						u, closeCU := start(rt)
						rec, err := u.Result(ctx, bw.pid, next)
						b.StopTimer()
						if err != nil || rec.Error {
							b.Fatal(err, rec)
						}
						closeCU()
						if rt != nil {
							rt.Close(ctx)
						}
						b.StartTimer()
					}
				})
			}
			b.Run("vm", func(b *testing.B) {
				msg, env := bw.vmMessage(b)
				m, limits := bw.vmModule(b, bw.rt)
				b.ResetTimer()
				for range b.N {
					_, st, err := ck.Latest(ctx, bw.pid, nil)
					if err != nil {
						b.Fatal(err)
					}
					inst := instantiate(b, m, limits, st)
					handleOK(b, inst, msg, env)
					b.StopTimer()
					inst.Close(ctx)
					b.StartTimer()
				}
			})
		})
	}
}

// copyDir copies a directory tree of regular files.
func copyDir(t testing.TB, from, to string) {
	t.Helper()
	err := filepath.WalkDir(from, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, path)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(to, rel), 0o755)
		}
		src, err := os.Open(path)
		if err != nil {
			return err
		}
		defer src.Close()
		dst, err := os.Create(filepath.Join(to, rel))
		if err != nil {
			return err
		}
		if _, err := io.Copy(dst, src); err != nil {
			dst.Close()
			return err
		}
		return dst.Close()
	})
	if err != nil {
		t.Fatal(err)
	}
}

// BenchmarkDryRun is the latency of a dry-run (an Inc on a copy of the
// latest state) on a process whose actor is running and up to date. The
// baseline /vm is what a dry-run on a copy does at least in the vm:
// Snapshot, Instantiate from it, one Handle, Close.
func BenchmarkDryRun(b *testing.B) {
	ctx := context.Background()
	var dry cu.DryRunMessage
	if err := json.Unmarshal([]byte(`{"Owner":"dry-run-owner","Tags":[{"name":"Action","value":"Inc"}]}`), &dry); err != nil {
		b.Fatal(err)
	}
	for _, mod := range activationModules {
		b.Run(mod.name(), func(b *testing.B) {
			bw := newBenchWorld(b, mod)
			bw.messages(b, 100)
			b.Run("cu", func(b *testing.B) {
				b.StopTimer()
				u, closeCU := bw.benchCU(b, b.TempDir(), nil)
				defer closeCU()
				if _, err := u.Result(ctx, bw.pid, bw.ids[len(bw.ids)-1]); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				for range b.N {
					out, err := u.DryRun(ctx, bw.pid, dry)
					if err != nil {
						b.Fatal(err)
					}
					if !strings.Contains(string(out), fmt.Sprintf(`"Output":"%d"`, len(bw.ids)+2)) {
						b.Fatalf("dry-run answered %s", out)
					}
				}
			})
			b.Run("vm", func(b *testing.B) {
				b.StopTimer()
				msg, env := bw.vmMessage(b)
				m, limits := bw.vmModule(b, bw.rt)
				inst := instantiate(b, m, limits, nil)
				defer inst.Close(ctx)
				for range 100 {
					handleOK(b, inst, msg, env)
				}
				b.StartTimer()
				for range b.N {
					st, err := inst.Snapshot()
					if err != nil {
						b.Fatal(err)
					}
					cp := instantiate(b, m, limits, st)
					handleOK(b, cp, msg, env)
					cp.Close(ctx)
				}
			})
		})
	}
}
