#!/usr/bin/env node
// In-process cost of one clean 1 KB frame through the scanner chain, with and
// without the fast path (src/scan/fast-path.ts): median and p99 in µs.
// A measurement, not a test: `npm run build && node scripts/measure-fast-path.js`.
import { ScanChain } from '../dist/scan/chain.js';
import { normalizeConfig } from '../dist/config/normalize.js';

const prose = 'The quick brown fox jumps over the lazy dog while the cat watches calmly. ';
const oneKb = prose.repeat(14).slice(0, 1024);
const notes =
  'Build 2381 finished in 4 minutes. All tests passed on the main branch, and the release notes were updated.\n' +
  'The weather service returned a forecast of light rain in the afternoon, with wind from the west.\n';
const notesKb = notes.repeat(6).slice(0, 1024);
const frame = (direction, message, context) => ({ direction, message, ...(context ? { context } : {}), raw: JSON.stringify(message) });
const request = (text) => frame('client-to-server', { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'search', arguments: { query: text } } });
const response = (text) =>
  frame('server-to-client', { jsonrpc: '2.0', id: 1, result: { content: [{ type: 'text', text }] } }, { method: 'tools/call', tool: 'search' });
const cases = [
  ['clean 1 KB request (bench prose)', request(oneKb)],
  ['clean 1 KB response (bench prose)', response(oneKb)],
  ['clean 1 KB request (notes)', request(notesKb)],
  ['clean 1 KB response (notes)', response(notesKb)],
];

function measure(chain, input, n) {
  for (let i = 0; i < 2000; i++) chain.evaluate(input);
  const s = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const t0 = process.hrtime.bigint();
    chain.evaluate(input);
    s[i] = Number(process.hrtime.bigint() - t0) / 1000;
  }
  s.sort();
  return { median: s[n >> 1], p99: s[Math.floor(n * 0.99)] };
}

const n = Number(process.argv[2] ?? 20000);
const full = new ScanChain({ config: normalizeConfig({}), env: {}, fastPath: false });
const fast = new ScanChain({ config: normalizeConfig({}), env: {} });
console.log(`${'frame'.padEnd(36)} ${'full µs'.padStart(9)} ${'fast µs'.padStart(9)} ${'full p99'.padStart(9)} ${'fast p99'.padStart(9)}  (median of ${n})`);
for (const [name, input] of cases) {
  const a = measure(full, input, n);
  const b = measure(fast, input, n);
  if (JSON.stringify(full.evaluate(input)) !== JSON.stringify(fast.evaluate(input))) throw new Error(`verdicts differ for ${name}`);
  console.log(`${name.padEnd(36)} ${a.median.toFixed(2).padStart(9)} ${b.median.toFixed(2).padStart(9)} ${a.p99.toFixed(2).padStart(9)} ${b.p99.toFixed(2).padStart(9)}`);
}
