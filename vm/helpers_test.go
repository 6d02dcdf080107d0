package vm_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aogo-dev/aogo/vm"
)

// The test modules are built from source in vm/testdata by `make
// test-modules` (part of `make test`) into vm/testdata/build.
const buildDir = "testdata/build"

// testModule is one built module and the format it is run as.
type testModule struct {
	File    string    `json:"file"`
	Format  vm.Format `json:"format"`
	Variant string    `json:"variant"` // minimal, rich or native
	Metered bool      `json:"metered"`
}

func (m testModule) name() string {
	return strings.TrimSuffix(m.File, ".wasm") + "@" + string(m.Format)
}

// needBuild returns the build directory, or skips the test when the modules
// are not built (failing instead under CI, so CI cannot skip silently).
func needBuild(t testing.TB) string {
	t.Helper()
	if _, err := os.Stat(filepath.Join(buildDir, "testproc.json")); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("test modules are not built (%v): run `make test-modules`", err)
		}
		t.Skipf("test modules are not built: run `make test-modules` (%v)", err)
	}
	return buildDir
}

// testModules lists every built module with the formats it runs as.
func testModules(t testing.TB) []testModule {
	dir := needBuild(t)
	raw, err := os.ReadFile(filepath.Join(dir, "testproc.json"))
	if err != nil {
		t.Fatal(err)
	}
	var mods []testModule
	if err := json.Unmarshal(raw, &mods); err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	for _, m := range mods {
		have[m.name()] = true
	}
	// Modules built by the fmt4, wasm64 and goproc builders.
	for _, m := range []testModule{
		{File: "rich-fmt4.wasm", Format: vm.FormatEmscripten4, Variant: "rich"},
		{File: "rich-fmt4.wasm", Format: vm.FormatEmscriptenMetering, Variant: "rich", Metered: true},
		{File: "rich-wasm64.wasm", Format: vm.FormatWasm64, Variant: "rich"},
		{File: "rich-wasm64.wasm", Format: vm.FormatWasm64Metering, Variant: "rich", Metered: true},
		{File: "goproc.wasm", Format: vm.FormatNative, Variant: "native"},
	} {
		if _, err := os.Stat(filepath.Join(dir, m.File)); err == nil && !have[m.name()] {
			mods = append(mods, m)
		}
	}
	return mods
}

func (m testModule) binary(t testing.TB) []byte {
	b, err := os.ReadFile(filepath.Join(buildDir, m.File))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// newRuntime is a runtime with a compilation cache shared by the tests of
// one run.
func newRuntime(t testing.TB, cfg vm.Config) *vm.Runtime {
	t.Helper()
	if cfg.CacheDir == "" {
		cfg.CacheDir = cacheDir
	}
	rt, err := vm.New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rt.Close(context.Background()) })
	return rt
}

var cacheDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "aogo-vm-test-cache-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	cacheDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func (m testModule) load(t testing.TB, rt *vm.Runtime) *vm.Module {
	t.Helper()
	mod, err := rt.Load(context.Background(), vm.ModuleSpec{ID: m.name(), Format: m.Format, Binary: m.binary(t)})
	if err != nil {
		t.Fatalf("load %s: %v", m.name(), err)
	}
	return mod
}

func (m testModule) start(t testing.TB, rt *vm.Runtime, limits vm.Limits) *vm.Instance {
	t.Helper()
	inst, err := m.load(t, rt).Instantiate(context.Background(), vm.InstanceConfig{Limits: limits}, nil)
	if err != nil {
		t.Fatalf("instantiate %s: %v", m.name(), err)
	}
	t.Cleanup(func() { inst.Close(context.Background()) })
	return inst
}

// testEnv is the env object every test message is evaluated with.
var testEnv = []byte(`{"Process":{"Id":"EiEwRzYAUD4R4NGjYxjOzVLkpA_r00cPuNUvX7knPks","Owner":"75dqPvObrmasQkk_iOIEXy-VpFmDLqoKw_xxGOclmJQ","Tags":[{"name":"Data-Protocol","value":"ao"},{"name":"Type","value":"Process"},{"name":"Extension","value":"WeaveDrive"}]},"Module":{"Id":"tgJLBUSMakpz-bBLBywRENk_qqaTJvDVD9yZGKNsHcQ","Owner":"DveSeoMOVyteAuUB5-Az_2aiY8s2f3zZ3lcbhKVa3Uk","Tags":[{"name":"Memory-Limit","value":"500-mb"},{"name":"Compute-Limit","value":"9000000000000"}]}}`)

// message is an AO message object (protocol.md 7.2) with fields in the
// order the reference CU builds them.
type message struct {
	ID          string    `json:"Id"`
	Owner       string    `json:"Owner"`
	From        string    `json:"From"`
	Target      string    `json:"Target"`
	Anchor      string    `json:"Anchor"`
	Tags        []jsonTag `json:"Tags"`
	Data        string    `json:"Data"`
	Epoch       int       `json:"Epoch"`
	Nonce       int       `json:"Nonce"`
	Timestamp   int64     `json:"Timestamp"`
	BlockHeight int64     `json:"Block-Height"`
	HashChain   string    `json:"Hash-Chain"`
	Cron        bool      `json:"Cron"`
	ReadOnly    bool      `json:"Read-Only"`
}

type jsonTag struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// msg builds message n with an Action (none if ""), data and extra tags
// given as name, value pairs.
func msg(n int, action, data string, tags ...string) []byte {
	m := message{
		ID:          fmt.Sprintf("msg-%040d", n),
		Owner:       "75dqPvObrmasQkk_iOIEXy-VpFmDLqoKw_xxGOclmJQ",
		From:        "75dqPvObrmasQkk_iOIEXy-VpFmDLqoKw_xxGOclmJQ",
		Target:      "EiEwRzYAUD4R4NGjYxjOzVLkpA_r00cPuNUvX7knPks",
		Anchor:      fmt.Sprintf("%032d", n),
		Tags:        []jsonTag{{"Data-Protocol", "ao"}, {"Variant", "ao.TN.1"}, {"Type", "Message"}},
		Data:        data,
		Nonce:       n,
		Timestamp:   1700000000000 + int64(n)*1000,
		BlockHeight: 1300000 + int64(n),
		HashChain:   fmt.Sprintf("chain-%d", n),
	}
	if action != "" {
		m.Tags = append(m.Tags, jsonTag{"Action", action})
	}
	for k := 0; k+1 < len(tags); k += 2 {
		m.Tags = append(m.Tags, jsonTag{tags[k], tags[k+1]})
	}
	b, err := json.Marshal(m)
	if err != nil {
		panic(err)
	}
	return b
}

// outputString is a result's Output as a string (its JSON text if it is
// not a string).
func outputString(r *vm.Result) string {
	var s string
	if json.Unmarshal(r.Output, &s) == nil {
		return s
	}
	return string(r.Output)
}

func handle(t testing.TB, inst *vm.Instance, m []byte) *vm.Result {
	t.Helper()
	res, err := inst.Handle(context.Background(), m, testEnv)
	if err != nil {
		t.Fatalf("handle: %v", err)
	}
	return res
}

func stateHash(t testing.TB, inst *vm.Instance) [32]byte {
	t.Helper()
	h, err := inst.StateHash()
	if err != nil {
		t.Fatal(err)
	}
	return h
}
