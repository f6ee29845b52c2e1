/**
 * Runs a set of compiled rules over text. One `RE2.Set` pass per text variant
 * tells which rules can match; only those rules' own regexes then run to find
 * the spans, and validators and placeholder checks filter them.
 */
import RE2 from 're2';
import type { CompiledRule } from './rule-pack.js';
import { TextVariants, type VariantName } from './normalize.js';
import { runValidator } from './validators.js';

type RE2Set = InstanceType<(typeof RE2)['Set']>;
import { isPlaceholder } from './placeholders.js';
import { maskSecret } from './mask.js';

/** One rule match. Holds the matched text only transiently; log `masked`, never `matched`. */
export interface RuleHit {
  readonly rule: CompiledRule;
  readonly variant: VariantName;
  /** Transform label for findings (`normalized`, `leet`, …) or undefined for raw text. */
  readonly transform: string | undefined;
  /** UTF-16 offsets into the variant's text. */
  readonly start: number;
  readonly end: number;
  readonly matched: string;
  readonly masked: string;
}

interface VariantGroup {
  readonly variant: VariantName;
  readonly set: RE2Set;
  readonly rules: readonly CompiledRule[];
}

/** Options for {@link RuleMatcher.match}. */
export interface MatchOptions {
  /** Stop after the first accepted hit per rule (default true). */
  readonly firstPerRule?: boolean;
  /** Only these variants (default: every variant some rule needs). */
  readonly variants?: readonly VariantName[];
}

/** Hits per rule at most, to bound work on hostile input. */
const MAX_HITS_PER_RULE = 16;

/**
 * A compiled matcher over a fixed list of rules.
 * @throws GuardError from RE2 if a rule's regex cannot join the set (already validated at load)
 */
export class RuleMatcher {
  readonly rules: readonly CompiledRule[];
  readonly #groups: VariantGroup[];

  constructor(rules: readonly CompiledRule[]) {
    this.rules = rules;
    const byVariant = new Map<VariantName, CompiledRule[]>();
    for (const rule of rules) {
      for (const v of rule.variants) {
        const list = byVariant.get(v) ?? [];
        list.push(rule);
        byVariant.set(v, list);
      }
    }
    this.#groups = [...byVariant].map(([variant, list]) => ({
      variant,
      rules: list,
      set: new RE2.Set(
        list.map((r) => r.spec.regex),
        'u',
      ),
    }));
  }

  /** True when some rule may match in some variant (cheap: one set pass per variant; validators not run). */
  test(text: string | TextVariants): boolean {
    const tv = typeof text === 'string' ? new TextVariants(text) : text;
    return this.#groups.some((g) => g.set.test(tv.get(g.variant)));
  }

  /**
   * Find rule hits in `text`. A rule that matched in an earlier variant is not
   * reported again from a later one.
   * @returns hits in group order (variant), then rule order
   */
  match(text: string | TextVariants, options: MatchOptions = {}): RuleHit[] {
    const tv = typeof text === 'string' ? new TextVariants(text) : text;
    const firstPerRule = options.firstPerRule ?? true;
    const hits: RuleHit[] = [];
    const seen = new Set<string>();
    for (const group of this.#groups) {
      if (options.variants && !options.variants.includes(group.variant)) continue;
      const subject = tv.get(group.variant);
      if (subject.length === 0) continue;
      const idx = group.set.match(subject);
      if (idx.length === 0) continue;
      for (const i of idx) {
        const rule = group.rules[i];
        if (rule === undefined || seen.has(rule.id)) continue;
        const found = this.#spans(rule, subject, firstPerRule);
        if (found.length === 0) continue;
        seen.add(rule.id);
        const transform = tv.transform(group.variant);
        for (const [start, end, matched] of found) {
          hits.push({ rule, variant: group.variant, transform, start, end, matched, masked: maskSecret(matched) });
        }
      }
    }
    return hits;
  }

  #spans(rule: CompiledRule, subject: string, firstOnly: boolean): Array<[number, number, string]> {
    const out: Array<[number, number, string]> = [];
    const re = rule.re;
    re.lastIndex = 0;
    let m: RegExpExecArray | null;
    let guard = 0;
    while ((m = re.exec(subject)) !== null && guard++ < MAX_HITS_PER_RULE * 4) {
      if (m[0].length === 0) re.lastIndex++;
      const secret = m.groups?.['secret'];
      const text = secret ?? m[0];
      const start = secret !== undefined ? m.index + m[0].indexOf(secret) : m.index;
      if (rule.category === 'dlp') {
        if (rule.validator !== undefined && !runValidator(rule.validator, text)) continue;
        if (isPlaceholder(text)) continue;
      } else if (rule.validator !== undefined && !runValidator(rule.validator, text)) {
        continue;
      }
      out.push([start, start + text.length, text]);
      if (firstOnly || out.length >= MAX_HITS_PER_RULE) break;
    }
    re.lastIndex = 0;
    return out;
  }
}
