package wasmbin

import (
	"bytes"
	"errors"
	"testing"
)

// FuzzDecode feeds arbitrary bytes to Decode and the three rewrites. None
// may panic; every error must wrap ErrMalformed or ErrUnsupported (or be a
// rewrite's own refusal); a decoded module must encode back to its input;
// and what a rewrite returns must decode again. The inline budget must
// also charge what the call-based one does (checkInline), and the sparse
// one what the inline one does at function entries and loop headers, and
// nothing elsewhere (checkSparse).
//
// The seed corpus (testdata/fuzz/FuzzDecode) holds the small testdata
// modules, assembled, and some malformed ones. Run it with
//
//	go test ./vm/internal/wasmbin -run '^$' -fuzz '^FuzzDecode$' -fuzztime 30s
func FuzzDecode(f *testing.F) {
	f.Add(header)
	f.Add(moduleBytes(sec(secType, 0x01, 0x60, 0x00, 0x00), sec(secFunction, 0x01, 0x00),
		sec(secCode, 0x01, 0x02, 0x00, 0x0b)))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := Decode(b)
		if err != nil {
			checkClass(t, "Decode", err)
			return
		}
		if !bytes.Equal(m.Encode(), b) {
			t.Fatal("Decode+Encode changed the input")
		}
		var metered [4][]byte
		for i, cfg := range []MeterConfig{{}, {MeterType: I64, Module: "aogo", Field: "budget", MinCost: 7},
			{InlineGlobal: "budget", MinCost: 7}, {InlineGlobal: "budget", MinCost: 7, InlineSparse: true}} {
			out, err := Meter(b, cfg)
			if err != nil {
				if !errors.Is(err, ErrMeterImportExists) && !errors.Is(err, ErrDuplicateExport) {
					checkClass(t, "Meter", err)
				}
				continue
			}
			if _, err := Decode(out); err != nil {
				t.Fatalf("Meter(%+v) output does not decode: %v", cfg, err)
			}
			metered[i] = out
		}
		if metered[2] != nil {
			// The inline budget charges what the call-based one does
			// (when that one succeeds), and changes nothing else.
			checkInline(t, m, metered[1], metered[2], "budget")
		}
		if metered[3] != nil {
			// The sparse one charges at the entries and loop headers only,
			// what the dense one charges there.
			checkSparse(t, m, metered[2], metered[3], "budget")
		}
		if out, _, err := ExportGlobals(b, "g."); err == nil {
			if _, err := Decode(out); err != nil {
				t.Fatalf("ExportGlobals output does not decode: %v", err)
			}
		} else if !errors.Is(err, ErrDuplicateExport) {
			checkClass(t, "ExportGlobals", err)
		}
		renames := map[string]string{}
		for i, e := range m.Exports() {
			if i%2 == 0 {
				renames[e.Name] = e.Name + "!"
			}
		}
		imports := map[ImportName]ImportName{}
		for _, im := range m.Imports() {
			imports[im.ImportName] = ImportName{Module: im.Name, Name: im.Module}
		}
		if out, err := Rename(b, imports, renames); err == nil {
			if _, err := Decode(out); err != nil {
				t.Fatalf("Rename output does not decode: %v", err)
			}
		} else if !errors.Is(err, ErrDuplicateExport) {
			checkClass(t, "Rename", err)
		}
	})
}

func checkClass(t *testing.T, what string, err error) {
	t.Helper()
	if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrUnsupported) {
		t.Fatalf("%s: error %q wraps neither ErrMalformed nor ErrUnsupported", what, err)
	}
}
