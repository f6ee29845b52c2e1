/**
 * Runs a set of compiled rules over text. One `RE2.Set` pass per text variant
 * tells which rules can match; only those rules' own regexes then run to find
 * the spans, and validators and placeholder checks filter them.
 */
import RE2 from 're2';
import type { CompiledRule } from './rule-pack.js';
import { TextVariants, VARIANT_NAMES, type VariantName } from './normalize.js';
import { runValidator, WHOLE_MATCH_VALIDATORS } from './validators.js';

type RE2Set = InstanceType<(typeof RE2)['Set']>;
import { isDocumentedExample, isPlaceholder } from './placeholders.js';
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

/** Options for {@link RuleMatcher.match}. */
export interface MatchOptions {
  /** Stop after the first accepted hit per rule (default true). */
  readonly firstPerRule?: boolean;
  /** Rule ids not to run (already found in another view of the same text). */
  readonly skip?: ReadonlySet<string>;
}

/**
 * Located hits kept per rule and text. More would only grow the findings (and a
 * block message) without changing the verdict; reaching it marks the rule
 * `limited`, so redaction cannot leave the next occurrence in place.
 */
export const MAX_HITS_PER_RULE = 64;
/**
 * Regex matches a rule may reject (validator, placeholder) per text. Matches are
 * disjoint, so work is linear anyway; this bounds validator calls on hostile
 * input. Reaching it marks the rule `limited`: decoys cannot hide what follows.
 */
export const MAX_REJECTED_PER_RULE = 4096;

/** Hits of {@link RuleMatcher.find}, and the rules whose scan stopped at a cap before the end of a text. */
export interface MatchResult {
  readonly hits: RuleHit[];
  /**
   * DLP matches that are documented example values (placeholders.ts
   * `isDocumentedExample`), at most one per rule, for rules with no hit: not
   * secrets, so not in `hits`, but worth a warning.
   */
  readonly examples: RuleHit[];
  /** Rules that stopped at {@link MAX_HITS_PER_RULE} or {@link MAX_REJECTED_PER_RULE}: more may follow unseen. */
  readonly limited: CompiledRule[];
}

/**
 * Rules that scan the same text. Built lazily per combination of variants.
 * One RE2 set holds the literal keywords of the prefiltered rules
 * (case-insensitive) followed by the regexes (or `prefilter` regexes) of the rules without keywords, so
 * a single pass names every candidate; only candidates' own regexes then run.
 */
interface Group {
  readonly set: RE2Set;
  /** Set index → the rules it makes candidates (a keyword's rules, or one keyword-less rule). */
  readonly byIndex: ReadonlyArray<readonly CompiledRule[]>;
}

const NORMALIZED_BIT = 1 << VARIANT_NAMES.indexOf('normalized');

const escapeLiteral = (s: string): string => s.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&');

/**
 * A compiled matcher over a fixed list of rules.
 *
 * Variants whose texts are equal (pure ASCII text is its own normalised form)
 * are scanned once, with one set holding the rules of all of them.
 * @throws GuardError from RE2 if a rule's regex cannot join the set (already validated at load)
 */
export class RuleMatcher {
  readonly rules: readonly CompiledRule[];
  /** Variants some rule needs, in scan order. */
  readonly #variants: readonly VariantName[];
  readonly #groups = new Map<number, Group | null>();

  constructor(rules: readonly CompiledRule[]) {
    this.rules = rules;
    this.#variants = VARIANT_NAMES.filter((v) => rules.some((r) => r.variants.includes(v)));
  }

  /** The set for a bitmask of variants (bit i = VARIANT_NAMES[i]); null when no rule needs them. */
  #group(mask: number): Group | null {
    let g = this.#groups.get(mask);
    if (g !== undefined) return g;
    const names = VARIANT_NAMES.filter((_v, i) => mask & (1 << i));
    const all = this.rules.filter((r) => r.variants.some((v) => names.includes(v)));
    const patterns: string[] = [];
    const byIndex: CompiledRule[][] = [];
    const keywordIndex = new Map<string, number>();
    for (const r of all) {
      for (const kw of r.spec.keywords ?? []) {
        const k = kw.toLowerCase();
        let i = keywordIndex.get(k);
        if (i === undefined) {
          i = patterns.push(`(?i)${escapeLiteral(k)}`) - 1;
          keywordIndex.set(k, i);
          byIndex.push([]);
        }
        byIndex[i]?.push(r);
      }
    }
    for (const r of all) {
      if ((r.spec.keywords ?? []).length > 0) continue;
      patterns.push(r.spec.prefilter ?? r.spec.regex);
      byIndex.push([r]);
    }
    g = all.length === 0 ? null : { set: new RE2.Set(patterns, 'u'), byIndex };
    this.#groups.set(mask, g);
    return g;
  }

  /** Distinct variant texts of `tv` with the variants that share each. */
  #texts(tv: TextVariants): Array<[VariantName, string, number]> {
    const out: Array<[VariantName, string, number]> = [];
    for (const v of this.#variants) {
      const text = tv.get(v);
      const bit = 1 << VARIANT_NAMES.indexOf(v);
      const same = out.find((e) => e[1] === text);
      if (same) same[2] |= bit;
      else out.push([v, text, bit]);
    }
    return out;
  }

  /** True when some rule may match in some variant (one set pass per distinct text; validators not run). */
  test(text: string | TextVariants): boolean {
    const tv = typeof text === 'string' ? new TextVariants(text) : text;
    return this.#texts(tv).some(([, t, mask]) => {
      const g = this.#group(mask);
      return g !== null && this.#candidates(g, Buffer.from(t)).length > 0;
    });
  }

  /**
   * Find rule hits in `text`. A rule that matched in an earlier variant is not
   * reported again from a later one.
   * @returns hits in variant order, then rule order
   */
  match(text: string | TextVariants, options: MatchOptions = {}): RuleHit[] {
    return this.find(text, options).hits;
  }

  /**
   * As {@link match}, and also name the rules whose scan hit a cap, so callers
   * fail closed (a capped rule may have more matches past the point it stopped).
   *
   * A rule that scans both the raw and the normalised text judges the
   * normalised one, the text without evasions: when the two differ, a raw hit
   * counts only if the rule also matches the normalised text, and is then
   * reported with its raw span. Otherwise an inserted invisible or look-alike
   * character would make a boundary the reader never sees (`x\u200Bsk_live_…`
   * reads as `xsk_live_…`, not a key).
   */
  find(text: string | TextVariants, options: MatchOptions = {}): MatchResult {
    const tv = typeof text === 'string' ? new TextVariants(text) : text;
    const firstPerRule = options.firstPerRule ?? true;
    const hits: RuleHit[] = [];
    const examples: RuleHit[] = [];
    const limited: CompiledRule[] = [];
    const seen = new Set<string>(options.skip);
    // Raw hits of rules that also scan a normalised text that differs from the raw
    // one, kept until that text confirms them (see the method's comment).
    const unconfirmed = new Map<string, RuleHit[]>();
    for (const [variant, subject, mask] of this.#texts(tv)) {
      if (subject.length === 0) continue;
      const group = this.#group(mask);
      if (group === null) continue;
      const candidates = this.#candidates(group, tv.bytes(variant));
      if (candidates.length === 0) continue;
      const transform = tv.transform(variant);
      for (const rule of candidates) {
        if (seen.has(rule.id)) continue;
        const { found, capped, example } = this.#spans(rule, subject, firstPerRule);
        if (capped && !limited.includes(rule)) limited.push(rule);
        if (example !== undefined && !examples.some((e) => e.rule === rule)) {
          const [start, end, matched] = example;
          examples.push({ rule, variant, transform, start, end, matched, masked: maskSecret(matched) });
        }
        if (found.length === 0) continue;
        const located = found.map(([start, end, matched]): RuleHit => ({ rule, variant, transform, start, end, matched, masked: maskSecret(matched) }));
        if (variant === 'raw' && (mask & NORMALIZED_BIT) === 0 && rule.variants.includes('normalized')) {
          unconfirmed.set(rule.id, located);
          continue;
        }
        seen.add(rule.id);
        hits.push(...located);
      }
      if (variant === 'normalized') {
        // A confirmed rule keeps its raw spans (exact, so redaction can use them).
        for (const [id, raw] of unconfirmed) {
          const at = hits.findIndex((h) => h.rule.id === id && h.variant === 'normalized');
          if (at < 0) continue;
          const n = hits.filter((h) => h.rule.id === id).length;
          hits.splice(at, n, ...raw);
        }
        unconfirmed.clear();
      }
    }
    const hit = new Set(hits.map((h) => h.rule));
    return { hits, examples: examples.filter((e) => !hit.has(e.rule)), limited };
  }

  /** Rules that may match `subject`, in rule order: one set pass over keywords and keyword-less regexes. */
  #candidates(group: Group, subject: Buffer): CompiledRule[] {
    const idx = group.set.match(subject);
    if (idx.length === 0) return [];
    const picked = new Set<CompiledRule>();
    for (const i of idx) for (const r of group.byIndex[i] ?? []) picked.add(r);
    // Keep rule order stable (pack order) so hits come out deterministically.
    return this.rules.filter((r) => picked.has(r));
  }

  /**
   * Accepted spans of `rule` in `subject`; `capped` when a cap stopped the scan
   * with text left; `example`, the first rejected DLP match that is a documented example value.
   */
  #spans(
    rule: CompiledRule,
    subject: string,
    firstOnly: boolean,
  ): { found: Array<[number, number, string]>; capped: boolean; example?: [number, number, string] } {
    const out: Array<[number, number, string]> = [];
    let example: [number, number, string] | undefined;
    const re = rule.re;
    re.lastIndex = 0;
    let m: RegExpExecArray | null;
    let rejected = 0;
    let capped = false;
    while ((m = re.exec(subject)) !== null) {
      if (m[0].length === 0) re.lastIndex++;
      if (out.length >= MAX_HITS_PER_RULE || rejected >= MAX_REJECTED_PER_RULE) {
        // A further match exists past a cap: say so rather than let it pass unseen.
        capped = true;
        break;
      }
      const secret = m.groups?.['secret'];
      const text = secret ?? m[0];
      const start = secret !== undefined ? m.index + m[0].indexOf(secret) : m.index;
      if (rule.category === 'dlp') {
        const judged = rule.validator !== undefined && WHOLE_MATCH_VALIDATORS.has(rule.validator) ? m[0] : text;
        if (rule.validator !== undefined && !runValidator(rule.validator, judged)) {
          rejected++;
          continue;
        }
        if (isPlaceholder(text)) {
          if (example === undefined && isDocumentedExample(text)) example = [start, start + text.length, text];
          rejected++;
          continue;
        }
      } else if (rule.validator !== undefined && !runValidator(rule.validator, text)) {
        rejected++;
        continue;
      }
      out.push([start, start + text.length, text]);
      if (firstOnly) break;
    }
    re.lastIndex = 0;
    return example !== undefined ? { found: out, capped, example } : { found: out, capped };
  }
}
