package vm_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aogo-dev/aogo/vm"
)

// hostCallWAT is a minimal module that calls aogo.host_call with the name
// NAME and the request "hello host", and answers Output "<status>:<response>".
const hostCallWAT = `(module
  (import "aogo" "host_call" (func $hc (param i32 i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 2)
  (global $heap (mut i32) (i32.const 4096))
  (data (i32.const 16) "NAME")
  (data (i32.const 32) "hello host")
  (data (i32.const 64) "{\"ok\":true,\"response\":{\"Output\":\"")
  (data (i32.const 128) "\"}}\00")
  (func $malloc (export "malloc") (param $n i32) (result i32)
    (local $p i32)
    (local.set $p (global.get $heap))
    (global.set $heap (i32.add (global.get $heap) (i32.and (i32.add (local.get $n) (i32.const 15)) (i32.const -16))))
    (local.get $p))
  (func (export "handle") (param i32 i32) (result i32)
    (local $status i32) (local $out i32) (local $len i32) (local $at i32)
    (local.set $status (call $hc (i32.const 16) (i32.const NAMELEN) (i32.const 32) (i32.const 10) (i32.const 8)))
    (local.set $len (i32.load (i32.const 12)))
    (local.set $out (call $malloc (i32.add (local.get $len) (i32.const 64))))
    (memory.copy (local.get $out) (i32.const 64) (i32.const 33))
    (local.set $at (i32.add (local.get $out) (i32.const 33)))
    (i32.store8 (local.get $at) (i32.add (i32.const 48) (local.get $status)))
    (i32.store8 (i32.add (local.get $at) (i32.const 1)) (i32.const 58))
    (local.set $at (i32.add (local.get $at) (i32.const 2)))
    (memory.copy (local.get $at) (i32.load (i32.const 8)) (local.get $len))
    (local.set $at (i32.add (local.get $at) (local.get $len)))
    (memory.copy (local.get $at) (i32.const 128) (i32.const 4))
    (local.get $out)))`

func hostCallModule(t *testing.T, name string) []byte {
	t.Helper()
	if _, err := exec.LookPath("wat2wasm"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("wat2wasm (Debian wabt) is missing: run make test-modules")
		}
		t.Skip("wat2wasm (Debian wabt) is missing")
	}
	dir := t.TempDir()
	src := strings.ReplaceAll(strings.ReplaceAll(hostCallWAT, "NAMELEN", itoa(len(name))), "NAME", name)
	if err := os.WriteFile(filepath.Join(dir, "m.wat"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("wat2wasm", "-o", filepath.Join(dir, "m.wasm"), filepath.Join(dir, "m.wat")).CombinedOutput()
	if err != nil {
		t.Fatalf("wat2wasm: %v\n%s", err, out)
	}
	bin, err := os.ReadFile(filepath.Join(dir, "m.wasm"))
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

// TestHostCall: a module reaches a host call by name; the response (or the
// error text) lands in the module's memory through its own allocator.
func TestHostCall(t *testing.T) {
	rt := newRuntime(t, vm.Config{HostCalls: map[string]vm.HostCall{
		"echo": func(ctx context.Context, req []byte) ([]byte, error) { return append([]byte("got "), req...), nil },
		"fail": func(ctx context.Context, req []byte) ([]byte, error) { return nil, errors.New("driver refused") },
	}})
	for name, want := range map[string]string{
		"echo": "0:got hello host",
		"fail": "1:driver refused",
		"nope": "1:no host call named nope",
	} {
		t.Run(name, func(t *testing.T) {
			mod, err := rt.Load(context.Background(), vm.ModuleSpec{ID: "hostcall-" + name, Format: vm.FormatEmscripten2, Binary: hostCallModule(t, name)})
			if err != nil {
				t.Fatal(err)
			}
			inst, err := mod.Instantiate(context.Background(), vm.InstanceConfig{}, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer inst.Close(context.Background())
			res := handle(t, inst, msg(1, "", ""))
			if res.Failed() {
				t.Fatal(res.ErrorMessage())
			}
			if got := string(res.Output); got != `"`+want+`"` {
				t.Fatalf("Output %s, want %q", got, want)
			}
		})
	}
}
