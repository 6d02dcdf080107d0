package wasmbin

// Encode returns the module as a WebAssembly binary. Sections no rewrite
// changed are copied from the input byte for byte; changed ones are written
// with the shortest LEB128 encodings.
func (m *Module) Encode() []byte {
	n := len(header)
	for _, s := range m.sections {
		if s.raw != nil {
			n += len(s.raw)
		} else {
			n += 1 + ulebLen(uint64(len(s.payload))) + len(s.payload)
		}
	}
	out := make([]byte, 0, n)
	out = append(out, header...)
	for _, s := range m.sections {
		if s.raw != nil {
			out = append(out, s.raw...)
			continue
		}
		out = append(out, s.id)
		out = appendULEB(out, uint64(len(s.payload)))
		out = append(out, s.payload...)
	}
	return out
}

func appendName(dst []byte, s string) []byte {
	dst = appendULEB(dst, uint64(len(s)))
	return append(dst, s...)
}

func encodeTypes(types []FuncType) []byte {
	out := appendULEB(nil, uint64(len(types)))
	for _, t := range types {
		out = append(out, 0x60)
		out = appendULEB(out, uint64(len(t.Params)))
		for _, v := range t.Params {
			out = append(out, byte(v))
		}
		out = appendULEB(out, uint64(len(t.Results)))
		for _, v := range t.Results {
			out = append(out, byte(v))
		}
	}
	return out
}

func encodeImports(imports []Import) []byte {
	out := appendULEB(nil, uint64(len(imports)))
	for _, im := range imports {
		out = appendName(out, im.Module)
		out = appendName(out, im.Name)
		out = append(out, byte(im.Kind))
		out = append(out, im.desc...)
	}
	return out
}

func encodeExports(exports []Export) []byte {
	out := appendULEB(nil, uint64(len(exports)))
	for _, e := range exports {
		out = appendName(out, e.Name)
		out = append(out, byte(e.Kind))
		out = appendULEB(out, uint64(e.Index))
	}
	return out
}

func encodeGlobals(globals []global) []byte {
	out := appendULEB(nil, uint64(len(globals)))
	for _, g := range globals {
		mut := byte(0)
		if g.Mutable {
			mut = 1
		}
		out = append(out, byte(g.Type), mut)
		out = append(out, g.init...)
	}
	return out
}

func encodeElements(elems []elemSegment) []byte {
	out := appendULEB(nil, uint64(len(elems)))
	for _, e := range elems {
		out = appendULEB(out, uint64(e.flags))
		if e.flags&3 == 2 {
			out = appendULEB(out, uint64(e.table))
		}
		out = append(out, e.offset...)
		out = append(out, e.kind...)
		if e.flags&4 == 0 {
			out = appendULEB(out, uint64(len(e.funcs)))
			for _, f := range e.funcs {
				out = appendULEB(out, uint64(f))
			}
			continue
		}
		out = appendULEB(out, uint64(len(e.exprs)))
		for _, x := range e.exprs {
			out = append(out, x...)
		}
	}
	return out
}
