package wasmbin

import (
	"fmt"
	"strconv"
	"unicode/utf8"
)

// ExportGlobals returns the binary with one more export for every global,
// imported ones included, named prefix followed by the global's index in
// decimal ("aogo.global.3"), and those names in global index order. A
// global that is already exported gets the extra name too. Mutable globals
// are exported as they are, which needs the mutable-globals feature (part
// of WebAssembly 2.0, and of wazero's defaults).
//
// # Why?
//
// A Go guest (GOOS=wasip1) keeps its stack pointer and goroutine pointer
// in wasm globals, not in linear memory, so a snapshot of its memory alone
// cannot be resumed: the host must read and restore those globals, and it
// can only reach exported ones.
//
// It fails with ErrDuplicateExport if the module already exports one of
// the names, and with a wrapped ErrMalformed or ErrUnsupported if it cannot
// decode the module. A module without globals comes back unchanged, with
// no names.
func ExportGlobals(b []byte, prefix string) ([]byte, []string, error) {
	m, err := Decode(b)
	if err != nil {
		return nil, nil, err
	}
	names, err := m.exportGlobals(prefix)
	if err != nil {
		return nil, nil, fmt.Errorf("wasmbin: export globals: %w", err)
	}
	return m.Encode(), names, nil
}

func (m *Module) exportGlobals(prefix string) ([]string, error) {
	if !utf8.ValidString(prefix) {
		return nil, fmt.Errorf("prefix %q is not valid UTF-8", prefix)
	}
	n := uint64(m.numGlobalImports) + uint64(len(m.globals))
	if n == 0 {
		return nil, nil
	}
	taken := make(map[string]bool, len(m.exports))
	for _, e := range m.exports {
		taken[e.Name] = true
	}
	names := make([]string, n)
	for i := range names {
		name := prefix + strconv.Itoa(i)
		if taken[name] {
			return nil, fmt.Errorf("%w: %q", ErrDuplicateExport, name)
		}
		names[i] = name
		m.exports = append(m.exports, Export{Name: name, Kind: KindGlobal, Index: uint32(i)})
	}
	m.setSection(secExport, encodeExports(m.exports))
	return names, nil
}
