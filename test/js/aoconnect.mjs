// aoconnect.mjs: drives an aogo node with the real @permaweb/aoconnect
// client (legacy mode), as a dApp would. runtime/aoconnect_test.go runs it.
//
//	node aoconnect.mjs [acceptance]   # every aoconnect call against the node
//	node aoconnect.mjs bench          # message + result round trips
//
// Configured by environment variables:
//
//	MU_URL, CU_URL, GATEWAY_URL   the node's units (<node>/mu, <node>/cu, <node>)
//	WALLET                        path of an RSA JWK (the signer)
//	MODULE                        module id of examples/counter, in the node's store
//	SCHEDULER                     the SU's wallet address
//	N, WARMUP, M, K               bench: sequential round trips, warm-up round
//	                              trips, messages of the sustained run, its concurrency
//
// aoconnect's locate() (ao-scheduler-utils) first asks a hard-coded
// scheduler router on the internet, so nothing here uses a call that needs
// it (message's returnAssignmentSlot, getMessages, getMessageById,
// getLastSlot).
//
// Every step prints one line; the last line is a JSON summary. Any failure
// exits 1 with the failing step and the reason.

import { createHash, generateKeyPair, randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { performance } from 'node:perf_hooks'
import { promisify } from 'node:util'
import { connect, createDataItemSigner } from '@permaweb/aoconnect'

const env = (name, def) => {
  const v = process.env[name]
  if (v !== undefined && v !== '') return v
  if (def !== undefined) return def
  fail('config', `environment variable ${name} is required`)
}

function fail (step, msg) {
  console.log(`FAIL ${step}: ${msg}`)
  console.log(JSON.stringify({ ok: false, step, error: String(msg) }))
  process.exit(1)
}

const MU_URL = env('MU_URL')
const CU_URL = env('CU_URL')
const GATEWAY_URL = env('GATEWAY_URL')
const MODULE = env('MODULE')
const SCHEDULER = env('SCHEDULER')
const jwk = JSON.parse(readFileSync(env('WALLET'), 'utf8'))
const address = createHash('sha256').update(Buffer.from(jwk.n, 'base64url')).digest('base64url')

// timed wraps fetch to measure the HTTP requests aoconnect makes, by kind.
const httpTimes = { mu: [], cu_result: [], other: [] }
let timing = false
async function timed (url, opts) {
  const t0 = performance.now()
  const res = await fetch(url, opts)
  if (timing) {
    const u = String(url)
    const kind = u.startsWith(MU_URL) && (opts?.method ?? 'GET') === 'POST' && !u.includes('/monitor/')
      ? 'mu'
      : u.startsWith(CU_URL + '/result/') ? 'cu_result' : 'other'
    // The body is read by aoconnect after this returns: measure up to the
    // headers only (the bodies are small).
    httpTimes[kind].push(performance.now() - t0)
  }
  return res
}

const ao = connect({ MODE: 'legacy', MU_URL, CU_URL, GATEWAY_URL, fetch: timed })
// One signer for the run: ao-core-libs refuses to create more than 100
// signers per minute for one key.
const signer = createDataItemSigner(jwk)

const summary = { ok: true, mode: '', steps: {}, processes: {} }

// step runs fn, prints its outcome and time, and exits on failure.
async function step (name, fn) {
  const t0 = performance.now()
  let out
  try {
    out = await fn()
  } catch (err) {
    fail(name, err?.stack ?? err)
  }
  const ms = Math.round(performance.now() - t0)
  summary.steps[name] = ms
  console.log(`ok ${name} (${ms} ms)${out ? ': ' + out : ''}`)
}

function check (cond, msg) {
  if (!cond) throw new Error(msg)
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

// poll calls fn until it returns a truthy value or timeoutMs passes; the
// error then names what was last seen (fn's describe()).
async function poll (what, fn, { timeoutMs = 30000, intervalMs = 100 } = {}) {
  const deadline = Date.now() + timeoutMs
  let last
  for (;;) {
    try {
      const v = await fn()
      if (v) return v
      last = undefined
    } catch (err) {
      last = err
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ': ' + (last.message ?? last) : ''}`)
    }
    await sleep(intervalMs)
  }
}

const tag = (name, value) => ({ name, value })
const tagValue = (tags, name) => tags?.find((t) => t.name === name)?.value

// text is a result's Output as text (a string, or aos's {data}).
function text (res) {
  const o = res?.Output
  if (typeof o === 'string') return o
  if (o && typeof o === 'object' && typeof o.data === 'string') return o.data
  return JSON.stringify(o)
}

// ok checks that a CU answer is a successful result: aoconnect returns the
// CU's JSON without looking at its status.
function ok (res, what) {
  check(res && typeof res === 'object', `${what}: not a JSON object: ${JSON.stringify(res)}`)
  check(res.error === undefined, `${what}: CU error: ${JSON.stringify(res)}`)
  check(res.Error === undefined || res.Error === null || res.Error === '', `${what}: the process failed: ${JSON.stringify(res.Error)}`)
  check(Array.isArray(res.Messages) && Array.isArray(res.Spawns) && Array.isArray(res.Assignments),
    `${what}: Messages, Spawns and Assignments must be arrays: ${JSON.stringify(res)}`)
  return res
}

async function stats (pid) {
  const res = ok(await ao.dryrun({ process: pid, tags: [tag('Action', 'Stats')] }), `dryrun Stats on ${pid}`)
  try {
    return JSON.parse(text(res))
  } catch {
    throw new Error(`Stats of ${pid} is not JSON: ${text(res)}`)
  }
}

const isID = (s) => typeof s === 'string' && /^[A-Za-z0-9_-]{43}$/.test(s)

async function spawnCounter (name, tags = []) {
  const pid = await ao.spawn({ module: MODULE, scheduler: SCHEDULER, signer, tags: [tag('Name', name), ...tags] })
  check(isID(pid), `spawn returned ${JSON.stringify(pid)}, not an id`)
  return pid
}

// rejects runs fn and checks that it rejects with an MU error whose status
// is a 4xx; it returns the message.
async function rejects (what, fn) {
  let res
  try {
    res = await fn()
  } catch (err) {
    const msg = String(err?.message ?? err)
    check(/^4\d\d: /.test(msg), `${what} rejected, but not with a 4xx: ${msg}`)
    return msg
  }
  throw new Error(`${what} succeeded (${JSON.stringify(res)}), want a rejection`)
}

// allResults pages through a process's results, limit per page.
async function allResults (pid, sort, limit) {
  const out = []
  let from
  for (let pages = 0; pages < 1000; pages++) {
    const page = await ao.results({ process: pid, sort, limit, from })
    check(Array.isArray(page?.edges), `results: no edges: ${JSON.stringify(page)}`)
    check(page.edges.length <= limit, `results: ${page.edges.length} edges for limit ${limit}`)
    if (page.edges.length === 0) return out
    for (const e of page.edges) {
      check(typeof e.cursor === 'string' && e.cursor !== '', `results: edge cursor ${JSON.stringify(e.cursor)}`)
      out.push(e)
    }
    from = page.edges[page.edges.length - 1].cursor
  }
  throw new Error('results: more than 1000 pages')
}

async function acceptance () {
  summary.mode = 'acceptance'
  const p = summary.processes
  // A second wallet, not the owner of the processes (arbundles takes only
  // 4096-bit RSA keys: seconds to generate, meanwhile).
  const otherKey = promisify(generateKeyPair)('rsa', { modulusLength: 4096 })
  let hello, sendMsg, assignment

  await step('spawn', async () => {
    p.A = await spawnCounter('A')
    p.B = await spawnCounter('B')
    check(p.A !== p.B, 'A and B have the same id')
    return `A=${p.A} B=${p.B}`
  })

  await step('message Hello', async () => {
    hello = await ao.message({ process: p.A, signer, tags: [tag('Action', 'Hello')] })
    check(isID(hello), `message returned ${JSON.stringify(hello)}`)
    return hello
  })

  await step('result Hello', async () => {
    const res = ok(await ao.result({ process: p.A, message: hello }), 'result of Hello')
    check(text(res) === `Hello, ${address}! You are greeting number 1.`, `Output ${JSON.stringify(res.Output)}`)
    check(res.Messages.length === 1, `${res.Messages.length} outbox messages, want 1 (the reply)`)
    const reply = res.Messages[0]
    check(reply.Target === address, `the reply goes to ${reply.Target}, not the sender ${address}`)
    check(tagValue(reply.Tags, 'Action') === 'Hello-Reply', `reply tags ${JSON.stringify(reply.Tags)}`)
    // result is idempotent: the stored result.
    const again = ok(await ao.result({ process: p.A, message: hello }), 'result of Hello again')
    check(JSON.stringify(again) === JSON.stringify(res), 'a second result differs from the first')
    return JSON.stringify(text(res))
  })

  await step('message Send 3 notes to B', async () => {
    sendMsg = await ao.message({ process: p.A, signer, tags: [tag('Action', 'Send'), tag('To', p.B), tag('Count', '3')] })
    const res = ok(await ao.result({ process: p.A, message: sendMsg }), 'result of Send')
    check(text(res) === `sending 3 note(s) to ${p.B}`, `Output ${JSON.stringify(res.Output)}`)
    check(res.Messages.length === 3 && res.Messages.every((m) => m.Target === p.B && tagValue(m.Tags, 'Action') === 'Note'),
      `outbox ${JSON.stringify(res.Messages)}`)
    return sendMsg
  })

  await step('B got the 3 notes (results)', async () => {
    const notes = await poll('3 Note results on B', async () => {
      const page = await ao.results({ process: p.B, sort: 'ASC', limit: 100 })
      const n = page.edges.filter((e) => text(e.node).startsWith('note ') && text(e.node).endsWith(` from ${p.A}`))
      if (n.length > 3) throw new Error(`${n.length} notes on B`)
      return n.length === 3 && n
    })
    const outs = notes.map((e) => text(e.node))
    check(outs.join('|') === [1, 2, 3].map((i) => `note ${i} from ${p.A}`).join('|'), `notes in order: ${outs}`)
    return JSON.stringify(outs)
  })

  await step('dryrun Stats', async () => {
    const b = await stats(p.B)
    check(b.notes === 3 && b.greetings === 0, `B's stats ${JSON.stringify(b)}`)
    const a = await stats(p.A)
    check(a.greetings === 1 && a.notes === 0, `A's stats ${JSON.stringify(a)}`)
    // A dry-run changes nothing: a dry-run Hello greets a copy.
    const dry = ok(await ao.dryrun({ process: p.A, tags: [tag('Action', 'Hello')], Owner: address }), 'dryrun Hello')
    check(text(dry) === `Hello, ${address}! You are greeting number 2.`, `dry-run Hello: ${JSON.stringify(dry.Output)}`)
    const after = await stats(p.A)
    check(after.greetings === 1, `A's greetings after a dry-run Hello: ${after.greetings}, want 1`)
    return `A ${JSON.stringify(a)} B ${JSON.stringify(b)}`
  })

  await step('results paging', async () => {
    const asc1 = await allResults(p.B, 'ASC', 1)
    const ascAll = await allResults(p.B, 'ASC', 100)
    const desc2 = await allResults(p.B, 'DESC', 2)
    check(asc1.length >= 3, `only ${asc1.length} results on B`)
    // A cursor names its page's direction: compare the positions.
    const position = (c) => {
      try {
        const { sort, ...pos } = JSON.parse(Buffer.from(c, 'base64').toString())
        return JSON.stringify(pos)
      } catch {
        return c
      }
    }
    const cursors = (es) => es.map((e) => position(e.cursor)).join(',')
    check(cursors(asc1) === cursors(ascAll), `limit 1 pages ${cursors(asc1)} != one page ${cursors(ascAll)}`)
    check(cursors(desc2) === cursors([...ascAll].reverse()), `DESC ${cursors(desc2)} is not ASC reversed ${cursors(ascAll)}`)
    const one = await ao.results({ process: p.B, sort: 'DESC', limit: 1 })
    check(one.edges.length === 1 && text(one.edges[0].node) === `note 3 from ${p.A}`, `newest result ${JSON.stringify(one)}`)
    // to (inclusive) bounds a page too.
    const upTo = await ao.results({ process: p.B, sort: 'ASC', limit: 100, to: ascAll[1].cursor })
    check(cursors(upTo.edges) === cursors(ascAll.slice(0, 2)), `to=${ascAll[1].cursor}: ${cursors(upTo.edges)}`)
    return `${ascAll.length} results`
  })

  await step('assign', async () => {
    // A's Hello, assigned to B as well: B greets the sender.
    assignment = await ao.assign({ process: p.B, message: hello })
    check(isID(assignment), `assign returned ${JSON.stringify(assignment)}`)
    const res = ok(await ao.result({ process: p.B, message: assignment }), 'result of the assignment')
    check(text(res) === `Hello, ${address}! You are greeting number 1.`, `Output ${JSON.stringify(res.Output)}`)
    const b = await stats(p.B)
    check(b.greetings === 1 && b.notes === 3, `B's stats ${JSON.stringify(b)}`)
    // Assigning it again is refused.
    await rejects('assigning the same message twice', () => ao.assign({ process: p.B, message: hello }))
    return assignment
  })

  await step('spawn a child', async () => {
    const m = await ao.message({ process: p.A, signer, tags: [tag('Action', 'Spawn'), tag('Reference', '7')] })
    const res = ok(await ao.result({ process: p.A, message: m }), 'result of Spawn')
    check(text(res) === 'spawning a child (Reference 7)', `Output ${JSON.stringify(res.Output)}`)
    check(res.Spawns.length === 1 && tagValue(res.Spawns[0].Tags, 'Reference') === '7', `Spawns ${JSON.stringify(res.Spawns)}`)
    const a = await poll("A's Spawned notice", async () => {
      const s = await stats(p.A)
      return s.children?.length > 0 && s
    })
    check(a.children.length === 1 && isID(a.children[0]), `A's children ${JSON.stringify(a.children)}`)
    p.child = a.children[0]
    const notice = await ao.results({ process: p.A, sort: 'DESC', limit: 5 })
    check(notice.edges.some((e) => text(e.node) === `child ${p.child} spawned (Reference 7)`),
      `no Spawned result on A: ${JSON.stringify(notice.edges.map((e) => text(e.node)))}`)
    const c = await stats(p.child)
    check(c.greetings === 0 && (c.children ?? []).length === 0, `the child's stats ${JSON.stringify(c)}`)
    return `child ${p.child}`
  })

  const bNotices = (await stats(p.B)).notices
  await step('spawn a cron process', async () => {
    p.C = await spawnCounter('C', [tag('Cron-Interval', '1-seconds'), tag('Cron-Tag-Action', 'Tick'), tag('Notify', p.B)])
    return p.C
  })

  await step('monitor rejects', async () => {
    const other = (await otherKey).privateKey.export({ format: 'jwk' })
    const notOwner = await rejects('monitor by a wallet that does not own the process',
      () => ao.monitor({ process: p.C, signer: createDataItemSigner(other) }))
    const unknown = await rejects('monitor of an unknown process',
      () => ao.monitor({ process: randomBytes(32).toString('base64url'), signer }))
    const notMonitored = await rejects('unmonitor of a process not monitored', () => ao.unmonitor({ process: p.C, signer }))
    return JSON.stringify([notOwner, unknown, notMonitored])
  })

  let monitored
  await step('monitor', async () => {
    const id = await ao.monitor({ process: p.C, signer })
    monitored = Date.now()
    check(isID(id), `monitor returned ${JSON.stringify(id)}`)
    const twice = await rejects('monitor twice', () => ao.monitor({ process: p.C, signer }))
    return `${id}; twice: ${twice}`
  })

  await step('cron ticks reach B', async () => {
    const [b, c] = await poll("3 ticks on C and 3 Tick-Notices on B", async () => {
      const b = await stats(p.B)
      const c = await stats(p.C)
      return b.notices - bNotices >= 3 && c.ticks >= 3 && [b, c]
    }, { timeoutMs: 30000, intervalMs: 250 })
    return `after ${Date.now() - monitored} ms: C ticks ${c.ticks}, B notices ${b.notices - bNotices}`
  })

  await step('unmonitor', async () => {
    await ao.unmonitor({ process: p.C, signer })
    const n1 = (await stats(p.B)).notices
    const t1 = (await stats(p.C)).ticks
    // A dry-run evaluates C's ticks; without a monitor their Tick-Notices
    // stay in the outbox.
    const t2 = await poll('3 more ticks on C', async () => {
      const t = (await stats(p.C)).ticks
      return t >= t1 + 3 && t
    }, { timeoutMs: 30000, intervalMs: 250 })
    const n2 = (await stats(p.B)).notices
    // At most what an advance already under way delivers.
    check(n2 - n1 <= 2, `B got ${n2 - n1} Tick-Notices while C ticked ${t2 - t1} times after unmonitor`)
    const again = await rejects('unmonitor twice', () => ao.unmonitor({ process: p.C, signer }))
    return `notices after unmonitor +${n2 - n1} (ticks +${t2 - t1}); twice: ${again}`
  })
}

function percentile (sorted, q) {
  if (sorted.length === 0) return NaN
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))
  return sorted[i]
}

const round = (x) => Math.round(x * 100) / 100
const median = (xs) => round(percentile([...xs].sort((a, b) => a - b), 0.5))

async function bench () {
  summary.mode = 'bench'
  const N = Number(env('N', '200'))
  const WARMUP = Number(env('WARMUP', '10'))
  const M = Number(env('M', '500'))
  const K = Number(env('K', '16'))
  const note = [tag('Action', 'Note')]
  let pid
  await step('spawn', async () => {
    pid = await spawnCounter('bench')
    summary.processes.bench = pid
    return pid
  })

  async function roundTrip () {
    const t0 = performance.now()
    const id = await ao.message({ process: pid, signer, tags: note })
    const res = await ao.result({ process: pid, message: id })
    const ms = performance.now() - t0
    ok(res, `result of ${id}`)
    check(text(res).startsWith('note '), `Output ${JSON.stringify(res.Output)}`)
    return ms
  }

  let latency
  await step('round trips', async () => {
    for (let i = 0; i < WARMUP; i++) await roundTrip()
    const times = []
    timing = true
    for (let i = 0; i < N; i++) times.push(await roundTrip())
    timing = false
    times.sort((a, b) => a - b)
    // The parts: the MU's POST (to the SU's fsync), the CU's result
    // (evaluation), the rest in aoconnect (RSA signing and the signer's own
    // verification of its signature, tag building, JSON).
    const signTimes = []
    for (let i = 0; i < Math.min(N, 50); i++) {
      const t0 = performance.now()
      await ao.signMessage({ process: pid, signer, tags: note })
      signTimes.push(performance.now() - t0)
    }
    latency = {
      n: N,
      p50_ms: round(percentile(times, 0.5)),
      p99_ms: round(percentile(times, 0.99)),
      mean_ms: round(times.reduce((a, b) => a + b, 0) / N),
      mu_post_p50_ms: median(httpTimes.mu),
      cu_result_p50_ms: median(httpTimes.cu_result),
      sign_p50_ms: median(signTimes)
    }
    return JSON.stringify(latency)
  })

  let sustained
  await step('sustained', async () => {
    const ids = []
    let next = 0
    const t0 = performance.now()
    const send = async () => {
      while (next < M) {
        next++
        ids.push(await ao.message({ process: pid, signer, tags: note }))
      }
    }
    await Promise.all(Array.from({ length: K }, send))
    const sent = performance.now() - t0
    let i = 0
    const read = async () => {
      while (i < ids.length) {
        const id = ids[i++]
        ok(await ao.result({ process: pid, message: id }), `result of ${id}`)
      }
    }
    await Promise.all(Array.from({ length: K }, read))
    const all = performance.now() - t0
    sustained = { m: M, k: K, msgs_per_s: round(M / (all / 1000)), send_msgs_per_s: round(M / (sent / 1000)) }
    return JSON.stringify(sustained)
  })
  const st = await stats(pid)
  check(st.notes === WARMUP + N + M, `the process counted ${st.notes} notes, want ${WARMUP + N + M}`)
  Object.assign(summary, latency, { sustained })
}

const mode = process.argv[2] ?? 'acceptance'
if (mode === 'acceptance') await acceptance()
else if (mode === 'bench') await bench()
else fail('config', `unknown mode ${mode} (acceptance or bench)`)
console.log(JSON.stringify(summary))
