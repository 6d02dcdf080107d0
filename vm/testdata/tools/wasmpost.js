#!/usr/bin/env node
// wasmpost.js: turns a module linked by Debian's emscripten 3.1.6 into one
// that the ao-loader 0.0.49 glue of an AO Module-Format can run.
//
//   node wasmpost.js --format F [--meter] IN.wasm OUT.wasm
//   node wasmpost.js --list FILE.wasm      (print imports and exports, with types)
//
// F is wasm32-unknown-emscripten (fmt1), wasm32-unknown-emscripten2 (fmt2)
// or wasm32-unknown-emscripten3 (fmt3).
//
// What it does, in this order:
//  1. Renames imports to the names the format's glue provides (fmt1: module
//     "a" and one-letter names; fmt3: emscripten_memcpy_big ->
//     emscripten_memcpy_js) and fails if the module imports anything the glue
//     does not provide. The tables below are copied from the glue in
//     ao-loader's dist/index.cjs.
//  2. fmt1 only: renames exports to the glue's one-letter names and drops the
//     exports the glue never reads.
//  3. --meter: instruments the module with @permaweb/wasm-metering (the same
//     package ao-loader uses for the *-metering formats), which adds the
//     import metering.usegas(i32) after all other imports. The "name" custom
//     section is kept and its function indices are shifted to match.
//
// Only the import, export and name sections are rewritten; every other byte
// is copied, so the output is as reproducible as the input.
'use strict'

const fs = require('fs')
const path = require('path')

// fmt1: src/formats/emscripten.cjs asmLibraryArg (import module "a").
const FMT1_IMPORTS = {
  __syscall_dup3: 'w', __syscall_fcntl64: 'd', __syscall_ioctl: 'z', __syscall_lstat64: 'r',
  __syscall_openat: 'g', __syscall_renameat: 's', __syscall_rmdir: 't', __syscall_unlinkat: 'e',
  _emscripten_date_now: 'a', _emscripten_get_now_is_monotonic: 'A', _emscripten_throw_longjmp: 'p',
  _gmtime_js: 'B', _localtime_js: 'C', _mktime_js: 'i', _tzset_js: 'j', abort: 'D',
  emscripten_memcpy_big: 'k', emscripten_resize_heap: 'q', environ_get: 'u', environ_sizes_get: 'v',
  exit: 'l', fd_close: 'c', fd_read: 'y', fd_seek: 'o', fd_write: 'f', getTempRet0: 'h',
  invoke_vii: 'x', setTempRet0: 'b', strftime: 'n', system: 'm'
}
// fmt1: the exports the glue reads (Module2.asm.E ... Module2.asm.O).
const FMT1_EXPORTS = {
  memory: 'E', __wasm_call_ctors: 'F', handle: 'G', main: 'H', __indirect_function_table: 'I',
  malloc: 'J', __errno_location: 'K', setThrew: 'L', stackSave: 'M', stackRestore: 'N', stackAlloc: 'O'
}
// fmt2: src/formats/emscripten2.cjs asmLibraryArg, offered as both "env" and
// "wasi_snapshot_preview1".
const FMT2_IMPORTS = [
  '__assert_fail', '__syscall_chmod', '__syscall_dup3', '__syscall_faccessat', '__syscall_fchmod',
  '__syscall_fchown32', '__syscall_fcntl64', '__syscall_fstat64', '__syscall_ftruncate64',
  '__syscall_getcwd', '__syscall_ioctl', '__syscall_lstat64', '__syscall_mkdirat', '__syscall_newfstatat',
  '__syscall_openat', '__syscall_readlinkat', '__syscall_renameat', '__syscall_rmdir', '__syscall_stat64',
  '__syscall_unlinkat', '__syscall_utimensat', '_dlinit', '_dlopen_js', '_dlsym_js', '_emscripten_date_now',
  '_emscripten_get_now_is_monotonic', '_emscripten_throw_longjmp', '_gmtime_js', '_localtime_js',
  '_mktime_js', '_mmap_js', '_munmap_js', '_tzset_js', 'abort', 'emscripten_get_heap_max',
  'emscripten_get_now', 'emscripten_memcpy_big', 'emscripten_resize_heap', 'environ_get',
  'environ_sizes_get', 'exit', 'fd_close', 'fd_fdstat_get', 'fd_read', 'fd_seek', 'fd_sync', 'fd_write',
  'getTempRet0', 'invoke_vii', 'setTempRet0', 'strftime', 'system'
]
// fmt3: src/formats/emscripten3.cjs wasmImports, offered as both "env" and
// "wasi_snapshot_preview1".
const FMT3_IMPORTS = [
  '__syscall_chmod', '__syscall_dup3', '__syscall_faccessat', '__syscall_fchmod', '__syscall_fchown32',
  '__syscall_fcntl64', '__syscall_fstat64', '__syscall_ftruncate64', '__syscall_getcwd', '__syscall_ioctl',
  '__syscall_lstat64', '__syscall_mkdirat', '__syscall_newfstatat', '__syscall_openat',
  '__syscall_readlinkat', '__syscall_renameat', '__syscall_rmdir', '__syscall_stat64', '__syscall_unlinkat',
  '__syscall_utimensat', '_emscripten_get_now_is_monotonic', '_emscripten_system',
  '_emscripten_throw_longjmp', '_gmtime_js', '_localtime_js', '_mktime_js', '_mmap_js', '_munmap_js',
  '_tzset_js', 'abort', 'emscripten_date_now', 'emscripten_get_heap_max', 'emscripten_get_now',
  'emscripten_memcpy_js', 'emscripten_resize_heap', 'environ_get', 'environ_sizes_get', 'exit', 'fd_close',
  'fd_fdstat_get', 'fd_read', 'fd_seek', 'fd_sync', 'fd_write', 'invoke_vii', 'strftime'
]
const FMT3_RENAMES = { emscripten_memcpy_big: 'emscripten_memcpy_js' }

const FORMATS = {
  'wasm32-unknown-emscripten': 1,
  'wasm32-unknown-emscripten2': 2,
  'wasm32-unknown-emscripten3': 3
}

// --- binary reading and writing -------------------------------------------

class Reader {
  constructor (buf, pos = 0, end = buf.length) { this.buf = buf; this.pos = pos; this.end = end }
  byte () {
    if (this.pos >= this.end) throw new Error('unexpected end of section')
    return this.buf[this.pos++]
  }

  u32 () {
    let result = 0; let shift = 0; let b
    do {
      b = this.byte()
      result += (b & 0x7f) * 2 ** shift
      shift += 7
    } while (b & 0x80)
    return result
  }

  bytes (n) {
    if (this.pos + n > this.end) throw new Error('unexpected end of section')
    const out = this.buf.subarray(this.pos, this.pos + n)
    this.pos += n
    return out
  }

  name () { return Buffer.from(this.bytes(this.u32())).toString('utf8') }
  limits () {
    const flags = this.byte()
    const min = this.u32()
    const max = flags & 1 ? this.u32() : undefined
    return { flags, min, max }
  }
}

function u32 (n) {
  const out = []
  do {
    let b = n % 128
    n = Math.floor(n / 128)
    if (n) b |= 0x80
    out.push(b)
  } while (n)
  return Buffer.from(out)
}

function nameBytes (s) {
  const b = Buffer.from(s, 'utf8')
  return Buffer.concat([u32(b.length), b])
}

function section (id, payload) {
  return Buffer.concat([Buffer.from([id]), u32(payload.length), payload])
}

const VALTYPES = { 0x7f: 'i32', 0x7e: 'i64', 0x7d: 'f32', 0x7c: 'f64', 0x7b: 'v128', 0x70: 'funcref', 0x6f: 'externref' }

function parseModule (buf) {
  if (buf.readUInt32LE(0) !== 0x6d736100 || buf.readUInt32LE(4) !== 1) throw new Error('not a wasm module')
  const sections = []
  const r = new Reader(buf, 8)
  while (r.pos < buf.length) {
    const start = r.pos
    const id = r.byte()
    const size = r.u32()
    const body = r.pos
    r.pos += size
    const s = { id, start, body, end: r.pos, raw: buf.subarray(start, r.pos) }
    if (id === 0) {
      const cr = new Reader(buf, body, r.pos)
      s.customName = cr.name()
      s.customBody = cr.pos
    }
    sections.push(s)
  }
  return sections
}

function parseTypes (buf, s) {
  const r = new Reader(buf, s.body, s.end)
  const types = []
  for (let n = r.u32(); n > 0; n--) {
    if (r.byte() !== 0x60) throw new Error('unsupported type form')
    const params = []; const results = []
    for (let k = r.u32(); k > 0; k--) params.push(VALTYPES[r.byte()])
    for (let k = r.u32(); k > 0; k--) results.push(VALTYPES[r.byte()])
    types.push(`(${params.join(',')})->(${results.join(',')})`)
  }
  return types
}

// parseImports returns the import entries; each keeps the raw bytes of its
// descriptor so that it can be written back unchanged.
function parseImports (buf, s) {
  const r = new Reader(buf, s.body, s.end)
  const out = []
  for (let n = r.u32(); n > 0; n--) {
    const module = r.name(); const field = r.name()
    const descStart = r.pos
    const kind = r.byte()
    let type
    if (kind === 0) type = r.u32()
    else if (kind === 1) { r.byte(); r.limits() } else if (kind === 2) r.limits()
    else if (kind === 3) { r.byte(); r.byte() } else throw new Error('unknown import kind ' + kind)
    out.push({ module, field, kind, type, desc: Buffer.from(buf.subarray(descStart, r.pos)) })
  }
  return out
}

function parseExports (buf, s) {
  const r = new Reader(buf, s.body, s.end)
  const out = []
  for (let n = r.u32(); n > 0; n--) {
    const name = r.name(); const kind = r.byte(); const index = r.u32()
    out.push({ name, kind, index })
  }
  return out
}

function writeImports (imports) {
  return section(2, Buffer.concat([u32(imports.length),
    ...imports.map(i => Buffer.concat([nameBytes(i.module), nameBytes(i.field), i.desc]))]))
}

function writeExports (exports) {
  return section(7, Buffer.concat([u32(exports.length),
    ...exports.map(e => Buffer.concat([nameBytes(e.name), Buffer.from([e.kind]), u32(e.index)]))]))
}

// shiftNames rewrites the "name" custom section so that every function index
// >= from is increased by one, and names the inserted function at index from.
function shiftNames (buf, s, from, newName) {
  const r = new Reader(buf, s.customBody, s.end)
  const subs = []
  while (r.pos < r.end) {
    const id = r.byte()
    const size = r.u32()
    const sr = new Reader(buf, r.pos, r.pos + size)
    r.pos += size
    const shift = i => (i >= from ? i + 1 : i)
    if (id === 1) { // function names: vec(idx, name), sorted by idx
      const entries = []
      for (let n = sr.u32(); n > 0; n--) entries.push([shift(sr.u32()), sr.name()])
      entries.push([from, newName])
      entries.sort((a, b) => a[0] - b[0])
      subs.push(Buffer.concat([Buffer.from([1]), ...withSize(Buffer.concat([u32(entries.length),
        ...entries.map(([i, nm]) => Buffer.concat([u32(i), nameBytes(nm)]))]))]))
    } else if (id === 2 || id === 3) { // local / label names: vec(funcidx, vec(idx, name))
      const parts = []
      let count = 0
      for (let n = sr.u32(); n > 0; n--) {
        const fi = shift(sr.u32())
        const start = sr.pos
        for (let k = sr.u32(); k > 0; k--) { sr.u32(); sr.name() }
        parts.push(Buffer.concat([u32(fi), buf.subarray(start, sr.pos)]))
        count++
      }
      subs.push(Buffer.concat([Buffer.from([id]), ...withSize(Buffer.concat([u32(count), ...parts]))]))
    } else {
      subs.push(Buffer.concat([Buffer.from([id]), u32(size), buf.subarray(sr.pos, sr.end)]))
    }
  }
  return section(0, Buffer.concat([nameBytes('name'), ...subs]))
}

function withSize (payload) { return [u32(payload.length), payload] }

// --- the passes --------------------------------------------------------------

function rename (buf, fmt) {
  const sections = parseModule(buf)
  const errors = []
  const out = [buf.subarray(0, 8)]
  for (const s of sections) {
    if (s.id === 2) {
      const imports = parseImports(buf, s)
      for (const imp of imports) {
        if (imp.module === 'metering') { errors.push('module is already metered'); continue }
        if (imp.module !== 'env' && imp.module !== 'wasi_snapshot_preview1') {
          errors.push(`import ${imp.module}.${imp.field}: unknown module`)
          continue
        }
        if (fmt === 1) {
          const letter = FMT1_IMPORTS[imp.field]
          if (!letter) errors.push(`import ${imp.module}.${imp.field}: not provided by the fmt1 glue`)
          imp.module = 'a'
          imp.field = letter || imp.field
        } else if (fmt === 2) {
          if (!FMT2_IMPORTS.includes(imp.field)) errors.push(`import ${imp.module}.${imp.field}: not provided by the fmt2 glue`)
        } else {
          imp.field = FMT3_RENAMES[imp.field] || imp.field
          if (!FMT3_IMPORTS.includes(imp.field)) errors.push(`import ${imp.module}.${imp.field}: not provided by the fmt3 glue`)
        }
      }
      out.push(writeImports(imports))
    } else if (s.id === 7 && fmt === 1) {
      const exports = parseExports(buf, s)
        .filter(e => FMT1_EXPORTS[e.name])
        .map(e => ({ ...e, name: FMT1_EXPORTS[e.name] }))
      out.push(writeExports(exports))
    } else {
      out.push(s.raw)
    }
  }
  if (errors.length) throw new Error(errors.join('\n'))
  return Buffer.concat(out)
}

function meter (buf) {
  // @permaweb/wasm-metering comes with ao-loader in test/js/node_modules
  // (AOGO_JS_DIR overrides test/js).
  const jsDir = process.env.AOGO_JS_DIR || path.join(__dirname, '..', '..', '..', 'test', 'js')
  const metering = require(path.join(jsDir, 'node_modules', '@permaweb', 'wasm-metering'))
  const sections = parseModule(buf)
  const importSec = sections.find(s => s.id === 2)
  const nFuncImports = importSec ? parseImports(buf, importSec).filter(i => i.kind === 0).length : 0
  const nameSec = sections.find(s => s.id === 0 && s.customName === 'name')
  const stripped = Buffer.concat([buf.subarray(0, 8), ...sections.filter(s => s !== nameSec).map(s => s.raw)])
  let metered = Buffer.from(metering.meterWASM(stripped, { meterType: 'i32' }))
  if (nameSec) metered = Buffer.concat([metered, shiftNames(buf, nameSec, nFuncImports, 'metering.usegas')])
  return metered
}

function list (buf) {
  const sections = parseModule(buf)
  const typeSec = sections.find(s => s.id === 1)
  const types = typeSec ? parseTypes(buf, typeSec) : []
  const lines = []
  for (const s of sections) {
    if (s.id === 2) {
      for (const i of parseImports(buf, s)) {
        const kind = ['func', 'table', 'memory', 'global'][i.kind]
        lines.push(`import ${i.module}.${i.field} ${kind}${i.kind === 0 ? ' ' + types[i.type] : ''}`)
      }
    }
    if (s.id === 7) {
      for (const e of parseExports(buf, s)) {
        lines.push(`export ${e.name} ${['func', 'table', 'memory', 'global'][e.kind]} ${e.index}`)
      }
    }
    if (s.id === 5) {
      const r = new Reader(buf, s.body, s.end)
      for (let n = r.u32(); n > 0; n--) {
        const l = r.limits()
        lines.push(`memory pages min=${l.min} max=${l.max === undefined ? 'none' : l.max}`)
      }
    }
  }
  return lines.join('\n') + '\n'
}

function main (argv) {
  if (argv[0] === '--list') {
    process.stdout.write(list(fs.readFileSync(argv[1])))
    return
  }
  let format; let doMeter = false; const files = []
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--format') format = argv[++i]
    else if (argv[i] === '--meter') doMeter = true
    else files.push(argv[i])
  }
  const fmt = FORMATS[format]
  if (!fmt || files.length !== 2) {
    process.stderr.write('usage: wasmpost.js --format F [--meter] IN.wasm OUT.wasm | --list FILE.wasm\n')
    process.exit(2)
  }
  let buf = rename(fs.readFileSync(files[0]), fmt)
  if (doMeter) buf = meter(buf)
  // Validate by compiling: catches anything the rewrite could have broken.
  new WebAssembly.Module(buf) // eslint-disable-line no-new
  fs.writeFileSync(files[1], buf)
}

try {
  main(process.argv.slice(2))
} catch (e) {
  process.stderr.write(`wasmpost: ${e.message}\n`)
  process.exit(1)
}
