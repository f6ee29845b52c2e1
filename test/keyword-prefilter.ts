/**
 * Soundness of the keyword prefilter (see rules/README.md): a rule with
 * `keywords` only runs when one occurs, so every match its regex can make must
 * contain one. This helper finds matches on sample texts that contain none.
 */
import type { CompiledRule } from '../src/scan/rule-pack.js';
import { TextVariants } from '../src/scan/normalize.js';

/**
 * @param rules rules to check (rules without keywords are skipped)
 * @param texts sample texts; each rule's own match examples are added
 * @returns one line per uncovered match: `rule-id (variant): matched text…`
 */
export function uncoveredKeywordMatches(rules: readonly CompiledRule[], texts: readonly string[]): string[] {
  const uncovered: string[] = [];
  for (const rule of rules) {
    const kws = (rule.spec.keywords ?? []).map((k) => k.toLowerCase());
    if (kws.length === 0) continue;
    for (const text of [...texts, ...rule.spec.examples.match]) {
      const tv = new TextVariants(text);
      for (const v of rule.variants) {
        rule.re.lastIndex = 0;
        const m = rule.re.exec(tv.get(v));
        rule.re.lastIndex = 0;
        if (m && !kws.some((k) => m[0].toLowerCase().includes(k))) uncovered.push(`${rule.id} (${v}): ${m[0].slice(0, 60)}`);
      }
    }
  }
  return uncovered;
}
