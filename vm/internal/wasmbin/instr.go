package wasmbin

import "math"

// Instruction decoding: just enough to find where each instruction ends,
// what it is, and where its function index is (call, return_call,
// ref.func), which is all the rewrites need. Immediates are checked for
// well-formedness (LEB128 lengths, bounds), not validated: index ranges,
// typing and nesting are the engine's job when it compiles the result.
//
// Known instruction sets: the 2.0 core (MVP, sign extension, saturating
// truncation, bulk memory, reference types, multi-value, SIMD), relaxed
// SIMD, threads, tail calls, extended constants, typed function references,
// multi-memory, memory64 and both exception-handling encodings. GC
// instructions (prefix 0xfb) are not known and fail with ErrUnsupported.

// opcode identifies an instruction: the opcode byte, or prefix<<16|sub for
// the prefixed instructions (0xfc, 0xfd, 0xfe).
type opcode uint32

// Opcodes the rewrites refer to by name.
const (
	opLoop       opcode = 0x03
	opEnd        opcode = 0x0b
	opCall       opcode = 0x10
	opReturnCall opcode = 0x12
	opI32Const   opcode = 0x41
	opI64Const   opcode = 0x42
	opRefFunc    opcode = 0xd2
)

// instr describes one decoded instruction.
type instr struct {
	op   opcode
	next int // offset just past the instruction
	// funcOff is the offset of the function index immediate of call,
	// return_call and ref.func, and funcIdx its value; funcOff is -1 for
	// every other instruction.
	funcOff int
	funcIdx uint32
}

// decodeInstr decodes the instruction at b[off]. It never reads past
// len(b).
func decodeInstr(b []byte, off int) (instr, error) {
	in := instr{funcOff: -1}
	if off >= len(b) || off < 0 {
		return in, malformedAt(off, "unexpected end of code")
	}
	c := b[off]
	in.op = opcode(c)
	p := off + 1
	var err error
	switch {
	case c <= 0x01, c == 0x05, c == 0x0a, c == 0x0b, c == 0x0f, c == 0x19, c == 0x1a, c == 0x1b,
		c >= 0x45 && c <= 0xc4, c == 0xd1, c == 0xd3, c == 0xd4:
		// no immediates
	case c >= 0x02 && c <= 0x04, c == 0x06: // block, loop, if, try
		p, err = skipBlockType(b, p)
	case c >= 0x07 && c <= 0x09, c == 0x0c, c == 0x0d, c == 0x14, c == 0x15, c == 0x18,
		c >= 0x20 && c <= 0x26, c == 0x3f, c == 0x40, c == 0xd5, c == 0xd6:
		// catch, throw, rethrow, br, br_if, call_ref, return_call_ref,
		// delegate, local.*, global.*, table.get/set, memory.size/grow,
		// br_on_null, br_on_non_null: one index
		p, err = skipU32s(b, p, 1)
	case c == 0x0e: // br_table
		p, err = skipBrTable(b, p)
	case c == 0x10, c == 0x12, c == 0xd2: // call, return_call, ref.func
		var v uint64
		var n int
		v, n, err = readULEB(b, p, 32)
		in.funcOff, in.funcIdx = p, uint32(v)
		p += n
	case c == 0x11, c == 0x13: // call_indirect, return_call_indirect: type, table
		p, err = skipU32s(b, p, 2)
	case c == 0x1c: // select t*
		p, err = skipValTypeVec(b, p)
	case c == 0x1f: // try_table
		p, err = skipTryTable(b, p)
	case c >= 0x28 && c <= 0x3e: // loads and stores
		p, err = skipMemArg(b, p)
	case c == 0x41:
		_, n, e := readSLEB(b, p, 32)
		p, err = p+n, e
	case c == 0x42:
		_, n, e := readSLEB(b, p, 64)
		p, err = p+n, e
	case c == 0x43:
		p, err = skipBytes(b, p, 4)
	case c == 0x44:
		p, err = skipBytes(b, p, 8)
	case c == 0xd0: // ref.null heaptype
		_, n, e := readSLEB(b, p, 33)
		p, err = p+n, e
	case c == 0xfc, c == 0xfd, c == 0xfe:
		var sub uint64
		var n int
		sub, n, err = readULEB(b, p, 32)
		if err != nil {
			return in, err
		}
		if sub >= 1<<16 {
			return in, unsupportedAt(off, "unknown opcode %#x %d", c, sub)
		}
		in.op = opcode(c)<<16 | opcode(sub)
		p += n
		switch c {
		case 0xfc:
			p, err = skipMiscImmediates(b, off, p, sub)
		case 0xfd:
			p, err = skipSIMDImmediates(b, off, p, sub)
		case 0xfe:
			p, err = skipAtomicImmediates(b, off, p, sub)
		}
	default:
		return in, unsupportedAt(off, "unknown opcode %#x", c)
	}
	if err != nil {
		return in, err
	}
	in.next = p
	return in, nil
}

// skipMiscImmediates skips the immediates of 0xfc-prefixed instructions:
// saturating truncation, bulk memory and table instructions.
func skipMiscImmediates(b []byte, at, p int, sub uint64) (int, error) {
	switch {
	case sub <= 7: // trunc_sat
		return p, nil
	case sub == 9, sub == 11, sub == 13, sub >= 15 && sub <= 17:
		// data.drop, memory.fill, elem.drop, table.grow/size/fill
		return skipU32s(b, p, 1)
	case sub == 8, sub == 10, sub == 12, sub == 14:
		// memory.init, memory.copy, table.init, table.copy
		return skipU32s(b, p, 2)
	}
	return p, unsupportedAt(at, "unknown opcode 0xfc %d", sub)
}

// skipSIMDImmediates skips the immediates of 0xfd-prefixed instructions.
func skipSIMDImmediates(b []byte, at, p int, sub uint64) (int, error) {
	switch {
	case sub <= 11, sub == 92, sub == 93: // v128 loads and stores
		return skipMemArg(b, p)
	case sub == 12, sub == 13: // v128.const, i8x16.shuffle
		return skipBytes(b, p, 16)
	case sub >= 21 && sub <= 34: // extract_lane, replace_lane
		return skipBytes(b, p, 1)
	case sub >= 84 && sub <= 91: // load_lane, store_lane
		p, err := skipMemArg(b, p)
		if err != nil {
			return p, err
		}
		return skipBytes(b, p, 1)
	case sub <= 0x113: // every other SIMD and relaxed SIMD opcode
		return p, nil
	}
	return p, unsupportedAt(at, "unknown opcode 0xfd %d", sub)
}

// skipAtomicImmediates skips the immediates of 0xfe-prefixed instructions.
func skipAtomicImmediates(b []byte, at, p int, sub uint64) (int, error) {
	switch {
	case sub <= 2, sub >= 0x10 && sub <= 0x4e: // notify, wait, loads, stores, rmw
		return skipMemArg(b, p)
	case sub == 3: // atomic.fence
		return skipBytes(b, p, 1)
	}
	return p, unsupportedAt(at, "unknown opcode 0xfe %d", sub)
}

func skipBytes(b []byte, p, n int) (int, error) {
	if n > len(b)-p {
		return p, malformedAt(p, "unexpected end of code")
	}
	return p + n, nil
}

func skipU32s(b []byte, p, n int) (int, error) {
	for ; n > 0; n-- {
		_, k, err := readULEB(b, p, 32)
		if err != nil {
			return p, err
		}
		p += k
	}
	return p, nil
}

// skipMemArg skips a memarg: alignment (with bit 6 set, a memory index
// follows: multi-memory) and a 64-bit offset (memory64).
func skipMemArg(b []byte, p int) (int, error) {
	align, n, err := readULEB(b, p, 32)
	if err != nil {
		return p, err
	}
	p += n
	if align&0x40 != 0 {
		if p, err = skipU32s(b, p, 1); err != nil {
			return p, err
		}
	}
	_, n, err = readULEB(b, p, 64)
	return p + n, err
}

func skipBrTable(b []byte, p int) (int, error) {
	n, k, err := readULEB(b, p, 32)
	if err != nil {
		return p, err
	}
	p += k
	if n > uint64(len(b)-p) { // each label takes a byte at least
		return p, malformedAt(p, "br_table length %d exceeds the code left", n)
	}
	return skipU32s(b, p, int(n)+1)
}

// skipBlockType skips a block type: 0x40 (empty), a value type, or a
// non-negative s33 type index.
func skipBlockType(b []byte, p int) (int, error) {
	if p >= len(b) {
		return p, malformedAt(p, "unexpected end of code")
	}
	if c := b[p]; c&0xc0 == 0x40 { // a one-byte negative s33: a type code
		if c == 0x40 {
			return p + 1, nil
		}
		return skipValType(b, p)
	}
	v, n, err := readSLEB(b, p, 33)
	if err != nil {
		return p, err
	}
	if v < 0 {
		return p, malformedAt(p, "block type %d", v)
	}
	return p + n, nil
}

// skipValType skips a value type: one byte, or 0x63/0x64 (ref null ht,
// ref ht) followed by a heap type.
func skipValType(b []byte, p int) (int, error) {
	if p >= len(b) {
		return p, malformedAt(p, "unexpected end of input in a value type")
	}
	switch c := b[p]; {
	case c == 0x63, c == 0x64:
		_, n, err := readSLEB(b, p+1, 33)
		return p + 1 + n, err
	case c >= 0x69 && c <= 0x7f:
		return p + 1, nil
	default:
		return p, malformedAt(p, "value type %#x", c)
	}
}

func skipValTypeVec(b []byte, p int) (int, error) {
	n, k, err := readULEB(b, p, 32)
	if err != nil {
		return p, err
	}
	p += k
	if n > uint64(len(b)-p) {
		return p, malformedAt(p, "vector length %d exceeds the code left", n)
	}
	for i := uint64(0); i < n; i++ {
		if p, err = skipValType(b, p); err != nil {
			return p, err
		}
	}
	return p, nil
}

// skipTryTable skips try_table's block type and catch clauses.
func skipTryTable(b []byte, p int) (int, error) {
	p, err := skipBlockType(b, p)
	if err != nil {
		return p, err
	}
	n, k, err := readULEB(b, p, 32)
	if err != nil {
		return p, err
	}
	p += k
	if n > uint64(len(b)-p) {
		return p, malformedAt(p, "vector length %d exceeds the code left", n)
	}
	for i := uint64(0); i < n; i++ {
		if p >= len(b) {
			return p, malformedAt(p, "unexpected end of code")
		}
		kind := b[p]
		p++
		switch kind {
		case 0x00, 0x01: // catch, catch_ref: tag, label
			p, err = skipU32s(b, p, 2)
		case 0x02, 0x03: // catch_all, catch_all_ref: label
			p, err = skipU32s(b, p, 1)
		default:
			return p, malformedAt(p-1, "catch clause kind %#x", kind)
		}
		if err != nil {
			return p, err
		}
	}
	return p, nil
}

// constExprEnd returns the offset just past the `end` that closes the
// constant expression at b[off]. Constant expressions have no blocks, so
// the first `end` closes it.
func constExprEnd(b []byte, off int) (int, error) {
	for p := off; ; {
		in, err := decodeInstr(b, p)
		if err != nil {
			return 0, err
		}
		p = in.next
		if in.op == opEnd {
			return p, nil
		}
	}
}

// renumberFuncs copies code (a constant expression, or any instruction
// sequence) to dst, adding one to every function index >= from in call,
// return_call and ref.func. It reports whether anything changed.
func renumberFuncs(dst, code []byte, from uint32) ([]byte, bool, error) {
	changed := false
	last := 0
	for p := 0; p < len(code); {
		in, err := decodeInstr(code, p)
		if err != nil {
			return dst, false, err
		}
		if in.funcOff >= 0 && in.funcIdx >= from {
			if in.funcIdx == math.MaxUint32 {
				return dst, false, malformedAt(in.funcOff, "function index %d cannot be renumbered", in.funcIdx)
			}
			dst = append(dst, code[last:in.funcOff]...)
			dst = appendULEB(dst, uint64(in.funcIdx)+1)
			last = in.next
			changed = true
		}
		p = in.next
	}
	return append(dst, code[last:]...), changed, nil
}
