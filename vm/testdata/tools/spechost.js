#!/usr/bin/env node
// spechost.js: a second, independent host for the fmt1-3 test processes,
// written from the rules in vm/testdata/README.md and not from ao-loader's
// glue. It has the CLI and output of test/js/aoloader.js:
//
//   node spechost.js --module FILE --format F [--env FILE] [--memory-limit N]
//                    [--compute-limit N] [--memory-dir DIR] [--capture-stdout]
//
// `node vm/testdata/selfcheck.js --runner vm/testdata/tools/spechost.js`
// checks that it reproduces ao-loader's outputs, gas and memory hashes, which
// is what the README claims is enough to do so. It only implements what the
// C test processes use (e.g. strftime knows %Y %m %d %H %M %S %a %b %j %%,
// every open fails except under fmt1), and answers /dev/urandom with ENOENT
// where ao-loader returns real random bytes.
"use strict";

const fs = require("fs");
const path = require("path");
const crypto = require("crypto");
const readline = require("readline");

const FORMATS = { "wasm32-unknown-emscripten": 1, "wasm32-unknown-emscripten2": 2, "wasm32-unknown-emscripten3": 3 };
// fmt1 one-letter names, see README "fmt1 names".
const FMT1_IMPORTS = {
  w: "__syscall_dup3", d: "__syscall_fcntl64", z: "__syscall_ioctl", r: "__syscall_lstat64", g: "__syscall_openat",
  s: "__syscall_renameat", t: "__syscall_rmdir", e: "__syscall_unlinkat", a: "_emscripten_date_now",
  A: "_emscripten_get_now_is_monotonic", p: "_emscripten_throw_longjmp", B: "_gmtime_js", C: "_localtime_js",
  i: "_mktime_js", j: "_tzset_js", D: "abort", k: "emscripten_memcpy_big", q: "emscripten_resize_heap",
  u: "environ_get", v: "environ_sizes_get", l: "exit", c: "fd_close", y: "fd_read", o: "fd_seek", f: "fd_write",
  h: "getTempRet0", x: "invoke_vii", b: "setTempRet0", n: "strftime", m: "system",
};
const FMT1_EXPORTS = {
  E: "memory", F: "__wasm_call_ctors", G: "handle", H: "main", I: "__indirect_function_table", J: "malloc",
  K: "__errno_location", L: "setThrew", M: "stackSave", N: "stackRestore", O: "stackAlloc",
};
const ENV_STRINGS = ["USER=web_user", "LOGNAME=web_user", "PATH=/", "PWD=/", "HOME=/home/web_user", "LANG=C.UTF-8", "_=./this.program"];
const WEEKDAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
const MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];

function parseArgs(argv) {
  const o = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const v = () => argv[++i];
    if (a === "--module") o.module = v();
    else if (a === "--format") o.format = v();
    else if (a === "--env") o.env = v();
    else if (a === "--memory-limit") o.memoryLimit = Number(v());
    else if (a === "--compute-limit") o.computeLimit = Number(v());
    else if (a === "--memory-dir") o.memoryDir = v();
    else if (a === "--capture-stdout") o.captureStdout = true;
    else throw new Error(`unknown argument ${a}`);
  }
  return o;
}

const opts = parseArgs(process.argv.slice(2));
const fmt = FORMATS[opts.format];
if (!fmt) throw new Error(`unsupported format ${opts.format}`);
const wasmModule = new WebAssembly.Module(fs.readFileSync(opts.module));
const env = opts.env
  ? JSON.parse(fs.readFileSync(opts.env, "utf8"))
  : { Process: { Id: "", Owner: "", Tags: [] }, Module: { Id: "", Owner: "", Tags: [] } };
const heapMax = fmt === 3 ? 4294901760 : 524288000;
const gasLimit = opts.computeLimit || 9e15;
const enc = new TextEncoder();
const dec = new TextDecoder();

// One instance of the module with the host state the README lists.
function newInstance() {
  const st = { tempRet0: 0, gasUsed: 0, clock: 10000, stdout: [], line: [] };
  let inst;
  let mem;
  const u8 = () => new Uint8Array(mem.buffer);
  const dv = () => new DataView(mem.buffer);
  const x = (name) => inst.exports[fmt === 1 ? Object.keys(FMT1_EXPORTS).find((k) => FMT1_EXPORTS[k] === name) : name];
  const cstr = (p) => {
    const m = u8();
    let e = p;
    while (m[e]) e++;
    return dec.decode(m.subarray(p, e));
  };
  const setErrno = (v) => dv().setInt32(x("__errno_location")(), v, true);
  const tick = () => st.clock++;

  function resizeHeap(requested) {
    requested >>>= 0;
    const oldSize = mem.buffer.byteLength;
    if (requested > heapMax) return 0;
    const alignUp = (v, m) => v + ((m - (v % m)) % m);
    for (let cut = 1; cut <= 4; cut *= 2) {
      let over = oldSize * (1 + 0.2 / cut);
      over = Math.min(over, requested + 100663296);
      const newSize = Math.min(heapMax, alignUp(Math.max(requested, over), 65536));
      const pages = (newSize - oldSize + 65535) >>> 16;
      if (opts.memoryLimit && oldSize + pages * 65536 > opts.memoryLimit) continue;
      try {
        mem.grow(pages);
        return 1;
      } catch (_) {}
    }
    return 0;
  }

  const impl = {
    emscripten_memcpy_big: (d, s, n) => { u8().copyWithin(d, s, s + n); return 0; },
    emscripten_memcpy_js: (d, s, n) => { u8().copyWithin(d, s, s + n); return 0; },
    emscripten_resize_heap: resizeHeap,
    getTempRet0: () => st.tempRet0,
    setTempRet0: (v) => { st.tempRet0 = v; },
    invoke_vii: (idx, a, b) => {
      const sp = x("stackSave")();
      try {
        x("__indirect_function_table").get(idx)(a, b);
      } catch (e) {
        x("stackRestore")(sp);
        if (e !== e + 0) throw e;
        x("setThrew")(1, 0);
      }
    },
    _emscripten_throw_longjmp: () => { throw Infinity; },
    _emscripten_date_now: () => 0,
    emscripten_date_now: () => tick(),
    emscripten_get_now: () => (fmt === 2 ? NaN : tick()),
    _gmtime_js: (...a) => {
      const t = fmt === 3 ? a[0] + a[1] * 4294967296 : dv().getInt32(a[0], true);
      const tm = fmt === 3 ? a[2] : a[1];
      const d = new Date(t * 1000);
      const f = [d.getUTCSeconds(), d.getUTCMinutes(), d.getUTCHours(), d.getUTCDate(), d.getUTCMonth(),
        d.getUTCFullYear() - 1900, d.getUTCDay(), ((d.getTime() - Date.UTC(d.getUTCFullYear(), 0, 1)) / 864e5) | 0];
      f.forEach((v, i) => dv().setInt32(tm + 4 * i, v, true));
    },
    strftime: (s, max, fmtp, tm) => {
      const g = (o) => dv().getInt32(tm + o, true);
      const pad = (v, n) => String(v).padStart(n, "0");
      const yday = g(28) + 1;
      const out = cstr(fmtp).replace(/%([YmdHMSabj%])/g, (_, c) => ({
        Y: String(g(20) + 1900), m: pad(g(16) + 1, 2), d: pad(g(12), 2), H: pad(g(8), 2), M: pad(g(4), 2),
        S: pad(g(0), 2), a: WEEKDAYS[g(24)].slice(0, 3), b: MONTHS[g(16)].slice(0, 3), j: pad(yday, 3), "%": "%",
      })[c]);
      const bytes = enc.encode(out + "\0");
      if (bytes.length > max) return 0;
      u8().set(bytes, s);
      return bytes.length - 1;
    },
    system: (cmd) => { if (!cmd) return 0; setErrno(52); return -1; },
    _emscripten_system: (cmd) => (cmd ? -52 : 0),
    __syscall_openat: () => (fmt === 1 ? 0 : -44),
    __syscall_fcntl64: () => 0,
    __syscall_ioctl: (fd, op, varargs) => {
      if (fmt === 1) return 0;
      if (fd > 2) return -59;
      if (op === 21523 && fmt === 3) { // TIOCGWINSZ: 24 rows, 80 columns
        const argp = dv().getUint32(varargs, true);
        dv().setInt16(argp, 24, true);
        dv().setInt16(argp + 2, 80, true);
      }
      return 0;
    },
    environ_sizes_get: (pcount, psize) => {
      dv().setUint32(pcount, ENV_STRINGS.length, true);
      dv().setUint32(psize, ENV_STRINGS.reduce((n, s) => n + s.length + 1, 0), true);
      return 0;
    },
    environ_get: (penv, buf) => {
      let off = 0;
      ENV_STRINGS.forEach((s, i) => {
        dv().setUint32(penv + 4 * i, buf + off, true);
        u8().set(enc.encode(s + "\0"), buf + off);
        off += s.length + 1;
      });
      return 0;
    },
    fd_write: (fd, iov, iovcnt, pnum) => {
      let n = 0;
      for (let i = 0; i < iovcnt; i++) {
        const p = dv().getUint32(iov + 8 * i, true);
        const len = dv().getUint32(iov + 8 * i + 4, true);
        if (len && fmt === 3) tick(); // TTY write stamps the node with Date.now
        for (const c of u8().subarray(p, p + len)) {
          if (c === 10 || c === 0) {
            if (fd === 1) st.stdout.push(dec.decode(Uint8Array.from(st.line)) + "\n");
            st.line = [];
          } else st.line.push(c);
        }
        n += len;
      }
      dv().setUint32(pnum, n, true);
      return 0;
    },
    fd_read: () => (fmt === 1 ? 52 : 8),
    fd_seek: () => (fmt === 1 ? 70 : 8),
    fd_close: () => (fmt === 1 ? 52 : 0),
  };

  const imports = {};
  for (const imp of WebAssembly.Module.imports(wasmModule)) {
    imports[imp.module] = imports[imp.module] || {};
    if (imp.module === "metering") {
      imports.metering.usegas = (g) => {
        st.gasUsed += g;
        if (st.gasUsed > gasLimit) throw new Error("out of gas!");
      };
      continue;
    }
    const name = fmt === 1 ? FMT1_IMPORTS[imp.name] : imp.name;
    if (!impl[name]) throw new Error(`import ${imp.module}.${imp.name} (${name}) not implemented`);
    imports[imp.module][imp.name] = impl[name];
  }
  inst = new WebAssembly.Instance(wasmModule, imports);
  mem = x("memory");

  // Boot.
  if (fmt !== 1) {
    x("emscripten_stack_init")();
    let end = x("emscripten_stack_get_end")() >>> 0;
    if (fmt === 3 && end === 0) end = 4;
    dv().setUint32(end, 0x02135467, true);
    dv().setUint32(end + 4, 0x89bacdfe, true);
    dv().setUint32(0, 0x63736d65, true);
  }
  if (fmt === 3) st.clock += 3; // FS.init stamps three nodes
  x("__wasm_call_ctors")();
  if (fmt === 2) {
    const argv = x("stackAlloc")(8);
    const prog = enc.encode("./this.program\0");
    const p = x("stackAlloc")(prog.length);
    u8().set(prog, p);
    dv().setUint32(argv, p, true);
    dv().setUint32(argv + 4, 0, true);
    x("main")(1, argv);
  } else {
    x("main")(0, 0);
  }
  if (fmt !== 1) x("fflush")(0);

  function call(buffer, msg, envObj) {
    if (buffer) {
      if (mem.buffer.byteLength < buffer.byteLength) resizeHeap(buffer.byteLength);
      u8().set(buffer);
    }
    st.gasUsed = 0;
    st.stdout = [];
    const sp = x("stackSave")();
    const put = (s) => {
      const bytes = enc.encode(s);
      const size = fmt === 3 ? bytes.length + 1 : s.length * 4 + 1;
      const p = x("stackAlloc")(size) >>> 0;
      // JS typed arrays drop out-of-range writes; so does this.
      if (p + bytes.length < mem.buffer.byteLength) u8().set(Uint8Array.from([...bytes, 0]), p);
      return p;
    };
    const p1 = put(JSON.stringify(msg));
    const p2 = put(JSON.stringify(envObj));
    const ret = x("handle")(p1, p2);
    const res = JSON.parse(cstr(ret));
    x("stackRestore")(sp);
    if (!res.ok) throw res.response;
    return { ...res.response, Memory: new Uint8Array(mem.buffer.slice(0)), GasUsed: st.gasUsed, Stdout: st.stdout.join("") };
  }
  return { call, boot: new Uint8Array(mem.buffer.slice(0)) };
}

const sha256 = (b) => crypto.createHash("sha256").update(b).digest("hex");

async function main() {
  if (opts.memoryDir) fs.mkdirSync(opts.memoryDir, { recursive: true });
  let inst = null;
  let memory = null;
  let hash = null;
  let boot = null;
  let n = 0;
  const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
  for await (const text of rl) {
    if (!text.trim()) continue;
    n++;
    if (!inst) {
      inst = newInstance();
      if (!boot) {
        boot = inst.boot;
        hash = sha256(boot);
        if (opts.memoryDir) fs.writeFileSync(path.join(opts.memoryDir, "0.bin"), boot);
      }
    }
    const line = {};
    let res;
    let thrown;
    try {
      res = inst.call(memory, JSON.parse(text), env);
    } catch (e) {
      thrown = e;
    }
    if (thrown !== undefined) {
      Object.assign(line, { Output: "", Messages: [], Spawns: [], Assignments: [] });
      line.Error = thrown instanceof Error ? thrown.message : typeof thrown === "string" ? thrown : JSON.stringify(thrown);
    } else {
      line.Output = res.Output === undefined ? "" : typeof res.Output === "number" ? String(res.Output) : res.Output;
      line.Messages = res.Messages || [];
      line.Spawns = res.Spawns || [];
      line.Assignments = res.Assignments || [];
      if (res.Error) line.Error = res.Error;
      line.GasUsed = res.GasUsed;
    }
    if (line.Error !== undefined) inst = null;
    else {
      memory = res.Memory;
      hash = sha256(memory);
    }
    line.StateHash = hash;
    if (opts.captureStdout) line.Stdout = thrown === undefined ? res.Stdout : "";
    if (opts.memoryDir) fs.writeFileSync(path.join(opts.memoryDir, `${n}.bin`), memory || boot);
    process.stdout.write(JSON.stringify(line) + "\n");
  }
}

main().catch((e) => {
  process.stderr.write(`spechost: ${e && e.stack ? e.stack : e}\n`);
  process.exit(1);
});
