package wasmbin

import (
	"bytes"
	"context"
	"errors"
	"testing"
)

// TestRename renames an import and exports of rename.wat and runs the
// result against a host module under the new import name.
func TestRename(t *testing.T) {
	ctx := context.Background()
	bin := wat(t, "rename")
	out, err := Rename(bin,
		map[ImportName]ImportName{
			{Module: "env", Name: "twice"}: {Module: "host", Name: "double"},
			{Module: "nope", Name: "nope"}: {Module: "x", Name: "y"}, // not imported: ignored
		},
		map[string]string{"quad": "q4", "one": "one", "absent": "x"})
	if err != nil {
		t.Fatal(err)
	}
	assertOnlyChanged(t, bin, out, secImport, secExport)

	r := newRuntime(t)
	instantiate(t, r, wat(t, "env"), "env") // the memory
	_, err = r.NewHostModuleBuilder("host").NewFunctionBuilder().
		WithFunc(func(_ context.Context, x uint32) uint32 { return 2 * x }).Export("double").Instantiate(ctx)
	if err != nil {
		t.Fatal(err)
	}
	mod := instantiate(t, r, out, "renamed")
	if mod.ExportedFunction("quad") != nil {
		t.Error(`"quad" is still exported`)
	}
	if res, err := mod.ExportedFunction("q4").Call(ctx, 3); err != nil || res[0] != 12 {
		t.Errorf("q4(3) = %v, %v; want 12", res, err)
	}
	if res, err := mod.ExportedFunction("one").Call(ctx); err != nil || res[0] != 1 {
		t.Errorf("one() = %v, %v", res, err)
	}

	m, err := Decode(out)
	if err != nil {
		t.Fatal(err)
	}
	if im := m.Imports()[0]; im.ImportName != (ImportName{"host", "double"}) || im.Kind != KindFunc || im.TypeIndex != 0 {
		t.Errorf("import 0 = %+v", im)
	}
}

// TestRenameEdges: nothing to rename, and a clash.
func TestRenameEdges(t *testing.T) {
	bin := wat(t, "rename")
	out, err := Rename(bin, nil, map[string]string{"absent": "x"})
	if err != nil || !bytes.Equal(out, bin) {
		t.Errorf("renaming nothing changed the binary (%v)", err)
	}
	if _, err := Rename(bin, nil, map[string]string{"one": "quad"}); !errors.Is(err, ErrDuplicateExport) {
		t.Errorf("clash: %v, want ErrDuplicateExport", err)
	}
	// Swapping two names is no clash.
	out, err = Rename(bin, nil, map[string]string{"one": "quad", "quad": "one"})
	if err != nil {
		t.Fatal(err)
	}
	m, err := Decode(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range m.Exports() {
		if e.Name == "one" && e.Index != 1 || e.Name == "quad" && e.Index != 2 {
			t.Errorf("export %q is function %d after the swap", e.Name, e.Index)
		}
	}
	if _, err := Rename(bin, nil, map[string]string{"one": "\xff"}); err == nil {
		t.Error("a name that is not UTF-8 was accepted")
	}
}
