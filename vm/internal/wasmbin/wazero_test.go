package wasmbin

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/experimental"
)

// Helpers to run modules in wazero, the engine the vm uses.

// newRuntime returns a wazero runtime with the 2.0 features and tail calls,
// closed at the end of the test.
func newRuntime(t testing.TB) wazero.Runtime {
	t.Helper()
	ctx := context.Background()
	cfg := wazero.NewRuntimeConfig().WithCoreFeatures(api.CoreFeaturesV2 | experimental.CoreFeaturesTailCall)
	r := wazero.NewRuntimeWithConfig(ctx, cfg)
	t.Cleanup(func() { _ = r.Close(ctx) })
	return r
}

// instantiate instantiates bin under name.
func instantiate(t testing.TB, r wazero.Runtime, bin []byte, name string) api.Module {
	t.Helper()
	mod, err := r.InstantiateWithConfig(context.Background(), bin, wazero.NewModuleConfig().WithName(name))
	if err != nil {
		t.Fatalf("instantiate %s: %v", name, err)
	}
	return mod
}

var errOutOfGas = errors.New("out of gas")

// gasMeter is the host side of the metering function: it sums what the
// module charges and aborts the call once the sum passes limit (0 for no
// limit), as the loader's usegas does.
type gasMeter struct {
	used    uint64
	calls   int
	limit   uint64
	charges map[uint64]int // how often each amount was charged
}

func (g *gasMeter) use(amount uint64) {
	g.used += amount
	g.calls++
	if g.charges == nil {
		g.charges = map[uint64]int{}
	}
	g.charges[amount]++
	if g.limit != 0 && g.used > g.limit {
		panic(errOutOfGas)
	}
}

func (g *gasMeter) reset() { *g = gasMeter{limit: g.limit} }

// register instantiates the host module that exports the metering function
// module.field, with an i32 or i64 parameter.
func (g *gasMeter) register(t testing.TB, r wazero.Runtime, module, field string, typ ValType) {
	t.Helper()
	b := r.NewHostModuleBuilder(module).NewFunctionBuilder()
	switch typ {
	case I32:
		b = b.WithFunc(func(_ context.Context, amount int32) { g.use(uint64(uint32(amount))) })
	case I64:
		b = b.WithFunc(func(_ context.Context, amount int64) { g.use(uint64(amount)) })
	default:
		t.Fatalf("meter type %s", typ)
	}
	if _, err := b.Export(field).Instantiate(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// call calls an exported function and formats the outcome, so that runs of
// the same module, metered or not, can be compared.
func call(mod api.Module, name string, args ...uint64) string {
	fn := mod.ExportedFunction(name)
	if fn == nil {
		return fmt.Sprintf("%s: not exported", name)
	}
	res, err := fn.Call(context.Background(), args...)
	if err != nil {
		return fmt.Sprintf("%s%v: error", name, args) // the trap text includes a stack trace
	}
	return fmt.Sprintf("%s%v = %v", name, args, res)
}
