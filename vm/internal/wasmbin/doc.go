// Package wasmbin decodes WebAssembly binaries at the section level and
// rewrites them for the vm, before wazero compiles them. There are three
// rewrites:
//
//   - Meter instruments every function with gas accounting, exactly as
//     @permaweb/wasm-metering (what ao-loader runs for the "-metering"
//     Module-Formats) does, or as aogo's own safety budget with a minimum
//     charge per block (MeterConfig.MinCost), which can also count down
//     in a global of the module instead of calling an import
//     (MeterConfig.InlineGlobal), at every block or only at function
//     entries and loop headers (MeterConfig.InlineSparse).
//   - ExportGlobals exports every global, so that snapshots of a Go guest
//     can capture and restore its stack and goroutine pointers.
//   - Rename renames imports and exports.
//
// Decode keeps every section as the input bytes and decodes only what the
// rewrites need, so a rewrite changes only the sections it must, and
// Decode followed by Encode returns the input byte for byte. No input makes
// this package panic: malformed binaries give errors that wrap ErrMalformed
// (or ErrUnsupported) and say where.
//
// # Usage
//
//	bin, err = wasmbin.Meter(bin, wasmbin.MeterConfig{MeterType: wasmbin.I32})
//	bin, err = wasmbin.Meter(bin, wasmbin.MeterConfig{MinCost: 1, InlineGlobal: "aogo.budget"})
//	bin, err = wasmbin.Meter(bin, wasmbin.MeterConfig{MinCost: 1, InlineGlobal: "aogo.budget", InlineSparse: true})
//	bin, names, err := wasmbin.ExportGlobals(bin, "aogo.global.")
//	bin, err = wasmbin.Rename(bin, map[wasmbin.ImportName]wasmbin.ImportName{
//		{Module: "metering", Name: "usegas"}: {Module: "aogo", Name: "usegas"},
//	}, nil)
//
// # Why port the metering pass instead of running the npm package?
//
// Gas decides whether a message runs out of gas, so every CU must count
// it identically; the count comes from the instrumentation, so the port
// must insert the same charges at the same places. The differential test
// (TestMeterMatchesReference) runs the copy bundled in ao-loader on the
// same inputs and requires the same bytes. The port takes milliseconds
// where the npm package takes seconds on a 500 KB module, and needs no
// JavaScript at run time.
//
// # Why does Meter's output differ from the reference in the name section?
//
// The reference keeps custom sections as opaque bytes, so after it shifts
// function indices by one, every function name in a "name" section labels
// the previous function. Meter renumbers function, local and label names
// too. Names do not affect execution, and so not gas.
//
// # Why do instructions the reference cannot decode cost nothing?
//
// The reference decodes with @permaweb/wasm-json-toolkit, which knows the
// MVP opcodes and sign extension only and rejects any module using others
// (SIMD, bulk memory, saturating truncation, reference types, tail calls).
// Such a module has no reference gas to match. Meter accepts it, prices
// the unknown instructions like the names its cost table does not list (0),
// and ends a block after those that branch, so that blocks stay straight
// lines. MinCost is what keeps a budget meaningful whatever the prices.
//
// # Why an inline budget?
//
// A budget charged by calling an import costs a call into another module
// on every metered block: BenchmarkBudgetLoop measures a tight loop at
// about 3 times its unmetered time that way, and at 1.3 to 1.5 times with
// the inline countdown, a handful of machine instructions and no call.
// The inline code is larger, though: a countdown takes 17 bytes where the
// call takes 5 (with small indices), so SQLite grows by 84% instead of
// 25%, and wazero takes about 1.5 times as long to compile it as with the
// calls, twice as long as unmetered (BenchmarkBudgetCompile). Gas for the
// "-metering" formats keeps the call, as the reference makes it.
//
// # Why a sparse inline budget?
//
// Go (GOOS=wasip1) code runs very many short blocks, and the dense inline
// budget costs about half again the time of a trivial Go message. A budget
// for aogo's safety only has to be deterministic and stop every endless
// execution, which charging at function entries and loop headers does (see
// MeterConfig.InlineSparse for why). BenchmarkBudgetGoGuest measures a Go
// handler at about 1.5 times its unmetered time with the dense budget and
// 1.1 times with the sparse one, which counts 8 times fewer units. The
// code grows by 2% instead of 35% on a Go binary, and by 10% instead of
// 84% on SQLite, which wazero then compiles about as fast as unmetered
// (BenchmarkBudgetCompile). A sparse unit is a coarser measure, though:
// the blocks between two charges count nothing.
package wasmbin
