package wasmbin

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"
)

// moduleBytes builds a binary from sections.
func moduleBytes(sections ...[]byte) []byte {
	out := append([]byte(nil), header...)
	for _, s := range sections {
		out = append(out, s...)
	}
	return out
}

// sec builds a section with the shortest size encoding.
func sec(id byte, payload ...byte) []byte {
	out := []byte{id}
	out = appendULEB(out, uint64(len(payload)))
	return append(out, payload...)
}

// testModules are the testdata modules, assembled.
func testModules(t *testing.T) map[string][]byte {
	t.Helper()
	return map[string][]byte{
		"allops":        wat(t, "allops"),
		"control":       wat(t, "control"),
		"control-names": wat(t, "control", "--debug-names"),
		"env":           wat(t, "env"),
		"extensions":    wat(t, "extensions", "--enable-tail-call"),
		"gas":           wat(t, "gas"),
		"globals":       wat(t, "globals"),
		"globalsenv":    wat(t, "globalsenv"),
		"rename":        wat(t, "rename"),
		"sparse":        wat(t, "sparse", "--enable-tail-call"),
		"tiny":          wat(t, "tiny"),
		"typesonly":     wat(t, "typesonly"),
		"empty":         wat(t, "empty"),
		"sqlite":        sqliteWasm(t),
	}
}

// TestRoundTrip: Encode of an unchanged Module is its input, byte for byte,
// shortest LEB128 forms or not.
func TestRoundTrip(t *testing.T) {
	mods := testModules(t)
	// Padded LEB128 section size and vector count, as some linkers write.
	mods["padded"] = moduleBytes(
		[]byte{secType, 0x86, 0x80, 0x80, 0x80, 0x00, 0x81, 0x80, 0x00, 0x60, 0x00, 0x00},
		sec(secFunction, 0x01, 0x00),
		sec(secCode, 0x01, 0x02, 0x00, 0x0b),
		sec(secCustom, append([]byte{4}, "junk!"...)...),
	)
	for name, bin := range mods {
		m, err := Decode(bin)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if !bytes.Equal(m.Encode(), bin) {
			t.Errorf("%s: Decode+Encode changed the binary", name)
		}
	}
	// The padded module meters into a module that still decodes, and in
	// wazero.
	out, err := Meter(mods["padded"], MeterConfig{})
	if err != nil {
		t.Fatal(err)
	}
	r := newRuntime(t)
	var g gasMeter
	g.register(t, r, "metering", "usegas", I32)
	instantiate(t, r, out, "padded")
}

// TestAccessors checks what Decode reports about control.wat.
func TestAccessors(t *testing.T) {
	m, err := Decode(wat(t, "control"))
	if err != nil {
		t.Fatal(err)
	}
	var imports []string
	for _, im := range m.Imports() {
		s := im.Module + "." + im.Name + ":" + im.Kind.String()
		switch im.Kind {
		case KindFunc:
			ft := m.Types()[im.TypeIndex]
			s += ":" + typeString(ft)
		case KindGlobal:
			s += ":" + im.Global.Type.String()
		}
		imports = append(imports, s)
	}
	want := []string{"env.log:func:[i32]->[]", "env.g:global:i32", "env.mem:memory", "env.twice:func:[i32]->[i32]"}
	if !reflect.DeepEqual(imports, want) {
		t.Errorf("imports %q, want %q", imports, want)
	}
	exports := map[string]Export{}
	for _, e := range m.Exports() {
		exports[e.Name] = e
	}
	if e := exports["add"]; e.Kind != KindFunc || e.Index != 2 {
		t.Errorf("export add = %+v, want function 2", e)
	}
	if e := exports["memory"]; e.Kind != KindMemory || e.Index != 0 {
		t.Errorf("export memory = %+v", e)
	}
	if e := exports["table"]; e.Kind != KindTable || e.Index != 0 {
		t.Errorf("export table = %+v", e)
	}
	globals := m.Globals()
	wantGlobals := []GlobalType{{I32, false}, {I32, true}, {I64, false}}
	if !reflect.DeepEqual(globals, wantGlobals) {
		t.Errorf("globals %v, want %v", globals, wantGlobals)
	}
	if m.Memory64() {
		t.Error("control.wat reported as memory64")
	}
	// The accessors return copies.
	m.Exports()[0].Name = "changed"
	m.Imports()[0].Name = "changed"
	if m.Exports()[0].Name == "changed" || m.Imports()[0].Name == "changed" {
		t.Error("an accessor returned the module's own slice")
	}
}

func typeString(ft FuncType) string {
	var p, r []string
	for _, v := range ft.Params {
		p = append(p, v.String())
	}
	for _, v := range ft.Results {
		r = append(r, v.String())
	}
	return "[" + strings.Join(p, ",") + "]->[" + strings.Join(r, ",") + "]"
}

// TestMemory64 checks Memory64 on defined and imported 64-bit memories.
func TestMemory64(t *testing.T) {
	defined := moduleBytes(sec(secMemory, 0x01, 0x04, 0x01))
	imported := moduleBytes(sec(secImport, append(append([]byte{0x01, 0x01, 'e', 0x01, 'm'}, byte(KindMemory)), 0x05, 0x01, 0x02)...))
	plain := moduleBytes(sec(secMemory, 0x01, 0x01, 0x01, 0x02))
	for name, c := range map[string]struct {
		bin  []byte
		want bool
	}{"defined": {defined, true}, "imported": {imported, true}, "plain": {plain, false}} {
		m, err := Decode(c.bin)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if m.Memory64() != c.want {
			t.Errorf("%s: Memory64() = %v", name, !c.want)
		}
	}
}

// TestDecodeMalformed: each input fails with an error that wraps
// ErrMalformed (or ErrUnsupported) and says where.
func TestDecodeMalformed(t *testing.T) {
	typeSec := sec(secType, 0x01, 0x60, 0x00, 0x00)
	cases := []struct {
		name     string
		bin      []byte
		class    error
		contains string
	}{
		{"empty input", nil, ErrMalformed, "bad magic"},
		{"short header", header[:6], ErrMalformed, "bad magic"},
		{"bad magic", []byte("\x00wasm\x01\x00\x00\x00"), ErrMalformed, "bad magic"},
		{"version 2", []byte("\x00asm\x02\x00\x00\x00"), ErrUnsupported, "version"},
		{"component", []byte("\x00asm\x0d\x00\x01\x00"), ErrUnsupported, "version"},
		{"truncated section size", append(append([]byte(nil), header...), 0x01, 0x80), ErrMalformed, "section header"},
		{"section past the end", append(append([]byte(nil), header...), 0x01, 0x05, 0x00), ErrMalformed, "type section"},
		{"unknown section", moduleBytes(sec(14)), ErrMalformed, "unknown section id 14"},
		{"repeated section", moduleBytes(typeSec, typeSec), ErrMalformed, "out of order"},
		{"out of order", moduleBytes(sec(secFunction, 0x00), typeSec), ErrMalformed, "out of order"},
		{"huge count", moduleBytes(sec(secType, 0xff, 0xff, 0xff, 0xff, 0x0f)), ErrMalformed, "vector length"},
		{"overlong LEB128", moduleBytes(sec(secType, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00)), ErrMalformed, "too long"},
		{"LEB128 too large", moduleBytes(sec(secStart, 0xff, 0xff, 0xff, 0xff, 0x1f)), ErrMalformed, "too large"},
		{"bad type form", moduleBytes(sec(secType, 0x01, 0x5f, 0x00, 0x00)), ErrUnsupported, "type 0"},
		{"GC value type", moduleBytes(sec(secType, 0x01, 0x60, 0x01, 0x64, 0x00, 0x00)), ErrUnsupported, "value type"},
		{"bad value type", moduleBytes(sec(secType, 0x01, 0x60, 0x01, 0x01, 0x00)), ErrMalformed, "value type 0x1"},
		{"bad UTF-8 name", moduleBytes(sec(secImport, 0x01, 0x01, 0xff, 0x00, 0x00, 0x00)), ErrMalformed, "UTF-8"},
		{"bad import kind", moduleBytes(sec(secImport, 0x01, 0x01, 'a', 0x01, 'b', 0x07)), ErrMalformed, "import kind"},
		{"bad limits", moduleBytes(sec(secMemory, 0x01, 0x10, 0x01)), ErrMalformed, "limits flags"},
		{"bad mutability", moduleBytes(sec(secGlobal, 0x01, 0x7f, 0x02, 0x41, 0x00, 0x0b)), ErrMalformed, "mutability"},
		{"init without end", moduleBytes(sec(secGlobal, 0x01, 0x7f, 0x00, 0x41, 0x00)), ErrMalformed, "global 0 init"},
		{"bad export kind", moduleBytes(sec(secExport, 0x01, 0x01, 'x', 0x05, 0x00)), ErrMalformed, "export kind"},
		{"bad element flags", moduleBytes(sec(secElement, 0x01, 0x08)), ErrMalformed, "element segment flags"},
		{"bad element kind", moduleBytes(sec(secElement, 0x01, 0x01, 0x05, 0x00)), ErrMalformed, "element kind"},
		{"trailing bytes", moduleBytes(sec(secType, 0x00, 0x00)), ErrMalformed, "left over"},
		{"bodies without functions", moduleBytes(sec(secCode, 0x01, 0x02, 0x00, 0x0b)), ErrMalformed, "bodies"},
		{"body past the section", moduleBytes(typeSec, sec(secFunction, 0x01, 0x00), sec(secCode, 0x01, 0x09, 0x00, 0x0b)), ErrMalformed, "function 0"},
		{"empty body", moduleBytes(typeSec, sec(secFunction, 0x01, 0x00), sec(secCode, 0x01, 0x01, 0x00)), ErrMalformed, "empty body"},
		{"bad custom name", moduleBytes(sec(secCustom, 0x05, 'a')), ErrMalformed, "custom section"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Decode(c.bin)
			if err == nil {
				t.Fatal("decoded")
			}
			if !errors.Is(err, c.class) {
				t.Errorf("error %q does not wrap %v", err, c.class)
			}
			if !strings.Contains(err.Error(), c.contains) || !strings.HasPrefix(err.Error(), "wasmbin: decode: ") {
				t.Errorf("error %q does not say %q", err, c.contains)
			}
		})
	}
}

// TestLEB128 checks the LEB128 readers at their limits.
func TestLEB128(t *testing.T) {
	u := []struct {
		in   []byte
		bits uint
		want uint64
		ok   bool
	}{
		{[]byte{0x00}, 32, 0, true},
		{[]byte{0xe5, 0x8e, 0x26}, 32, 624485, true},
		{[]byte{0xff, 0xff, 0xff, 0xff, 0x0f}, 32, 0xffffffff, true},
		{[]byte{0xff, 0xff, 0xff, 0xff, 0x1f}, 32, 0, false},
		{[]byte{0x80, 0x80, 0x80, 0x80, 0x80, 0x00}, 32, 0, false},
		{[]byte{0x80, 0x80, 0x80, 0x80, 0x00}, 32, 0, true}, // padded, in bounds
		{[]byte{0x80}, 32, 0, false},
		{[]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}, 64, 1<<64 - 1, true},
		{[]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02}, 64, 0, false},
	}
	for _, c := range u {
		v, n, err := readULEB(c.in, 0, c.bits)
		if (err == nil) != c.ok || (c.ok && (v != c.want || n != len(c.in))) {
			t.Errorf("readULEB(%x, %d) = %d, %d, %v", c.in, c.bits, v, n, err)
		}
	}
	s := []struct {
		in   []byte
		bits uint
		want int64
		ok   bool
	}{
		{[]byte{0x7f}, 32, -1, true},
		{[]byte{0x80, 0x7f}, 32, -128, true},
		{[]byte{0xff, 0xff, 0xff, 0xff, 0x07}, 32, 1<<31 - 1, true},
		{[]byte{0x80, 0x80, 0x80, 0x80, 0x78}, 32, -1 << 31, true},
		{[]byte{0x80, 0x80, 0x80, 0x80, 0x08}, 32, 0, false}, // 1<<31 does not fit
		{[]byte{0xff, 0xff, 0xff, 0xff, 0x77}, 32, 0, false},
		{[]byte{0x40}, 33, -64, true},
		{[]byte{0xff, 0xff, 0xff, 0xff, 0x0f}, 33, 1<<32 - 1, true},
		{[]byte{0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x7f}, 64, -1 << 63, true},
		{[]byte{0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00}, 64, 0, true},
		{[]byte{0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01}, 64, 0, false},
	}
	for _, c := range s {
		v, n, err := readSLEB(c.in, 0, c.bits)
		if (err == nil) != c.ok || (c.ok && (v != c.want || n != len(c.in))) {
			t.Errorf("readSLEB(%x, %d) = %d, %d, %v", c.in, c.bits, v, n, err)
		}
	}
	for _, v := range []int64{0, 1, -1, 63, 64, -64, -65, 1<<31 - 1, -1 << 31, 1<<63 - 1, -1 << 63} {
		b := appendSLEB(nil, v)
		got, n, err := readSLEB(b, 0, 64)
		if err != nil || got != v || n != len(b) {
			t.Errorf("appendSLEB(%d) = %x, reads back as %d, %v", v, b, got, err)
		}
	}
	for _, v := range []uint64{0, 127, 128, 1<<32 - 1, 1<<64 - 1} {
		b := appendULEB(nil, v)
		got, n, err := readULEB(b, 0, 64)
		if err != nil || got != v || n != len(b) || n != ulebLen(v) {
			t.Errorf("appendULEB(%d) = %x, reads back as %d, %v", v, b, got, err)
		}
	}
}
