#!/usr/bin/env node
// aoloader.js: the reference runner for aogo's vm differential tests. It
// evaluates AO messages with @permaweb/ao-loader 0.0.49 (the loader the
// reference CU uses) and has the same contract as `aogo vm exec`:
//
//   node aoloader.js --module FILE --format F [--env FILE] [--memory-limit N]
//                    [--compute-limit N] [--memory-dir DIR] [--capture-stdout]
//   node aoloader.js --module FILE --format F --bench N [...]
//
// Messages are read from stdin, one JSON object per line (blank lines are
// skipped), and evaluated in order on one process. For each message one JSON
// line is written to stdout:
//
//   {"Output":..,"Messages":[..],"Spawns":[..],"Assignments":[..],
//    "Error":"..","GasUsed":n,"StateHash":"<hex sha256 of linear memory>"}
//
// Evaluation follows the reference CU (ao/servers/cu/src/effects/worker/evaluate.js):
//  - The loader instance is kept and the previous Memory (a copy, as the CU
//    passes it) is handed back with every message.
//  - If the loader throws (handle returned ok:false, a trap, "out of gas!") or
//    the response has an Error, the message's memory is discarded: the state
//    stays the previous one (StateHash is the previous state's hash) and the
//    next message runs on a fresh loader instance that is given the previous
//    memory (which, as in the CU, grows the new instance's memory with the
//    glue's heap-growth policy before copying).
//  - Output defaults to "" (numbers become strings), Messages, Spawns and
//    Assignments to []. "Error" is present only on failure: a thrown Error
//    gives its message ("out of gas!", "unreachable", ...), a thrown string
//    itself, any other thrown value (the response of an ok:false answer) its
//    JSON.stringify. "GasUsed" is what the loader reports, so it is absent
//    after a thrown error (fmt1-3 glue report 0 for modules without metering).
//  - The state before the first message is the memory right after the
//    loader booted the module (its hash is the "previous state" of a first
//    message that fails).
//
// Determinism: before the glue is loaded process.argv is set to
// [node, "./this.program"], so the program name the glue leaks into the
// process (fmt1-3: env string "_=./this.program"; fmt2: argv passed to main)
// is the canonical "./this.program" that aogo's host also uses, instead of
// this script's path and arguments. Each message is passed as
// JSON.stringify(JSON.parse(line)) and the env as JSON.stringify of the --env
// file (default {"Process":{"Id":"","Owner":"","Tags":[]},"Module":{"Id":"","Owner":"","Tags":[]}}),
// exactly as the CU stringifies them.
//
// Options:
//   --memory-limit N   bytes; the loader ignores memoryLimit, so this runner
//                      makes WebAssembly.Memory.grow fail (as the JS engine
//                      does at the module's maximum) when the new size would
//                      exceed N. The glue's emscripten_resize_heap then tries
//                      its smaller overgrowth steps and finally returns 0, and
//                      malloc returns NULL. If the memory after boot already
//                      exceeds N, the runner exits with status 1.
//   --compute-limit N  gas limit (loader option computeLimit; default 9e15).
//   --memory-dir DIR   writes the boot memory to DIR/0.bin and the state after
//                      message n (1-based; the previous state after a failure)
//                      to DIR/<n>.bin.
//   --capture-stdout   adds "Stdout": the lines the module printed to stdout
//                      during the message (each followed by "\n"). Without it
//                      module output goes to stderr.
//   --bench N          no stdin: evaluates {"Id":"bench","Tags":[{"name":"Action","value":"Inc"}],...}
//                      N times (after one warm-up message) and prints one JSON
//                      object with the mean time per message (memory copied in
//                      and out as the CU does) and the compile+instantiate time.
"use strict";

const fs = require("fs");
const path = require("path");
const crypto = require("crypto");
const readline = require("readline");

// The glue replaces Date.now, performance.now and process.hrtime with
// deterministic counters; keep real clocks for --bench.
const perfNow = performance.now.bind(performance);

function usage(msg) {
  if (msg) process.stderr.write(`aoloader: ${msg}\n`);
  process.stderr.write(
    "usage: node aoloader.js --module FILE --format F [--env FILE] [--memory-limit N] " +
      "[--compute-limit N] [--memory-dir DIR] [--capture-stdout] [--bench N]\n",
  );
  process.exit(2);
}

function parseArgs(argv) {
  const o = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => {
      if (i + 1 >= argv.length) usage(`${a} needs a value`);
      return argv[++i];
    };
    switch (a) {
      case "--module": o.module = val(); break;
      case "--format": o.format = val(); break;
      case "--env": o.env = val(); break;
      case "--memory-limit": o.memoryLimit = Number(val()); break;
      case "--compute-limit": o.computeLimit = Number(val()); break;
      case "--memory-dir": o.memoryDir = val(); break;
      case "--capture-stdout": o.captureStdout = true; break;
      case "--bench": o.bench = Number(val()); break;
      default: usage(`unknown argument ${a}`);
    }
  }
  if (!o.module || !o.format) usage("--module and --format are required");
  for (const k of ["memoryLimit", "computeLimit", "bench"]) {
    if (k in o && !(Number.isFinite(o[k]) && o[k] > 0)) usage(`bad value for ${k}`);
  }
  return o;
}

const opts = parseArgs(process.argv.slice(2));
process.argv = [process.argv[0], "./this.program"];

// Module stdout: the glue binds console.log when an instance is created, so
// it must be our collector then. The loader sets console.log to a no-op
// during handle() and does not restore it when handle throws; evaluate()
// restores it after every message.
let stdoutLines = [];
function collectStdout(...args) {
  const line = args.map(String).join(" ");
  if (opts.captureStdout) stdoutLines.push(line + "\n");
  else process.stderr.write(line + "\n");
}
console.log = collectStdout;
console.warn = console.error = (...args) => process.stderr.write(args.map(String).join(" ") + "\n");

// Capture the instance the glue creates, to read its memory after boot.
let lastInstance = null;
const origInstantiate = WebAssembly.instantiate;
WebAssembly.instantiate = async function (...args) {
  const res = await origInstantiate.apply(this, args);
  lastInstance = res instanceof WebAssembly.Instance ? res : res.instance;
  return res;
};

if (opts.memoryLimit) {
  const origGrow = WebAssembly.Memory.prototype.grow;
  WebAssembly.Memory.prototype.grow = function (delta) {
    if (this.buffer.byteLength + delta * 65536 > opts.memoryLimit) {
      throw new RangeError(`WebAssembly.Memory.grow(): memory limit ${opts.memoryLimit} exceeded`);
    }
    return origGrow.call(this, delta);
  };
}

const AoLoader = require(path.join(__dirname, "node_modules", "@permaweb", "ao-loader"));

const binary = fs.readFileSync(opts.module);
const env = opts.env
  ? JSON.parse(fs.readFileSync(opts.env, "utf8"))
  : { Process: { Id: "", Owner: "", Tags: [] }, Module: { Id: "", Owner: "", Tags: [] } };
const loaderOptions = {
  format: opts.format,
  computeLimit: opts.computeLimit,
  memoryLimit: opts.memoryLimit,
  extensions: {},
  spawn: env.Process,
  module: env.Module,
};

const sha256 = (buf) => crypto.createHash("sha256").update(buf).digest("hex");

// newInstance loads the module and returns its handle plus a copy of its
// memory right after boot.
async function newInstance() {
  lastInstance = null;
  console.log = collectStdout;
  const handle = await AoLoader(binary, loaderOptions);
  console.log = collectStdout;
  let boot = null;
  if (lastInstance) {
    for (const v of Object.values(lastInstance.exports)) {
      if (v instanceof WebAssembly.Memory) {
        boot = new Uint8Array(v.buffer.slice(0));
        break;
      }
    }
  }
  return { handle, boot };
}

function errorString(e) {
  if (typeof e === "string") return e;
  if (e instanceof Error) return e.message;
  try {
    return JSON.stringify(e);
  } catch (_) {
    return String(e);
  }
}

function normOutput(o) {
  if (o === undefined || o === null) return "";
  if (typeof o === "number") return String(o);
  return o;
}

// Process state across messages.
const proc = {
  inst: null, // { handle, boot } or null when a fresh instance is needed
  memory: null, // previous state: Uint8Array, or null = boot state of a fresh instance
  hash: null, // hex sha256 of the previous state
  boot: null, // memory after the first boot
};

async function ensureInstance() {
  if (proc.inst) return;
  proc.inst = await newInstance();
  if (proc.hash === null) {
    if (!proc.inst.boot) throw new Error("could not read the module's memory after boot");
    if (opts.memoryLimit && proc.inst.boot.byteLength > opts.memoryLimit) {
      throw new Error(`memory after boot (${proc.inst.boot.byteLength} bytes) exceeds --memory-limit`);
    }
    proc.boot = proc.inst.boot;
    proc.hash = sha256(proc.boot);
    if (opts.memoryDir) fs.writeFileSync(path.join(opts.memoryDir, "0.bin"), proc.inst.boot);
  }
}

async function evaluate(msg) {
  await ensureInstance();
  stdoutLines = [];
  const line = {};
  let res;
  let thrown;
  try {
    res = await proc.inst.handle(proc.memory, msg, env);
  } catch (e) {
    thrown = e;
  } finally {
    console.log = collectStdout;
  }
  if (thrown !== undefined) {
    line.Output = "";
    line.Messages = [];
    line.Spawns = [];
    line.Assignments = [];
    line.Error = errorString(thrown);
  } else {
    line.Output = normOutput(res.Output);
    line.Messages = res.Messages || [];
    line.Spawns = res.Spawns || [];
    line.Assignments = res.Assignments || [];
    if (res.Error !== undefined && res.Error !== null && res.Error !== "") line.Error = errorString(res.Error);
    if (res.GasUsed !== undefined) line.GasUsed = res.GasUsed;
  }
  if (line.Error !== undefined) {
    proc.inst = null; // rollback: the next message gets a fresh instance
  } else {
    proc.memory = res.Memory;
    proc.hash = sha256(res.Memory);
  }
  line.StateHash = proc.hash;
  if (opts.captureStdout) line.Stdout = stdoutLines.join("");
  return line;
}

async function runMessages() {
  if (opts.memoryDir) fs.mkdirSync(opts.memoryDir, { recursive: true });
  const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
  let n = 0;
  for await (const text of rl) {
    if (!text.trim()) continue;
    n++;
    const msg = JSON.parse(text);
    const line = await evaluate(msg);
    if (opts.memoryDir) {
      fs.writeFileSync(path.join(opts.memoryDir, `${n}.bin`), proc.memory || proc.boot);
    }
    process.stdout.write(JSON.stringify(line) + "\n");
  }
}

async function runBench() {
  const t0 = perfNow();
  const inst = await newInstance();
  const t1 = perfNow();
  const msg = {
    Id: "bench",
    Owner: "bench",
    Target: "bench",
    Tags: [{ name: "Action", value: "Inc" }],
    Data: "",
    Timestamp: 0,
    "Block-Height": 0,
  };
  let memory = (await inst.handle(null, msg, env)).Memory; // warm-up
  const t2 = perfNow();
  for (let i = 0; i < opts.bench; i++) {
    const r = await inst.handle(memory, msg, env);
    if (r.Error) throw new Error(`bench message failed: ${r.Error}`);
    memory = r.Memory;
  }
  const t3 = perfNow();
  process.stdout.write(
    JSON.stringify({
      module: path.basename(opts.module),
      format: opts.format,
      messages: opts.bench,
      compile_instantiate_ms: +(t1 - t0).toFixed(3),
      mean_ms_per_message: +((t3 - t2) / opts.bench).toFixed(4),
      memory_bytes: memory.byteLength,
      node: process.version,
    }) + "\n",
  );
}

(opts.bench ? runBench() : runMessages()).then(
  () => process.stdout.write("", () => process.exit(0)),
  (e) => {
    process.stderr.write(`aoloader: ${e && e.stack ? e.stack : e}\n`);
    process.exit(1);
  },
);
