#!/usr/bin/env node
// End-to-end round trips for `npm run bench`: the built proxy against a bare
// line relay (scripts/bare-relay.js), both in front of test/fixtures/bench-server.js.
// Sequential requests (one in flight), so each sample is one full round trip.
// The two are interleaved in blocks A B B A, for several repetitions; the
// figure is the median over repetitions of the per-repetition p50 (and p99)
// ratio, so drift in the shared machine's load hits both sides alike.
//
// Cases: tools/call echo with 100 B, 1 KB and 10 KB of text; tools/list of 200 tools.
// Usage: node scripts/bench-e2e.js [--quick] [--json]
// As a module: `await runE2eBench({ quick })` → a plain object.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SERVER = join(root, 'test', 'fixtures', 'bench-server.js');
const PROXY = [join(root, 'bin', 'mcp-guard.js'), 'proxy', '--env', 'BENCH_TOOLS', '--'];
const BARE = [join(root, 'scripts', 'bare-relay.js')];
const INIT = JSON.stringify({ jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'bench-e2e', version: '1' } } });

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
const median = (xs) => percentile([...xs].sort((a, b) => a - b), 50);

/** One block: start `argv`, warm up, time `n` sequential requests made by `make(id)`; returns sorted µs samples. */
export function block(argv, make, n, tools) {
  const home = mkdtempSync(join(tmpdir(), 'mcp-guard-bench-'));
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [...argv, process.execPath, SERVER], {
      cwd: root,
      stdio: ['pipe', 'pipe', 'ignore'],
      env: { PATH: process.env.PATH, HOME: home, MCP_GUARD_CONFIG: '', XDG_STATE_HOME: home, BENCH_TOOLS: String(tools) },
    });
    const warm = Math.max(20, Math.floor(n / 5));
    const samples = [];
    let seen = 0;
    let id = 0;
    let t0 = 0n;
    let pending = '';
    const send = () => {
      id += 1;
      t0 = process.hrtime.bigint();
      child.stdin.write(make(id));
    };
    child.stdout.on('data', (c) => {
      pending += c.toString('utf8');
      let nl;
      while ((nl = pending.indexOf('\n')) !== -1) {
        pending = pending.slice(nl + 1);
        seen += 1;
        if (seen > 1 + warm) samples.push(Number(process.hrtime.bigint() - t0) / 1000);
        if (samples.length >= n) {
          child.stdin.end();
          return;
        }
        send();
      }
    });
    child.on('error', fail);
    child.on('close', () => {
      rmSync(home, { recursive: true, force: true });
      done(samples.sort((a, b) => a - b));
    });
    child.stdin.write(`${INIT}\n`);
  });
}

// Ordinary prose (a tool's answer), so the figures are about the clean-frame path, not decoders.
const PROSE = 'The build finished in 42 seconds. Three tests were skipped because the database was not reachable; see the log for details. ';
export const callOf = (bytes) => {
  const text = PROSE.repeat(Math.ceil(bytes / PROSE.length)).slice(0, bytes);
  return (id) => `{"jsonrpc":"2.0","id":${id},"method":"tools/call","params":{"name":"echo","arguments":{"text":"${text}"}}}\n`;
};
const listOf = (id) => `{"jsonrpc":"2.0","id":${id},"method":"tools/list"}\n`;

/**
 * Run every case.
 * @returns per case: `{p50Ratio, p99Ratio, proxy:{p50,p99}, bare:{p50,p99}}` (µs; medians over repetitions)
 */
export async function runE2eBench({ quick = false } = {}) {
  const reps = quick ? 2 : 5;
  const n = quick ? 200 : 600;
  const cases = [
    { name: 'tools/call 100 B', make: callOf(100), tools: 1, n },
    { name: 'tools/call 1 KB', make: callOf(1024), tools: 1, n },
    { name: 'tools/call 10 KB', make: callOf(10 * 1024), tools: 1, n },
    { name: 'tools/list, 200 tools', make: listOf, tools: 200, n: Math.floor(n / 3) },
  ];
  const out = {};
  for (const c of cases) {
    const r = { p50: [], p99: [], proxyP50: [], proxyP99: [], bareP50: [], bareP99: [] };
    for (let rep = 0; rep < reps; rep++) {
      // A B B A: proxy, bare, bare, proxy.
      const a1 = await block(PROXY, c.make, c.n, c.tools);
      const b1 = await block(BARE, c.make, c.n, c.tools);
      const b2 = await block(BARE, c.make, c.n, c.tools);
      const a2 = await block(PROXY, c.make, c.n, c.tools);
      const a = [...a1, ...a2].sort((x, y) => x - y);
      const b = [...b1, ...b2].sort((x, y) => x - y);
      const [ap50, ap99, bp50, bp99] = [percentile(a, 50), percentile(a, 99), percentile(b, 50), percentile(b, 99)];
      r.p50.push(ap50 / bp50);
      r.p99.push(ap99 / bp99);
      r.proxyP50.push(ap50);
      r.proxyP99.push(ap99);
      r.bareP50.push(bp50);
      r.bareP99.push(bp99);
    }
    const rd = (x, d = 0) => Math.round(x * 10 ** d) / 10 ** d;
    out[c.name] = {
      p50Ratio: rd(median(r.p50), 2),
      p99Ratio: rd(median(r.p99), 2),
      proxy: { p50: rd(median(r.proxyP50)), p99: rd(median(r.proxyP99)) },
      bare: { p50: rd(median(r.bareP50)), p99: rd(median(r.bareP99)) },
      repetitions: reps,
      requestsPerBlock: c.n,
    };
  }
  return out;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const quick = process.argv.includes('--quick');
  const res = await runE2eBench({ quick });
  if (process.argv.includes('--json')) console.log(JSON.stringify(res, null, 2));
  else {
    console.log('end to end, sequential round trips, A B B A blocks (median over repetitions)');
    console.log('case                      proxy p50   bare p50   p50 ratio   proxy p99   bare p99   p99 ratio');
    for (const [name, v] of Object.entries(res)) {
      console.log(`${name.padEnd(24)}  ${String(v.proxy.p50).padStart(7)} µs  ${String(v.bare.p50).padStart(6)} µs   ${v.p50Ratio.toFixed(2).padStart(6)}×    ${String(v.proxy.p99).padStart(7)} µs  ${String(v.bare.p99).padStart(6)} µs   ${v.p99Ratio.toFixed(2).padStart(6)}×`);
    }
  }
}
