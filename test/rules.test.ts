/** Every rule in rules/*.yaml: loads, compiles with RE2, has examples, and its examples behave. */
import { describe, expect, it } from 'vitest';
import { loadRulePacks } from '../src/scan/rule-pack.js';
import { RuleMatcher } from '../src/scan/matcher.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { corpusDir } from './helpers.js';
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

  for (const rule of rules) {
    it(`${rule.id}: examples match and do not match as written`, () => {
      const m = new RuleMatcher([rule]);
      expect(rule.spec.examples.match.length).toBeGreaterThan(0);
      expect(rule.spec.examples.no_match.length).toBeGreaterThan(0);
      for (const ex of rule.spec.examples.match) {
        expect(m.match(ex).map((h) => h.rule.id), `should match: ${ex}`).toContain(rule.id);
      }
      for (const ex of rule.spec.examples.no_match) {
        expect(m.match(ex), `should not match: ${ex}`).toEqual([]);
      }
    });
  }
});
