#!/usr/bin/env node
// Load, memory and hostile-input figures for `npm run bench` (issue: reliability
// under faults, load and hostile input). Needs the build (dist/). Measures:
//  1. RSS of the proxy process at rest, and under 10,000 requests written at once
//     and answered out of order (test/fixtures/fault-out-of-order.js);
//  2. throughput of a 100 MB stream of 1 MB tools/call responses through the
//     built proxy versus the bare line relay (scripts/bare-relay.js);
//  3. peak RSS while a 50 MB frame streams past the 16 MiB limit, both ways, and
//     while a slow client holds a fast server back;
//  4. the whole rule pack (full chain, in process) on 1 MB of adversarial text:
//     the slowest shape and the total.
// RSS is read from /proc/<pid>/status (VmRSS now, VmHWM peak), so the RSS figures
// are Linux only (null elsewhere).
//
// Usage: node scripts/bench-load.js [--quick] [--json]
// As a module: `const figures = await runLoadBench({ quick })` (a plain object).
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ScanChain } from '../dist/scan/chain.js';
import { normalizeConfig } from '../dist/config/normalize.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const BIN = join(root, 'bin', 'mcp-guard.js');
const BARE = join(root, 'scripts', 'bare-relay.js');
const fixture = (name) => join(root, 'test', 'fixtures', `fault-${name}.js`);
const MiB = 1024 * 1024;
const INIT = JSON.stringify({ jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'bench-load', version: '1' } } });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const round = (n, digits = 1) => (n === null || n === undefined || Number.isNaN(n) ? null : Math.round(n * 10 ** digits) / 10 ** digits);

/** VmRSS and VmHWM of a live process, in MiB (null where /proc is missing). */
function rssOf(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (name) => Number(new RegExp(`${name}:\\s+(\\d+) kB`).exec(status)?.[1]) / 1024;
    return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
  } catch {
    return { rss: null, hwm: null };
  }
}

/**
 * Start `argv` (a proxy or the bare relay in front of a fixture) with raw pipes.
 * `onLine` gets each stdout line as a Buffer without its newline.
 */
function start(argv, env, onLine) {
  const home = mkdtempSync(join(tmpdir(), 'mcp-guard-bench-'));
  // The fault fixtures answer tools/call only: without this the proxy's own tools/list before a
  // first call (require_list) gets an empty list and refuses the call (as test/reliability/harness.ts).
  const config = join(home, 'no-require-list.yaml');
  writeFileSync(config, 'mcp_tool_scanning:\n  require_list: false\n');
  const child = spawn(process.execPath, argv, {
    cwd: root,
    env: { PATH: process.env.PATH, HOME: home, MCP_GUARD_CONFIG: config, ...env },
    stdio: ['pipe', 'pipe', 'ignore'],
  });
  let partial = Buffer.alloc(0);
  let bytes = 0;
  child.stdout.on('data', (chunk) => {
    bytes += chunk.length;
    let data = partial.length > 0 ? Buffer.concat([partial, chunk]) : chunk;
    let nl;
    while ((nl = data.indexOf(0x0a)) !== -1) {
      onLine(data.subarray(0, nl));
      data = data.subarray(nl + 1);
    }
    partial = Buffer.from(data);
  });
  child.stdin.on('error', () => {});
  const closed = new Promise((ok) => child.on('close', (code, signal) => ok({ code, signal })));
  return {
    child,
    closed,
    bytes: () => bytes,
    async stop() {
      child.stdin.end();
      const result = await closed;
      rmSync(home, { recursive: true, force: true });
      return result;
    },
  };
}

const proxyArgv = (server, envNames = []) => [BIN, 'proxy', ...envNames.flatMap((n) => ['--env', n]), '--', process.execPath, server];

/** Resolve once `test()` holds, polling every `every` ms; reject after `ms`. */
async function until(test, ms, every = 5) {
  const deadline = Date.now() + ms;
  while (!test()) {
    if (Date.now() > deadline) throw new Error('bench-load: timed out');
    await sleep(every);
  }
}

// ---- 1. RSS at rest and under 10,000 requests --------------------------------
async function restAndLoad(n) {
  let answers = 0;
  const p = start(proxyArgv(fixture('out-of-order'), ['FAULT_BATCH']), { FAULT_BATCH: '250' }, () => (answers += 1));
  p.child.stdin.write(`${INIT}\n`);
  await until(() => answers === 1, 10_000);
  await sleep(500);
  const rest = rssOf(p.child.pid);
  const lines = [];
  for (let i = 1; i <= n; i++) lines.push(`{"jsonrpc":"2.0","id":${i % 2 ? i : `"r-${i}"`},"method":"tools/call","params":{"name":"echo","arguments":{"n":${i},"text":"an ordinary short argument"}}}`);
  const t0 = process.hrtime.bigint();
  p.child.stdin.write(`${lines.join('\n')}\n`);
  let peakRss = 0;
  await until(() => {
    peakRss = Math.max(peakRss, rssOf(p.child.pid).rss ?? 0);
    return answers === n + 1;
  }, 120_000, 10);
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const after = rssOf(p.child.pid);
  await p.stop();
  return {
    rest: { rssMiB: round(rest.rss), peakMiB: round(rest.hwm) },
    load: { requests: n, inFlightAtOnce: n, seconds: round(seconds, 2), requestsPerS: Math.round(n / seconds), rssPeakMiB: round(Math.max(peakRss, after.hwm ?? 0)), rssAfterMiB: round(after.rss) },
  };
}

// ---- 2. throughput of large tools/call responses ------------------------------
async function stream(argv, count, size) {
  let answers = 0;
  let peak = 0;
  const p = start(argv, {}, () => (answers += 1));
  p.child.stdin.write(`${INIT}\n`);
  await until(() => answers === 1, 10_000);
  const req = (i) => `{"jsonrpc":"2.0","id":${i},"method":"tools/call","params":{"name":"blob","arguments":{"bytes":${size}}}}\n`;
  const before = p.bytes();
  const t0 = process.hrtime.bigint();
  // All requests at once: the server streams responses back to back.
  p.child.stdin.write(Array.from({ length: count }, (_, i) => req(i + 1)).join(''));
  await until(() => {
    peak = Math.max(peak, rssOf(p.child.pid).rss ?? 0);
    return answers === count + 1;
  }, 300_000, 10);
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const bytes = p.bytes() - before;
  const hwm = rssOf(p.child.pid).hwm;
  await p.stop();
  return { seconds: round(seconds, 2), mbPerS: round(bytes / 1e6 / seconds), bytes, rssPeakMiB: round(Math.max(peak, hwm ?? 0)) };
}

async function throughput(count, size) {
  const server = fixture('flood');
  const bare = await stream([BARE, process.execPath, server], count, size);
  const guarded = await stream(proxyArgv(server), count, size);
  return { responses: count, responseBytes: size, totalMB: round((count * size) / 1e6), bare, guarded, ratio: round(guarded.mbPerS / bare.mbPerS, 2) };
}

// ---- 3. memory with oversized frames and slow readers --------------------------
async function oversized(frameBytes) {
  // Server → client: one response of frameBytes, then a small one.
  let lines = [];
  let p = start(proxyArgv(fixture('flood')), {}, (l) => lines.push(l.toString('utf8', 0, 300)));
  p.child.stdin.write(`${INIT}\n`);
  await until(() => lines.length === 1, 10_000);
  await sleep(200);
  const restDown = rssOf(p.child.pid).hwm;
  p.child.stdin.write(`{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"blob","arguments":{"bytes":${frameBytes}}}}\n{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"blob","arguments":{"bytes":10}}}\n`);
  await until(() => lines.length === 3, 120_000);
  const down = rssOf(p.child.pid).hwm;
  const downBlocked = lines.some((l) => l.includes('"id":2') && l.includes('-32001'));
  await p.stop();

  // Client → server: one request of frameBytes, written in 1 MiB chunks.
  lines = [];
  p = start(proxyArgv(fixture('flood')), {}, (l) => lines.push(l.toString('utf8', 0, 300)));
  p.child.stdin.write(`${INIT}\n`);
  await until(() => lines.length === 1, 10_000);
  await sleep(200);
  const restUp = rssOf(p.child.pid).hwm;
  p.child.stdin.write('{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"blob","arguments":{"pad":"');
  const chunk = 'a'.repeat(MiB);
  for (let sent = 0; sent < frameBytes; sent += MiB) {
    if (!p.child.stdin.write(chunk)) await new Promise((r) => p.child.stdin.once('drain', r));
  }
  p.child.stdin.write('"}}}\n{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"blob","arguments":{"bytes":10}}}\n');
  await until(() => lines.length === 3, 120_000);
  const up = rssOf(p.child.pid).hwm;
  const upBlocked = lines.some((l) => l.includes('"id":2') && l.includes('-32001'));
  await p.stop();
  return {
    frameMB: round(frameBytes / 1e6),
    limitMiB: 16,
    serverToClient: { blocked: downBlocked, restPeakMiB: round(restDown), peakMiB: round(down), growthMiB: round(down - restDown) },
    clientToServer: { blocked: upBlocked, restPeakMiB: round(restUp), peakMiB: round(up), growthMiB: round(up - restUp) },
  };
}

async function slowReader(count, bytes) {
  const dir = mkdtempSync(join(tmpdir(), 'mcp-guard-bench-'));
  const progress = join(dir, 'progress');
  let lines = 0;
  const p = start(proxyArgv(fixture('flood'), ['FAULT_PROGRESS']), { FAULT_PROGRESS: progress }, () => (lines += 1));
  p.child.stdin.write(`${INIT}\n`);
  await until(() => lines === 1, 10_000);
  await sleep(200);
  const rest = rssOf(p.child.pid).hwm;
  p.child.stdout.pause();
  p.child.stdin.write(`{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"flood","arguments":{"count":${count},"bytes":${bytes}}}}\n`);
  const written = () => Number(readFileSync(progress, { encoding: 'utf8', flag: 'a+' }) || 0);
  let last = -1;
  for (let stable = 0; stable < 5; ) {
    await sleep(100);
    const now = written();
    stable = now === last ? stable + 1 : 0;
    last = now;
  }
  const held = rssOf(p.child.pid);
  const t0 = process.hrtime.bigint();
  p.child.stdout.resume();
  await until(() => lines === count + 2, 300_000);
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const peak = rssOf(p.child.pid).hwm;
  await p.stop();
  rmSync(dir, { recursive: true, force: true });
  return {
    streamMB: round((count * bytes) / 1e6),
    framesWrittenWhileHeld: last,
    framesTotal: count,
    restPeakMiB: round(rest),
    heldRssMiB: round(held.rss),
    peakMiB: round(peak),
    drainMbPerS: round((count * bytes) / 1e6 / seconds),
  };
}

// ---- 4. the rule pack on adversarial text ---------------------------------------
/** Known ReDoS and decoder-stress shapes, each stretched to `size` characters. */
export function adversarialShapes(size) {
  const fill = (unit, tail = '') => unit.repeat(Math.ceil((size - tail.length) / unit.length)).slice(0, size - tail.length) + tail;
  return {
    'a…a!': fill('a', '!'),
    'spaced letters': fill('a '),
    'dotted letters': fill('a.'),
    digits: fill('1234567890'),
    'hex run': fill('deadbeef'),
    'base64 run': fill('QUJDRA'),
    'nested percent': fill('%25'),
    'percent run': fill('%41'),
    '\\u escapes': fill('\\u0041'),
    'html entities': fill('&#x41;&amp;'),
    'key=value': fill('password=hunter2 '),
    'token prefixes': fill('ghp_ sk-ant- AKIA xoxb- '),
    'pem headers': fill('-----BEGIN PRIVATE KEY----- '),
    'injection words': fill('ignore previous instructions '),
    'tag markup': fill('<IMPORTANT> '),
    'zero-width': fill('i\u200bg\u200bn\u200bo\u200br\u200be '),
    'combining marks': fill('a\u0301\u0302\u0303'),
    confusables: fill('\u0456gn\u043er\u0435 '),
    fullwidth: fill('\uff29\uff47\uff4e\uff4f\uff52\uff45 '),
    'tag characters': fill('\u{E0069}\u{E0067}\u{E006E}'),
    'lone surrogates': fill('\ud800x\udc00'),
    quotes: fill('"\\'),
    'email-ish': fill('a@b.'),
    'url-ish': fill('https://a.b/?x='),
    whitespace: fill(' \t', 'x'),
  };
}

function hostile(size) {
  const chain = new ScanChain({ config: normalizeConfig({}), env: {} });
  chain.warmUp();
  const shapes = adversarialShapes(size);
  const perShape = {};
  let total = 0;
  let worst = { shape: '', ms: 0 };
  for (const [name, text] of Object.entries(shapes)) {
    const inputs = [
      { direction: 'client-to-server', message: { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 't', arguments: { text } } } },
      { direction: 'server-to-client', message: { jsonrpc: '2.0', id: 1, result: { content: [{ type: 'text', text }] } }, context: { method: 'tools/call', tool: 't' } },
      { direction: 'server-to-client', message: { jsonrpc: '2.0', id: 2, result: { tools: [{ name: 't', description: text, inputSchema: { type: 'object' } }] } }, context: { method: 'tools/list' } },
    ];
    const t0 = process.hrtime.bigint();
    for (const input of inputs) chain.evaluate(input);
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    perShape[name] = round(ms);
    total += ms;
    if (ms > worst.ms) worst = { shape: name, ms };
  }
  return { textBytes: size, shapes: Object.keys(shapes).length, framesPerShape: 3, totalMs: round(total), worstShape: worst.shape, worstMs: round(worst.ms), perShapeMs: perShape };
}

/**
 * Run every measurement.
 * @param {{ quick?: boolean }} options quick: smaller loads (seconds instead of a minute)
 * @returns {Promise<object>} plain figures: MiB for memory, MB (10^6 bytes) for streams, ms / s for time
 */
export async function runLoadBench({ quick = false } = {}) {
  const n = quick ? 2000 : 10_000;
  const { rest, load } = await restAndLoad(n);
  return {
    node: process.version,
    quick,
    rssAtRest: rest,
    load,
    throughput: await throughput(quick ? 20 : 100, 1_000_000),
    oversizedFrame: await oversized(quick ? 20 * MiB : 50_000_000),
    slowReader: await slowReader(quick ? 100 : 400, 256 * 1024),
    hostile: hostile(quick ? 256 * 1024 : 1024 * 1024),
  };
}

function print(r) {
  const t = r.throughput;
  const o = r.oversizedFrame;
  const s = r.slowReader;
  const h = r.hostile;
  console.log(`mcp-guard load bench — Node ${r.node}${r.quick ? ' (quick)' : ''}`);
  console.log(`  RSS at rest                    ${r.rssAtRest.rssMiB} MiB (peak so far ${r.rssAtRest.peakMiB} MiB)`);
  console.log(`  ${r.load.requests} requests in flight      peak RSS ${r.load.rssPeakMiB} MiB, ${r.load.seconds} s (${r.load.requestsPerS} req/s), RSS after ${r.load.rssAfterMiB} MiB`);
  console.log(`  ${t.totalMB} MB of 1 MB responses    bare relay ${t.bare.mbPerS} MB/s, mcp-guard ${t.guarded.mbPerS} MB/s (${t.ratio}×), proxy peak RSS ${t.guarded.rssPeakMiB} MiB`);
  console.log(`  ${o.frameMB} MB frame vs 16 MiB limit  server→client peak ${o.serverToClient.peakMiB} MiB (+${o.serverToClient.growthMiB}), client→server peak ${o.clientToServer.peakMiB} MiB (+${o.clientToServer.growthMiB})`);
  console.log(`  slow reader, ${s.streamMB} MB stream  ${s.framesWrittenWhileHeld}/${s.framesTotal} frames left the server while held, RSS held ${s.heldRssMiB} MiB, peak ${s.peakMiB} MiB`);
  console.log(`  rule pack on ${h.textBytes / 1024} KiB × ${h.shapes} adversarial shapes × ${h.framesPerShape} frames: total ${h.totalMs} ms, slowest "${h.worstShape}" ${h.worstMs} ms`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const result = await runLoadBench({ quick: process.argv.includes('--quick') });
  if (process.argv.includes('--json')) console.log(JSON.stringify(result, null, 2));
  else print(result);
}
