/** Corpus floors: npm test fails if a category drops below the floors recorded in test/eval-floors.json. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EVAL_CATEGORIES, evaluateCategory } from '../src/eval/corpus-eval.js';
import { corpusDir, ROOT } from './helpers.js';

const floors = JSON.parse(readFileSync(join(ROOT, 'test', 'eval-floors.json'), 'utf8')) as Record<string, { detection: number; fp: number }>;

describe('corpus floors', () => {
  for (const category of EVAL_CATEGORIES) {
    it(`${category} stays at or above its floors`, () => {
      const report = evaluateCategory(corpusDir(), category);
      expect(report.overall.positives + report.overall.negatives).toBeGreaterThan(0);
      const checks: Array<[string, typeof report.overall | undefined]> = [[category, report.overall]];
      if (category === 'injection') checks.push(['injection:tool-output', report.byGroup['tool-output']]);
      for (const [name, rates] of checks) {
        const floor = floors[name];
        expect(floor, `floor for ${name}`).toBeDefined();
        expect(rates, `rates for ${name}`).toBeDefined();
        expect(rates!.detection, `${name} detection`).toBeGreaterThanOrEqual(floor!.detection);
        expect(rates!.fpRate, `${name} false positives`).toBeLessThanOrEqual(floor!.fp);
      }
    });
  }
});
