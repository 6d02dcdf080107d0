package wasmbin

import (
	"bytes"
	"fmt"
)

// magic and version open every WebAssembly 1.0/2.0 module.
var header = []byte{0x00, 'a', 's', 'm', 0x01, 0x00, 0x00, 0x00}

// Decode splits a WebAssembly binary into sections and decodes those the
// rewrites need. It checks the structure (section order and sizes, entry
// encodings, LEB128 forms, UTF-8 names), not the semantics (index ranges,
// types): the engine validates the rewritten module when it compiles it.
// Errors wrap ErrMalformed or ErrUnsupported.
//
// The Module keeps slices of b; b must not change while it is in use.
func Decode(b []byte) (*Module, error) {
	m, err := decode(b)
	if err != nil {
		return nil, fmt.Errorf("wasmbin: decode: %w", err)
	}
	return m, nil
}

func decode(b []byte) (*Module, error) {
	if len(b) < len(header) || !bytes.Equal(b[:4], header[:4]) {
		return nil, malformedAt(0, "not a WebAssembly binary (bad magic)")
	}
	if !bytes.Equal(b[4:8], header[4:]) {
		return nil, unsupportedAt(4, "binary format version %x", b[4:8])
	}
	m := &Module{}
	r := reader{b: b, off: len(header), end: len(b)}
	lastOrder := 0
	for !r.done() {
		start := r.off
		id, _ := r.u8()
		size, err := r.u32()
		if err != nil {
			return nil, fmt.Errorf("section header: %w", err)
		}
		pr, err := r.sub(size)
		if err != nil {
			return nil, fmt.Errorf("%s section: %w", sectionName(id), err)
		}
		s := section{id: id, raw: b[start:r.off:r.off], payload: b[pr.off:pr.end:pr.end], off: pr.off}
		if id != secCustom {
			order := sectionOrder(id)
			if order < 0 {
				return nil, malformedAt(start, "unknown section id %d", id)
			}
			if order <= lastOrder {
				return nil, malformedAt(start, "%s section out of order or repeated", sectionName(id))
			}
			lastOrder = order
		}
		if err := m.decodeSection(&s, pr); err != nil {
			return nil, fmt.Errorf("%s section: %w", sectionName(id), err)
		}
		m.sections = append(m.sections, s)
	}
	if len(m.funcs) != len(m.code) {
		return nil, malformedAt(len(b), "%d functions declared but %d bodies", len(m.funcs), len(m.code))
	}
	return m, nil
}

func (m *Module) decodeSection(s *section, r reader) error {
	var err error
	switch s.id {
	case secCustom:
		s.name, err = r.name()
		return err // the content is opaque
	case secType:
		err = m.decodeTypes(&r)
	case secImport:
		err = m.decodeImports(&r)
	case secFunction:
		err = m.decodeFunctions(&r)
	case secGlobal:
		err = m.decodeGlobals(&r)
	case secExport:
		err = m.decodeExports(&r)
	case secStart:
		m.start, err = r.u32()
	case secMemory:
		err = m.decodeMemories(&r)
	case secElement:
		err = m.decodeElements(&r)
	case secCode:
		err = m.decodeCode(&r)
	default: // table, data, data count, tag: kept as bytes
		return nil
	}
	if err != nil {
		return err
	}
	if !r.done() {
		return malformedAt(r.off, "%d bytes left over at the end of the section", r.left())
	}
	return nil
}

func (m *Module) decodeTypes(r *reader) error {
	n, err := r.count()
	if err != nil {
		return err
	}
	m.types = make([]FuncType, 0, n)
	for i := uint32(0); i < n; i++ {
		at := r.off
		form, err := r.u8()
		if err != nil {
			return fmt.Errorf("type %d: %w", i, err)
		}
		if form != 0x60 {
			return fmt.Errorf("type %d: %w", i, unsupportedAt(at, "type form %#x (only function types are known)", form))
		}
		var t FuncType
		if t.Params, err = readValTypes(r); err != nil {
			return fmt.Errorf("type %d params: %w", i, err)
		}
		if t.Results, err = readValTypes(r); err != nil {
			return fmt.Errorf("type %d results: %w", i, err)
		}
		m.types = append(m.types, t)
	}
	return nil
}

func readValTypes(r *reader) ([]ValType, error) {
	n, err := r.count()
	if err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, nil
	}
	out := make([]ValType, n)
	for i := range out {
		if out[i], err = readValType(r); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func readValType(r *reader) (ValType, error) {
	at := r.off
	c, err := r.u8()
	if err != nil {
		return 0, err
	}
	if !knownValType(c) {
		if c == 0x63 || c == 0x64 || (c >= 0x69 && c <= 0x74) {
			return 0, unsupportedAt(at, "value type %#x (typed references or GC)", c)
		}
		return 0, malformedAt(at, "value type %#x", c)
	}
	return ValType(c), nil
}

func (m *Module) decodeImports(r *reader) error {
	n, err := r.count()
	if err != nil {
		return err
	}
	m.imports = make([]Import, 0, n)
	for i := uint32(0); i < n; i++ {
		im, err := readImport(r)
		if err != nil {
			return fmt.Errorf("import %d: %w", i, err)
		}
		switch im.Kind {
		case KindFunc:
			m.numFuncImports++
		case KindGlobal:
			m.numGlobalImports++
		case KindMemory:
			m.memory64 = m.memory64 || im.memory64
		}
		m.imports = append(m.imports, im)
	}
	return nil
}

func readImport(r *reader) (Import, error) {
	var im Import
	var err error
	if im.Module, err = r.name(); err != nil {
		return im, fmt.Errorf("module name: %w", err)
	}
	if im.Name, err = r.name(); err != nil {
		return im, fmt.Errorf("name: %w", err)
	}
	kind, err := r.u8()
	if err != nil {
		return im, err
	}
	im.Kind = ExternKind(kind)
	start := r.off
	switch im.Kind {
	case KindFunc:
		im.TypeIndex, err = r.u32()
	case KindTable:
		if r.off, err = skipValType(r.b[:r.end], r.off); err == nil {
			_, err = skipLimits(r)
		}
	case KindMemory:
		var flags uint32
		flags, err = skipLimits(r)
		im.memory64 = flags&limits64 != 0
	case KindGlobal:
		im.Global, err = readGlobalType(r)
	case KindTag:
		if err = r.expect(0x00, "tag attribute"); err == nil {
			im.TypeIndex, err = r.u32()
		}
	default:
		return im, malformedAt(start-1, "import kind %#x", kind)
	}
	if err != nil {
		return im, fmt.Errorf("%s import %q.%q: %w", im.Kind, im.Module, im.Name, err)
	}
	im.desc = r.b[start:r.off:r.off]
	return im, nil
}

// Limits flags.
const (
	limitsHasMax = 1
	limits64     = 4 // memory64 or table64
)

// skipLimits skips the limits of a memory or table type: flags (bit 0 a
// maximum follows, bit 1 shared, bit 2 64-bit, bit 3 custom page size),
// minimum, maximum, page size. It returns the flags.
func skipLimits(r *reader) (uint32, error) {
	at := r.off
	flags, err := r.u32()
	if err != nil {
		return 0, err
	}
	if flags > 0x0f {
		return 0, malformedAt(at, "limits flags %#x", flags)
	}
	bits := uint(32)
	if flags&limits64 != 0 {
		bits = 64
	}
	if err := r.skipULEB(bits); err != nil {
		return 0, err
	}
	if flags&limitsHasMax != 0 {
		if err := r.skipULEB(bits); err != nil {
			return 0, err
		}
	}
	if flags&8 != 0 {
		return flags, r.skipULEB(32)
	}
	return flags, nil
}

func (m *Module) decodeMemories(r *reader) error {
	n, err := r.count()
	if err != nil {
		return err
	}
	for i := uint32(0); i < n; i++ {
		flags, err := skipLimits(r)
		if err != nil {
			return fmt.Errorf("memory %d: %w", i, err)
		}
		m.memory64 = m.memory64 || flags&limits64 != 0
	}
	return nil
}

func readGlobalType(r *reader) (GlobalType, error) {
	var g GlobalType
	var err error
	if g.Type, err = readValType(r); err != nil {
		return g, err
	}
	at := r.off
	mut, err := r.u8()
	if err != nil {
		return g, err
	}
	if mut > 1 {
		return g, malformedAt(at, "global mutability %#x", mut)
	}
	g.Mutable = mut == 1
	return g, nil
}

func (m *Module) decodeFunctions(r *reader) error {
	n, err := r.count()
	if err != nil {
		return err
	}
	m.funcs = make([]uint32, n)
	for i := range m.funcs {
		if m.funcs[i], err = r.u32(); err != nil {
			return fmt.Errorf("function %d: %w", i, err)
		}
	}
	return nil
}

func (m *Module) decodeGlobals(r *reader) error {
	n, err := r.count()
	if err != nil {
		return err
	}
	m.globals = make([]global, 0, n)
	for i := uint32(0); i < n; i++ {
		var g global
		if g.GlobalType, err = readGlobalType(r); err != nil {
			return fmt.Errorf("global %d: %w", i, err)
		}
		if g.init, err = readConstExpr(r); err != nil {
			return fmt.Errorf("global %d init: %w", i, err)
		}
		m.globals = append(m.globals, g)
	}
	return nil
}

// readConstExpr reads a constant expression up to and including its end.
func readConstExpr(r *reader) ([]byte, error) {
	end, err := constExprEnd(r.b[:r.end], r.off)
	if err != nil {
		return nil, err
	}
	e := r.b[r.off:end:end]
	r.off = end
	return e, nil
}

func (m *Module) decodeExports(r *reader) error {
	n, err := r.count()
	if err != nil {
		return err
	}
	m.exports = make([]Export, 0, n)
	for i := uint32(0); i < n; i++ {
		var e Export
		if e.Name, err = r.name(); err != nil {
			return fmt.Errorf("export %d: %w", i, err)
		}
		at := r.off
		kind, err := r.u8()
		if err != nil {
			return fmt.Errorf("export %q: %w", e.Name, err)
		}
		if kind > byte(KindTag) {
			return fmt.Errorf("export %q: %w", e.Name, malformedAt(at, "export kind %#x", kind))
		}
		e.Kind = ExternKind(kind)
		if e.Index, err = r.u32(); err != nil {
			return fmt.Errorf("export %q: %w", e.Name, err)
		}
		m.exports = append(m.exports, e)
	}
	return nil
}

func (m *Module) decodeElements(r *reader) error {
	n, err := r.count()
	if err != nil {
		return err
	}
	m.elems = make([]elemSegment, 0, n)
	for i := uint32(0); i < n; i++ {
		e, err := readElemSegment(r)
		if err != nil {
			return fmt.Errorf("segment %d: %w", i, err)
		}
		m.elems = append(m.elems, e)
	}
	return nil
}

func readElemSegment(r *reader) (elemSegment, error) {
	var e elemSegment
	at := r.off
	var err error
	if e.flags, err = r.u32(); err != nil {
		return e, err
	}
	if e.flags > 7 {
		return e, malformedAt(at, "element segment flags %d", e.flags)
	}
	active := e.flags&1 == 0
	if e.flags&3 == 2 {
		if e.table, err = r.u32(); err != nil {
			return e, err
		}
	}
	if active {
		if e.offset, err = readConstExpr(r); err != nil {
			return e, fmt.Errorf("offset: %w", err)
		}
	}
	if e.flags&3 != 0 { // an elemkind or reference type is encoded
		start := r.off
		if e.flags&4 == 0 {
			err = r.expect(0x00, "element kind")
		} else {
			r.off, err = skipValType(r.b[:r.end], r.off)
		}
		if err != nil {
			return e, err
		}
		e.kind = r.b[start:r.off:r.off]
	}
	n, err := r.count()
	if err != nil {
		return e, err
	}
	if e.flags&4 == 0 {
		e.funcs = make([]uint32, n)
		for i := range e.funcs {
			if e.funcs[i], err = r.u32(); err != nil {
				return e, err
			}
		}
		return e, nil
	}
	e.exprs = make([][]byte, n)
	for i := range e.exprs {
		if e.exprs[i], err = readConstExpr(r); err != nil {
			return e, fmt.Errorf("element %d: %w", i, err)
		}
	}
	return e, nil
}

func (m *Module) decodeCode(r *reader) error {
	n, err := r.count()
	if err != nil {
		return err
	}
	m.code = make([]codeEntry, 0, n)
	for i := uint32(0); i < n; i++ {
		size, err := r.u32()
		if err != nil {
			return fmt.Errorf("function %d: %w", i, err)
		}
		br, err := r.sub(size)
		if err != nil {
			return fmt.Errorf("function %d: %w", i, err)
		}
		c := codeEntry{off: br.off}
		if err := skipLocals(&br); err != nil {
			return fmt.Errorf("function %d locals: %w", i, err)
		}
		c.locals = br.b[c.off:br.off:br.off]
		c.body = br.b[br.off:br.end:br.end]
		if len(c.body) == 0 {
			return fmt.Errorf("function %d: %w", i, malformedAt(br.off, "empty body"))
		}
		m.code = append(m.code, c)
	}
	return nil
}

func skipLocals(r *reader) error {
	n, err := r.count()
	if err != nil {
		return err
	}
	for i := uint32(0); i < n; i++ {
		if err := r.skipULEB(32); err != nil {
			return err
		}
		if r.off, err = skipValType(r.b[:r.end], r.off); err != nil {
			return err
		}
	}
	return nil
}
