package wasmbin

import (
	"context"
	"math"
	"slices"
	"testing"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
)

// Tests of the sparse inline budget (MeterConfig.InlineSparse). That it
// keeps behaviour is also checked by running modules in
// TestMeterKeepsBehaviour and TestGoGuest, and its output by FuzzDecode.

// sparseBudget is the sparse inline configuration of the tests.
func sparseBudget(minCost uint64) MeterConfig {
	return MeterConfig{MinCost: minCost, InlineGlobal: "aogo_budget", InlineSparse: true}
}

// loopHeads returns where a body's sparse charges belong: its start, and
// the start of every loop body (just past each loop instruction).
func loopHeads(t testing.TB, body []byte) []int {
	t.Helper()
	heads := []int{0}
	for p := 0; p < len(body); {
		in, err := decodeInstr(body, p)
		if err != nil {
			t.Fatal(err)
		}
		if p = in.next; in.op == opLoop {
			heads = append(heads, p)
		}
	}
	return heads
}

// checkSparse checks sparse, the sparse inline output for in, against
// dense, the dense inline output with the same MinCost raised to at least
// 1 (nil for none): besides what checkInline checks, every function
// charges at its loop heads and nowhere else, and each charge is the dense
// one at the same place.
func checkSparse(t testing.TB, in *Module, dense, sparse []byte, name string) {
	t.Helper()
	checkInline(t, in, nil, sparse, name)
	ms, err := Decode(sparse)
	if err != nil {
		t.Fatal(err)
	}
	var md *Module
	if dense != nil {
		if md, err = Decode(dense); err != nil {
			t.Fatal(err)
		}
	}
	g := uint32(len(in.Globals()))
	for i := range in.code {
		if _, c := inlineCharges(t, in.code[i].body, g); len(c) > 0 {
			continue // the input has the countdown itself, as in checkInline
		}
		heads := loopHeads(t, in.code[i].body)
		_, at, charges := inlineChargesAt(t, ms.code[i].body, g)
		if !slices.Equal(at, heads) {
			t.Fatalf("function %d charges at %v, want at %v (the entry and the loop headers)", i, at, heads)
		}
		if md == nil {
			continue
		}
		_, dat, dcharges := inlineChargesAt(t, md.code[i].body, g)
		for k, h := range heads {
			j := slices.Index(dat, h)
			if j < 0 || dcharges[j] != charges[k] {
				t.Fatalf("function %d charges %d at %d sparse; dense charges at %v: %v", i, charges[k], h, dat, dcharges)
			}
		}
	}
}

// TestMeterSparseCode meters every testdata module (and SQLite) sparse and
// reads the charges out of the code: see checkSparse.
func TestMeterSparseCode(t *testing.T) {
	for name, bin := range testModules(t) {
		in, err := Decode(bin)
		if err != nil {
			t.Fatal(err)
		}
		for _, minCost := range []uint64{0, 1, 1000} {
			dense, err := Meter(bin, inlineBudget(max(minCost, 1)))
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			sparse, err := Meter(bin, sparseBudget(minCost))
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			checkSparse(t, in, dense, sparse, "aogo_budget")
			if len(sparse) > len(dense) {
				t.Errorf("%s: %d bytes sparse, %d dense", name, len(sparse), len(dense))
			}
		}
	}
}

// TestMeterSparseBudget runs endless executions on both engines: a loop
// that only branches back, unbounded recursion, a return_call loop. Each
// traps with the counter below 0. count(10) of gas.wat, computed by hand,
// needs exactly its charges.
func TestMeterSparseBudget(t *testing.T) {
	ctx := context.Background()
	for _, e := range engines {
		t.Run(e.name, func(t *testing.T) {
			r := newRuntimeWith(t, e.cfg())
			gas, err := Meter(wat(t, "gas"), sparseBudget(1))
			if err != nil {
				t.Fatal(err)
			}
			mod := instantiate(t, r, gas, "gas")
			counter := counterOf(t, mod)

			// spin: [loop] at the entry (1 + 91), then [br] (90 + 91)
			// at every turn: the 5525th leaves 1_000_000 - 92 - 5525*181
			// = -117.
			counter.Set(1_000_000)
			if _, err := mod.ExportedFunction("spin").Call(ctx); !isUnreachable(err) {
				t.Fatalf("spin: %v, want the unreachable trap", err)
			}
			if left := int64(counter.Get()); left != 1_000_000-92-5525*181 {
				t.Errorf("spin left %d, want %d", left, 1_000_000-92-5525*181)
			}

			// count(10): [loop] at the entry, and the turn's one block
			// (see TestMeterGas) at each of 10 turns; the [end] and
			// [local.get end] blocks after the loop charge nothing.
			const need = 1 + 91 + 10*(120+1+45+120+120+120+45+90+91)
			count := mod.ExportedFunction("count")
			counter.Set(need)
			if res, err := count.Call(ctx, 10); err != nil || res[0] != 10 || counter.Get() != 0 {
				t.Errorf("count(10) with a budget of %d: %v, %v, %d left", need, res, err, int64(counter.Get()))
			}
			counter.Set(need - 1)
			if _, err := count.Call(ctx, 10); !isUnreachable(err) || int64(counter.Get()) >= 0 {
				t.Errorf("count(10) with a budget of %d: %v, %d left", need-1, err, int64(counter.Get()))
			}

			// MinCost 0 charges too: every charge is at least 91.
			sp, err := Meter(wat(t, "sparse", "--enable-tail-call"), sparseBudget(0))
			if err != nil {
				t.Fatal(err)
			}
			mod = instantiate(t, r, sp, "sparse")
			counter = counterOf(t, mod)
			for _, fn := range []string{"spin", "rec", "zspin"} {
				counter.Set(100_000)
				if _, err := mod.ExportedFunction(fn).Call(ctx); !isUnreachable(err) {
					t.Fatalf("%s: %v, want the unreachable trap", fn, err)
				}
				if left := int64(counter.Get()); left >= 0 {
					t.Errorf("%s left %d, want < 0", fn, left)
				}
			}
		})
	}
}

// TestMeterSparseCounts runs the functions of sparse.wat with known loop
// counts and calls, and checks that the counter goes down by the charges
// of its entries and loop headers (read out of the code) times how often
// each runs, and that the results are those of the unmetered module.
func TestMeterSparseCounts(t *testing.T) {
	ctx := context.Background()
	bin := wat(t, "sparse", "--enable-tail-call")
	out, err := Meter(bin, sparseBudget(1))
	if err != nil {
		t.Fatal(err)
	}
	// charges returns the charges of an exported function, in code order:
	// the entry's first, then each loop header's.
	charges := func(name string) []uint64 {
		t.Helper()
		m, err := Decode(out)
		if err != nil {
			t.Fatal(err)
		}
		_, c := inlineCharges(t, exportedBody(t, out, name), uint32(len(m.Globals())-1))
		return c
	}
	cases := []struct {
		fn    string
		args  []uint64
		heads int // how many charges the function has
		// want is what a call uses, given the function's charges and
		// what a call of $leaf (not exported) charges.
		want func(c []uint64, leaf uint64) uint64
	}{
		{"leaf", []uint64{4}, 1, func(c []uint64, leaf uint64) uint64 { return c[0] + leaf }},
		{"leaf", []uint64{5}, 1, func(c []uint64, leaf uint64) uint64 { return c[0] + leaf }},
		{"nested", []uint64{7, 5}, 3, func(c []uint64, _ uint64) uint64 { return c[0] + 8*c[1] + 7*6*c[2] }},
		{"nested", []uint64{0, 5}, 3, func(c []uint64, _ uint64) uint64 { return c[0] + c[1] }},
		{"nested", []uint64{3, 0}, 3, func(c []uint64, _ uint64) uint64 { return c[0] + 4*c[1] + 3*c[2] }},
		{"calls", []uint64{9}, 2, func(c []uint64, leaf uint64) uint64 { return c[0] + 10*c[1] + 18*leaf }},
		{"table", []uint64{6}, 2, func(c []uint64, _ uint64) uint64 { return c[0] + 7*c[1] }},
		{"depth", []uint64{50}, 1, func(c []uint64, _ uint64) uint64 { return 51 * c[0] }},
		{"tail", []uint64{50, 0}, 1, func(c []uint64, _ uint64) uint64 { return 51 * c[0] }},
	}
	for _, e := range engines {
		t.Run(e.name, func(t *testing.T) {
			r := newRuntimeWith(t, e.cfg())
			plain := instantiate(t, r, bin, "plain")
			mod := instantiate(t, r, out, "sparse")
			counter := counterOf(t, mod)

			// $leaf's own charge: what "leaf" uses beyond its entry.
			c := charges("leaf")
			if len(c) != 1 {
				t.Fatalf("leaf has charges %v, want one", c)
			}
			counter.Set(math.MaxInt64)
			if _, err := mod.ExportedFunction("leaf").Call(ctx, 1); err != nil {
				t.Fatal(err)
			}
			leaf := math.MaxInt64 - counter.Get() - c[0]
			if leaf < 91 {
				t.Fatalf("$leaf charges %d", leaf)
			}

			for _, tc := range cases {
				c := charges(tc.fn)
				if len(c) != tc.heads {
					t.Fatalf("%s has charges %v, want %d", tc.fn, c, tc.heads)
				}
				counter.Set(math.MaxInt64)
				if got, want := call(mod, tc.fn, tc.args...), call(plain, tc.fn, tc.args...); got != want {
					t.Errorf("%s, want %s", got, want)
				}
				if used, want := math.MaxInt64-counter.Get(), tc.want(c, leaf); used != want {
					t.Errorf("%s%v used %d, want %d (charges %v, $leaf %d)", tc.fn, tc.args, used, want, c, leaf)
				}
			}
		})
	}
}

// TestMeterSparseStart checks that the start function charges its entry
// against InlineInitial.
func TestMeterSparseStart(t *testing.T) {
	env := wat(t, "env")
	bin := wat(t, "control")
	instantiateWith := func(initial uint64) (api.Module, error) {
		out, err := Meter(bin, MeterConfig{MinCost: 1, InlineGlobal: "aogo_budget", InlineSparse: true, InlineInitial: initial})
		if err != nil {
			t.Fatal(err)
		}
		r := newRuntime(t)
		instantiate(t, r, env, "env")
		return r.InstantiateWithConfig(context.Background(), out, wazero.NewModuleConfig().WithName("control"))
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
}
