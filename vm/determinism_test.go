package vm_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/aogo-dev/aogo/vm"
	"github.com/aogo-dev/aogo/vm/internal/wasmbin"
)

// probeMessages ask for everything a host could answer non-deterministically.
func probeMessages() [][]byte {
	var out [][]byte
	for n, a := range []string{"Inc", "Time", "Random", "Env", "Shell", "Print", "Time", "Random", "Inc"} {
		out = append(out, msg(n+1, a, "probe"))
	}
	return out
}

// TestHelperRunProbe is not a test: TestDeterminismAcrossProcesses runs the
// test binary again with AOGO_VM_PROBE set to a module's name, and this
// prints every result and state hash of the probe sequence.
func TestHelperRunProbe(t *testing.T) {
	name := os.Getenv("AOGO_VM_PROBE")
	if name == "" {
		t.Skip("a helper for TestDeterminismAcrossProcesses")
	}
	rt := newRuntime(t, vm.Config{})
	for _, tm := range testModules(t) {
		if tm.name() != name {
			continue
		}
		inst := tm.start(t, rt, vm.Limits{})
		for _, m := range probeMessages() {
			res := handle(t, inst, m)
			line, _ := res.MarshalJSON()
			h := stateHash(t, inst)
			fmt.Printf("%s %s\n", line, hex.EncodeToString(h[:]))
		}
	}
}

// TestDeterminismAcrossProcesses: the same messages run in two separate OS
// processes give byte-identical outputs and states, including the answers
// to time, random bytes, environment and shell requests, which are the
// documented fixed ones.
func TestDeterminismAcrossProcesses(t *testing.T) {
	for _, tm := range testModules(t) {
		if tm.Variant == "minimal" {
			continue
		}
		t.Run(tm.name(), func(t *testing.T) {
			run := func() []byte {
				cmd := exec.Command(os.Args[0], "-test.run=^TestHelperRunProbe$", "-test.count=1")
				cmd.Env = append(os.Environ(), "AOGO_VM_PROBE="+tm.name())
				out, err := cmd.Output()
				if err != nil {
					t.Fatalf("probe process: %v\n%s", err, out)
				}
				return out
			}
			a, b := run(), run()
			if !bytes.Equal(a, b) {
				t.Fatalf("two processes disagree:\n%s\n---\n%s", a, b)
			}
			out := string(a)
			if !strings.Contains(out, "Output") {
				t.Fatalf("the probe printed no results:\n%s", out)
			}
			// The shell is refused everywhere.
			for _, ran := range []string{"exec ran", `"ret":0,`} {
				if strings.Contains(out, ran) {
					t.Errorf("a shell ran: %s", out)
				}
			}
			switch tm.Format {
			case vm.FormatEmscripten, vm.FormatEmscripten2, vm.FormatEmscripten3:
				for _, want := range []string{`"USER=web_user"`, `"_=./this.program"`, `"urandom":{"open":false`, `"errno":52`} {
					if !strings.Contains(out, want) {
						t.Errorf("probe output lacks %s:\n%s", want, out)
					}
				}
			case vm.FormatNative:
				for _, want := range []string{`env=[] args=[\"./this.program\"]`, "wall=2023-11-14T22:13:22", "exec failed"} {
					if !strings.Contains(out, want) {
						t.Errorf("probe output lacks %s:\n%s", want, out)
					}
				}
			default:
				for _, want := range []string{`"environ":[]`, `"ret":-52`} {
					if !strings.Contains(out, want) {
						t.Errorf("probe output lacks %s:\n%s", want, out)
					}
				}
			}
		})
	}
}

// TestBadModules: what cannot run is refused at load with a clear error,
// never a panic.
func TestBadModules(t *testing.T) {
	rt := newRuntime(t, vm.Config{})
	var c2, native []byte
	for _, tm := range testModules(t) {
		switch tm.File {
		case "rich-fmt2.wasm":
			c2 = tm.binary(t)
		case "goproc.wasm":
			native = tm.binary(t)
		}
	}
	if c2 == nil || native == nil {
		t.Fatal("rich-fmt2.wasm or goproc.wasm is not built")
	}
	noHandle, err := wasmbin.Rename(c2, nil, map[string]string{"handle": "not_handle"})
	if err != nil {
		t.Fatal(err)
	}
	strangeImport, err := wasmbin.Rename(c2, map[wasmbin.ImportName]wasmbin.ImportName{
		{Module: "env", Name: "emscripten_resize_heap"}: {Module: "env", Name: "launch_missiles"},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name   string
		format vm.Format
		bin    []byte
		want   error
		says   string
	}{
		{"not wasm", vm.FormatEmscripten2, []byte("#!/bin/sh\necho hello\n"), vm.ErrBadModule, "not a WebAssembly binary"},
		{"truncated", vm.FormatEmscripten2, c2[:len(c2)/2], vm.ErrBadModule, ""},
		{"unknown format", "wasm32-unknown-nonsense", c2, vm.ErrUnsupportedFormat, "supported:"},
		{"C module as native", vm.FormatNative, c2, vm.ErrBadModule, "ao_alloc"},
		{"Go module as format 2", vm.FormatEmscripten2, native, vm.ErrBadModule, "wasi_snapshot_preview1"},
		{"missing handle", vm.FormatEmscripten2, noHandle, vm.ErrBadModule, `"handle"`},
		{"unknown import", vm.FormatEmscripten2, strangeImport, vm.ErrBadModule, "env.launch_missiles"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := rt.Load(context.Background(), vm.ModuleSpec{ID: "bad-" + c.name, Format: c.format, Binary: c.bin})
			if !errors.Is(err, c.want) {
				t.Fatalf("err = %v, want %v", err, c.want)
			}
			if !strings.Contains(err.Error(), c.says) {
				t.Errorf("error %q does not say %q", err, c.says)
			}
		})
	}
}

// TestWasm64MemoryLimit: a memory64 process cannot get more than 4 GiB.
func TestWasm64MemoryLimit(t *testing.T) {
	rt := newRuntime(t, vm.Config{MaxMemory: 4 << 30})
	for _, tm := range testModules(t) {
		if tm.Format != vm.FormatWasm64 {
			continue
		}
		_, err := tm.load(t, rt).Instantiate(context.Background(), vm.InstanceConfig{Limits: vm.Limits{Memory: 5 << 30}}, nil)
		if !errors.Is(err, vm.ErrLimit) || !strings.Contains(err.Error(), "4 GiB") {
			t.Fatalf("err = %v, want ErrLimit about 4 GiB", err)
		}
		return
	}
	t.Fatal("no wasm64 test module")
}

// TestBadStates: a state of another module or format, or larger than the
// memory limit, is refused.
func TestBadStates(t *testing.T) {
	rt := newRuntime(t, vm.Config{})
	var a, b testModule
	for _, tm := range testModules(t) {
		switch tm.name() {
		case "rich-fmt2@" + string(vm.FormatEmscripten2):
			a = tm
		case "rich-fmt3@" + string(vm.FormatEmscripten3):
			b = tm
		}
	}
	inst := a.start(t, rt, vm.Limits{})
	handle(t, inst, msg(1, "Inc", ""))
	s, err := inst.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.load(t, rt).Instantiate(context.Background(), vm.InstanceConfig{}, s); !errors.Is(err, vm.ErrBadState) {
		t.Errorf("state of another format: err = %v", err)
	}
	if _, err := a.load(t, rt).Instantiate(context.Background(), vm.InstanceConfig{Limits: vm.Limits{Memory: 1 << 20}}, s); err == nil {
		t.Error("a state above the memory limit was accepted")
	}
}
