package wasmbin

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/tetratelabs/wazero/api"
)

// TestMeterMatchesReference is the differential test: Meter's output must
// be the output of meterWASM of @permaweb/wasm-metering, the copy bundled
// in @permaweb/ao-loader 0.0.49 (run by test/js/wasmmeter.js), byte for
// byte, for i32 and i64.
//
// Byte identity is possible because the reference decodes the whole module
// to JSON and re-encodes it with shortest LEB128 forms, while Meter keeps
// untouched bytes as they are: the two agree when the input is in shortest
// form, which wat2wasm (wabt canonicalizes by default) and emscripten
// (binaryen writes shortest forms) produce. The one designed difference is
// the "name" section: the reference keeps it as opaque bytes, so its
// function indices end up one off; Meter renumbers it. For the input with
// names the name sections are compared apart (TestMeterRenumbersNames).
func TestMeterMatchesReference(t *testing.T) {
	type input struct {
		name  string
		bin   func(t *testing.T) []byte
		names bool // the input has a name section
	}
	watInput := func(name string, flags ...string) func(t *testing.T) []byte {
		return func(t *testing.T) []byte { return wat(t, name, flags...) }
	}
	inputs := []input{
		{name: "allops", bin: watInput("allops")},
		{name: "control", bin: watInput("control")},
		{name: "control-names", bin: watInput("control", "--debug-names"), names: true},
		{name: "gas", bin: watInput("gas")},
		{name: "env", bin: watInput("env")},
		{name: "globals", bin: watInput("globals")},
		{name: "rename", bin: watInput("rename")},
		{name: "tiny", bin: watInput("tiny")},
		{name: "typesonly", bin: watInput("typesonly")},
		{name: "empty", bin: watInput("empty")},
		{name: "sqlite", bin: func(t *testing.T) []byte {
			if testing.Short() {
				t.Skip("the reference takes seconds on a 500 KB module")
			}
			return sqliteWasm(t)
		}},
	}
	for _, in := range inputs {
		for _, mt := range []ValType{I32, I64} {
			t.Run(in.name+"/"+mt.String(), func(t *testing.T) {
				bin := in.bin(t)
				want, err := referenceMeter(t, bin, mt.String())
				if err != nil {
					t.Fatal(err)
				}
				got, err := Meter(bin, MeterConfig{MeterType: mt})
				if err != nil {
					t.Fatal(err)
				}
				if in.names {
					want, got = withoutNames(t, want), withoutNames(t, got)
				}
				if !bytes.Equal(got, want) {
					t.Fatalf("Meter differs from the reference: %s", firstDifference(t, got, want))
				}
			})
		}
	}
}

// TestMeterBeyondReference checks that the reference cannot decode
// extensions.wat (so there is nothing to compare with), which is why
// Meter's handling of it is tested by running it instead
// (TestMeterKeepsBehaviour).
func TestMeterBeyondReference(t *testing.T) {
	bin := wat(t, "extensions", "--enable-tail-call")
	var ref *referenceError
	if _, err := referenceMeter(t, bin, "i32"); !errors.As(err, &ref) {
		t.Fatalf("the reference metered extensions.wat (err %v): compare it in TestMeterMatchesReference", err)
	}
	if _, err := Meter(bin, MeterConfig{}); err != nil {
		t.Fatal(err)
	}
}

// withoutNames drops the "name" sections.
func withoutNames(t *testing.T, bin []byte) []byte {
	t.Helper()
	m, err := Decode(bin)
	if err != nil {
		t.Fatal(err)
	}
	m.sections = slices.DeleteFunc(m.sections, func(s section) bool { return s.id == secCustom && s.name == "name" })
	return m.Encode()
}

// firstDifference describes where two binaries first differ.
func firstDifference(t *testing.T, got, want []byte) string {
	t.Helper()
	mg, err := Decode(got)
	if err != nil {
		return fmt.Sprintf("Meter's output does not decode: %v", err)
	}
	mw, err := Decode(want)
	if err != nil {
		return fmt.Sprintf("the reference's output does not decode: %v", err)
	}
	for i := 0; i < len(mg.sections) && i < len(mw.sections); i++ {
		sg, sw := mg.sections[i], mw.sections[i]
		if sg.id != sw.id {
			return fmt.Sprintf("section %d is %s, want %s", i, sectionName(sg.id), sectionName(sw.id))
		}
		pg, pw := sg.payload, sw.payload
		if !bytes.Equal(pg, pw) {
			j := 0
			for j < len(pg) && j < len(pw) && pg[j] == pw[j] {
				j++
			}
			return fmt.Sprintf("%s section: payloads of %d and %d bytes first differ at payload offset %#x: %x vs %x",
				sectionName(sg.id), len(pg), len(pw), j, pg[j:min(j+16, len(pg))], pw[j:min(j+16, len(pw))])
		}
	}
	return fmt.Sprintf("%d sections, want %d", len(mg.sections), len(mw.sections))
}

// TestMeterRenumbersNames checks the name section of a metered module:
// function and local names follow their functions to their new indices.
func TestMeterRenumbersNames(t *testing.T) {
	in := wat(t, "control", "--debug-names")
	out, err := Meter(in, MeterConfig{})
	if err != nil {
		t.Fatal(err)
	}
	m, err := Decode(out)
	if err != nil {
		t.Fatal(err)
	}
	funcs, locals := readNames(t, m)
	// control.wat imports log and twice (functions 0 and 1): the metering
	// import is function 2 and has no name; $add was 2 and is now 3.
	want := map[uint32]string{0: "log", 1: "twice", 3: "add", 4: "sub", 5: "mul", 6: "div", 7: "init", 10: "sum", 11: "fac"}
	for idx, name := range want {
		if funcs[idx] != name {
			t.Errorf("function %d is named %q, want %q", idx, funcs[idx], name)
		}
	}
	if name, ok := funcs[2]; ok {
		t.Errorf("the metering import is named %q", name)
	}
	// Every exported function that has a name in the WAT keeps it.
	for _, e := range m.Exports() {
		if e.Kind == KindFunc && (e.Name == "sum" || e.Name == "fac" || e.Name == "add") && funcs[e.Index] != e.Name {
			t.Errorf("export %q is function %d, named %q", e.Name, e.Index, funcs[e.Index])
		}
	}
	var sum uint32
	for _, e := range m.Exports() {
		if e.Name == "sum" {
			sum = e.Index
		}
	}
	if got := strings.Join(locals[sum], ","); got != "n,i,s" {
		t.Errorf("locals of sum (function %d) are named %q, want n,i,s", sum, got)
	}
}

// readNames parses the function names and local names of a name section.
func readNames(t *testing.T, m *Module) (funcs map[uint32]string, locals map[uint32][]string) {
	t.Helper()
	funcs, locals = map[uint32]string{}, map[uint32][]string{}
	for _, s := range m.sections {
		if s.id != secCustom || s.name != "name" {
			continue
		}
		r := reader{b: s.payload, end: len(s.payload)}
		must := func(err error) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
		}
		_, err := r.name()
		must(err)
		for !r.done() {
			id, _ := r.u8()
			size, err := r.u32()
			must(err)
			sub, err := r.sub(size)
			must(err)
			switch id {
			case nameFunctions:
				n, err := sub.count()
				must(err)
				for range n {
					idx, err := sub.u32()
					must(err)
					funcs[idx], err = sub.name()
					must(err)
				}
			case nameLocals:
				n, err := sub.count()
				must(err)
				for range n {
					idx, err := sub.u32()
					must(err)
					k, err := sub.count()
					must(err)
					for range k {
						_, err := sub.u32()
						must(err)
						name, err := sub.name()
						must(err)
						locals[idx] = append(locals[idx], name)
					}
				}
			}
		}
	}
	return funcs, locals
}

// TestMeterGas checks the gas of small functions against sums computed by
// hand from the cost table (see the block lists in gas.wat): each metered
// block charges its instructions plus 91 for `const; call usegas`.
func TestMeterGas(t *testing.T) {
	const (
		branchHead = 120 + 1 + 91           // local.get if
		branchThen = 120 + 1 + 45 + 90 + 91 // local.get i32.const i32.add else
		branchElse = 1 + 91                 // i32.const end
		countHead  = 1 + 91                 // loop
		countTurn  = 120 + 1 + 45 + 120 + 120 + 120 + 45 + 90 + 91
		countTail  = 120 + 91 // local.get end
	)
	cases := []struct {
		fn   string
		arg  uint64
		want uint64
	}{
		{"branch", 5, branchHead + branchThen},
		{"branch", 0, branchHead + branchElse},
		{"count", 1, countHead + countTurn + countTail},
		{"count", 10, countHead + 10*countTurn + countTail},
		{"count", 0, countHead + countTurn + countTail}, // the loop body runs once
	}
	bin := wat(t, "gas")
	for _, mt := range []ValType{I32, I64} {
		t.Run(mt.String(), func(t *testing.T) {
			metered, err := Meter(bin, MeterConfig{MeterType: mt})
			if err != nil {
				t.Fatal(err)
			}
			r := newRuntime(t)
			var g gasMeter
			g.register(t, r, "metering", "usegas", mt)
			mod := instantiate(t, r, metered, "gas")
			for _, c := range cases {
				g.reset()
				if _, err := mod.ExportedFunction(c.fn).Call(context.Background(), c.arg); err != nil {
					t.Fatal(err)
				}
				if g.used != c.want {
					t.Errorf("%s(%d) used %d gas, want %d", c.fn, c.arg, g.used, c.want)
				}
			}
			g.reset()
			if _, err := mod.ExportedFunction("empty").Call(context.Background()); err != nil {
				t.Fatal(err)
			}
			if g.calls != 0 {
				t.Errorf("empty() called usegas %d times; a block of cost 0 is not metered", g.calls)
			}
		})
	}
}

// TestMeterMinCost checks the budget mode: every block, the first block of
// a function and of a loop body included, charges at least MinCost, so
// even a loop of instructions that cost nothing runs out of budget.
func TestMeterMinCost(t *testing.T) {
	ctx := context.Background()
	budget := func(t *testing.T, bin []byte, minCost, limit uint64) (api.Module, *gasMeter) {
		t.Helper()
		metered, err := Meter(bin, MeterConfig{MeterType: I64, Module: "aogo", Field: "budget", MinCost: minCost})
		if err != nil {
			t.Fatal(err)
		}
		r := newRuntime(t)
		instantiate(t, r, wat(t, "env"), "env")
		g := &gasMeter{limit: limit}
		g.register(t, r, "aogo", "budget", I64)
		return instantiate(t, r, metered, "m"), g
	}

	t.Run("loop", func(t *testing.T) {
		mod, g := budget(t, wat(t, "gas"), 1000, 1_000_000)
		_, err := mod.ExportedFunction("spin").Call(ctx)
		if !errors.Is(err, errOutOfGas) {
			t.Fatalf("spin: %v, want out of gas", err)
		}
		// Every charge, the loop header's (92) and each turn's (br: 181)
		// included, was raised to 1000.
		if len(g.charges) != 1 || g.charges[1000] != g.calls || g.calls != 1001 {
			t.Errorf("charges %v in %d calls, want 1001 of 1000", g.charges, g.calls)
		}
	})
	t.Run("loop below MinCost", func(t *testing.T) {
		mod, g := budget(t, wat(t, "gas"), 100, 10_000)
		if _, err := mod.ExportedFunction("spin").Call(ctx); !errors.Is(err, errOutOfGas) {
			t.Fatalf("spin: %v, want out of gas", err)
		}
		if g.charges[100] != 1 || g.charges[181] != g.calls-1 {
			t.Errorf("charges %v: want the header at 100 (92 raised) and each turn at 181", g.charges)
		}
	})
	t.Run("empty function", func(t *testing.T) {
		mod, g := budget(t, wat(t, "gas"), 500, 0)
		if _, err := mod.ExportedFunction("empty").Call(ctx); err != nil {
			t.Fatal(err)
		}
		if g.calls != 1 || g.used != 500 {
			t.Errorf("empty() charged %d in %d calls, want 500 in 1", g.used, g.calls)
		}
	})
	t.Run("tail-call loop", func(t *testing.T) {
		bin := wat(t, "extensions", "--enable-tail-call")
		// Without MinCost the endless return_call loop costs nothing: no
		// block of $zspin is metered.
		plain, err := Meter(bin, MeterConfig{MeterType: I64})
		if err != nil {
			t.Fatal(err)
		}
		if body := exportedBody(t, plain, "zspin"); bytes.Contains(body, []byte{byte(opI64Const)}) {
			t.Fatalf("zspin is metered without MinCost: %x", body)
		}
		mod, g := budget(t, bin, 50, 1_000_000)
		if _, err := mod.ExportedFunction("zspin").Call(ctx); !errors.Is(err, errOutOfGas) {
			t.Fatalf("zspin: %v, want out of gas", err)
		}
		if g.charges[91] != g.calls { // the statement's own 91 is more than MinCost
			t.Errorf("charges %v", g.charges)
		}
	})
	t.Run("MinCost 0 is the reference", func(t *testing.T) {
		bin := wat(t, "control")
		a, err := Meter(bin, MeterConfig{})
		if err != nil {
			t.Fatal(err)
		}
		b, err := Meter(bin, MeterConfig{MinCost: 0, MeterType: I32, Module: "metering", Field: "usegas"})
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a, b) {
			t.Fatal("the explicit defaults give another output than the zero MeterConfig")
		}
	})
}

// exportedBody returns the instructions of an exported function.
func exportedBody(t *testing.T, bin []byte, name string) []byte {
	t.Helper()
	m, err := Decode(bin)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range m.Exports() {
		if e.Name == name && e.Kind == KindFunc {
			return m.code[e.Index-m.numFuncImports].body
		}
	}
	t.Fatalf("no function export %q", name)
	return nil
}

// TestMeterKeepsBehaviour runs modules before and after metering (and the
// budget pass) and compares every result: the renumbered calls, exports,
// tables, start function and global initializers still reach the right
// functions.
func TestMeterKeepsBehaviour(t *testing.T) {
	type run struct {
		fn   string
		args []uint64
	}
	i32 := func(v int32) uint64 { return api.EncodeI32(v) }
	cases := []struct {
		wat   string
		flags []string
		runs  []run
	}{
		{wat: "control", runs: []run{
			{"dispatch", []uint64{0, 12, 4}}, {"dispatch", []uint64{1, 12, 4}}, {"dispatch", []uint64{2, 12, 4}},
			{"dispatch", []uint64{3, 12, 4}}, {"dispatch", []uint64{3, 12, 0}}, {"dispatch", []uint64{4, 1, 1}},
			{"classify", []uint64{0}}, {"classify", []uint64{1}}, {"classify", []uint64{2}}, {"classify", []uint64{3}},
			{"classify", []uint64{9}}, {"sum", []uint64{100}}, {"fac", []uint64{20}}, {"abs", []uint64{i32(-5)}},
			{"abs", []uint64{7}}, {"grow", []uint64{2}}, {"callimports", []uint64{4}}, {"pick", []uint64{1, 2, 0}},
			{"pick", []uint64{1, 2, 1}}, {"nested", []uint64{9}}, {"trap", nil}, {"counter", nil}, {"k", nil},
			{"empty", nil}, {"add", []uint64{2, 3}},
		}},
		{wat: "extensions", flags: []string{"--enable-tail-call"}, runs: []run{
			{"fact", []uint64{20}}, {"viaglobal", []uint64{5}}, {"viatable", []uint64{5, 0}},
			{"viatable", []uint64{5, 1}}, {"viatable", []uint64{5, 2}}, {"viatable2", []uint64{5, 0}},
			{"viatable2", []uint64{5, 1}}, {"passive", []uint64{5}}, {"bulk", nil},
			{"sat", []uint64{api.EncodeF64(1e30)}}, {"simd", []uint64{10}}, {"multi", []uint64{1}}, {"refs", nil},
		}},
	}
	for _, c := range cases {
		t.Run(c.wat, func(t *testing.T) {
			bin := wat(t, c.wat, c.flags...)
			env := wat(t, "env")
			// results runs c.runs on bin metered with cfg (nil: as it
			// is), and returns their results, what instantiation (the
			// start function) charged and what each run charged.
			results := func(bin []byte, cfg *MeterConfig) (string, uint64, []uint64) {
				t.Helper()
				r := newRuntime(t)
				instantiate(t, r, env, "env")
				var g gasMeter
				if cfg != nil {
					var err error
					if bin, err = Meter(bin, *cfg); err != nil {
						t.Fatal(err)
					}
					if cfg.InlineGlobal == "" {
						g.register(t, r, cfg.Module, cfg.Field, cfg.MeterType)
					}
				}
				mod := instantiate(t, r, bin, c.wat)
				// charged is what the module was charged since reset.
				var charged func() uint64
				var reset func()
				if cfg != nil && cfg.InlineGlobal != "" {
					counter := mod.ExportedGlobal(cfg.InlineGlobal).(api.MutableGlobal)
					budget := cfg.InlineInitial
					charged = func() uint64 { return budget - counter.Get() }
					reset = func() { budget = math.MaxInt64; counter.Set(budget) }
				} else {
					var mark uint64
					charged = func() uint64 { return g.used - mark }
					reset = func() { mark = g.used }
				}
				start := charged()
				var out []string
				var gas []uint64
				for _, run := range c.runs {
					reset()
					out = append(out, call(mod, run.fn, run.args...))
					gas = append(gas, charged())
				}
				return strings.Join(out, "\n"), start, gas
			}
			want, _, _ := results(bin, nil)
			for _, cfg := range []MeterConfig{
				{MeterType: I32, Module: "metering", Field: "usegas"},
				{MeterType: I64, Module: "metering", Field: "usegas"},
				{MeterType: I64, Module: "aogo", Field: "budget", MinCost: 1},
				{MeterType: I64, Module: "aogo", Field: "budget", MinCost: 1000},
			} {
				got, start, gas := results(bin, &cfg)
				if got != want {
					t.Errorf("%+v: results differ after metering\ngot:\n%s\nwant:\n%s", cfg, got, want)
				}
				if start+sum(gas) == 0 {
					t.Errorf("%+v: no gas used", cfg)
				}
				// The inline mode gives the same results, and its counter
				// goes down by what usegas is charged, run by run.
				inline := MeterConfig{MinCost: cfg.MinCost, InlineGlobal: "aogo_budget", InlineInitial: math.MaxInt64}
				got, istart, igas := results(bin, &inline)
				if got != want {
					t.Errorf("%+v: results differ after metering\ngot:\n%s\nwant:\n%s", inline, got, want)
				}
				if istart != start || !slices.Equal(igas, gas) {
					t.Errorf("MinCost %d: the inline counter went down by %d, then %v; usegas was charged %d, then %v",
						cfg.MinCost, istart, igas, start, gas)
				}
				// The sparse budget too, and it charges a part of that
				// (a subset of the same charges), run by run.
				if cfg.MinCost == 0 {
					continue
				}
				sparse := inline
				sparse.InlineSparse = true
				got, sstart, sgas := results(bin, &sparse)
				if got != want {
					t.Errorf("%+v: results differ after metering\ngot:\n%s\nwant:\n%s", sparse, got, want)
				}
				if (sstart == 0) != (start == 0) || sstart > start || slices.Contains(sgas, 0) {
					t.Errorf("MinCost %d: the sparse counter went down by %d, then %v; the dense one by %d, then %v",
						cfg.MinCost, sstart, sgas, start, gas)
				}
				for k := range sgas {
					if sgas[k] > gas[k] {
						t.Errorf("MinCost %d: %s used %d sparse, %d dense", cfg.MinCost, c.runs[k].fn, sgas[k], gas[k])
					}
				}
			}
		})
	}
}

func sum(xs []uint64) uint64 {
	var s uint64
	for _, x := range xs {
		s += x
	}
	return s
}

// TestMeterErrors checks Meter's refusals.
func TestMeterErrors(t *testing.T) {
	bin := wat(t, "gas")
	metered, err := Meter(bin, MeterConfig{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Meter(metered, MeterConfig{}); !errors.Is(err, ErrMeterImportExists) {
		t.Errorf("metering twice: %v, want ErrMeterImportExists", err)
	}
	// A budget pass over a metered module is fine: another import.
	if _, err := Meter(metered, MeterConfig{MeterType: I64, Module: "aogo", Field: "budget", MinCost: 1}); err != nil {
		t.Errorf("budget over metering: %v", err)
	}
	if _, err := Meter(bin, MeterConfig{MeterType: F32}); err == nil {
		t.Error("f32 meter type accepted")
	}
	// An i32 charge cannot exceed MaxInt32; an i64 one can.
	if _, err := Meter(bin, MeterConfig{MinCost: math.MaxInt32 + 1}); !errors.Is(err, ErrUnsupported) {
		t.Errorf("i32 charge over MaxInt32: %v, want ErrUnsupported", err)
	}
	if _, err := Meter(bin, MeterConfig{MeterType: I64, MinCost: math.MaxInt32 + 1}); err != nil {
		t.Errorf("i64 charge over MaxInt32: %v", err)
	}
	// A body that does not end with end.
	bad := moduleBytes(
		sec(secType, 0x01, 0x60, 0x00, 0x00),
		sec(secFunction, 0x01, 0x00),
		sec(secCode, 0x01, 0x02, 0x00, 0x01), // locals 0, nop
	)
	if _, err := Meter(bad, MeterConfig{}); !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), "function 0") {
		t.Errorf("body without end: %v", err)
	}
	// An unknown opcode.
	bad = moduleBytes(
		sec(secType, 0x01, 0x60, 0x00, 0x00),
		sec(secFunction, 0x01, 0x00),
		sec(secCode, 0x01, 0x03, 0x00, 0xfb, 0x0b), // GC prefix
	)
	if _, err := Meter(bad, MeterConfig{}); !errors.Is(err, ErrUnsupported) {
		t.Errorf("GC opcode: %v, want ErrUnsupported", err)
	}
}

// BenchmarkMeter meters a real 529 KB emscripten module (SQLite).
func BenchmarkMeter(b *testing.B) {
	bin := sqliteWasm(b)
	b.SetBytes(int64(len(bin)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Meter(bin, MeterConfig{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecode decodes the same module.
func BenchmarkDecode(b *testing.B) {
	bin := sqliteWasm(b)
	b.SetBytes(int64(len(bin)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Decode(bin); err != nil {
			b.Fatal(err)
		}
	}
}
