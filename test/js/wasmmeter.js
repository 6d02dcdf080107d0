#!/usr/bin/env node
// wasmmeter.js: meter a WebAssembly binary as @permaweb/ao-loader does, the
// reference for vm/internal/wasmbin.Meter (its Go differential test runs
// this script).
//
//   node wasmmeter.js IN.wasm OUT.wasm i32|i64
//
// It calls meterWASM(bin, { meterType }) with the defaults (cost table,
// import "metering"."usegas"), as the loader does for the "-metering"
// Module-Formats. The function is the copy of @permaweb/wasm-metering
// 0.2.2 (with @permaweb/wasm-json-toolkit 0.2.9) that ao-loader 0.0.49
// bundles into dist/index.cjs, taken out of the bundle, so the reference is
// exactly the code the loader runs and not whatever version npm installed
// next to it.
'use strict'

const fs = require('fs')
const path = require('path')
const vm = require('vm')
const { createRequire } = require('module')

const [input, output, meterType] = process.argv.slice(2)
if (!input || !output || !['i32', 'i64'].includes(meterType)) {
  process.stderr.write('usage: node wasmmeter.js IN.wasm OUT.wasm i32|i64\n')
  process.exit(2)
}

function fail (msg) {
  process.stderr.write(`wasmmeter.js: ${msg}\n`)
  process.exit(1)
}

const loaderVersion = require('@permaweb/ao-loader/package.json').version
if (loaderVersion !== '0.0.49') {
  fail(`@permaweb/ao-loader is ${loaderVersion}; this script knows the layout of 0.0.49`)
}

// The bundle is esbuild output: modules are lazy `var require_x =
// __commonJS(...)` definitions, followed by the loader's own code from the
// "// src/index.cjs" marker on. Everything before the marker only defines
// things, so it can be run on its own, with an export of the metering
// module appended.
function bundledMetering () {
  const dist = require.resolve('@permaweb/ao-loader/dist/index.cjs')
  const src = fs.readFileSync(dist, 'utf8')
  const end = src.indexOf('\n// src/index.cjs')
  if (end < 0 || !src.includes('var require_wasm_metering = __commonJS(')) {
    fail(`${dist} does not have the expected layout`)
  }
  const code = src.slice(0, end) + '\nmodule.exports = require_wasm_metering();\n'
  const wrapper = '(function (require, module, exports, __filename, __dirname) {' + code + '\n})'
  const mod = { exports: {} }
  vm.runInThisContext(wrapper, { filename: dist })(createRequire(dist), mod, mod.exports, dist, path.dirname(dist))
  return mod.exports
}

const metering = bundledMetering()
const out = metering.meterWASM(fs.readFileSync(input), { meterType })
fs.writeFileSync(output, Buffer.from(out))
