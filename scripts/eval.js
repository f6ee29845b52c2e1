#!/usr/bin/env node
// `npm run eval`: detection and false-positive rates of the built engine on the
// labelled corpus, per category, with per-group and per-source tables and the
// worst misses and false positives by id. Exits 1 if a category is below the
// floors in test/eval-floors.json.
//
// Corpus: $MCP_GUARD_CORPUS, else ../shared/corpus, else test/corpus.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EVAL_CATEGORIES, evaluateCategory } from '../dist/eval/corpus-eval.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const shared = resolve(root, '..', 'shared', 'corpus');
const corpus = process.env.MCP_GUARD_CORPUS || (existsSync(join(shared, 'README.md')) ? shared : join(root, 'test', 'corpus'));
const floors = JSON.parse(readFileSync(join(root, 'test', 'eval-floors.json'), 'utf8'));
const verbose = process.argv.includes('--verbose');
const pct = (x) => `${(x * 100).toFixed(1)}%`.padStart(7);

function table(title, groups) {
  console.log(`  ${title.padEnd(34)} ${'pos'.padStart(5)} ${'detect'.padStart(7)} ${'neg'.padStart(5)} ${'FP'.padStart(7)}`);
  for (const [name, r] of Object.entries(groups)) {
    const det = r.positives ? pct(r.detection) : '      -';
    const fp = r.negatives ? pct(r.fpRate) : '      -';
    console.log(`  ${name.slice(0, 34).padEnd(34)} ${String(r.positives).padStart(5)} ${det} ${String(r.negatives).padStart(5)} ${fp}`);
  }
}

let failed = false;
console.log(`mcp-guard eval on ${corpus}\n`);
for (const category of EVAL_CATEGORIES) {
  const r = evaluateCategory(corpus, category);
  const o = r.overall;
  console.log(`${category}: detection ${pct(o.detection).trim()} (${o.detected}/${o.positives}), false positives ${pct(o.fpRate).trim()} (${o.falsePositives}/${o.negatives}), ${r.meanUs.toFixed(1)} µs/record`);
  table('by group', r.byGroup);
  if (verbose) table('by source', r.bySource);
  const show = (label, list) => {
    if (list.length === 0) return;
    console.log(`  ${label} (${list.length}): ${list.slice(0, verbose ? 1000 : 12).map((x) => x.id + (x.rules.length ? ` [${x.rules.join(',')}]` : '')).join(', ')}${list.length > 12 && !verbose ? ', …' : ''}`);
  };
  show('misses', r.misses);
  show('false positives', r.falsePositives);
  const checks = [[category, o]];
  if (category === 'injection') checks.push(['injection:tool-output', r.byGroup['tool-output']]);
  for (const [name, rates] of checks) {
    const floor = floors[name];
    if (!floor || !rates) continue;
    if (rates.detection < floor.detection || rates.fpRate > floor.fp) {
      failed = true;
      console.log(`  BELOW FLOOR ${name}: needs detection ≥ ${pct(floor.detection).trim()} and FP ≤ ${pct(floor.fp).trim()}`);
    }
  }
  console.log('');
}
process.exitCode = failed ? 1 : 0;
