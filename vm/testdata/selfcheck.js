#!/usr/bin/env node
// selfcheck.js: runs every C test process module under the reference loader
// (test/js/aoloader.js, @permaweb/ao-loader 0.0.49) and compares each output
// line, GasUsed and StateHash included, with vm/testdata/expected/.
//
//   node vm/testdata/selfcheck.js [--update] [--runner FILE] [BUILD_DIR]
//
// BUILD_DIR defaults to vm/testdata/build (made by `make test-modules`); its
// testproc.json lists the modules. --update rewrites the expected files: only
// do that when you understand why the output changed (a changed C source or
// build flag changes gas numbers and memory hashes).
//
// --runner FILE replaces aoloader.js with another runner of the same CLI and
// output, e.g. vm/testdata/tools/spechost.js (a host written from README.md),
// to check that it reproduces the reference results.
//
// Cases (all with vm/testdata/env.json):
//   basic  messages.jsonl        every module
//   rich   messages-rich.jsonl   rich modules, --memory-limit 33554432 --capture-stdout
//   gas    messages-gas.jsonl    metered modules, --compute-limit 100000000
"use strict";

const fs = require("fs");
const path = require("path");
const { spawnSync } = require("child_process");

const here = __dirname;
let runner = path.join(here, "..", "..", "test", "js", "aoloader.js");

const CASES = [
  { name: "basic", messages: "messages.jsonl", args: [], match: () => true },
  {
    name: "rich",
    messages: "messages-rich.jsonl",
    args: ["--memory-limit", "33554432", "--capture-stdout"],
    match: (m) => m.variant === "rich",
  },
  { name: "gas", messages: "messages-gas.jsonl", args: ["--compute-limit", "100000000"], match: (m) => m.metered },
];

function main(argv) {
  const update = argv.includes("--update");
  const rest = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--update") continue;
    if (argv[i] === "--runner") runner = path.resolve(argv[++i]);
    else rest.push(argv[i]);
  }
  const buildDir = path.resolve(rest[0] || path.join(here, "build"));
  const modules = JSON.parse(fs.readFileSync(path.join(buildDir, "testproc.json"), "utf8"));
  let failures = 0;
  for (const c of CASES) {
    const input = fs.readFileSync(path.join(here, c.messages));
    for (const m of modules.filter(c.match)) {
      const args = [runner, "--module", path.join(buildDir, m.file), "--format", m.format,
        "--env", path.join(here, "env.json"), ...c.args];
      const r = spawnSync(process.execPath, args, { input, encoding: "utf8", maxBuffer: 64 << 20 });
      if (r.status !== 0) {
        process.stderr.write(`${c.name} ${m.file}: aoloader.js exited ${r.status}\n${r.stderr}`);
        failures++;
        continue;
      }
      const expectedFile = path.join(here, "expected", c.name, m.file.replace(/\.wasm$/, ".jsonl"));
      const summary = r.stdout.trim().split("\n").map((l) => {
        const o = JSON.parse(l);
        return o.Error ? "E" : o.GasUsed ? String(o.GasUsed) : "ok";
      }).join(" ");
      if (update) {
        fs.mkdirSync(path.dirname(expectedFile), { recursive: true });
        fs.writeFileSync(expectedFile, r.stdout);
        process.stdout.write(`updated ${c.name}/${m.file}: ${summary}\n`);
        continue;
      }
      const want = fs.existsSync(expectedFile) ? fs.readFileSync(expectedFile, "utf8") : "";
      if (want === r.stdout) {
        process.stdout.write(`ok   ${c.name}/${m.file}: ${summary}\n`);
        continue;
      }
      failures++;
      const got = r.stdout.split("\n");
      const exp = want.split("\n");
      for (let i = 0; i < Math.max(got.length, exp.length); i++) {
        if (got[i] !== exp[i]) {
          process.stdout.write(`FAIL ${c.name}/${m.file} message ${i + 1}:\n  want ${exp[i]}\n  got  ${got[i]}\n`);
          break;
        }
      }
    }
  }
  if (failures) {
    process.stdout.write(`${failures} failure(s)\n`);
    process.exit(1);
  }
}

main(process.argv.slice(2));
