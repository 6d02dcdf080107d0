package wasmbin

import (
	"fmt"
	"unicode/utf8"
)

// Rename returns the binary with imports and exports renamed: every import
// named a key of imports gets the value's module and name, and every export
// named a key of exports gets the value. Names that do not occur are
// ignored, so one map can serve modules that import different subsets.
// Imports keep their kind, type and order, so no index changes.
//
// It fails with ErrDuplicateExport if two exports would share a name, and
// with a wrapped ErrMalformed or ErrUnsupported if it cannot decode the
// module. Sections without a renamed entry are copied unchanged.
func Rename(b []byte, imports map[ImportName]ImportName, exports map[string]string) ([]byte, error) {
	m, err := Decode(b)
	if err != nil {
		return nil, err
	}
	if err := m.rename(imports, exports); err != nil {
		return nil, fmt.Errorf("wasmbin: rename: %w", err)
	}
	return m.Encode(), nil
}

func (m *Module) rename(imports map[ImportName]ImportName, exports map[string]string) error {
	for from, to := range imports {
		if !utf8.ValidString(to.Module) || !utf8.ValidString(to.Name) {
			return fmt.Errorf("import %q.%q: new name %q.%q is not valid UTF-8", from.Module, from.Name, to.Module, to.Name)
		}
	}
	for from, to := range exports {
		if !utf8.ValidString(to) {
			return fmt.Errorf("export %q: new name %q is not valid UTF-8", from, to)
		}
	}

	changed := false
	for i := range m.imports {
		if to, ok := imports[m.imports[i].ImportName]; ok && to != m.imports[i].ImportName {
			m.imports[i].ImportName = to
			changed = true
		}
	}
	if changed {
		m.setSection(secImport, encodeImports(m.imports))
	}

	changed = false
	for i := range m.exports {
		if to, ok := exports[m.exports[i].Name]; ok && to != m.exports[i].Name {
			m.exports[i].Name = to
			changed = true
		}
	}
	if !changed {
		return nil
	}
	seen := make(map[string]bool, len(m.exports))
	for _, e := range m.exports {
		if seen[e.Name] {
			return fmt.Errorf("%w: %q", ErrDuplicateExport, e.Name)
		}
		seen[e.Name] = true
	}
	m.setSection(secExport, encodeExports(m.exports))
	return nil
}
