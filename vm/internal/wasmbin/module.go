package wasmbin

import "fmt"

// ExternKind is the kind of an import or export.
type ExternKind byte

// Extern kinds, as encoded in import and export entries.
const (
	KindFunc   ExternKind = 0
	KindTable  ExternKind = 1
	KindMemory ExternKind = 2
	KindGlobal ExternKind = 3
	KindTag    ExternKind = 4
)

// String returns the kind's name in the text format.
func (k ExternKind) String() string {
	switch k {
	case KindFunc:
		return "func"
	case KindTable:
		return "table"
	case KindMemory:
		return "memory"
	case KindGlobal:
		return "global"
	case KindTag:
		return "tag"
	}
	return fmt.Sprintf("kind(%#x)", byte(k))
}

// ValType is a value type of a function signature or a global.
type ValType byte

// Value types, as encoded.
const (
	I32       ValType = 0x7f
	I64       ValType = 0x7e
	F32       ValType = 0x7d
	F64       ValType = 0x7c
	V128      ValType = 0x7b
	FuncRef   ValType = 0x70
	ExternRef ValType = 0x6f
)

// String returns the type's name in the text format.
func (t ValType) String() string {
	switch t {
	case I32:
		return "i32"
	case I64:
		return "i64"
	case F32:
		return "f32"
	case F64:
		return "f64"
	case V128:
		return "v128"
	case FuncRef:
		return "funcref"
	case ExternRef:
		return "externref"
	}
	return fmt.Sprintf("valtype(%#x)", byte(t))
}

func knownValType(c byte) bool {
	switch ValType(c) {
	case I32, I64, F32, F64, V128, FuncRef, ExternRef:
		return true
	}
	return false
}

// FuncType is a function signature.
type FuncType struct {
	Params, Results []ValType
}

// GlobalType is the type of a global.
type GlobalType struct {
	Type    ValType
	Mutable bool
}

// ImportName names an import.
type ImportName struct {
	Module, Name string
}

// Import is an entry of the import section.
type Import struct {
	ImportName
	Kind ExternKind
	// TypeIndex is the type (an index into the type section) of a
	// function import, and of a tag import.
	TypeIndex uint32
	// Global is the type of a global import.
	Global GlobalType

	// desc is the import description as encoded after the kind byte, kept
	// so that an entry re-encodes byte for byte.
	desc     []byte
	memory64 bool
}

// Export is an entry of the export section.
type Export struct {
	Name  string
	Kind  ExternKind
	Index uint32
}

// Module is a decoded WebAssembly binary. Only the sections a rewrite needs
// are decoded (types, imports, functions, globals, exports, start, elements,
// code bodies); the others, and every section no rewrite changed, are kept
// as the input bytes, so Encode of an unchanged Module returns its input.
type Module struct {
	sections []section

	types   []FuncType
	imports []Import
	funcs   []uint32 // type index of each defined function
	globals []global // defined globals
	exports []Export
	start   uint32
	elems   []elemSegment
	code    []codeEntry

	numFuncImports   uint32
	numGlobalImports uint32
	memory64         bool // a memory, defined or imported, has 64-bit limits
}

// section is one section, in module order.
type section struct {
	id   byte
	name string // of a custom section
	// raw is the whole section (id, size and payload) as read, or nil once
	// a rewrite replaced the payload.
	raw []byte
	// payload is the content after the size; for a custom section it
	// starts with the name.
	payload []byte
	// off is where the payload starts in the input, for error messages.
	off int
}

// global is a defined global.
type global struct {
	GlobalType
	init []byte // constant expression, including its end
}

// elemSegment is an element segment in any of the eight encodings (core
// spec 5.5.12): flags bit 0 passive or declarative, bit 1 explicit table
// index (active) or declarative (passive), bit 2 expressions instead of
// function indices.
type elemSegment struct {
	flags  uint32
	table  uint32
	offset []byte   // active segments: constant expression, with end
	kind   []byte   // elemkind byte or reference type, when encoded
	funcs  []uint32 // flags&4 == 0
	exprs  [][]byte // flags&4 != 0; each with its end
}

// codeEntry is a function body.
type codeEntry struct {
	locals []byte // the locals vector, as encoded
	body   []byte // the instructions, ending with end
	off    int    // where the entry (its locals) starts in the input
}

// Section ids.
const (
	secCustom    = 0
	secType      = 1
	secImport    = 2
	secFunction  = 3
	secTable     = 4
	secMemory    = 5
	secGlobal    = 6
	secExport    = 7
	secStart     = 8
	secElement   = 9
	secCode      = 10
	secData      = 11
	secDataCount = 12
	secTag       = 13
)

// sectionOrder is the position a non-custom section must have relative to
// the others: ids are not in order (data count comes before code, tags
// before globals).
func sectionOrder(id byte) int {
	switch id {
	case secType, secImport, secFunction, secTable, secMemory:
		return int(id)
	case secTag:
		return 6
	case secGlobal, secExport, secStart, secElement:
		return int(id) + 1
	case secDataCount:
		return 11
	case secCode:
		return 12
	case secData:
		return 13
	}
	return -1
}

func sectionName(id byte) string {
	names := [...]string{"custom", "type", "import", "function", "table", "memory", "global",
		"export", "start", "element", "code", "data", "data count", "tag"}
	if int(id) < len(names) {
		return names[id]
	}
	return fmt.Sprintf("section %d", id)
}

// Imports returns the module's imports, in order.
func (m *Module) Imports() []Import {
	out := make([]Import, len(m.imports))
	copy(out, m.imports)
	return out
}

// Exports returns the module's exports, in order.
func (m *Module) Exports() []Export {
	out := make([]Export, len(m.exports))
	copy(out, m.exports)
	return out
}

// Types returns the function types of the type section.
func (m *Module) Types() []FuncType {
	out := make([]FuncType, len(m.types))
	for i, t := range m.types {
		out[i] = FuncType{Params: append([]ValType(nil), t.Params...), Results: append([]ValType(nil), t.Results...)}
	}
	return out
}

// Globals returns the type of every global in global index order: the
// imported ones first, then those the module defines.
func (m *Module) Globals() []GlobalType {
	out := make([]GlobalType, 0, int(m.numGlobalImports)+len(m.globals))
	for _, im := range m.imports {
		if im.Kind == KindGlobal {
			out = append(out, im.Global)
		}
	}
	for _, g := range m.globals {
		out = append(out, g.GlobalType)
	}
	return out
}

// Memory64 reports whether a memory of the module, defined or imported,
// is a 64-bit memory (the memory64 proposal): the module addresses memory
// with i64.
func (m *Module) Memory64() bool { return m.memory64 }

// numFuncs is the size of the function index space.
func (m *Module) numFuncs() uint64 { return uint64(m.numFuncImports) + uint64(len(m.funcs)) }

// findSection returns the index of the first section with id, or -1.
func (m *Module) findSection(id byte) int {
	for i, s := range m.sections {
		if id != secCustom && s.id == id {
			return i
		}
	}
	return -1
}

// insertionPoint is where a new section with id goes: before the first
// non-custom section that must follow it. It returns -1 when there is no
// such section (the new section would be the last non-custom one).
func (m *Module) insertionPoint(id byte) int {
	order := sectionOrder(id)
	for i, s := range m.sections {
		if s.id != secCustom && sectionOrder(s.id) > order {
			return i
		}
	}
	return -1
}

// setSection replaces the payload of the section with id, creating the
// section at its place if the module has none.
func (m *Module) setSection(id byte, payload []byte) {
	if i := m.findSection(id); i >= 0 {
		m.sections[i].raw = nil
		m.sections[i].payload = payload
		return
	}
	s := section{id: id, payload: payload}
	i := m.insertionPoint(id)
	if i < 0 {
		m.sections = append(m.sections, s)
		return
	}
	m.sections = append(m.sections, section{})
	copy(m.sections[i+1:], m.sections[i:])
	m.sections[i] = s
}
