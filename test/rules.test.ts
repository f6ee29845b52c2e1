/**
 * Every rule in rules/*.yaml loads and compiles with RE2 (the loader's schema
 * requires match and no_match examples). The examples themselves are run once,
 * by each pack's own test: test/dlp-rules.test.ts, test/injection-rules.test.ts
 * and test/poisoning-rules.test.ts (the last two also behind evasion); this file
 * checks that no pack escapes them.
 */
import { describe, expect, it } from 'vitest';
import { loadRulePacks } from '../src/scan/rule-pack.js';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { corpusDir, ROOT } from './helpers.js';
import { uncoveredKeywordMatches } from './keyword-prefilter.js';

const rules = loadRulePacks();

describe('rule packs', () => {
  it('DLP keywords cover every match on the secrets corpus (the prefilter never hides a match)', () => {
    const texts = ['positives.jsonl', 'negatives.jsonl'].flatMap((f) =>
      readFileSync(join(corpusDir(), 'secrets', f), 'utf8')
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((l) => (JSON.parse(l) as { text: string }).text),
    );
    expect(uncoveredKeywordMatches(rules.filter((r) => r.category === 'dlp'), texts)).toEqual([]);
  });

  it('load and hold every category', () => {
    const count = (c: string): number => rules.filter((r) => r.category === c).length;
    expect(count('dlp')).toBeGreaterThanOrEqual(100);
    expect(count('injection')).toBeGreaterThanOrEqual(25);
    expect(count('tool-poisoning')).toBeGreaterThan(0);
  });

  it('every pack file is one whose examples a pack test runs, and no rule sits outside those categories', () => {
    // A new pack file or category needs its own example test before it lands here.
    expect(readdirSync(join(ROOT, 'rules')).filter((f) => /\.ya?ml$/.test(f)).sort()).toEqual(['dlp.yaml', 'injection.yaml', 'tool-poisoning.yaml']);
    expect([...new Set(rules.map((r) => r.category))].sort()).toEqual(['dlp', 'injection', 'tool-poisoning']);
  });
});
