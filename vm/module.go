package vm

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"

	"github.com/aogo-dev/aogo/vm/internal/wasmbin"
)

// Module is a compiled module, shared by every process that runs it.
type Module struct {
	rt       *Runtime
	id       string
	spec     *formatSpec
	compiled wazero.CompiledModule

	// hosts are the host modules the module imports from, instantiated
	// once and shared by every instance (per-instance state reaches host
	// functions through the context).
	hosts map[string]api.Module
	// meter is the gas counter import's parameter type (0: not metered);
	// budget says the module was instrumented with aogo's inline budget
	// counter (the exported global budgetGlobal).
	meter  api.ValueType
	budget bool
	// globals are the exported names of every global, in index order
	// (native format: snapshots carry them).
	globals []string
	// initialPages is the module's initial memory size.
	initialPages uint32
}

// ID is the module's id.
func (m *Module) ID() string { return m.id }

// Format is the module's format.
func (m *Module) Format() Format { return m.spec.format }

func badModule(id string, format string, args ...any) error {
	return fmt.Errorf("vm: module %s: %w: %s", id, ErrBadModule, fmt.Sprintf(format, args...))
}

// compile rewrites the binary as its format needs, compiles it and checks
// that the vm can run it.
func (r *Runtime) compile(ctx context.Context, ms ModuleSpec) (*Module, error) {
	spec, err := lookupFormat(ms.Format)
	if err != nil {
		return nil, fmt.Errorf("vm: module %s: %w", ms.ID, err)
	}
	bin := ms.Binary
	if len(bin) < 8 || string(bin[:4]) != "\x00asm" {
		return nil, badModule(ms.ID, "not a WebAssembly binary")
	}
	m := &Module{rt: r, id: ms.ID, spec: spec, hosts: map[string]api.Module{}}
	if bin, err = r.rewritten(ctx, spec, bin); err != nil {
		return nil, fmt.Errorf("vm: module %s: %w", ms.ID, err)
	}
	// What the rewrite added shows in the exports: the budget counter, and
	// for the native format every global as aogo.global.<index>.
	decoded, err := wasmbin.Decode(bin)
	if err != nil {
		return nil, badModule(ms.ID, "%v", err)
	}
	globals := map[int]string{}
	for _, e := range decoded.Exports() {
		if e.Name == budgetGlobal {
			m.budget = true
		}
		if k, ok := strings.CutPrefix(e.Name, globalExportPrefix); ok && spec.native {
			if n, err := strconv.Atoi(k); err == nil {
				globals[n] = e.Name
			}
		}
	}
	for n := 0; n < len(globals); n++ {
		name, ok := globals[n]
		if !ok {
			return nil, badModule(ms.ID, "global %d is not exported", n)
		}
		m.globals = append(m.globals, name)
	}

	compiled, err := r.wz.CompileModule(ctx, bin)
	if err != nil {
		return nil, badModule(ms.ID, "%v", err)
	}
	m.compiled = compiled
	if err := m.check(); err != nil {
		_ = compiled.Close(ctx)
		return nil, err
	}
	if err := m.bindHosts(ctx); err != nil {
		_ = compiled.Close(ctx)
		return nil, err
	}
	return m, nil
}

const globalExportPrefix = "aogo.global."

// rewriteVersion names the load-time rewrites below; change it when they
// change, so that cached rewritten modules are not reused.
const rewriteVersion = "aogo-vm-rewrite-2"

// rewritten returns the module as the vm runs it: metered at load for the
// -metering formats (before lowering: the reference meters the module as
// published), lowered from memory64, given aogo's inline instruction budget
// when it has no metering of its own, and with its globals exported for the
// native format. The result is cached on disk by the input's hash (the Go
// modules take a quarter of a second to rewrite).
func (r *Runtime) rewritten(ctx context.Context, spec *formatSpec, bin []byte) ([]byte, error) {
	key := sha256.Sum256(append([]byte(rewriteVersion+"\x00"+string(spec.format)+"\x00"), bin...))
	path := ""
	if r.cfg.CacheDir != "" {
		path = filepath.Join(r.cfg.CacheDir, "rewritten", hex.EncodeToString(key[:])+".wasm")
		if out, err := os.ReadFile(path); err == nil {
			return out, nil
		}
	}
	var err error
	if spec.loaderMeters {
		mt := wasmbin.I32
		if spec.wasm64 {
			mt = wasmbin.I64
		}
		if bin, err = wasmbin.Meter(bin, wasmbin.MeterConfig{MeterType: mt}); err != nil {
			return nil, fmt.Errorf("%w: metering: %v", ErrBadModule, err)
		}
	}
	if spec.wasm64 {
		if bin, err = r.lower.lower(ctx, bin); err != nil {
			return nil, err
		}
	}
	decoded, err := wasmbin.Decode(bin)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadModule, err)
	}
	metered := false
	for _, imp := range decoded.Imports() {
		if imp.Module == meteringModule && imp.Name == meteringField {
			metered = true
		}
	}
	if !metered {
		// aogo's own safety budget: an unmetered module still cannot loop
		// forever. It is charged at every function entry and loop turn (the
		// cost of the block starting there), which bounds any execution and
		// costs a Go module ~10% instead of ~50% for charging every block.
		if bin, err = wasmbin.Meter(bin, wasmbin.MeterConfig{
			InlineGlobal: budgetGlobal, InlineInitial: bootInstructions, InlineSparse: true, MinCost: 1,
		}); err != nil {
			return nil, fmt.Errorf("%w: instruction budget: %v", ErrBadModule, err)
		}
	}
	if spec.native {
		if bin, _, err = wasmbin.ExportGlobals(bin, globalExportPrefix); err != nil {
			return nil, fmt.Errorf("%w: export globals: %v", ErrBadModule, err)
		}
	}
	if path != "" {
		if err := writeFileAtomic(path, bin); err != nil {
			r.log.Warn("vm: cannot cache a rewritten module", "err", err)
		}
	}
	return bin, nil
}

// isBudget tells whether global k (in m.globals order) is aogo's budget
// counter: the inline pass appends it after the module's own globals. It is
// not process state: the host sets it before every message.
func (m *Module) isBudget(k int) bool { return m.budget && m.spec.native && k == len(m.globals)-1 }

// check refuses a module that lacks what its format needs.
func (m *Module) check() error {
	exports := m.compiled.ExportedFunctions()
	need := []string{"handle"}
	if m.spec.native {
		need = append(need, "ao_alloc", "ao_free", "_initialize")
	}
	for _, name := range need {
		if _, ok := exports[m.spec.exportName(name)]; !ok {
			return badModule(m.id, "it does not export %q, which format %s requires", m.spec.exportName(name), m.spec.format)
		}
	}
	if m.spec.native {
		def := exports["handle"]
		if !sameTypes(def.ParamTypes(), api.ValueTypeI32, api.ValueTypeI32, api.ValueTypeI32, api.ValueTypeI32) ||
			!sameTypes(def.ResultTypes(), api.ValueTypeI64) {
			return badModule(m.id, "handle must be (i32, i32, i32, i32) -> i64 in format %s", m.spec.format)
		}
	}
	mems := m.compiled.ExportedMemories()
	if len(mems) == 0 {
		return badModule(m.id, "it exports no memory")
	}
	if len(m.compiled.ImportedMemories()) > 0 {
		return badModule(m.id, "it imports its memory; AO modules define their own")
	}
	for _, mem := range mems {
		m.initialPages = mem.Min()
	}
	return nil
}

func sameTypes(got []api.ValueType, want ...api.ValueType) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		if got[i] != want[i] {
			return false
		}
	}
	return true
}

// bindHosts builds, for every module the guest imports from, a host module
// exporting exactly the imported functions with the imported signatures, and
// refuses imports the vm does not provide.
func (m *Module) bindHosts(ctx context.Context) error {
	byModule := map[string][]api.FunctionDefinition{}
	var order []string
	for _, def := range m.compiled.ImportedFunctions() {
		mod, _, _ := def.Import()
		if _, ok := byModule[mod]; !ok {
			order = append(order, mod)
		}
		byModule[mod] = append(byModule[mod], def)
	}
	var missing []string
	for _, modName := range order {
		defs := byModule[modName]
		switch modName {
		case meteringModule:
			for _, def := range defs {
				_, name, _ := def.Import()
				want := meteringField
				p := def.ParamTypes()
				if name != want || len(p) != 1 || len(def.ResultTypes()) != 0 ||
					(p[0] != api.ValueTypeI32 && p[0] != api.ValueTypeI64) {
					missing = append(missing, modName+"."+name+signature(def))
					continue
				}
				m.meter = p[0]
			}
			continue
		}
		b := m.rt.wz.NewHostModuleBuilder(modName)
		// A native module gets wazero's WASI, made deterministic by the
		// instance's ModuleConfig (clocks, random source, args, no env).
		wazeroWASI := m.spec.native && modName == wasi_snapshot_preview1.ModuleName
		if wazeroWASI {
			wasi_snapshot_preview1.NewFunctionExporter().ExportFunctions(b)
		}
		for _, def := range defs {
			if wazeroWASI {
				continue
			}
			_, name, _ := def.Import()
			fn, ok := m.hostFunc(modName, name, def)
			if !ok {
				missing = append(missing, modName+"."+name+signature(def))
				continue
			}
			b.NewFunctionBuilder().WithGoModuleFunction(fn, def.ParamTypes(), def.ResultTypes()).Export(name)
		}
		if len(missing) > 0 {
			continue
		}
		compiled, err := b.Compile(ctx)
		if err != nil {
			return badModule(m.id, "host module %s: %v", modName, err)
		}
		inst, err := m.rt.wz.InstantiateModule(ctx, compiled, wazero.NewModuleConfig().WithName(""))
		if err != nil {
			return badModule(m.id, "host module %s: %v", modName, err)
		}
		for _, def := range defs {
			_, name, _ := def.Import()
			got := inst.ExportedFunction(name)
			if got == nil || !sameTypes(got.Definition().ParamTypes(), def.ParamTypes()...) ||
				!sameTypes(got.Definition().ResultTypes(), def.ResultTypes()...) {
				missing = append(missing, modName+"."+name+signature(def))
			}
		}
		m.hosts[modName] = inst
	}
	if len(missing) > 0 {
		return badModule(m.id, "it imports functions format %s does not provide: %s", m.spec.format, strings.Join(missing, ", "))
	}
	return nil
}

func signature(def api.FunctionDefinition) string {
	names := func(ts []api.ValueType) string {
		s := make([]string, len(ts))
		for i, t := range ts {
			s[i] = api.ValueTypeName(t)
		}
		return strings.Join(s, ",")
	}
	return "(" + names(def.ParamTypes()) + ")->(" + names(def.ResultTypes()) + ")"
}
