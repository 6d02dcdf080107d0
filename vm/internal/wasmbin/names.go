package wasmbin

// The "name" custom section (core spec 7.4.1, and the extended-name
// proposal's subsections) keys function names, local names and label names
// by function index, so inserting a function import shifts those keys.

// Name subsections keyed by function index.
const (
	nameFunctions = 1 // namemap
	nameLocals    = 2 // indirect namemap
	nameLabels    = 3 // indirect namemap
)

// shiftNames adds one to every function index >= from in "name" sections.
//
// NB: a name section this cannot parse is dropped rather than kept: names
// off by one would label every frame of a stack trace wrongly, and engines
// ignore a missing name section (they must ignore a malformed one, too).
func (m *Module) shiftNames(from uint32) {
	kept := m.sections[:0]
	for _, s := range m.sections {
		if s.id == secCustom && s.name == "name" {
			payload, ok := shiftNamePayload(s.payload, from)
			if !ok {
				continue
			}
			s.raw, s.payload = nil, payload
		}
		kept = append(kept, s)
	}
	m.sections = kept
}

// shiftNamePayload rewrites a name section's payload (its section name
// included). It reports false if the payload is malformed.
func shiftNamePayload(payload []byte, from uint32) ([]byte, bool) {
	r := reader{b: payload, end: len(payload)}
	if _, err := r.name(); err != nil {
		return nil, false
	}
	out := make([]byte, 0, len(payload)+16)
	out = append(out, payload[:r.off]...)
	for !r.done() {
		id, _ := r.u8()
		size, err := r.u32()
		if err != nil {
			return nil, false
		}
		sub, err := r.sub(size)
		if err != nil {
			return nil, false
		}
		content := payload[sub.off:sub.end]
		switch id {
		case nameFunctions:
			content, err = shiftNameMap(&sub, from, false)
		case nameLocals, nameLabels:
			content, err = shiftNameMap(&sub, from, true)
		}
		if err != nil || !sub.done() && (id == nameFunctions || id == nameLocals || id == nameLabels) {
			return nil, false
		}
		out = append(out, id)
		out = appendULEB(out, uint64(len(content)))
		out = append(out, content...)
	}
	return out, true
}

// shiftNameMap re-encodes a namemap, or with indirect an indirect namemap,
// adding one to the (outer) indices >= from. Inner maps and names are
// copied as they are.
func shiftNameMap(r *reader, from uint32, indirect bool) ([]byte, error) {
	n, err := r.count()
	if err != nil {
		return nil, err
	}
	out := appendULEB(make([]byte, 0, r.left()+8), uint64(n))
	for i := uint32(0); i < n; i++ {
		idx, err := r.u32()
		if err != nil {
			return nil, err
		}
		if idx >= from {
			if idx == ^uint32(0) {
				return nil, malformedAt(r.off, "function index out of range")
			}
			idx++
		}
		out = appendULEB(out, uint64(idx))
		start := r.off
		if indirect {
			err = skipNameMap(r)
		} else {
			err = skipName(r)
		}
		if err != nil {
			return nil, err
		}
		out = append(out, r.b[start:r.off]...)
	}
	return out, nil
}

func skipNameMap(r *reader) error {
	n, err := r.count()
	if err != nil {
		return err
	}
	for i := uint32(0); i < n; i++ {
		if err := r.skipULEB(32); err != nil {
			return err
		}
		if err := skipName(r); err != nil {
			return err
		}
	}
	return nil
}

// skipName skips a length-prefixed name without checking its UTF-8: the
// bytes are copied as they are.
func skipName(r *reader) error {
	n, err := r.u32()
	if err != nil {
		return err
	}
	_, err = r.bytes(n)
	return err
}
