package wasmbin

import (
	"bytes"
	"context"
	"errors"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/experimental"
)

// Tests of Meter's inline mode (MeterConfig.InlineGlobal). That it keeps
// behaviour, and that its counter goes down by what usegas is charged, is
// also checked by running modules in TestMeterKeepsBehaviour and
// TestGoGuest.

// inlineBudget is the inline configuration of the tests, with MinCost.
func inlineBudget(minCost uint64) MeterConfig {
	return MeterConfig{MinCost: minCost, InlineGlobal: "aogo_budget"}
}

// TestMeterInlineCode checks the output byte for byte on gas.wat: the
// counter is a new global exported under InlineGlobal, and every metered
// block starts with the countdown.
func TestMeterInlineCode(t *testing.T) {
	bin := wat(t, "gas")
	out, err := Meter(bin, inlineBudget(1000))
	if err != nil {
		t.Fatal(err)
	}
	countdown := []byte{
		0x23, 0x00, // global.get 0
		0x42, 0xe8, 0x07, // i64.const 1000
		0x7d,       // i64.sub
		0x24, 0x00, // global.set 0
		0x23, 0x00, // global.get 0
		0x42, 0x00, // i64.const 0
		0x53,       // i64.lt_s
		0x04, 0x40, // if
		0x00, // unreachable
		0x0b, // end
	}
	// spin is [loop] [br 0] [end] [end]: the loop header and the turn are
	// metered (MinCost forces the first and raises both to 1000).
	want := slices.Concat(countdown, []byte{0x03, 0x40}, countdown, []byte{0x0c, 0x00, 0x0b, 0x0b})
	if got := exportedBody(t, out, "spin"); !bytes.Equal(got, want) {
		t.Errorf("spin is\n%x, want\n%x", got, want)
	}

	m, err := Decode(out)
	if err != nil {
		t.Fatal(err)
	}
	if g := m.Globals(); len(g) != 1 || g[0] != (GlobalType{I64, true}) || !bytes.Equal(m.globals[0].init, []byte{0x42, 0x00, 0x0b}) {
		t.Errorf("globals %v, init %x; want one mutable i64 = 0", g, m.globals[0].init)
	}
	exports := m.Exports()
	if e := exports[len(exports)-1]; e != (Export{Name: "aogo_budget", Kind: KindGlobal, Index: 0}) {
		t.Errorf("last export %+v, want the counter", e)
	}
	if len(m.Imports()) != 0 {
		t.Errorf("imports %v, want none", m.Imports())
	}

	// The counter comes after the imported and defined globals.
	out, err = Meter(wat(t, "globals"), inlineBudget(1))
	if err != nil {
		t.Fatal(err)
	}
	m, err = Decode(out)
	if err != nil {
		t.Fatal(err)
	}
	if g := m.Globals(); len(g) != 8 || g[7] != (GlobalType{I64, true}) {
		t.Errorf("globals %v, want the counter as global 7", g)
	}
	// getsp is [global.get 2; end]: 120 + 91 = 211, 0xd3 0x01 as SLEB128.
	if body := exportedBody(t, out, "getsp"); !bytes.HasPrefix(body, []byte{0x23, 0x07, 0x42, 0xd3, 0x01, 0x7d, 0x24, 0x07, 0x23, 0x07}) {
		t.Errorf("getsp is %x, want it to start counting down global 7", body)
	}
}

// TestMeterInlineSameCharges meters every testdata module (and SQLite) in
// both modes and reads the charges out of the code: each function charges
// the same amounts at the same places, and without the countdowns each
// body is the input's. Nothing else changes but the new global and export.
func TestMeterInlineSameCharges(t *testing.T) {
	for name, bin := range testModules(t) {
		for _, minCost := range []uint64{0, 1, 1000} {
			in, err := Decode(bin)
			if err != nil {
				t.Fatal(err)
			}
			calls, err := Meter(bin, MeterConfig{MeterType: I64, Module: "aogo", Field: "budget", MinCost: minCost})
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			inline, err := Meter(bin, inlineBudget(minCost))
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			checkInline(t, in, calls, inline, "aogo_budget")
		}
	}
}

// checkInline checks inline, the inline output, against in, the input,
// and calls, the call-based output with the same MinCost (nil for none):
// see TestMeterInlineSameCharges.
func checkInline(t testing.TB, in *Module, calls, inline []byte, name string) {
	t.Helper()
	m, err := Decode(inline)
	if err != nil {
		t.Fatalf("the output does not decode: %v", err)
	}
	if !bytes.Equal(m.Encode(), inline) {
		t.Fatal("Decode+Encode changed the output")
	}
	g := uint32(len(in.Globals()))
	if got := m.Globals(); len(got) != int(g)+1 || !slices.Equal(got[:g], in.Globals()) || got[g] != (GlobalType{I64, true}) {
		t.Fatalf("globals %v, want %v and a mutable i64", got, in.Globals())
	}
	if got, want := m.Exports(), append(in.Exports(), Export{Name: name, Kind: KindGlobal, Index: g}); !slices.Equal(got, want) {
		t.Fatalf("exports %v, want %v", got, want)
	}
	if !slices.EqualFunc(m.imports, in.imports, func(a, b Import) bool { return a.ImportName == b.ImportName && bytes.Equal(a.desc, b.desc) }) ||
		!slices.Equal(m.funcs, in.funcs) || len(m.types) != len(in.types) {
		t.Fatal("imports, types or functions changed")
	}
	var mc *Module
	if calls != nil {
		if mc, err = Decode(calls); err != nil {
			t.Fatal(err)
		}
	}
	for i := range in.code {
		if _, c := inlineCharges(t, in.code[i].body, g); len(c) > 0 {
			continue // the input has the countdown itself (global g is out of range there)
		}
		stripped, charges := inlineCharges(t, m.code[i].body, g)
		if !bytes.Equal(stripped, in.code[i].body) {
			t.Fatalf("function %d: without the countdowns the body is\n%x, want\n%x", i, stripped, in.code[i].body)
		}
		if mc != nil {
			if want := callCharges(t, mc.code[i].body, mc.numFuncImports-1); !slices.Equal(charges, want) {
				t.Fatalf("function %d charges %v inline, %v with usegas", i, charges, want)
			}
		}
	}
}

// inlineCharges returns body without the countdowns of global g, and their
// charges in order.
func inlineCharges(t testing.TB, body []byte, g uint32) (stripped []byte, charges []uint64) {
	t.Helper()
	stripped, _, charges = inlineChargesAt(t, body, g)
	return stripped, charges
}

// inlineChargesAt is inlineCharges that also returns where each countdown
// was: its offset in stripped.
func inlineChargesAt(t testing.TB, body []byte, g uint32) (stripped []byte, at []int, charges []uint64) {
	t.Helper()
	head := append(appendULEB([]byte{opGlobalGet}, uint64(g)), byte(opI64Const))
	for p := 0; p < len(body); {
		if bytes.HasPrefix(body[p:], head) {
			c, _, err := readSLEB(body, p+len(head), 64)
			if err != nil {
				t.Fatal(err)
			}
			if countdown := appendInlineCharge(nil, g, uint64(c)); bytes.HasPrefix(body[p:], countdown) {
				at = append(at, len(stripped))
				charges = append(charges, uint64(c))
				p += len(countdown)
				continue
			}
		}
		in, err := decodeInstr(body, p)
		if err != nil {
			t.Fatal(err)
		}
		stripped = append(stripped, body[p:in.next]...)
		p = in.next
	}
	return stripped, at, charges
}

// callCharges returns the charges of `i64.const c; call meter` in body.
func callCharges(t testing.TB, body []byte, meter uint32) []uint64 {
	t.Helper()
	var charges []uint64
	prevOp, prevAt := opcode(opEnd), 0
	for p := 0; p < len(body); {
		in, err := decodeInstr(body, p)
		if err != nil {
			t.Fatal(err)
		}
		if in.op == opCall && in.funcIdx == meter {
			if prevOp != opI64Const {
				t.Fatalf("call usegas at %#x without its i64.const", p)
			}
			c, _, err := readSLEB(body, prevAt+1, 64)
			if err != nil {
				t.Fatal(err)
			}
			charges = append(charges, uint64(c))
		}
		prevOp, prevAt, p = in.op, p, in.next
	}
	return charges
}

// engines are wazero's two engines, with the features of newRuntime.
var engines = []struct {
	name string
	cfg  func() wazero.RuntimeConfig
}{
	{"interpreter", wazero.NewRuntimeConfigInterpreter},
	{"compiler", wazero.NewRuntimeConfigCompiler},
}

func newRuntimeWith(t testing.TB, cfg wazero.RuntimeConfig) wazero.Runtime {
	t.Helper()
	ctx := context.Background()
	r := wazero.NewRuntimeWithConfig(ctx, cfg.WithCoreFeatures(api.CoreFeaturesV2|experimental.CoreFeaturesTailCall))
	t.Cleanup(func() { _ = r.Close(ctx) })
	return r
}

// counterOf returns the inline counter of mod.
func counterOf(t testing.TB, mod api.Module) api.MutableGlobal {
	t.Helper()
	g, ok := mod.ExportedGlobal("aogo_budget").(api.MutableGlobal)
	if !ok {
		t.Fatal("no mutable global aogo_budget")
	}
	return g
}

// isUnreachable reports whether err is wazero's unreachable trap.
func isUnreachable(err error) bool {
	return err != nil && strings.Contains(err.Error(), "wasm error: unreachable")
}

// TestMeterInlineBudget runs the host protocol on both engines: set the
// budget, call, read what is left. An endless loop traps with the counter
// below 0, a budget of exactly what a call needs is enough, and the
// module's own unreachable leaves the counter at 0 or above.
func TestMeterInlineBudget(t *testing.T) {
	ctx := context.Background()
	for _, e := range engines {
		t.Run(e.name, func(t *testing.T) {
			gas, err := Meter(wat(t, "gas"), inlineBudget(1000))
			if err != nil {
				t.Fatal(err)
			}
			r := newRuntimeWith(t, e.cfg())
			mod := instantiate(t, r, gas, "gas")
			counter := counterOf(t, mod)

			// (loop (br 0)): the header and every turn charge 1000, so the
			// 1001st charge leaves -1000 and traps.
			counter.Set(1_000_000)
			if _, err := mod.ExportedFunction("spin").Call(ctx); !isUnreachable(err) {
				t.Fatalf("spin: %v, want the unreachable trap", err)
			}
			if left := int64(counter.Get()); left != -1000 {
				t.Errorf("spin left %d, want -1000", left)
			}

			// count(10) needs exactly its charges.
			count := mod.ExportedFunction("count")
			counter.Set(math.MaxInt64)
			if _, err := count.Call(ctx, 10); err != nil {
				t.Fatal(err)
			}
			need := math.MaxInt64 - counter.Get()
			counter.Set(need)
			if res, err := count.Call(ctx, 10); err != nil || res[0] != 10 || counter.Get() != 0 {
				t.Errorf("count(10) with a budget of %d: %v, %v, %d left", need, res, err, int64(counter.Get()))
			}
			counter.Set(need - 1)
			if _, err := count.Call(ctx, 10); !isUnreachable(err) || int64(counter.Get()) >= 0 {
				t.Errorf("count(10) with a budget of %d: %v, %d left", need-1, err, int64(counter.Get()))
			}

			// The endless return_call loop costs nothing per the table;
			// MinCost stops it.
			ext, err := Meter(wat(t, "extensions", "--enable-tail-call"), inlineBudget(50))
			if err != nil {
				t.Fatal(err)
			}
			instantiate(t, r, wat(t, "env"), "env")
			mod = instantiate(t, r, ext, "extensions")
			counter = counterOf(t, mod)
			counter.Set(1_000_000)
			if _, err := mod.ExportedFunction("zspin").Call(ctx); !isUnreachable(err) {
				t.Fatalf("zspin: %v, want the unreachable trap", err)
			}
			if left := int64(counter.Get()); left >= 0 || left < -91 {
				t.Errorf("zspin left %d, want -91 < left < 0", left)
			}

			// control's trap() is the module's own unreachable.
			ctl, err := Meter(wat(t, "control"), MeterConfig{MinCost: 1, InlineGlobal: "aogo_budget", InlineInitial: 1 << 20})
			if err != nil {
				t.Fatal(err)
			}
			mod = instantiate(t, r, ctl, "control")
			counter = counterOf(t, mod)
			counter.Set(1_000_000)
			if _, err := mod.ExportedFunction("trap").Call(ctx); !isUnreachable(err) {
				t.Fatalf("trap: %v, want the unreachable trap", err)
			}
			if left := int64(counter.Get()); left < 0 || left == 1_000_000 {
				t.Errorf("trap left %d, want the budget minus its charges", left)
			}
		})
	}
}

// TestMeterInlineStart checks InlineInitial: it is the budget of the
// start function, which runs while the module is instantiated.
func TestMeterInlineStart(t *testing.T) {
	bin := wat(t, "control")
	env := wat(t, "env")
	build := func(initial uint64) []byte {
		out, err := Meter(bin, MeterConfig{MinCost: 1, InlineGlobal: "aogo_budget", InlineInitial: initial})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	instantiateWith := func(initial uint64) (api.Module, error) {
		r := newRuntime(t)
		instantiate(t, r, env, "env")
		return r.InstantiateWithConfig(context.Background(), build(initial), wazero.NewModuleConfig().WithName("control"))
	}
	mod, err := instantiateWith(math.MaxInt64)
	if err != nil {
		t.Fatal(err)
	}
	start := math.MaxInt64 - counterOf(t, mod).Get()
	if start == 0 {
		t.Fatal("the start function charged nothing")
	}
	if mod, err = instantiateWith(start); err != nil || counterOf(t, mod).Get() != 0 {
		t.Errorf("InlineInitial %d (what the start function needs): %v", start, err)
	}
	if _, err := instantiateWith(start - 1); !isUnreachable(err) {
		t.Errorf("InlineInitial %d: %v, want the unreachable trap", start-1, err)
	}
	if _, err := instantiateWith(0); !isUnreachable(err) {
		t.Errorf("InlineInitial 0: %v, want the unreachable trap", err)
	}
}

// TestMeterInlineExportGlobals applies ExportGlobals after the inline
// pass, as the vm does for Go guests: the counter is exported under both
// names, and both reach the same global.
func TestMeterInlineExportGlobals(t *testing.T) {
	bin, err := Meter(wat(t, "globals"), inlineBudget(1))
	if err != nil {
		t.Fatal(err)
	}
	bin, names, err := ExportGlobals(bin, "aogo.global.")
	if err != nil {
		t.Fatal(err)
	}
	if len(names) != 8 || names[7] != "aogo.global.7" {
		t.Fatalf("names %q, want 8 ending with the counter's", names)
	}
	m, err := Decode(bin)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(m.Encode(), bin) {
		t.Fatal("Decode+Encode changed the output")
	}
	r := newRuntime(t)
	instantiate(t, r, wat(t, "globalsenv"), "genv")
	mod := instantiate(t, r, bin, "globals")
	counterOf(t, mod).Set(12345)
	if got := mod.ExportedGlobal("aogo.global.7").Get(); got != 12345 {
		t.Errorf("aogo.global.7 is %d, want the counter (12345)", got)
	}
	if _, err := mod.ExportedFunction("push").Call(context.Background(), 16); err != nil {
		t.Fatal(err)
	}
	if got := mod.ExportedGlobal("aogo.global.7").Get(); got >= 12345 {
		t.Errorf("push did not count down: %d left", got)
	}

	// Two inline counters under two names compose too.
	twice, err := Meter(bin, MeterConfig{InlineGlobal: "other"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Decode(twice); err != nil {
		t.Fatal(err)
	}
}

// TestMeterInlineLabelNames checks that the label names of a name section
// are dropped (inserted ifs shift label indices), and that the function
// and local names stay as they are (no function index moves).
func TestMeterInlineLabelNames(t *testing.T) {
	bin := wat(t, "control", "--debug-names")
	out, err := Meter(bin, inlineBudget(1))
	if err != nil {
		t.Fatal(err)
	}
	nameSection := func(bin []byte) section {
		t.Helper()
		m, err := Decode(bin)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range m.sections {
			if s.id == secCustom && s.name == "name" {
				return s
			}
		}
		t.Fatal("no name section")
		return section{}
	}
	if !bytes.Equal(nameSection(out).raw, nameSection(bin).raw) {
		t.Error("a name section without label names changed")
	}

	// Add label names: function 2 ($add) names label 0 "l".
	m, err := Decode(bin)
	if err != nil {
		t.Fatal(err)
	}
	labels := []byte{0x01, 0x02, 0x01, 0x00, 0x01, 'l'}
	for i, s := range m.sections {
		if s.id == secCustom && s.name == "name" {
			payload := append(slices.Clip(s.payload), nameLabels, byte(len(labels)))
			m.sections[i].raw, m.sections[i].payload = nil, append(payload, labels...)
		}
	}
	withLabels := m.Encode()
	out, err = Meter(withLabels, inlineBudget(1))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := nameSection(out).payload, nameSection(bin).payload; !bytes.Equal(got, want) {
		t.Errorf("the label names were not dropped, or more was:\n%x, want\n%x", got, want)
	}
	mo, err := Decode(out)
	if err != nil {
		t.Fatal(err)
	}
	if funcs, _ := readNames(t, mo); funcs[2] != "add" {
		t.Errorf("function 2 is named %q, want add", funcs[2])
	}
}

// TestMeterInlineErrors checks the refusals of the inline mode.
func TestMeterInlineErrors(t *testing.T) {
	bin := wat(t, "gas")
	cases := []struct {
		name string
		cfg  MeterConfig
		is   error
	}{
		{"i32", MeterConfig{MeterType: I32, InlineGlobal: "b"}, nil},
		{"import name", MeterConfig{MeterType: I64, Module: "aogo", Field: "budget", InlineGlobal: "b"}, nil},
		{"UTF-8", MeterConfig{InlineGlobal: "\xff"}, nil},
		{"initial", MeterConfig{InlineGlobal: "b", InlineInitial: math.MaxInt64 + 1}, nil},
		{"duplicate", MeterConfig{InlineGlobal: "spin"}, ErrDuplicateExport},
		{"charge", MeterConfig{InlineGlobal: "b", MinCost: math.MaxInt64 + 1}, ErrUnsupported},
		{"sparse charge", MeterConfig{InlineGlobal: "b", InlineSparse: true, MinCost: math.MaxInt64 + 1}, ErrUnsupported},
		{"sparse without inline", MeterConfig{MeterType: I64, Module: "aogo", Field: "budget", InlineSparse: true}, nil},
		{"sparse alone", MeterConfig{InlineSparse: true}, nil},
	}
	for _, c := range cases {
		_, err := Meter(bin, c.cfg)
		if err == nil || c.is != nil && !errors.Is(err, c.is) {
			t.Errorf("%s: %v, want an error (%v)", c.name, err, c.is)
		}
	}
	// I64 and the default are the same.
	a, err := Meter(bin, MeterConfig{MeterType: I64, InlineGlobal: "b"})
	if err != nil {
		t.Fatal(err)
	}
	if b, err := Meter(bin, MeterConfig{InlineGlobal: "b"}); err != nil || !bytes.Equal(a, b) {
		t.Errorf("MeterType 0 differs from I64 (%v)", err)
	}
}

// BenchmarkBudgetLoop runs 10^8 turns of loop.wat (one metered block per
// turn) in wazero's compiler: unmetered, with the budget calls into a
// counter module (as the vm counts the budget, through counter.wat, a copy
// of its counter), and with the inline budget, dense and sparse (the same
// here: the one block of a turn is the loop header). ns/turn is the
// figure. BenchmarkBudgetGoGuest measures where sparse differs.
func BenchmarkBudgetLoop(b *testing.B) {
	const turns = 100_000_000
	ctx := context.Background()
	bin := wat(b, "loop")
	for _, bc := range []struct {
		name string
		cfg  *MeterConfig
	}{
		{"unmetered", nil},
		{"calls", &MeterConfig{MeterType: I64, Module: "aogo_budget", Field: "usegas", MinCost: 1}},
		{"inline", &MeterConfig{MinCost: 1, InlineGlobal: "aogo_budget"}},
		{"inline-sparse", &MeterConfig{MinCost: 1, InlineGlobal: "aogo_budget", InlineSparse: true}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			r := newRuntimeWith(b, wazero.NewRuntimeConfigCompiler())
			out := bin
			if bc.cfg != nil {
				var err error
				if out, err = Meter(bin, *bc.cfg); err != nil {
					b.Fatal(err)
				}
			}
			reset := func() {}
			if bc.cfg != nil && bc.cfg.InlineGlobal == "" {
				c := instantiate(b, r, wat(b, "counter"), "aogo_budget")
				c.ExportedGlobal("limit").(api.MutableGlobal).Set(math.MaxInt64)
				used := c.ExportedGlobal("used").(api.MutableGlobal)
				reset = func() { used.Set(0) }
			}
			mod := instantiate(b, r, out, "loop")
			if bc.cfg != nil && bc.cfg.InlineGlobal != "" {
				counter := counterOf(b, mod)
				reset = func() { counter.Set(math.MaxInt64) }
			}
			fn := mod.ExportedFunction("loop")
			for b.Loop() {
				reset()
				res, err := fn.Call(ctx, turns)
				if err != nil || res[0] != turns*(turns-1)/2 {
					b.Fatalf("loop: %v, %v", res, err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/turns, "ns/turn")
		})
	}
}

// BenchmarkBudgetCompile compiles SQLite in wazero's compiler as it is
// and after each budget pass: what the larger inline code costs.
func BenchmarkBudgetCompile(b *testing.B) {
	ctx := context.Background()
	bin := sqliteWasm(b)
	for _, bc := range []struct {
		name string
		cfg  *MeterConfig
	}{
		{"unmetered", nil},
		{"calls", &MeterConfig{MeterType: I64, Module: "aogo_budget", Field: "usegas", MinCost: 1}},
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
			b.SetBytes(int64(len(out)))
			for b.Loop() {
				r := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigCompiler())
				if _, err := r.CompileModule(ctx, out); err != nil {
					b.Fatal(err)
				}
				_ = r.Close(ctx)
			}
		})
	}
}
