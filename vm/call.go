package vm

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"unicode/utf8"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"golang.org/x/crypto/chacha20"
)

// exports are the guest functions the host calls, looked up once.
type exports struct {
	handle, malloc, free                api.Function
	stackSave, stackRestore, stackAlloc api.Function
	setThrew, errnoLocation             api.Function
	stackInit, stackEnd, ctors, main    api.Function
	aoAlloc, aoFree, initialize         api.Function
	dynCalls                            map[string][]api.Function // by invoke nesting depth
}

func lookupExports(g api.Module, s *formatSpec) exports {
	fn := func(names ...string) api.Function {
		for _, n := range names {
			if f := g.ExportedFunction(s.exportName(n)); f != nil {
				return f
			}
		}
		return nil
	}
	return exports{
		handle:        fn("handle"),
		malloc:        fn("malloc"),
		free:          fn("free"),
		stackSave:     fn("stackSave", "emscripten_stack_get_current"),
		stackRestore:  fn("stackRestore", "_emscripten_stack_restore"),
		stackAlloc:    fn("stackAlloc", "_emscripten_stack_alloc"),
		setThrew:      fn("setThrew"),
		errnoLocation: fn("__errno_location"),
		stackInit:     fn("emscripten_stack_init"),
		stackEnd:      fn("emscripten_stack_get_end"),
		ctors:         fn("__wasm_call_ctors"),
		main:          fn("main", "__main_argc_argv"),
		aoAlloc:       fn("ao_alloc"),
		aoFree:        fn("ao_free"),
		initialize:    fn("_initialize"),
		dynCalls:      map[string][]api.Function{},
	}
}

// call1 calls f with arguments and returns its first result (0 if none).
func call1(ctx context.Context, f api.Function, args ...uint64) (uint64, error) {
	var stack [8]uint64
	n := copy(stack[:], args)
	if r := len(f.Definition().ResultTypes()); r > n {
		n = r
	}
	if err := f.CallWithStack(ctx, stack[:max(n, 1)]); err != nil {
		return 0, err
	}
	return stack[0], nil
}

// boot runs what the format's glue runs when an instance starts.
func (i *Instance) boot(ctx context.Context) error {
	e := &i.exports
	if i.m.spec.boot == bootInitialize {
		if e.initialize == nil {
			return fmt.Errorf("no _initialize export")
		}
		_, err := call1(ctx, e.initialize)
		return err
	}
	if e.stackInit != nil {
		if _, err := call1(ctx, e.stackInit); err != nil {
			return err
		}
	}
	if e.stackInit != nil && e.stackEnd != nil {
		// writeStackCookie: two words at the stack end and one at address
		// 0, as the glue writes them (they are part of the memory bytes).
		end, err := call1(ctx, e.stackEnd)
		if err != nil {
			return err
		}
		if end == 0 {
			end = 4
		}
		mem := i.guest.Memory()
		mem.WriteUint32Le(uint32(end), 34821223)
		mem.WriteUint32Le(uint32(end)+4, 2310721022)
		mem.WriteUint32Le(0, 1668509029)
	}
	if e.ctors != nil {
		if _, err := call1(ctx, e.ctors); err != nil {
			return err
		}
	}
	if e.main == nil {
		return nil
	}
	switch i.m.spec.boot {
	case bootMainZero:
		_, err := call1(ctx, e.main, 0, 0)
		return err
	case bootMainArgv:
		if len(e.main.Definition().ParamTypes()) != 2 {
			_, err := call1(ctx, e.main)
			return err
		}
		// callMain: argv on the stack, never popped: the stack pointer
		// stays below it for the instance's life, as in the glue.
		argv, err := i.stackAlloc(ctx, 2*4)
		if err != nil {
			return err
		}
		arg0, err := i.stackString(ctx, []byte(i.m.spec.thisProgram), uint64(len(i.m.spec.thisProgram)+1))
		if err != nil {
			return err
		}
		mem := i.guest.Memory()
		mem.WriteUint32Le(uint32(argv), uint32(arg0))
		mem.WriteUint32Le(uint32(argv)+4, 0)
		_, err = call1(ctx, e.main, 1, argv)
		return err
	}
	return nil
}

func (i *Instance) stackAlloc(ctx context.Context, n uint64) (uint64, error) {
	return call1(ctx, i.exports.stackAlloc, n)
}

// stackString allocates size bytes on the emscripten stack and writes s and
// a NUL there, as stringToUTF8 does.
func (i *Instance) stackString(ctx context.Context, s []byte, size uint64) (uint64, error) {
	p, err := i.stackAlloc(ctx, size)
	if err != nil {
		return 0, err
	}
	mem := i.guest.Memory()
	if !mem.Write(uint32(p), s) || !mem.WriteByte(uint32(p)+uint32(len(s)), 0) {
		return 0, fmt.Errorf("string of %d bytes does not fit in memory at %#x", len(s), p)
	}
	return p, nil
}

// stringSize is the stack space the reference glue reserves for a string.
func (s *formatSpec) stringSize(b []byte) uint64 {
	if s.strings == stringUTF16x4 {
		// str.length of the JS string: UTF-16 code units.
		units := 0
		for len(b) > 0 {
			r, n := utf8.DecodeRune(b)
			b = b[n:]
			units++
			if r >= 0x10000 {
				units++
			}
		}
		return uint64(units)*4 + 1
	}
	return uint64(len(b)) + 1
}

// callEmscripten is cwrap('handle', 'string', ['string', 'string']): both
// strings on the shadow stack, the result read as a C string, the stack
// restored. Modules without stack exports get the strings through malloc.
func (i *Instance) callEmscripten(ctx context.Context, msg, env []byte) ([]byte, error) {
	e := &i.exports
	mem := i.guest.Memory()
	var p1, p2 uint64
	var err error
	onStack := e.stackSave != nil && e.stackAlloc != nil && e.stackRestore != nil
	var sp uint64
	if onStack {
		if sp, err = call1(ctx, e.stackSave); err != nil {
			return nil, err
		}
		if p1, err = i.stackString(ctx, msg, i.m.spec.stringSize(msg)); err != nil {
			return nil, err
		}
		if p2, err = i.stackString(ctx, env, i.m.spec.stringSize(env)); err != nil {
			return nil, err
		}
	} else {
		if e.malloc == nil {
			return nil, fmt.Errorf("the module exports neither stackAlloc nor malloc")
		}
		if p1, err = i.heapString(ctx, msg); err != nil {
			return nil, err
		}
		if p2, err = i.heapString(ctx, env); err != nil {
			return nil, err
		}
	}
	ret, err := call1(ctx, e.handle, p1, p2)
	if err != nil {
		return nil, err
	}
	out, err := readCString(mem, ret)
	if err != nil {
		return nil, err
	}
	if onStack {
		if _, err := call1(ctx, e.stackRestore, sp); err != nil {
			return nil, err
		}
	} else if e.free != nil {
		if _, err := call1(ctx, e.free, p1); err != nil {
			return nil, err
		}
		if _, err := call1(ctx, e.free, p2); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (i *Instance) heapString(ctx context.Context, s []byte) (uint64, error) {
	p, err := call1(ctx, i.exports.malloc, uint64(len(s)+1))
	if err != nil {
		return 0, err
	}
	if p == 0 {
		return 0, fmt.Errorf("malloc(%d) failed", len(s)+1)
	}
	mem := i.guest.Memory()
	if !mem.Write(uint32(p), s) || !mem.WriteByte(uint32(p)+uint32(len(s)), 0) {
		return 0, fmt.Errorf("malloc returned memory out of range")
	}
	return p, nil
}

// readCString copies the NUL-terminated string at p.
func readCString(mem api.Memory, p uint64) ([]byte, error) {
	size := memorySize(mem)
	if p >= size {
		return nil, fmt.Errorf("handle returned pointer %#x outside memory", p)
	}
	buf, _ := mem.Read(uint32(p), uint32(min(size-p, 1<<32-1)))
	for k, c := range buf {
		if c == 0 {
			return append([]byte(nil), buf[:k]...), nil
		}
	}
	return nil, fmt.Errorf("handle returned a string with no NUL")
}

// callNative calls a wasm32-wasip1-aogo module: both buffers from ao_alloc,
// handle returns ptr<<32|len of a buffer the host frees with ao_free.
func (i *Instance) callNative(ctx context.Context, msg, env []byte) ([]byte, error) {
	e := &i.exports
	mem := i.guest.Memory()
	put := func(b []byte) (uint64, error) {
		p, err := call1(ctx, e.aoAlloc, uint64(len(b)))
		if err != nil {
			return 0, err
		}
		if len(b) > 0 && !mem.Write(uint32(p), b) {
			return 0, fmt.Errorf("ao_alloc(%d) returned memory out of range", len(b))
		}
		return p, nil
	}
	p1, err := put(msg)
	if err != nil {
		return nil, err
	}
	p2, err := put(env)
	if err != nil {
		return nil, err
	}
	ret, err := call1(ctx, e.handle, p1, uint64(len(msg)), p2, uint64(len(env)))
	if err != nil {
		return nil, err
	}
	rp, rl := uint32(ret>>32), uint32(ret)
	buf, ok := mem.Read(rp, rl)
	if !ok {
		return nil, fmt.Errorf("handle returned a result out of range (%#x, %d bytes)", rp, rl)
	}
	out := append([]byte(nil), buf...)
	for _, p := range []uint64{p1, p2, uint64(rp)} {
		if _, err := call1(ctx, e.aoFree, p); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// nativeConfig makes wazero's WASI deterministic for a native guest: a clock
// that is a counter saved with the state, random bytes derived from the
// message, a fixed command line, no environment, output captured.
func (i *Instance) nativeConfig(mc wazero.ModuleConfig) wazero.ModuleConfig {
	return mc.WithStartFunctions().
		WithArgs(i.m.spec.thisProgram).
		WithStdout(stdoutWriter{i}).
		WithStderr(stdoutWriter{i}).
		WithRandSource(i.rand).
		WithNanotime(func() int64 {
			i.host.Clock += nativeClockStep
			return int64(i.host.Clock)
		}, 1).
		WithWalltime(func() (int64, int32) {
			i.host.Clock += nativeClockStep
			ns := i.messageTimestamp()*1_000_000 + int64(i.host.Clock%1_000_000)
			return ns / 1e9, int32(ns % 1e9)
		}, 1).
		WithNanosleep(func(ns int64) {
			if ns > 0 {
				i.host.Clock += uint64(ns)
			}
		}).
		WithOsyield(func() {})
}

// nativeClockStep is how far the native clock moves per reading: 1 µs.
const nativeClockStep = 1000

// stdoutWriter collects module output into the current message's buffer.
type stdoutWriter struct{ i *Instance }

func (w stdoutWriter) Write(b []byte) (int, error) {
	if w.i.cur != nil {
		w.i.cur.stdout.Write(b)
	}
	return len(b), nil
}

// messageRand is the random source a module sees: a ChaCha20 stream keyed by
// the SHA-256 of the message being evaluated (of a fixed string at boot), so
// the same message always sees the same bytes. The key is derived on the
// first read, so messages that read no random bytes pay nothing.
type messageRand struct {
	msg []byte
	c   *chacha20.Cipher
}

func newMessageRand() *messageRand { return &messageRand{} }

func (r *messageRand) reset(msg []byte) { r.msg, r.c = msg, nil }

func (r *messageRand) Read(p []byte) (int, error) {
	if r.c == nil {
		h := sha256.New()
		h.Write([]byte("aogo vm random\x00"))
		h.Write(r.msg)
		key := h.Sum(nil)
		r.c, _ = chacha20.NewUnauthenticatedCipher(key, make([]byte, chacha20.NonceSize))
	}
	clear(p)
	r.c.XORKeyStream(p, p)
	return len(p), nil
}

// putUint writes a pointer-sized value (4 or 8 bytes).
func putUint(mem api.Memory, p uint64, v uint64, size int) bool {
	if size == 8 {
		return mem.WriteUint64Le(uint32(p), v)
	}
	return mem.WriteUint32Le(uint32(p), uint32(v))
}

func getUint(mem api.Memory, p uint64, size int) (uint64, bool) {
	if size == 8 {
		return mem.ReadUint64Le(uint32(p))
	}
	v, ok := mem.ReadUint32Le(uint32(p))
	return uint64(v), ok
}

var _ = binary.LittleEndian
