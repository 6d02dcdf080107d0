package vm

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/experimental/table"
)

// Host functions of the emscripten formats. Each is written once, generic
// over the pointer width (wasm64 modules are lowered to a 32-bit memory but
// keep i64 pointers in their signatures) and bound with the exact signature
// the module imports. Per-instance state comes from the context.

// hostImpl is a host function body.
type hostImpl func(ctx context.Context, i *Instance, mem api.Memory, stack []uint64)

// hostFactory makes the body for one imported signature, or returns nil if
// the vm does not provide that shape.
type hostFactory func(m *Module, def api.FunctionDefinition) hostImpl

// Emscripten errno values (the glue returns them negated from syscalls).
const (
	errnoBADF   = 8
	errnoINVAL  = 28
	errnoNOENT  = 44
	errnoNOSYS  = 52
	errnoNOTTY  = 59
	errnoRANGE  = 68
	errnoSPIPE  = 70
	errnoNOTSUP = 138
)

// Sentinels carried by panics from host functions back to the host's call.
var errLongjmp = errors.New("longjmp")

type exitError struct{ code uint32 }

func (e *exitError) Error() string { return fmt.Sprintf("the module called exit(%d)", e.code) }

type abortError struct{ reason string }

func (e *abortError) Error() string { return "abort: " + e.reason }

// hostFunc returns the Go function for an import, or false if the vm does
// not provide it.
func (m *Module) hostFunc(modName, name string, def api.FunctionDefinition) (api.GoModuleFunc, bool) {
	canonical := name
	switch {
	case m.spec.importNames != nil && modName == "a":
		c, ok := m.spec.importNames[name]
		if !ok {
			return nil, false
		}
		canonical = c
	case modName == "env" || modName == "wasi_snapshot_preview1":
	case modName == hostCallModule && name == hostCallField:
	default:
		return nil, false
	}
	var impl hostImpl
	if strings.HasPrefix(canonical, "invoke_") {
		impl = invoke(m, canonical, def)
	} else if f, ok := hostFactories[canonical]; ok {
		impl = f(m, def)
	} else if modName == hostCallModule {
		impl = hostCallImport(m, def)
	}
	if impl == nil {
		return nil, false
	}
	// wazero leaves the upper half of an i32 argument undefined: clear it
	// once here so that every body can use the values as they are.
	var i32Args []int
	for k, t := range def.ParamTypes() {
		if t == api.ValueTypeI32 {
			i32Args = append(i32Args, k)
		}
	}
	return func(ctx context.Context, mod api.Module, stack []uint64) {
		for _, k := range i32Args {
			stack[k] = uint64(uint32(stack[k]))
		}
		impl(ctx, instanceFrom(ctx), mod.Memory(), stack)
	}, true
}

// ptrSize is the width of a pointer in the module's memory layout.
func (m *Module) ptrSize() int {
	if m.spec.wasm64 {
		return 8
	}
	return 4
}

// neg returns -errno for a result of the import's type.
func neg(errno int64) uint64 { return uint64(-errno) }

// f64 encodes a float64 result.
func f64(v float64) uint64 { return api.EncodeF64(v) }

// shape tells whether def has n params and r results.
func shape(def api.FunctionDefinition, n, r int) bool {
	return len(def.ParamTypes()) == n && len(def.ResultTypes()) == r
}

// result sets an integer or float result according to the import's type.
func setResult(def api.FunctionDefinition, stack []uint64, v float64) {
	rs := def.ResultTypes()
	if len(rs) == 0 {
		return
	}
	switch rs[0] {
	case api.ValueTypeF64:
		stack[0] = api.EncodeF64(v)
	case api.ValueTypeF32:
		stack[0] = api.EncodeF32(float32(v))
	case api.ValueTypeI64:
		stack[0] = uint64(int64(v))
	default:
		stack[0] = uint64(uint32(int32(int64(v))))
	}
}

var hostFactories map[string]hostFactory

func init() {
	hostFactories = map[string]hostFactory{
		// Memory.
		"emscripten_memcpy_big": memcpyHost,
		"_emscripten_memcpy_js": memcpyHost,
		"emscripten_memcpy_js":  memcpyHost,
		"emscripten_resize_heap": func(m *Module, def api.FunctionDefinition) hostImpl {
			if !shape(def, 1, 1) {
				return nil
			}
			return func(ctx context.Context, i *Instance, mem api.Memory, stack []uint64) {
				if i.resizeHeap(mem, stack[0]) {
					stack[0] = 1
				} else {
					stack[0] = 0
				}
			}
		},
		"emscripten_get_heap_max": func(m *Module, def api.FunctionDefinition) hostImpl {
			return func(ctx context.Context, i *Instance, mem api.Memory, stack []uint64) {
				setResult(def, stack, float64(i.m.spec.heapMax))
			}
		},
		"emscripten_notify_memory_growth": noop,
		// Time: never the host's clock.
		"_emscripten_date_now": dateNowHost,
		"emscripten_date_now":  dateNowHost,
		"emscripten_get_now": func(m *Module, def api.FunctionDefinition) hostImpl {
			return func(ctx context.Context, i *Instance, mem api.Memory, stack []uint64) {
				setResult(def, stack, i.clockRead(i.m.spec.getNow))
			}
		},
		"_emscripten_get_now_is_monotonic": constant(1),
		"time": func(m *Module, def api.FunctionDefinition) hostImpl {
			if !shape(def, 1, 1) {
				return nil
			}
			return func(ctx context.Context, i *Instance, mem api.Memory, stack []uint64) {
				secs := uint64(math.Floor(i.clockRead(i.m.spec.dateNow) / 1000))
				if stack[0] != 0 {
					putUint(mem, stack[0], secs, 4)
				}
				setResult(def, stack, float64(secs))
			}
		},
		"clock_time_get": func(m *Module, def api.FunctionDefinition) hostImpl {
			if !shape(def, 3, 1) {
				return nil
			}
			return func(ctx context.Context, i *Instance, mem api.Memory, stack []uint64) {
				ms := i.clockRead(i.m.spec.dateNow)
				if math.IsNaN(ms) {
					ms = 0
				}
				mem.WriteUint64Le(uint32(stack[2]), uint64(ms*1e6))
				stack[0] = 0
			}
		},
		"_gmtime_js":    func(m *Module, def api.FunctionDefinition) hostImpl { return tmHost(m, def, false) },
		"_localtime_js": func(m *Module, def api.FunctionDefinition) hostImpl { return tmHost(m, def, true) },
		"_mktime_js":    mktimeHost,
		"_timegm_js":    mktimeHost,
		"_tzset_js":     tzsetHost,
		"strftime":      strftimeHost,
		"strftime_l":    strftimeHost,
		// Control flow.
		"_emscripten_throw_longjmp": func(m *Module, def api.FunctionDefinition) hostImpl {
			return func(ctx context.Context, i *Instance, mem api.Memory, stack []uint64) { panic(errLongjmp) }
		},
		"getTempRet0": func(m *Module, def api.FunctionDefinition) hostImpl {
			return func(ctx context.Context, i *Instance, mem api.Memory, stack []uint64) { stack[0] = i.tempRet0 }
		},
		"setTempRet0": func(m *Module, def api.FunctionDefinition) hostImpl {
			return func(ctx context.Context, i *Instance, mem api.Memory, stack []uint64) { i.tempRet0 = stack[0] }
		},
		"_emscripten_tempret_set": func(m *Module, def api.FunctionDefinition) hostImpl {
			return func(ctx context.Context, i *Instance, mem api.Memory, stack []uint64) { i.tempRet0 = stack[0] }
		},
		"exit":      exitHost,
		"proc_exit": exitHost,
		"abort":     abortHost("native code called abort()"),
		"_abort_js": abortHost("native code called abort()"),
		"__assert_fail": func(m *Module, def api.FunctionDefinition) hostImpl {
			return func(ctx context.Context, i *Instance, mem api.Memory, stack []uint64) {
				cond, _ := readCString(mem, stack[0])
				file, _ := readCString(mem, stack[1])
				panic(&abortError{fmt.Sprintf("Assertion failed: %s, at: %s:%d", cond, file, int32(stack[2]))})
			}
		},
		"_dlinit":    noop,
		"_dlopen_js": abortHost("dynamic linking is not supported"),
		"_dlsym_js":  abortHost("dynamic linking is not supported"),
		"emscripten_err": func(m *Module, def api.FunctionDefinition) hostImpl {
			return func(ctx context.Context, i *Instance, mem api.Memory, stack []uint64) {
				s, _ := readCString(mem, stack[0])
				i.writeStdout(append(s, '\n'))
			}
		},
		// No shell, ever: the reference fmt4 glue runs a real one on the CU host.
		"system": func(m *Module, def api.FunctionDefinition) hostImpl {
			return func(ctx context.Context, i *Instance, mem api.Memory, stack []uint64) {
				if !i.m.spec.systemErrno {
					stack[0] = neg(errnoNOSYS)
					return
				}
				if stack[0] == 0 {
					stack[0] = 0 // is a shell available? no
					return
				}
				i.setErrno(ctx, errnoNOSYS)
				stack[0] = uint64(uint32(0xffffffff))
			}
		},
		"_emscripten_system": func(m *Module, def api.FunctionDefinition) hostImpl {
			return func(ctx context.Context, i *Instance, mem api.Memory, stack []uint64) {
				if stack[0] == 0 {
					setResult(def, stack, 0) // is a shell available? no
					return
				}
				setResult(def, stack, -errnoNOSYS)
			}
		},
		// Environment and command line.
		"environ_sizes_get": func(m *Module, def api.FunctionDefinition) hostImpl {
			return func(ctx context.Context, i *Instance, mem api.Memory, stack []uint64) {
				env := i.environ()
				size := 0
				for _, s := range env {
					size += len(s) + 1
				}
				putUint(mem, stack[0], uint64(len(env)), i.m.ptrSize())
				putUint(mem, stack[1], uint64(size), i.m.ptrSize())
				stack[0] = 0
			}
		},
		"environ_get": func(m *Module, def api.FunctionDefinition) hostImpl {
			return func(ctx context.Context, i *Instance, mem api.Memory, stack []uint64) {
				ptrs, buf := stack[0], stack[1]
				for k, s := range i.environ() {
					putUint(mem, ptrs+uint64(k*i.m.ptrSize()), buf, i.m.ptrSize())
					mem.Write(uint32(buf), []byte(s))
					mem.WriteByte(uint32(buf)+uint32(len(s)), 0)
					buf += uint64(len(s) + 1)
				}
				stack[0] = 0
			}
		},
		"args_sizes_get": func(m *Module, def api.FunctionDefinition) hostImpl {
			return func(ctx context.Context, i *Instance, mem api.Memory, stack []uint64) {
				putUint(mem, stack[0], 0, i.m.ptrSize())
				putUint(mem, stack[1], 0, i.m.ptrSize())
				stack[0] = 0
			}
		},
		"args_get": constant(0),
		"random_get": func(m *Module, def api.FunctionDefinition) hostImpl {
			return func(ctx context.Context, i *Instance, mem api.Memory, stack []uint64) {
				buf, ok := mem.Read(uint32(stack[0]), uint32(stack[1]))
				if !ok {
					stack[0] = errnoINVAL
					return
				}
				_, _ = i.rand.Read(buf)
				stack[0] = 0
			}
		},
		// Files: stdout and stderr are captured; WeaveDrive files are the
		// only others.
		"fd_write":       fdWriteHost,
		"fd_read":        fdReadHost,
		"fd_seek":        fdSeekHost,
		"fd_close":       fdCloseHost,
		"fd_fdstat_get":  fdFdstatHost,
		"fd_sync":        constant(0),
		"__syscall_open": constantNeg(errnoNOENT),
		"__syscall_openat": func(m *Module, def api.FunctionDefinition) hostImpl {
			return func(ctx context.Context, i *Instance, mem api.Memory, stack []uint64) { stack[0] = neg(errnoNOENT) }
		},
		"__syscall_ioctl":   ioctlHost,
		"__syscall_fcntl64": fcntlHost,
		"__syscall_getcwd": func(m *Module, def api.FunctionDefinition) hostImpl {
			return func(ctx context.Context, i *Instance, mem api.Memory, stack []uint64) {
				size := stack[1]
				if size == 0 {
					stack[0] = neg(errnoINVAL)
					return
				}
				if size < 2 {
					stack[0] = neg(errnoRANGE)
					return
				}
				mem.Write(uint32(stack[0]), []byte("/\x00"))
				stack[0] = 2
			}
		},
		"_mmap_js":   constantNeg(errnoBADF),
		"_munmap_js": constant(0),
		// WeaveDrive (Asyncify imports in fmt4 and wasm64; a synchronous
		// host answers at once and the module never unwinds).
		"__asyncjs__weavedrive_open":  weavedriveOpenHost,
		"__asyncjs__weavedrive_read":  weavedriveReadHost,
		"__asyncjs__weavedrive_close": weavedriveCloseHost,
		"metering_gasUsed": func(m *Module, def api.FunctionDefinition) hostImpl {
			return func(ctx context.Context, i *Instance, mem api.Memory, stack []uint64) {
				var used uint64
				if i.gas != nil {
					used = i.gas.usedGas()
				}
				setResult(def, stack, float64(used))
			}
		},
	}
	// Every other syscall the reference glues offer: not implemented.
	for _, s := range []string{"chmod", "dup3", "faccessat", "fchmod", "fchown32", "fstat64",
		"ftruncate64", "lstat64", "mkdirat", "newfstatat", "readlinkat", "renameat", "rmdir",
		"stat64", "unlinkat", "utimensat", "getdents64", "fadvise64", "fallocate", "fdatasync",
		"pipe", "poll", "dup", "symlink", "symlinkat", "statfs64", "fstatfs64", "truncate64", "rename"} {
		hostFactories["__syscall_"+s] = constantNeg(errnoNOSYS)
	}
}

func noop(m *Module, def api.FunctionDefinition) hostImpl {
	return func(ctx context.Context, i *Instance, mem api.Memory, stack []uint64) {
		for k := range def.ResultTypes() {
			stack[k] = 0
		}
	}
}

func constant(v int64) hostFactory {
	return func(m *Module, def api.FunctionDefinition) hostImpl {
		if len(def.ResultTypes()) != 1 {
			return nil
		}
		return func(ctx context.Context, i *Instance, mem api.Memory, stack []uint64) { stack[0] = uint64(v) }
	}
}

func constantNeg(errno int64) hostFactory {
	return func(m *Module, def api.FunctionDefinition) hostImpl {
		if len(def.ResultTypes()) != 1 {
			return nil
		}
		return func(ctx context.Context, i *Instance, mem api.Memory, stack []uint64) { stack[0] = neg(errno) }
	}
}

func abortHost(reason string) hostFactory {
	return func(m *Module, def api.FunctionDefinition) hostImpl {
		return func(ctx context.Context, i *Instance, mem api.Memory, stack []uint64) {
			panic(&abortError{reason})
		}
	}
}

func exitHost(m *Module, def api.FunctionDefinition) hostImpl {
	return func(ctx context.Context, i *Instance, mem api.Memory, stack []uint64) {
		panic(&exitError{uint32(stack[0])})
	}
}

func memcpyHost(m *Module, def api.FunctionDefinition) hostImpl {
	if len(def.ParamTypes()) != 3 {
		return nil
	}
	return func(ctx context.Context, i *Instance, mem api.Memory, stack []uint64) {
		dst, src, n := uint32(stack[0]), uint32(stack[1]), uint32(stack[2])
		from, ok1 := mem.Read(src, n)
		to, ok2 := mem.Read(dst, n)
		if !ok1 || !ok2 {
			panic(&abortError{"memcpy out of bounds"})
		}
		copy(to, from)
		// stack[0] keeps dst for the variants that return it.
	}
}

func dateNowHost(m *Module, def api.FunctionDefinition) hostImpl {
	return func(ctx context.Context, i *Instance, mem api.Memory, stack []uint64) {
		setResult(def, stack, i.clockRead(i.m.spec.dateNow))
	}
}

// clockRead answers a time import by the format's rule. The counter is the
// reference's Date.now replacement (10000, 10001, ...), kept per process and
// saved with its state rather than shared by every process of a node.
func (i *Instance) clockRead(rule clockRule) float64 {
	switch rule {
	case clockNaN:
		return math.NaN()
	case clockCounter:
		return float64(i.tickDateNow())
	}
	return 0
}

// tickDateNow reads and advances the Date.now counter of the formats whose
// glue replaces Date.now by one. The reference's counter is one per loader
// instance (shared by every process of a CU worker, so not deterministic
// there): it starts at 10000, the glue's own boot reads some values, and a
// failed message makes the CU start a fresh instance, which starts it over.
// aogo keeps it per process, in the state, with the same start and the same
// reset after a failed message, so a single process sees the values the
// reference gives a single process.
func (i *Instance) tickDateNow() uint64 {
	if i.host.DateNow == 0 {
		i.host.DateNow = 10000 + i.m.spec.bootClockReads
	}
	v := i.host.DateNow
	i.host.DateNow++
	return v
}

// environ is the environment the module sees: emscripten's defaults for the
// formats whose glue has them, with argv[0] fixed; nothing otherwise.
func (i *Instance) environ() []string {
	if !i.m.spec.envStrings {
		return nil
	}
	return []string{"USER=web_user", "LOGNAME=web_user", "PATH=/", "PWD=/",
		"HOME=/home/web_user", "LANG=C.UTF-8", "_=" + i.m.spec.thisProgram}
}

// setErrno writes errno as the glue's setErrNo does.
func (i *Instance) setErrno(ctx context.Context, v uint32) {
	if i.exports.errnoLocation == nil {
		return
	}
	p, err := call1(ctx, i.exports.errnoLocation)
	if err != nil {
		panic(err)
	}
	i.guest.Memory().WriteUint32Le(uint32(p), v)
}

func (i *Instance) writeStdout(b []byte) {
	if i.cur != nil {
		i.cur.stdout.Write(b)
	}
}

// resizeHeap is the glue's emscripten_resize_heap: grow to at least the
// request, over-growing by 20%, 10%, 5% (capped at +96 MiB) and rounding to
// 64 KiB, within the format's heap maximum and the process's memory limit.
func (i *Instance) resizeHeap(mem api.Memory, requested uint64) bool {
	if !i.m.spec.wasm64 {
		requested = uint64(uint32(requested))
	}
	old := memorySize(mem)
	heapMax := min(i.m.spec.heapMax, maxWasm32Memory-65536)
	if requested > heapMax {
		return false
	}
	alignUp := func(x, mult uint64) uint64 { return x + (mult-x%mult)%mult }
	for cut := 1.0; cut <= 4; cut *= 2 {
		over := float64(old) * (1 + 0.2/cut)
		over = math.Min(over, float64(requested)+100663296)
		newSize := min(heapMax, alignUp(uint64(math.Max(float64(requested), over)), 65536))
		if newSize <= old {
			return true
		}
		if _, ok := mem.Grow(uint32((newSize - old + 65535) / 65536)); ok {
			return true
		}
	}
	return false
}

// invoke is emscripten's invoke_<sig>(index, args...): call a table entry
// with the stack saved; a longjmp out of it restores the stack and sets
// __THREW__, anything else propagates. Entries are called through the
// module's dynCall_<sig> export when it has one (a host function in the
// table cannot be called from the host in wazero 1.12), else looked up in
// the table.
func invoke(m *Module, name string, def api.FunctionDefinition) hostImpl {
	params := def.ParamTypes()
	if len(params) == 0 {
		return nil
	}
	sig := strings.TrimPrefix(name, "invoke_")
	results := def.ResultTypes()
	return func(ctx context.Context, i *Instance, mem api.Memory, stack []uint64) {
		e := &i.exports
		sp, err := call1(ctx, e.stackSave)
		if err != nil {
			panic(err)
		}
		// A wazero Function is not re-entrant (it owns its call stack), and
		// invokes nest (a pcall inside a pcall), so each nesting depth
		// gets its own dynCall function.
		depth := i.invokeDepth
		i.invokeDepth++
		defer func() { i.invokeDepth-- }()
		fns := e.dynCalls[sig]
		for len(fns) <= depth {
			fns = append(fns, i.guest.ExportedFunction("dynCall_"+sig))
			e.dynCalls[sig] = fns
		}
		dyn := fns[depth]
		var callErr error
		n := max(len(params), len(results))
		buf := make([]uint64, n)
		if dyn != nil {
			copy(buf, stack[:len(params)])
			callErr = dyn.CallWithStack(ctx, buf)
		} else {
			f := table.LookupFunction(i.guest, 0, uint32(stack[0]), params[1:], results)
			copy(buf, stack[1:len(params)])
			callErr = f.CallWithStack(ctx, buf[:max(len(params)-1, len(results), 1)])
		}
		if callErr == nil {
			copy(stack, buf[:len(results)])
			return
		}
		if _, err := call1(ctx, e.stackRestore, sp); err != nil {
			panic(err)
		}
		if !errors.Is(callErr, errLongjmp) {
			panic(callErr)
		}
		if _, err := call1(ctx, e.setThrew, 1, 0); err != nil {
			panic(err)
		}
		for k := range results {
			stack[k] = 0
		}
	}
}
