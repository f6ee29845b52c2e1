/** Training (src/scan/model/train.ts, scripts/train.js): the optimiser, thresholds, determinism. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { benignThreshold, fitLogistic, mulberry32, selectInstances, sourceFolds } from '../../src/scan/model/train.js';
import { sigmoid } from '../../src/scan/model/scorer.js';
import { ROOT, tempDir } from '../helpers.js';

const opts = { epochs: 30, rate: 0.5, l2: 0, seed: 7 };

describe('logistic regression (AdaGrad)', () => {
  it('fits a separable problem: feature 0 means positive, feature 1 negative', () => {
    const rand = mulberry32(3);
    const data = Array.from({ length: 200 }, (_, i) => {
      const y = (i % 2) as 0 | 1;
      const noise = 2 + Math.floor(rand() * 3);
      return { idx: Int32Array.from([y === 1 ? 0 : 1, noise]), val: Float32Array.from([1, 1]), y };
    });
    const f = fitLogistic(data, 5, opts);
    expect(f.w[0]).toBeGreaterThan(1);
    expect(f.w[1]).toBeLessThan(-1);
    for (const e of data) {
      const z = f.bias + (f.w[e.idx[0] as number] as number) + (f.w[e.idx[1] as number] as number);
      expect(sigmoid(z) > 0.5 ? 1 : 0).toBe(e.y);
    }
    // Noise features carry (almost) nothing.
    for (const i of [2, 3, 4]) expect(Math.abs(f.w[i] as number)).toBeLessThan(Math.abs(f.w[0] as number) / 2);
  });

  it('balances the classes: a rare class is still learned', () => {
    const data = [
      ...Array.from({ length: 190 }, () => ({ idx: Int32Array.from([1]), val: Float32Array.from([1]), y: 0 as const })),
      ...Array.from({ length: 10 }, () => ({ idx: Int32Array.from([0]), val: Float32Array.from([1]), y: 1 as const })),
    ];
    const f = fitLogistic(data, 2, opts);
    expect(sigmoid(f.bias + (f.w[0] as number))).toBeGreaterThan(0.9);
    expect(sigmoid(f.bias + (f.w[1] as number))).toBeLessThan(0.1);
  });

  it('is deterministic', () => {
    const data = Array.from({ length: 50 }, (_, i) => ({ idx: Int32Array.from([i % 7, 7 + (i % 3)]), val: Float32Array.from([0.5, 0.25]), y: (i % 3 === 0 ? 1 : 0) as 0 | 1 }));
    const a = fitLogistic(data, 10, opts);
    const b = fitLogistic(data, 10, opts);
    expect([...a.w]).toEqual([...b.w]);
    expect(a.bias).toBe(b.bias);
  });
});

describe('multiple-instance selection', () => {
  it('keeps every negative and, of each attack, only the chunk the model scores highest', () => {
    // Feature 0 is the injected instruction, feature 1 the benign carrier it sits in.
    const ex = (i: number, y: 0 | 1) => ({ idx: Int32Array.from([i]), val: Float32Array.from([1]), y });
    const data = [ex(1, 0), ex(1, 0), ex(1, 1), ex(0, 1), ex(1, 1), ex(0, 1)];
    const bags = [[2, 3], [4], [5]];
    const kept = selectInstances(data, bags, { w: Float64Array.from([2, -1]), bias: 0 });
    expect(kept).toEqual([data[0], data[1], data[3], data[4], data[5]]);
  });
});

describe('threshold folds', () => {
  it('put whole sources in one fold, and sources that share carriers together', () => {
    const rec = (id: string) => ({ id, positive: false, source: id.split('-')[0] as string });
    const records = ['agentdojo-a', 'adojoinj-b', 'biomcp-c', 'bipia-d', 'garak-e', 'biomcp-f', 'adojoinj-g'].map(rec);
    const f = sourceFolds(records, 2);
    const of = (src: string) => new Set(records.flatMap((r, i) => (r.source === src ? [f[i]] : [])));
    for (const s of ['agentdojo', 'adojoinj', 'biomcp']) expect(of(s).size).toBe(1);
    expect(of('adojoinj')).toEqual(of('agentdojo'));
    expect(new Set(f).size).toBe(2);
  });
});

describe('thresholds from benign scores', () => {
  it('at most the given share of benign scores is at or above the threshold', () => {
    const scores = Array.from({ length: 1000 }, (_, i) => 0.5 + i / 2000);
    const t = benignThreshold(scores, 0.01);
    expect(scores.filter((s) => s >= t).length).toBeLessThanOrEqual(10);
    expect(scores.filter((s) => s >= t - 0.0002).length).toBeGreaterThanOrEqual(10);
    expect(benignThreshold([0.1, 0.2], 0.01)).toBe(0.5);
  });
});

describe('npm run train', () => {
  it('writes the same bytes twice (on a small subset)', () => {
    const a = tempDir();
    const b = tempDir();
    for (const out of [a, b]) execFileSync(process.execPath, [join(ROOT, 'scripts', 'train.js'), '--every', '40', '--out', out], { stdio: 'pipe' });
    for (const f of ['injection.json', 'tool-poisoning.json']) {
      const x = readFileSync(join(a, f));
      expect(x.equals(readFileSync(join(b, f))), f).toBe(true);
      const m = JSON.parse(x.toString('utf8')) as { training: { command: string; data_sha256: string } };
      expect(m.training.command).toBe('npm run train');
      expect(m.training.data_sha256).toMatch(/^[0-9a-f]{64}$/);
    }
  }, 300_000);
});
