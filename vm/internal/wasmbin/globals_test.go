package wasmbin

import (
	"bytes"
	"context"
	"errors"
	"math"
	"reflect"
	"testing"

	"github.com/tetratelabs/wazero/api"
)

// TestExportGlobals exports the globals of globals.wat (two imported, five
// defined, one of those already exported as "sp"), runs it in wazero, and
// reads and writes the globals through the new exports.
func TestExportGlobals(t *testing.T) {
	ctx := context.Background()
	bin, names, err := ExportGlobals(wat(t, "globals"), "aogo.global.")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"aogo.global.0", "aogo.global.1", "aogo.global.2", "aogo.global.3",
		"aogo.global.4", "aogo.global.5", "aogo.global.6"}
	if !reflect.DeepEqual(names, want) {
		t.Fatalf("names %q, want %q", names, want)
	}

	r := newRuntime(t)
	instantiate(t, r, wat(t, "globalsenv"), "genv")
	mod := instantiate(t, r, bin, "globals")
	read := func() []uint64 {
		var vs []uint64
		for _, n := range names {
			g := mod.ExportedGlobal(n)
			if g == nil {
				t.Fatalf("%s is not exported", n)
			}
			vs = append(vs, g.Get())
		}
		return vs
	}
	neg2 := int64(-2)
	initial := []uint64{
		7,                             // genv.ci
		100,                           // genv.mi (mutable)
		65536,                         // $sp (mutable)
		uint64(neg2),                  // $g
		uint64(math.Float32bits(1.5)), // $f (mutable)
		math.Float64bits(-0.25),       // $d
		7,                             // $c2, initialized from ci
	}
	if got := read(); !reflect.DeepEqual(got, initial) {
		t.Fatalf("globals %v, want %v", got, initial)
	}
	if sp := mod.ExportedGlobal("sp"); sp == nil || sp.Get() != 65536 {
		t.Fatal(`the original export "sp" is gone or wrong`)
	}

	// The guest changes globals; the exports see it.
	if _, err := mod.ExportedFunction("push").Call(ctx, 16); err != nil {
		t.Fatal(err)
	}
	if got := read(); got[2] != 65520 || got[1] != 101 {
		t.Errorf("after push(16): sp %d, mi %d; want 65520, 101", got[2], got[1])
	}

	// The host changes globals (a snapshot restore); the guest sees it.
	sp, ok := mod.ExportedGlobal("aogo.global.2").(api.MutableGlobal)
	if !ok {
		t.Fatal("aogo.global.2 is not mutable")
	}
	sp.Set(4096)
	if res, err := mod.ExportedFunction("getsp").Call(ctx); err != nil || res[0] != 4096 {
		t.Errorf("getsp() = %v, %v after Set(4096)", res, err)
	}
	f, ok := mod.ExportedGlobal("aogo.global.4").(api.MutableGlobal)
	if !ok {
		t.Fatal("aogo.global.4 is not mutable")
	}
	f.Set(api.EncodeF32(2.5))
	if res, err := mod.ExportedFunction("getf").Call(ctx); err != nil || api.DecodeF32(res[0]) != 2.5 {
		t.Errorf("getf() = %v, %v after Set(2.5)", res, err)
	}
	if _, ok := mod.ExportedGlobal("aogo.global.3").(api.MutableGlobal); ok {
		t.Error("an immutable global was exported as mutable")
	}
}

// TestExportGlobalsEdges: no globals, and a name that is taken.
func TestExportGlobalsEdges(t *testing.T) {
	gas := wat(t, "gas")
	out, names, err := ExportGlobals(gas, "g")
	if err != nil || names != nil || !bytes.Equal(out, gas) {
		t.Errorf("a module without globals: %d names, %v, changed %v", len(names), err, !bytes.Equal(out, gas))
	}
	// Only the export section changes.
	bin := wat(t, "globals")
	out, _, err = ExportGlobals(bin, "g")
	if err != nil {
		t.Fatal(err)
	}
	assertOnlyChanged(t, bin, out, secExport)

	// "sp" renamed to "x2" takes the name ExportGlobals would give $sp.
	renamed, err := Rename(bin, nil, map[string]string{"sp": "x2"})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := ExportGlobals(renamed, "x"); !errors.Is(err, ErrDuplicateExport) {
		t.Errorf("name clash: %v, want ErrDuplicateExport", err)
	}
	// A module with globals but no export section gets one, in its place.
	noExports := moduleBytes(
		sec(secGlobal, 0x01, 0x7f, 0x01, 0x41, 0x05, 0x0b),
		sec(secCustom, append([]byte{4}, "name"...)...),
	)
	out, names, err = ExportGlobals(noExports, "g")
	if err != nil || len(names) != 1 {
		t.Fatal(names, err)
	}
	r := newRuntime(t)
	mod := instantiate(t, r, out, "noexports")
	if g := mod.ExportedGlobal("g0"); g == nil || g.Get() != 5 {
		t.Error("g0 is not exported as 5")
	}
}

// assertOnlyChanged checks that out has the sections of in, all of them
// byte for byte but those with the given ids.
func assertOnlyChanged(t *testing.T, in, out []byte, ids ...byte) {
	t.Helper()
	mi, err := Decode(in)
	if err != nil {
		t.Fatal(err)
	}
	mo, err := Decode(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(mi.sections) != len(mo.sections) {
		t.Fatalf("%d sections, want %d", len(mo.sections), len(mi.sections))
	}
	for i := range mi.sections {
		a, b := mi.sections[i], mo.sections[i]
		changed := !bytes.Equal(a.raw, b.raw)
		allowed := false
		for _, id := range ids {
			allowed = allowed || a.id == id
		}
		if a.id != b.id || changed && !allowed {
			t.Errorf("section %d (%s) changed", i, sectionName(a.id))
		}
	}
}
