package wasmbin

import (
	"errors"
	"fmt"
	"unicode/utf8"
)

var (
	// ErrMalformed is returned, wrapped with the place and the reason, when
	// the input is not a well-formed WebAssembly binary. Use errors.Is.
	ErrMalformed = errors.New("wasmbin: malformed module")
	// ErrUnsupported is returned, wrapped, when the input is well-formed but
	// uses an encoding this package cannot rewrite: GC types, or an opcode
	// it does not know. Use errors.Is.
	ErrUnsupported = errors.New("wasmbin: unsupported feature")
	// ErrMeterImportExists is returned by Meter when the module already
	// imports the metering function. @permaweb/wasm-metering refuses such
	// a module too ("importing metering function is not allowed").
	ErrMeterImportExists = errors.New("wasmbin: module already imports the metering function")
	// ErrDuplicateExport is returned by ExportGlobals and Rename when the
	// result would export two things under one name.
	ErrDuplicateExport = errors.New("wasmbin: duplicate export name")
)

// posError is a decoding error at a byte offset of the input. Its class is
// ErrMalformed or ErrUnsupported, for errors.Is.
type posError struct {
	class error
	off   int
	msg   string
}

func (e *posError) Error() string { return fmt.Sprintf("%s at offset %#x", e.msg, e.off) }
func (e *posError) Unwrap() error { return e.class }

func malformedAt(off int, format string, args ...any) error {
	return &posError{class: ErrMalformed, off: off, msg: fmt.Sprintf(format, args...)}
}

func unsupportedAt(off int, format string, args ...any) error {
	return &posError{class: ErrUnsupported, off: off, msg: fmt.Sprintf(format, args...)}
}

// reader is a bounds-checked cursor over b[off:end]. Offsets are positions
// in the whole module, so that errors point into the input.
type reader struct {
	b   []byte
	off int
	end int
}

// sub returns a reader over the next n bytes and advances past them.
func (r *reader) sub(n uint32) (reader, error) {
	if uint64(n) > uint64(r.end-r.off) {
		return reader{}, malformedAt(r.off, "length %d exceeds the %d bytes left", n, r.end-r.off)
	}
	s := reader{b: r.b, off: r.off, end: r.off + int(n)}
	r.off += int(n)
	return s, nil
}

func (r *reader) done() bool { return r.off >= r.end }

func (r *reader) left() int { return r.end - r.off }

func (r *reader) u8() (byte, error) {
	if r.off >= r.end {
		return 0, malformedAt(r.off, "unexpected end of input")
	}
	c := r.b[r.off]
	r.off++
	return c, nil
}

func (r *reader) bytes(n uint32) ([]byte, error) {
	s, err := r.sub(n)
	if err != nil {
		return nil, err
	}
	return r.b[s.off:s.end:s.end], nil
}

func (r *reader) u32() (uint32, error) {
	v, n, err := readULEB(r.b[:r.end], r.off, 32)
	r.off += n
	return uint32(v), err
}

// count reads a vector length. Every element takes at least one byte, so a
// count larger than the bytes left is malformed; checking it here keeps a
// hostile count from making a decoder allocate gigabytes.
func (r *reader) count() (uint32, error) {
	at := r.off
	n, err := r.u32()
	if err != nil {
		return 0, err
	}
	if int64(n) > int64(r.left()) {
		return 0, malformedAt(at, "vector length %d exceeds the %d bytes left", n, r.left())
	}
	return n, nil
}

// name reads a length-prefixed UTF-8 string.
func (r *reader) name() (string, error) {
	at := r.off
	n, err := r.u32()
	if err != nil {
		return "", err
	}
	b, err := r.bytes(n)
	if err != nil {
		return "", err
	}
	if !utf8.Valid(b) {
		return "", malformedAt(at, "name is not valid UTF-8")
	}
	return string(b), nil
}

// skipULEB skips an unsigned integer of at most bits bits.
func (r *reader) skipULEB(bits uint) error {
	_, n, err := readULEB(r.b[:r.end], r.off, bits)
	r.off += n
	return err
}

// expect reads one byte and checks it.
func (r *reader) expect(want byte, what string) error {
	at := r.off
	c, err := r.u8()
	if err != nil {
		return err
	}
	if c != want {
		return malformedAt(at, "%s: got %#x, want %#x", what, c, want)
	}
	return nil
}
