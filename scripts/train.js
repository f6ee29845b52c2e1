#!/usr/bin/env node
// `npm run train`: rebuild rules/models/<category>.json (the learned scorers) from the
// labelled corpus and data/. Deterministic: the same inputs give the same bytes.
//
// Corpus: $MCP_GUARD_CORPUS, else ../shared/corpus, else test/corpus; plus data/ when present.
// Options: --out DIR (default rules/models), --limit N (train on every Nth record only; for tests).
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readRecords } from '../dist/eval/records.js';
import { modelFile, trainModel } from '../dist/scan/model/train.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const shared = resolve(root, '..', 'shared', 'corpus');
const corpus = process.env.MCP_GUARD_CORPUS || (existsSync(join(shared, 'README.md')) ? shared : join(root, 'test', 'corpus'));
const arg = (name) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const out = resolve(arg('--out') ?? join(root, 'rules', 'models'));
const every = Number(arg('--every') ?? 1);
const dirs = [{ label: 'corpus', path: corpus }, ...(existsSync(join(root, 'data')) ? [{ label: 'data', path: join(root, 'data') }] : [])];

/** Attack texts that also train the tool-poisoning model: an injected instruction reads the same in a description. */
export function auxiliaryPositives(injection) {
  return injection.filter((r) => r.positive && r.text !== undefined).map((r) => r.text);
}

mkdirSync(out, { recursive: true });
const thin = (records) => (every > 1 ? records.filter((_, i) => i % every === 0) : records);
const injection = readRecords(dirs, 'injection');
for (const category of ['injection', 'tool-poisoning']) {
  const { records, files } = category === 'injection' ? injection : readRecords(dirs, category);
  const extra = category === 'tool-poisoning' ? auxiliaryPositives(thin(injection.records)) : [];
  const t0 = performance.now();
  const trained = trainModel(category, thin(records), {}, extra);
  const file = modelFile(trained, category === 'tool-poisoning' ? [...files, ...injection.files.filter((f) => f.path.endsWith('positives.jsonl'))] : files, {}, {
    records: thin(records).length,
    ...(extra.length ? { auxiliary_positives: `${extra.length} injection positives` } : {}),
    ...(every > 1 ? { every } : {}),
  });
  const path = join(out, `${category}.json`);
  writeFileSync(path, JSON.stringify(file, null, 1) + '\n');
  const m = trained.model;
  process.stderr.write(`train: ${category}: ${thin(records).length} records, threshold ${m.threshold}, warn ${m.warnThreshold} → ${path} (${((performance.now() - t0) / 1000).toFixed(1)} s)\n`);
}
