#!/usr/bin/env node
// `npm run eval`: detection and false-positive rates of the built engine (rules and
// learned scorers) on the labelled corpus and data/, per category, with per-group and
// per-source tables and the misses and false positives by id. In-sample: the shipped
// scorers were trained on these records, and the rules were written against the corpus.
// Exits 1 if a category is below its in-sample floor in test/eval-floors.json.
//
// `npm run eval -- --cross-source`: generalisation. For every source (the id prefix) of
// injection and tool poisoning, train the scorer on all other sources, score the
// left-out one with rules + that scorer, print recall and FP rate per left-out source
// and the mean. Exits 1 below the cross-source floors. `--write` also writes the
// results to test/cross-source.json (checked by test/eval.test.ts). `--category C` runs one
// category (and, with --write, updates only its part of the file).
//
// Corpus: $MCP_GUARD_CORPUS, else ../shared/corpus, else test/corpus; plus data/ when present.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpus } from 'node:os';
import { EVAL_CATEGORIES, checkFloor, crossSource, evaluateCategory } from '../dist/eval/corpus-eval.js';
import { readRecords } from '../dist/eval/records.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const shared = resolve(root, '..', 'shared', 'corpus');
const corpus = process.env.MCP_GUARD_CORPUS || (existsSync(join(shared, 'README.md')) ? shared : join(root, 'test', 'corpus'));
const dirs = [{ label: 'corpus', path: corpus }, ...(existsSync(join(root, 'data')) ? [{ label: 'data', path: join(root, 'data') }] : [])];
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

/** sha256 over every input file of the categories the cross-source run reads, so a stale results file is noticed. */
function dataSha() {
  const files = ['injection', 'tool-poisoning'].flatMap((c) => readRecords(dirs, c).files);
  return createHash('sha256').update(files.map((f) => `${f.path} ${f.sha256}\n`).join('')).digest('hex');
}

function inSample() {
  let failed = false;
  console.log(`mcp-guard eval (in-sample) on ${dirs.map((d) => d.path).join(' + ')}\n`);
  for (const category of EVAL_CATEGORIES) {
    const r = evaluateCategory(dirs, category);
    const o = r.overall;
    console.log(`${category}: detection ${pct(o.detection).trim()} (${o.detected}/${o.positives}), false positives ${pct(o.fpRate).trim()} (${o.falsePositives}/${o.negatives}), ${r.meanUs.toFixed(1)} µs/record`);
    table('by group', r.byGroup);
    table('by source', r.bySource);
    if (verbose) table('attacks by family', r.byFamily);
    const show = (label, list) => {
      if (list.length === 0) return;
      console.log(`  ${label} (${list.length}): ${list.slice(0, verbose ? 1000 : 12).map((x) => x.id + (x.rules.length ? ` [${x.rules.join(',')}]` : '')).join(', ')}${list.length > 12 && !verbose ? ', …' : ''}`);
    };
    show('misses', r.misses);
    show('false positives', r.falsePositives);
    for (const [name, floor] of Object.entries(floors.in_sample ?? {})) {
      const [cat, group] = name.split(':');
      if (cat !== category) continue;
      const broken = checkFloor(name, group ? r.byGroup[group] : o, floor);
      for (const b of broken) console.log(`  BELOW FLOOR ${b}`);
      failed ||= broken.length > 0;
    }
    console.log('');
  }
  return failed;
}

function crossSourceRun() {
  const sha = dataSha();
  console.log(`mcp-guard eval --cross-source on ${dirs.map((d) => d.path).join(' + ')} (data sha256 ${sha.slice(0, 12)})`);
  console.log('Each row: the scorer trained without that source (thresholds from the other sources\' benign records), rules + scorer on the source.\n');
  const out = { '//': 'Written by `npm run eval -- --cross-source --write`; checked by test/eval.test.ts against test/eval-floors.json.', data_sha256: sha, machine: `${cpus()[0]?.model ?? '?'} ×${cpus().length}, Node ${process.version}`, date: new Date().toISOString().slice(0, 10), categories: {} };
  let failed = false;
  const only = process.argv.includes('--category') ? process.argv[process.argv.indexOf('--category') + 1] : undefined;
  for (const category of ['injection', 'tool-poisoning'].filter((c) => only === undefined || c === only)) {
    const t0 = performance.now();
    console.log(`${category}`);
    console.log(`  ${'left-out source'.padEnd(22)} ${'attacks'.padStart(7)} ${'recall'.padStart(7)} ${'rule'.padStart(5)} ${'model'.padStart(5)} ${'benign'.padStart(7)} ${'FP'.padStart(7)} ${'rule'.padStart(5)} ${'model'.padStart(5)}  threshold`);
    const rep = crossSource(dirs, category, {
      onSource: (s) => {
        const r = s.rates;
        console.log(
          `  ${s.source.padEnd(22)} ${String(r.positives).padStart(7)} ${r.positives ? pct(r.detection) : '      -'} ${String(s.byRule).padStart(5)} ${String(s.byModel).padStart(5)} ${String(r.negatives).padStart(7)} ${r.negatives ? pct(r.fpRate) : '      -'} ${String(s.fpByRule).padStart(5)} ${String(s.fpByModel).padStart(5)}  ${s.threshold} (warn ${s.warnThreshold})`,
        );
        if (verbose && s.misses.length) console.log(`      misses: ${s.misses.join(', ')}`);
        if (verbose && s.falsePositives.length) console.log(`      false positives: ${s.falsePositives.join(', ')}`);
      },
    });
    const p = rep.pooled;
    console.log(`  ${'mean over sources'.padEnd(22)} ${''.padStart(7)} ${pct(rep.meanRecall)} ${''.padStart(5)} ${''.padStart(5)} ${''.padStart(7)} ${pct(rep.meanFpRate)}`);
    console.log(`  ${'pooled'.padEnd(22)} ${String(p.positives).padStart(7)} ${pct(p.detection)} ${''.padStart(5)} ${''.padStart(5)} ${String(p.negatives).padStart(7)} ${pct(p.fpRate)}   (target benign only: FP ${pct(rep.pooledTargetFp.fpRate).trim()} of ${rep.pooledTargetFp.negatives})`);
    console.log(`  (${((performance.now() - t0) / 1000).toFixed(0)} s)\n`);
    out.categories[category] = rep;
    const floor = floors.cross_source?.[category];
    if (floor) {
      const broken = [
        ...checkFloor(`${category} cross-source pooled`, rep.pooled, { detection: floor.recall, fp: 1 }),
        ...checkFloor(`${category} cross-source target benign`, rep.pooledTargetFp, { detection: 0, fp: floor.fp }),
      ];
      for (const b of broken) console.log(`  BELOW FLOOR ${b}`);
      failed ||= broken.length > 0;
    }
  }
  if (process.argv.includes('--write')) {
    // --category updates one category of an existing file.
    const path = join(root, 'test', 'cross-source.json');
    const old = only && existsSync(path) ? JSON.parse(readFileSync(path, 'utf8')) : undefined;
    const merged = old && old.data_sha256 === sha ? { ...out, categories: { ...old.categories, ...out.categories } } : out;
    writeFileSync(path, JSON.stringify(merged, null, 1) + '\n');
    console.log('wrote test/cross-source.json');
  }
  return failed;
}

process.exitCode = (process.argv.includes('--cross-source') ? crossSourceRun() : inSample()) ? 1 : 0;
