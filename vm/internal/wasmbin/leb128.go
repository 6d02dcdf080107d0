package wasmbin

// LEB128 readers and writers, as the WebAssembly binary format defines them
// (core spec 5.2.2): an N-bit integer takes at most ceil(N/7) bytes, and the
// unused bits of the last byte must be zero (unsigned) or copies of the sign
// bit (signed). Readers reject anything else, so a value has one meaning
// whatever its encoding; writers always produce the shortest encoding.

// readULEB reads an unsigned LEB128 integer of at most bits bits from b at
// off. It returns the value and the number of bytes read.
func readULEB(b []byte, off int, bits uint) (uint64, int, error) {
	var v uint64
	var shift uint
	for i := 0; ; i++ {
		if off+i >= len(b) || off+i < 0 {
			return 0, 0, malformedAt(off+i, "unexpected end of input in an integer")
		}
		c := b[off+i]
		if shift+7 >= bits { // the last byte an N-bit integer may take
			if c&0x80 != 0 {
				return 0, 0, malformedAt(off, "integer representation too long")
			}
			if uint64(c)>>(bits-shift) != 0 {
				return 0, 0, malformedAt(off, "integer too large")
			}
			return v | uint64(c)<<shift, i + 1, nil
		}
		v |= uint64(c&0x7f) << shift
		if c&0x80 == 0 {
			return v, i + 1, nil
		}
		shift += 7
	}
}

// readSLEB reads a signed LEB128 integer of at most bits bits from b at off.
// It returns the value and the number of bytes read.
func readSLEB(b []byte, off int, bits uint) (int64, int, error) {
	var v int64
	var shift uint
	for i := 0; ; i++ {
		if off+i >= len(b) || off+i < 0 {
			return 0, 0, malformedAt(off+i, "unexpected end of input in an integer")
		}
		c := b[off+i]
		if shift+7 >= bits { // the last byte an N-bit integer may take
			if c&0x80 != 0 {
				return 0, 0, malformedAt(off, "integer representation too long")
			}
			// x is the 7-bit payload read as a signed number; it must fit
			// in the bits that are left.
			x := int64(int8(c<<1)) >> 1
			rem := bits - shift
			if x < -(1<<(rem-1)) || x >= 1<<(rem-1) {
				return 0, 0, malformedAt(off, "integer too large")
			}
			return v | x<<shift, i + 1, nil
		}
		v |= int64(c&0x7f) << shift
		shift += 7
		if c&0x80 == 0 {
			if c&0x40 != 0 {
				v |= -1 << shift
			}
			return v, i + 1, nil
		}
	}
}

// appendULEB appends the shortest unsigned LEB128 encoding of v.
func appendULEB(dst []byte, v uint64) []byte {
	for v >= 0x80 {
		dst = append(dst, byte(v)|0x80)
		v >>= 7
	}
	return append(dst, byte(v))
}

// appendSLEB appends the shortest signed LEB128 encoding of v.
func appendSLEB(dst []byte, v int64) []byte {
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if (v == 0 && c&0x40 == 0) || (v == -1 && c&0x40 != 0) {
			return append(dst, c)
		}
		dst = append(dst, c|0x80)
	}
}

// ulebLen is the length of the shortest unsigned LEB128 encoding of v.
func ulebLen(v uint64) int {
	n := 1
	for v >= 0x80 {
		v >>= 7
		n++
	}
	return n
}
