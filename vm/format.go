package vm

import (
	"fmt"
	"sort"
	"strings"
)

// Format is a Module-Format tag value: which ABI a module speaks.
type Format string

// The module formats the vm runs.
const (
	// FormatEmscripten is AO's first format: emscripten glue with minified
	// import and export names (module "a").
	FormatEmscripten Format = "wasm32-unknown-emscripten"
	// FormatEmscripten2 is aos 1.x: readable names, main(argc, argv) at boot.
	FormatEmscripten2 Format = "wasm32-unknown-emscripten2"
	// FormatEmscripten3 is FormatEmscripten2 with UTF-8 sized strings and
	// a Date.now counter.
	FormatEmscripten3 Format = "wasm32-unknown-emscripten3"
	// FormatEmscripten4 is aos 2.x: Asyncify, WeaveDrive imports, no main.
	FormatEmscripten4 Format = "wasm32-unknown-emscripten4"
	// FormatEmscriptenMetering is FormatEmscripten4 instrumented for gas at
	// load time.
	FormatEmscriptenMetering Format = "wasm32-unknown-emscripten-metering"
	// FormatWasm64 is aos 2.x with memory64; the vm lowers it to wasm32.
	FormatWasm64 Format = "wasm64-unknown-emscripten-draft_2024_02_15"
	// FormatWasm64Metering is FormatWasm64 instrumented for gas at load time.
	FormatWasm64Metering Format = "wasm64-unknown-emscripten-draft_2024_10_16-metering"
	// FormatNative is aogo's own format for Go (GOOS=wasip1) modules; see
	// docs/native-modules.md.
	FormatNative Format = "wasm32-wasip1-aogo"
)

// stringRule is how the reference glue sizes a string it places on the
// emscripten stack for cwrap: the size changes where later allocations land,
// so it must match for byte-identical memory.
type stringRule int

const (
	// stringUTF16x4 reserves 4 bytes per UTF-16 code unit plus the NUL
	// (fmt1 and fmt2 glue: stackAlloc((str.length << 2) + 1)).
	stringUTF16x4 stringRule = iota
	// stringUTF8 reserves the UTF-8 length plus the NUL (stringToUTF8OnStack).
	stringUTF8
)

// clockRule is what a time import answers.
type clockRule int

const (
	clockZero    clockRule = iota // always 0 (fmt1 and fmt2 _emscripten_date_now)
	clockNaN                      // NaN (fmt2 emscripten_get_now, a reference bug kept for parity)
	clockCounter                  // 10000, 10001, ... per instance (the reference's Date.now counter)
)

// bootRule is what the glue runs when an instance starts.
type bootRule int

const (
	bootCtors      bootRule = iota // stack init, cookie, ctors; main is not called (fmt4, wasm64)
	bootMainArgv                   // ... then main(argc, argv) with argv on the stack (fmt1, fmt2)
	bootMainZero                   // ... then main(0, 0) (fmt3)
	bootInitialize                 // wasip1 reactor: _initialize (native)
)

// formatSpec is everything the host does differently per format.
type formatSpec struct {
	format       Format
	native       bool
	wasm64       bool       // memory64 module, lowered to wasm32 at load
	loaderMeters bool       // the loader instruments the module for gas (the -metering formats)
	glue         int        // 1..4: which reference glue the host imitates
	strings      stringRule // cwrap string sizing
	dateNow      clockRule  // _emscripten_date_now / emscripten_date_now
	getNow       clockRule  // emscripten_get_now
	boot         bootRule
	envStrings   bool   // emscripten's default environment (USER, LOGNAME, PATH, PWD, HOME, LANG, _)
	thisProgram  string // argv[0] and the "_" environment string
	heapMax      uint64 // the glue's getHeapMax
	systemErrno  bool   // system() sets errno 52 and returns -1 (fmt1-3) instead of returning -52
	// bootClockReads is how many times the reference glue reads its Date.now
	// counter while it boots (its file system's timestamps), so the module's
	// first reading is 10000 + bootClockReads.
	bootClockReads uint64
	// importNames maps minified import names to the canonical emscripten
	// names (fmt1); exportNames maps canonical export names to the module's.
	importNames map[string]string
	exportNames map[string]string
}

const (
	mib = 1 << 20
	gib = 1 << 30
)

// fmt1Imports is the fmt1 glue's asmLibraryArg: minified import name to the
// function it is.
var fmt1Imports = map[string]string{
	"w": "__syscall_dup3", "d": "__syscall_fcntl64", "z": "__syscall_ioctl",
	"r": "__syscall_lstat64", "g": "__syscall_openat", "s": "__syscall_renameat",
	"t": "__syscall_rmdir", "e": "__syscall_unlinkat", "a": "_emscripten_date_now",
	"A": "_emscripten_get_now_is_monotonic", "p": "_emscripten_throw_longjmp",
	"B": "_gmtime_js", "C": "_localtime_js", "i": "_mktime_js", "j": "_tzset_js",
	"D": "abort", "k": "emscripten_memcpy_big", "q": "emscripten_resize_heap",
	"u": "environ_get", "v": "environ_sizes_get", "l": "exit", "c": "fd_close",
	"y": "fd_read", "o": "fd_seek", "f": "fd_write", "h": "getTempRet0",
	"x": "invoke_vii", "b": "setTempRet0", "n": "strftime", "m": "system",
}

// fmt1Exports is the fmt1 glue's view of the module's exports.
var fmt1Exports = map[string]string{
	"memory": "E", "__wasm_call_ctors": "F", "handle": "G", "main": "H",
	"__indirect_function_table": "I", "malloc": "J", "__errno_location": "K",
	"setThrew": "L", "stackSave": "M", "stackRestore": "N", "stackAlloc": "O",
}

var formats = map[Format]*formatSpec{
	FormatEmscripten: {
		format: FormatEmscripten, glue: 1, strings: stringUTF16x4,
		dateNow: clockZero, getNow: clockZero, boot: bootMainZero, envStrings: true,
		thisProgram: "./this.program", heapMax: 500 * mib, systemErrno: true,
		importNames: fmt1Imports, exportNames: fmt1Exports,
	},
	FormatEmscripten2: {
		format: FormatEmscripten2, glue: 2, strings: stringUTF16x4,
		dateNow: clockZero, getNow: clockNaN, boot: bootMainArgv, envStrings: true,
		thisProgram: "./this.program", heapMax: 500 * mib, systemErrno: true,
	},
	FormatEmscripten3: {
		format: FormatEmscripten3, glue: 3, strings: stringUTF8,
		dateNow: clockCounter, getNow: clockCounter, boot: bootMainZero, envStrings: true,
		thisProgram: "./this.program", heapMax: 4*gib - 64*1024, systemErrno: true, bootClockReads: 3,
	},
	FormatEmscripten4: {
		format: FormatEmscripten4, glue: 4, strings: stringUTF8,
		dateNow: clockCounter, getNow: clockCounter, boot: bootCtors, bootClockReads: 4,
		thisProgram: "./this.program", heapMax: 4*gib - 64*1024,
	},
	FormatEmscriptenMetering: {
		format: FormatEmscriptenMetering, glue: 4, loaderMeters: true, strings: stringUTF8,
		dateNow: clockCounter, getNow: clockCounter, boot: bootCtors, bootClockReads: 4,
		thisProgram: "./this.program", heapMax: 4*gib - 64*1024,
	},
	FormatWasm64: {
		format: FormatWasm64, glue: 4, wasm64: true, strings: stringUTF8,
		dateNow: clockCounter, getNow: clockCounter, boot: bootCtors, bootClockReads: 4,
		thisProgram: "./this.program", heapMax: 16 * gib,
	},
	FormatWasm64Metering: {
		format: FormatWasm64Metering, glue: 4, wasm64: true, loaderMeters: true, strings: stringUTF8,
		dateNow: clockCounter, getNow: clockCounter, boot: bootCtors, bootClockReads: 4,
		thisProgram: "./this.program", heapMax: 16 * gib,
	},
	FormatNative: {
		format: FormatNative, native: true, boot: bootInitialize,
		thisProgram: "./this.program", heapMax: 4*gib - 64*1024,
	},
}

// Formats lists the module formats the vm runs, sorted.
func Formats() []Format {
	out := make([]Format, 0, len(formats))
	for f := range formats {
		out = append(out, f)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// lookupFormat returns the spec of a format, or an ErrUnsupportedFormat error
// naming the formats that are supported.
func lookupFormat(f Format) (*formatSpec, error) {
	if spec, ok := formats[f]; ok {
		return spec, nil
	}
	names := make([]string, 0, len(formats))
	for _, f := range Formats() {
		names = append(names, string(f))
	}
	return nil, fmt.Errorf("%w %q (supported: %s)", ErrUnsupportedFormat, f, strings.Join(names, ", "))
}

// exportName is the module's name for a canonical export.
func (s *formatSpec) exportName(canonical string) string {
	if n, ok := s.exportNames[canonical]; ok {
		return n
	}
	return canonical
}

// importName is the canonical name of an import as the module names it.
func (s *formatSpec) importName(name string) string {
	if n, ok := s.importNames[name]; ok {
		return n
	}
	return name
}
