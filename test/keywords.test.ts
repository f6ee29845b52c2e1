/**
 * The keyword automaton (src/scan/keywords.ts) names exactly the keywords an
 * `RE2.Set` of `(?i)` literals names: it replaced one in the matcher's prefilter.
 */
import fc from 'fast-check';
import RE2 from 're2';
import { describe, expect, it } from 'vitest';
import { KeywordAutomaton } from '../src/scan/keywords.js';
import { loadBuiltinRules } from '../src/scan/rule-pack.js';

const escape = (s: string): string => s.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&');

const sets = new WeakMap<readonly string[], InstanceType<typeof RE2.Set>>();
function viaSet(keywords: readonly string[], text: string): number[] {
  let set = sets.get(keywords);
  if (set === undefined) sets.set(keywords, (set = new RE2.Set(keywords.map((k) => `(?i)${escape(k)}`), 'u')));
  return set.match(Buffer.from(text.isWellFormed() ? text : text.toWellFormed()));
}

describe('KeywordAutomaton', () => {
  const packKeywords = [...new Set(loadBuiltinRules().flatMap((r) => (r.spec.keywords ?? []).map((k) => k.toLowerCase())))];
  const auto = new KeywordAutomaton(packKeywords);

  it('agrees with an RE2 set on the rule packs\' keywords over mixed-case, Cyrillic and CJK text', () => {
    const letters = fc.constantFrom(...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ _-:.\n<>[]/@!(|иДпЛжШщЧцЯэФ系统忽略KſİIı0123456789');
    const words = fc.constantFrom(...packKeywords.slice(0, 400), ...packKeywords.slice(0, 100).map((k) => k.toUpperCase()));
    const text = fc.array(fc.oneof(letters, words), { maxLength: 60 }).map((parts) => parts.join(''));
    fc.assert(
      fc.property(text, (t) => {
        expect(auto.present(t)).toEqual(viaSet(packKeywords, t));
      }),
      { numRuns: 300 },
    );
  });

  it('finds overlapping keywords and keywords inside others', () => {
    const a = new KeywordAutomaton(['token', 'tokens', 'api_key', 'key', 'he', 'she', 'hers']);
    expect(a.present('ushers')).toEqual([4, 5, 6]);
    expect(a.present('MY_API_KEY and TOKENS')).toEqual([0, 1, 2, 3]);
    expect(a.present('nothing here')).toEqual([4]);
    expect(a.present('')).toEqual([]);
  });
});
