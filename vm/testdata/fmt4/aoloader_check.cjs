// aoloader_check.cjs: run the fmt4 / wasm64 test modules under the reference
// loader (@permaweb/ao-loader 0.0.49 from test/js/node_modules) and print one
// JSON line per message. A developer check, not part of the build:
//
//   TZ=UTC node vm/testdata/fmt4/aoloader_check.cjs FORMAT MODULE.wasm [ACTION[=DATA] ...]
//   (wasm64 formats: node --experimental-wasm-memory64 ...)
//
// Each ACTION is a message with Tag Action=ACTION (or no Action tag for "-")
// and Data=DATA. The memory of each result is passed to the next message, as
// the CU does, except after a failed message (the CU keeps the previous
// memory then). "Shell" is refused for wasm32-unknown-emscripten4 and its
// metering variant: that glue's _emscripten_system runs a real host shell.
//
// WeaveDrive is a small in-memory stand-in with the real drive's shape
// (open -> MEMFS file + FS.open, fd numbers from FS; read copies from the
// file at the stream position and advances it; close -> FS.close). Files:
// /data/hello-tx = "HELLO-FROM-WEAVEDRIVE" (21 bytes).
'use strict'
const fs = require('fs')
const path = require('path')

const loaderPath = path.join(__dirname, '../../../test/js/node_modules/@permaweb/ao-loader')
const AoLoader = require(loaderPath)

// ao-loader replaces console.log with a no-op while handle runs and does not
// put it back when handle throws, so print through stdout directly.
const print = line => process.stdout.write(JSON.stringify(line) + '\n')

const FILES = { 'hello-tx': 'HELLO-FROM-WEAVEDRIVE' }

function weaveDrive (mod, FS) {
  return {
    async open (filename) {
      const [, category, id] = filename.split('/')
      if (category !== 'data' || !(id in FILES)) return 0
      const p = '/data/' + id
      if (!FS.analyzePath(p).exists) {
        FS.createDataFile('/', 'data/' + id, Buffer.from(FILES[id]), true, false)
      }
      return FS.open(p, 'r').fd
    },
    async read (fd, dst, len) {
      const stream = FS.streams.find(s => s && s.fd === fd)
      if (!stream) return 0
      const contents = stream.node.contents
      const start = stream.position
      const n = Math.max(0, Math.min(Number(len), stream.node.usedBytes - start))
      mod.HEAPU8.set(contents.subarray(start, start + n), Number(dst))
      stream.position += n
      return n
    },
    async close (fd) {
      const stream = FS.streams.find(s => s && s.fd === fd)
      if (stream) FS.close(stream)
      return 0
    }
  }
}

async function main () {
  const [format, wasmFile, ...actions] = process.argv.slice(2)
  if (!format || !wasmFile) {
    console.error('usage: aoloader_check.cjs FORMAT MODULE.wasm [ACTION[=DATA] ...]')
    process.exit(2)
  }
  const binary = fs.readFileSync(wasmFile)
  const handle = await AoLoader(binary, {
    format,
    WeaveDrive: weaveDrive,
    ARWEAVE: 'http://127.0.0.1:1',
    mode: 'test',
    computeLimit: format.includes('metering') ? 2e8 : undefined,
    blockHeight: 100,
    spawn: { id: 'PROCESS', owner: 'OWNER', tags: [] },
    module: { id: 'MODULE', owner: 'OWNER', tags: [] }
  })
  const env = { Process: { Id: 'PROCESS', Owner: 'OWNER', Tags: [] }, Module: { Id: 'MODULE', Owner: 'OWNER', Tags: [] } }
  let memory = null
  let n = 0
  for (const a of actions) {
    const eq = a.indexOf('=')
    const action = eq < 0 ? a : a.slice(0, eq)
    const data = eq < 0 ? '' : a.slice(eq + 1)
    if (action === 'Shell' && !format.startsWith('wasm64')) {
      print({ action, skipped: 'runs a host shell under this glue' })
      continue
    }
    n++
    const msg = {
      Id: 'MSG' + n,
      Owner: 'OWNER',
      From: 'OWNER',
      Target: 'PROCESS',
      Tags: action === '-' ? [] : [{ name: 'Action', value: action }],
      Data: action === 'Big' ? 'x'.repeat(Number(data) || 1 << 20) : data,
      Timestamp: 1704164645123,
      'Block-Height': 100,
      Cron: false,
      'Read-Only': false
    }
    try {
      const r = await handle(memory, msg, env)
      const line = { action, Output: r.Output, Error: r.Error, Messages: r.Messages, Spawns: r.Spawns, Assignments: r.Assignments, MemoryBytes: r.Memory.byteLength }
      if (r.GasUsed !== undefined) line.GasUsed = r.GasUsed
      print(line)
      if (r.Error === undefined) memory = r.Memory
    } catch (e) {
      print({ action, threw: e instanceof Error ? e.message.slice(0, 300) : e })
    }
  }
}

main().catch(e => { console.error(e); process.exit(1) })
