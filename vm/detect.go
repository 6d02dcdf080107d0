package vm

import (
	"fmt"
	"strings"

	"github.com/aogo-dev/aogo/vm/internal/wasmbin"
)

// DetectFormat guesses a module's format from its binary, for tools that
// run a module file without its Module-Format tag: a native module exports
// ao_alloc; a memory64 module is wasm64; imports from module "a" are format
// 1's minified glue; Asyncify or WeaveDrive imports mean format 4; anything
// else is taken for format 2. A node never guesses: it uses the tag.
func DetectFormat(bin []byte) (Format, error) {
	m, err := wasmbin.Decode(bin)
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrBadModule, err)
	}
	for _, e := range m.Exports() {
		if e.Name == "ao_alloc" {
			return FormatNative, nil
		}
	}
	if m.Memory64() {
		return FormatWasm64, nil
	}
	asyncify := false
	for _, e := range m.Exports() {
		if strings.HasPrefix(e.Name, "asyncify_") {
			asyncify = true
		}
	}
	for _, imp := range m.Imports() {
		if imp.Module == "a" {
			return FormatEmscripten, nil
		}
		if strings.HasPrefix(imp.Name, "__asyncjs__") {
			asyncify = true
		}
	}
	if asyncify {
		return FormatEmscripten4, nil
	}
	return FormatEmscripten2, nil
}
