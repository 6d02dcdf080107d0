package vm

import (
	"context"
	"fmt"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
)

// Gas counting runs inside wasm: a per-instance counter module whose usegas
// adds to a mutable global and traps when it passes the limit. A Go host
// function costs 8-10 ns a call and a metered module makes about a million
// calls per aos eval, so this is measured to be about 12 times faster
// (wasm-abi.md 4c) while giving the same numbers.
//
// aogo's instruction budget for unmetered modules is counted inline
// instead (wasmbin.MeterConfig.InlineGlobal): the module decrements an
// exported global and traps when it goes below zero, which measured 2.4
// times faster than a call per block.

const (
	meteringModule = "metering"
	meteringField  = "usegas"
	budgetGlobal   = "aogo.budget"
)

// counterModule returns the binary of a module exporting
// usegas(param) (adds the argument, sign-extended as JS numbers are signed,
// to the mutable i64 global "used" and traps with unreachable when used >
// "limit"), and the globals "used" and "limit".
func counterModule(param api.ValueType) []byte {
	var extend []byte
	if param == api.ValueTypeI32 {
		extend = []byte{0xac} // i64.extend_i32_s
	}
	body := []byte{0x00} // no locals
	body = append(body,
		0x23, 0x00, // global.get used
		0x20, 0x00, // local.get 0
	)
	body = append(body, extend...)
	body = append(body,
		0x7c,       // i64.add
		0x24, 0x00, // global.set used
		0x23, 0x00, // global.get used
		0x23, 0x01, // global.get limit
		0x55,       // i64.gt_s
		0x04, 0x40, // if
		0x00, // unreachable
		0x0b, // end
		0x0b, // end
	)
	section := func(id byte, content ...byte) []byte {
		return append([]byte{id, byte(len(content))}, content...)
	}
	mod := []byte{0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00}
	mod = append(mod, section(1, 0x01, 0x60, 0x01, param, 0x00)...)                                    // type (param) -> ()
	mod = append(mod, section(3, 0x01, 0x00)...)                                                       // one function of type 0
	mod = append(mod, section(6, 0x02, 0x7e, 0x01, 0x42, 0x00, 0x0b, 0x7e, 0x01, 0x42, 0x00, 0x0b)...) // two mut i64 = 0
	exports := []byte{0x03}
	for _, e := range []struct {
		name        string
		kind, index byte
	}{{"usegas", 0x00, 0}, {"used", 0x03, 0}, {"limit", 0x03, 1}} {
		exports = append(exports, byte(len(e.name)))
		exports = append(exports, e.name...)
		exports = append(exports, e.kind, e.index)
	}
	mod = append(mod, section(7, exports...)...)
	code := append([]byte{0x01, byte(len(body))}, body...)
	mod = append(mod, section(10, code...)...)
	return mod
}

// counters are the compiled counter modules, one per parameter type.
type counters struct {
	i32, i64 wazero.CompiledModule
}

func compileCounters(ctx context.Context, r wazero.Runtime) (*counters, error) {
	c := &counters{}
	var err error
	if c.i32, err = r.CompileModule(ctx, counterModule(api.ValueTypeI32)); err != nil {
		return nil, fmt.Errorf("compile the gas counter: %w", err)
	}
	if c.i64, err = r.CompileModule(ctx, counterModule(api.ValueTypeI64)); err != nil {
		return nil, fmt.Errorf("compile the gas counter: %w", err)
	}
	return c, nil
}

// counter is one instance's gas (or budget) counter.
type counter struct {
	mod   api.Module
	used  api.MutableGlobal
	limit api.MutableGlobal
}

func newCounter(ctx context.Context, r wazero.Runtime, compiled wazero.CompiledModule, limit uint64) (*counter, error) {
	mod, err := r.InstantiateModule(ctx, compiled, wazero.NewModuleConfig().WithName("").WithStartFunctions())
	if err != nil {
		return nil, fmt.Errorf("instantiate the gas counter: %w", err)
	}
	c := &counter{
		mod:   mod,
		used:  mod.ExportedGlobal("used").(api.MutableGlobal),
		limit: mod.ExportedGlobal("limit").(api.MutableGlobal),
	}
	c.setLimit(limit)
	return c, nil
}

func (c *counter) setLimit(limit uint64) {
	if limit > 1<<63-1 {
		limit = 1<<63 - 1
	}
	c.limit.Set(limit)
}

// refill starts a message with nothing used, as the loader's gas.refill().
func (c *counter) refill() { c.used.Set(0) }

// usedGas is what the message used so far.
func (c *counter) usedGas() uint64 { return c.used.Get() }

// exhausted reports whether the counter is what stopped the module.
func (c *counter) exhausted() bool { return int64(c.used.Get()) > int64(c.limit.Get()) }

func (c *counter) close(ctx context.Context) {
	if c != nil {
		_ = c.mod.Close(ctx)
	}
}
