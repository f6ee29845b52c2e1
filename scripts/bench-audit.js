#!/usr/bin/env node
// The audit trail's cost on the clean round trip, for `npm run bench`: the
// built proxy logging every decision (include_allowed) to stderr, against the
// same proxy writing the HMAC hash-chained file under logging.dir and exporting
// every decision to syslog (TCP) and OTLP (http/protobuf), both collectors on
// loopback in another process (scripts/bench-collectors.js). Blocks A B B A,
// as in scripts/bench-e2e.js; the figure is the median over repetitions of the
// per-repetition p50 (and p99) ratio B/A. Target: within 1.05. Run twice: with
// include_allowed false (the default: a clean round trip is not logged) and true.
// Also, in process, CPU µs per decision (steadier on a shared machine).
// Usage: node scripts/bench-audit.js [--quick] [--json]
// To find where the cost goes: BENCH_AUDIT_ONLY=chain|syslog|otlp turns on one part
// alone; BENCH_AUDIT_CPU_ONLY=1 runs only the in-process figure.
// As a module: `await runAuditBench({ quick })` → a plain object.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { block, callOf } from './bench-e2e.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const BIN = join(root, 'bin', 'mcp-guard.js');
const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
const median = (xs) => percentile([...xs].sort((a, b) => a - b), 50);
const rd = (x, d = 0) => Math.round(x * 10 ** d) / 10 ** d;

function startCollectors() {
  const child = spawn(process.execPath, [join(root, 'scripts', 'bench-collectors.js')], { stdio: ['pipe', 'pipe', 'inherit'] });
  return new Promise((ok) => {
    let out = '';
    child.stdout.on('data', (c) => {
      out += c;
      if (out.includes('\n')) ok({ ports: JSON.parse(out), stop: () => child.stdin.end() });
    });
  });
}

/** Run the comparison; returns `{p50Ratio, p99Ratio, stderr:{p50,p99}, audited:{p50,p99}}` (µs). */
export async function runAuditBench({ quick = false, includeAllowed = true } = {}) {
  const reps = quick ? 2 : 5;
  const n = quick ? 200 : 600;
  const dir = mkdtempSync(join(tmpdir(), 'mcp-guard-bench-audit-'));
  const { ports, stop } = await startCollectors();
  try {
    const key = join(dir, 'chain.key');
    writeFileSync(key, 'bench-chain-key-0123456789abcdef', { mode: 0o600 });
    const plain = join(dir, 'stderr.yaml');
    writeFileSync(plain, `logging:\n  output: stderr\n  include_allowed: ${includeAllowed}\n`);
    const audited = join(dir, 'audited.yaml');
    const only = process.env.BENCH_AUDIT_ONLY; // chain | syslog | otlp: one part alone, for finding costs
    writeFileSync(
      audited,
      [
        'logging:',
        ...(only === undefined || only === 'chain' ? ['  output: file', `  dir: "${join(dir, 'audit')}"`, `  chain_key_file: "${key}"`] : []),
        `  include_allowed: ${includeAllowed}`,
        ...(process.env.BENCH_AUDIT_EXTRA ? process.env.BENCH_AUDIT_EXTRA.split(';') : []),
        ...(only === undefined || only === 'syslog' ? ['  syslog:', `    address: "127.0.0.1:${ports.syslog}"`] : []),
        ...(only === undefined || only === 'otlp' ? ['  otlp:', `    endpoint: "http://127.0.0.1:${ports.otlp}"`] : []),
        '',
      ].join('\n'),
    );
    const argv = (cfg) => [BIN, 'proxy', '-c', cfg, '--env', 'BENCH_TOOLS', '--'];
    const make = callOf(1024);
    const r = { p50: [], p99: [], aP50: [], aP99: [], bP50: [], bP99: [] };
    for (let rep = 0; rep < reps; rep++) {
      // A B B A: stderr, audited, audited, stderr.
      const a1 = await block(argv(plain), make, n, 1);
      const b1 = await block(argv(audited), make, n, 1);
      const b2 = await block(argv(audited), make, n, 1);
      const a2 = await block(argv(plain), make, n, 1);
      const a = [...a1, ...a2].sort((x, y) => x - y);
      const b = [...b1, ...b2].sort((x, y) => x - y);
      r.p50.push(percentile(b, 50) / percentile(a, 50));
      r.p99.push(percentile(b, 99) / percentile(a, 99));
      r.aP50.push(percentile(a, 50));
      r.aP99.push(percentile(a, 99));
      r.bP50.push(percentile(b, 50));
      r.bP99.push(percentile(b, 99));
    }
    return {
      case: includeAllowed ? 'tools/call 1 KB, every decision logged (include_allowed: true)' : 'tools/call 1 KB, default logging (include_allowed: false: clean frames are not logged)',
      p50Ratio: rd(median(r.p50), 3),
      p99Ratio: rd(median(r.p99), 3),
      stderr: { p50: rd(median(r.aP50)), p99: rd(median(r.aP99)) },
      audited: { p50: rd(median(r.bP50)), p99: rd(median(r.bP99)) },
      repetitions: reps,
      requestsPerBlock: n,
    };
  } finally {
    stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * In process, steadier than round trips on a shared machine: CPU µs per
 * decision (`AuditLog.decision` plus its deferred sealing, write and exports)
 * with stderr logging (to a sink that discards) and with the HMAC chain file,
 * syslog and OTLP on.
 */
export async function runAuditCpu({ quick = false, ports }) {
  const { AuditLog } = await import('../dist/log/audit.js');
  const dir = mkdtempSync(join(tmpdir(), 'mcp-guard-bench-audit-cpu-'));
  const key = join(dir, 'chain.key');
  writeFileSync(key, 'bench-chain-key-0123456789abcdef', { mode: 0o600 });
  const discard = { write: () => true };
  const event = { direction: 'server-to-client', method: 'tools/call', id: 7, tool: 'echo', action: 'allow', findings: [], scanUs: 45.2 };
  const n = quick ? 5000 : 20000;
  const only = process.env.BENCH_AUDIT_ONLY;
  const measure = async (log) => {
    for (let i = 0; i < 500; i++) log.decision(event);
    await new Promise((r) => setImmediate(r));
    const t = process.cpuUsage();
    for (let i = 0; i < n; i += 100) {
      for (let j = 0; j < 100; j++) log.decision({ ...event, id: i + j });
      await new Promise((r) => setImmediate(r));
    }
    const u = process.cpuUsage(t);
    await log.close(1500);
    return (u.user + u.system) / n;
  };
  const base = { server: 'bench', format: 'json', includeAllowed: true, includeBlocked: true, stderr: discard, version: 'bench', configHash: 'bench' };
  try {
    const plain = await measure(new AuditLog({ ...base, toStderr: true }));
    const audited = await measure(
      new AuditLog({
        ...base,
        toStderr: false,
        audit: {
          chain: true,
          ...(only === undefined || only === 'chain' ? { dir: join(dir, 'audit'), chainKeyFile: key } : {}),
          ...(only === undefined || only === 'syslog' ? { syslog: { host: '127.0.0.1', port: ports.syslog, protocol: 'tcp', facility: 'local0', appName: 'mcp-guard', bufferMessages: 100000 } } : {}),
          ...(only === undefined || only === 'otlp' ? { otlp: { endpoint: `http://127.0.0.1:${ports.otlp}`, headers: {}, protocol: 'http/protobuf', metricIntervalMs: 10000 } } : {}),
        },
      }),
    );
    return { stderrUsPerDecision: rd(plain, 1), auditedUsPerDecision: rd(audited, 1), decisions: n };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The report's lines (also printed by scripts/bench.js). */
export function auditLines(res) {
  const out = ['audit trail: stderr logging vs HMAC chain file + syslog (TCP) + OTLP (http/protobuf), A B B A blocks, medians'];
  for (const r of [res.defaults, res.every]) {
    out.push(`  ${r.case}`);
    out.push(`    stderr p50 ${r.stderr.p50} µs, p99 ${r.stderr.p99} µs; audited p50 ${r.audited.p50} µs, p99 ${r.audited.p99} µs; ratio p50 ${r.p50Ratio.toFixed(3)}×, p99 ${r.p99Ratio.toFixed(3)}× (target ≤ 1.05)`);
  }
  out.push(`  in process: ${res.cpu.stderrUsPerDecision} µs CPU per decision to stderr, ${res.cpu.auditedUsPerDecision} µs with chain + syslog + OTLP (+${res.cpu.extraPerRoundTripPct} % of a stderr round trip that logs both its decisions)`);
  return out;
}

/** Both figures, with one set of collectors. */
export async function runAuditBenchAll({ quick = false } = {}) {
  const { ports, stop } = await startCollectors();
  try {
    const cpu = await runAuditCpu({ quick, ports });
    if (process.env.BENCH_AUDIT_CPU_ONLY) return { cpu };
    const every = await runAuditBench({ quick, includeAllowed: true });
    const defaults = await runAuditBench({ quick, includeAllowed: false });
    // Two decisions per round trip (request and response).
    return { defaults, every, cpu: { ...cpu, extraPerRoundTripPct: rd((200 * (cpu.auditedUsPerDecision - cpu.stderrUsPerDecision)) / every.stderr.p50, 1) } };
  } finally {
    stop();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const res = await runAuditBenchAll({ quick: process.argv.includes('--quick') });
  if (process.argv.includes('--json')) console.log(JSON.stringify(res, null, 2));
  else for (const line of auditLines(res)) console.log(line);
}
