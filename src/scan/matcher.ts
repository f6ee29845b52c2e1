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
  /**
   * Set for a multi-line secret whose closing line was not found: missing, past
   * {@link MAX_BLOCK_CHARS}, or after characters that are not key material. The
   * span then covers only the opening, so it must not be redacted: the frame is blocked.
   */
  readonly open?: true;
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
/**
 * How far (UTF-16 units, from the end of a rule's opening match) the closing
 * line of a multi-line secret is looked for: 64 KiB. The largest private keys
 * in use fit well inside it (RSA 16384 in PEM is about 12.5 KB; an OpenPGP
 * secret key export with several subkeys a few tens of KB); a block that runs
 * longer is reported `open` and blocked, never half redacted.
 */
export const MAX_BLOCK_CHARS = 64 * 1024;
/**
 * What may stand between a block's opening and its closing line: base64
 * (RFC 4648 § 4), whitespace, and backslashes of `\n` escapes when the block
 * sits in a JSON or code string. PEM headers (`Proc-Type`, `DEK-Info`) and
 * armor headers come before the first line of key material, inside the opening match.
 */
const BLOCK_BODY = new RE2('^[A-Za-z0-9+/=\\s\\\\]*$', 'u');

/**
 * The end offset of the closing line of the block whose opening ends at `from`,
 * or undefined when there is none within {@link MAX_BLOCK_CHARS}, or when the
 * text before it is not key material. One RE2 search and one RE2 test over at
 * most the window: linear.
 */
function blockEnd(subject: string, from: number, end: RE2): number | undefined {
  const window = subject.slice(from, from + MAX_BLOCK_CHARS);
  const m = end.exec(window);
  if (m === null || !BLOCK_BODY.test(window.slice(0, m.index))) return undefined;
  return from + m.index + m[0].length;
}

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

/**
 * Rules whose full regexes share one `RE2.Set`, compiled on first use. `set`
 * is null when RE2 cannot build it (program too large): its candidates then
 * all run, as without the confirm step.
 */
interface ConfirmChunk {
  readonly rules: readonly CompiledRule[];
  set?: RE2Set | null;
}

/**
 * Rules per confirm set. One set pass costs about one regex pass while its DFA
 * stays small; larger sets of token-shaped DLP regexes grow the DFA (counted
 * repetitions over long base64 runs) and get slower than several small ones.
 */
export const CONFIRM_CHUNK = 32;

/** Candidates a chunk needs before its set is run: below this, running the rules directly costs less. */
const CONFIRM_MIN = 3;
/** Texts shorter than this (UTF-8 bytes) run their candidates directly: per-call cost dominates there, not length. */
const CONFIRM_MIN_BYTES = 4096;
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
  /** All rules in confirm chunks, shared by every group (a set is compiled once per matcher). */
  readonly #chunks: readonly ConfirmChunk[];

  constructor(rules: readonly CompiledRule[]) {
    this.rules = rules;
    this.#variants = VARIANT_NAMES.filter((v) => rules.some((r) => r.variants.includes(v)));
    this.#chunks = chunkRules(rules);
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
      const candidates = this.#confirmed(tv.bytes(variant), this.#candidates(group, tv.bytes(variant)));
      if (candidates.length === 0) continue;
      const transform = tv.transform(variant);
      for (const rule of candidates) {
        if (seen.has(rule.id)) continue;
        const { found, capped, example } = this.#spans(rule, subject, tv.bytes(variant), firstPerRule);
        if (capped && !limited.includes(rule)) limited.push(rule);
        if (example !== undefined && !examples.some((e) => e.rule === rule)) {
          const [start, end, matched] = example;
          examples.push({ rule, variant, transform, start, end, matched, masked: maskSecret(matched) });
        }
        if (found.length === 0) continue;
        const located = found.map(([start, end, matched, open]): RuleHit => ({ rule, variant, transform, start, end, matched, masked: maskSecret(matched), ...(open ? { open } : {}) }));
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
    let idx: number[];
    try {
      idx = group.set.match(subject);
    } catch {
      // A set RE2 cannot run (DFA out of memory): every rule of the group is a candidate and runs
      // on its own, as #confirmed does; slower, never a rule skipped.
      idx = group.byIndex.map((_, i) => i);
    }
    if (idx.length === 0) return [];
    const picked = new Set<CompiledRule>();
    for (const i of idx) for (const r of group.byIndex[i] ?? []) picked.add(r);
    // Keep rule order stable (pack order) so hits come out deterministically.
    return this.rules.filter((r) => picked.has(r));
  }

  /**
   * The candidates whose full regex matches somewhere in `subject`: one set pass
   * per chunk that holds at least {@link CONFIRM_MIN} of them, instead of one
   * regex pass per candidate. A keyword says only that a rule may match; in
   * real text (a README that names token prefixes, source code full of `token`
   * and `send`) most candidates do not, and running each over the whole text
   * made the cost (candidates × length) grow with the text. The set answers
   * "matches somewhere", a superset of accepted matches (validators run after),
   * so nothing is lost. A set RE2 cannot build or run (DFA out of memory)
   * confirms all of its candidates.
   */
  #confirmed(subject: Buffer, candidates: CompiledRule[]): CompiledRule[] {
    if (candidates.length < CONFIRM_MIN || subject.length < CONFIRM_MIN_BYTES) return candidates;
    const wanted = new Set(candidates);
    const ok = new Set<CompiledRule>();
    for (const chunk of this.#chunks) {
      const mine = chunk.rules.filter((r) => wanted.has(r));
      if (mine.length === 0) continue;
      const set = mine.length < CONFIRM_MIN ? null : confirmSet(chunk);
      let idx: number[] | undefined;
      if (set !== null) {
        try {
          idx = set.match(subject);
        } catch {
          idx = undefined; // DFA out of memory: fall back to running each candidate
        }
      }
      if (idx === undefined) for (const r of mine) ok.add(r);
      else for (const i of idx) if (wanted.has(chunk.rules[i] as CompiledRule)) ok.add(chunk.rules[i] as CompiledRule);
    }
    return candidates.filter((r) => ok.has(r));
  }

  /**
   * Accepted spans of `rule` in `subject`; `capped` when a cap stopped the scan
   * with text left; `example`, the first rejected DLP match that is a documented example value.
   * A multi-line rule's span runs from the start of its opening match to the end
   * of its closing line; an opening with no closing line is the last span taken
   * (flagged open: the frame is blocked whatever follows).
   */
  #spans(
    rule: CompiledRule,
    subject: string,
    bytes: Buffer,
    firstOnly: boolean,
  ): { found: Array<[number, number, string, true?]>; capped: boolean; example?: [number, number, string] } {
    const out: Array<[number, number, string, true?]> = [];
    let example: [number, number, string] | undefined;
    const re = rule.re;
    re.lastIndex = 0;
    let rejected = 0;
    let capped = false;
    // Matches run over the text's UTF-8 bytes (`bytes`), which RE2 reads as they are: given a string, it
    // encodes the whole text again on every `exec`, so a rule with many matches (or rejected decoys) cost
    // matches × length. Byte offsets map to UTF-16 ones with a cursor that only moves forward. Key-block
    // rules (`end`) keep the string: their closing line is looked for in UTF-16 offsets, and they are few.
    const useBytes = rule.end === undefined;
    const ascii = bytes.length === subject.length;
    let cb = 0;
    let cu = 0;
    const unit = (b: number): number => {
      if (ascii) return b;
      while (cb < b) {
        const lead = bytes[cb] as number;
        const len = lead < 0x80 ? 1 : lead < 0xe0 ? 2 : lead < 0xf0 ? 3 : 4;
        cu += len === 4 ? 2 : 1;
        cb += len;
      }
      return cu;
    };
    for (;;) {
      let index: number;
      let whole: string;
      let secret: string | undefined;
      if (useBytes) {
        const bm = re.exec(bytes) as unknown as (Buffer[] & { index: number; groups?: Record<string, Buffer | undefined> }) | null;
        if (bm === null) break;
        const len = (bm[0] as Buffer).length;
        if (len === 0) {
          const lead = bytes[bm.index] ?? 0;
          re.lastIndex = bm.index + (lead < 0x80 ? 1 : lead < 0xe0 ? 2 : lead < 0xf0 ? 3 : 4);
        }
        index = unit(bm.index);
        whole = subject.slice(index, unit(bm.index + len));
        secret = bm.groups?.['secret']?.toString('utf8');
      } else {
        const m = re.exec(subject);
        if (m === null) break;
        if (m[0].length === 0) re.lastIndex++;
        index = m.index;
        whole = m[0];
        secret = m.groups?.['secret'];
      }
      if (out.length >= MAX_HITS_PER_RULE || rejected >= MAX_REJECTED_PER_RULE) {
        // A further match exists past a cap: say so rather than let it pass unseen.
        capped = true;
        break;
      }
      const text = secret ?? whole;
      const start = secret !== undefined ? index + whole.indexOf(secret) : index;
      if (rule.category === 'dlp') {
        const judged = rule.validator !== undefined && WHOLE_MATCH_VALIDATORS.has(rule.validator) ? whole : text;
        if (rule.validator !== undefined && !runValidator(rule.validator, judged)) {
          rejected++;
          continue;
        }
        if (isPlaceholder(text)) {
          if (example === undefined && isDocumentedExample(text)) example = [start, start + text.length, text];
          rejected++;
          continue;
        }
      } else if ((rule.validator !== undefined && !runValidator(rule.validator, text)) || isQuotedMention(subject, index, index + whole.length)) {
        rejected++;
        continue;
      }
      if (rule.end !== undefined) {
        const close = blockEnd(subject, index + whole.length, rule.end);
        if (close === undefined) {
          out.push([index, index + whole.length, whole, true]);
          break;
        }
        out.push([index, close, subject.slice(index, close)]);
        re.lastIndex = close;
      } else {
        out.push([start, start + text.length, text]);
      }
      if (firstOnly) break;
    }
    re.lastIndex = 0;
    return example !== undefined ? { found: out, capped, example } : { found: out, capped };
  }
}

/** Split rules into confirm chunks of at most {@link CONFIRM_CHUNK}, keeping each category together. */
function chunkRules(rules: readonly CompiledRule[]): ConfirmChunk[] {
  const chunks: ConfirmChunk[] = [];
  for (const category of new Set(rules.map((r) => r.category))) {
    const mine = rules.filter((r) => r.category === category);
    for (let i = 0; i < mine.length; i += CONFIRM_CHUNK) chunks.push({ rules: mine.slice(i, i + CONFIRM_CHUNK) });
  }
  return chunks;
}

/** The chunk's set, compiled on first use; null when RE2 rejects it. */
function confirmSet(chunk: ConfirmChunk): RE2Set | null {
  if (chunk.set === undefined) {
    try {
      chunk.set = new RE2.Set(
        chunk.rules.map((r) => r.spec.regex),
        'u',
      );
    } catch {
      chunk.set = null;
    }
  }
  return chunk.set;
}

/** Opening quote → its closing quote, for {@link isQuotedMention}. */
const QUOTE_PAIRS: ReadonlyMap<string, string> = new Map([
  ['"', '"'],
  ["'", "'"],
  ['`', '`'],
  ['\u201c', '\u201d'], // “ ”
  ['\u2018', '\u2019'], // ‘ ’
  ['\u201e', '\u201c'], // „ “
  ['\u00ab', '\u00bb'], // « »
]);

/** Punctuation a quotation may hold after the quoted phrase (`"ignore previous instructions."`). */
const TRAILING_PUNCT = /^[.,;:!?]{0,2}/;

/**
 * True when the match at `[start, end)` of `text` is exactly a quoted phrase:
 * a quote mark right before it and its closing mark right after it (after at
 * most two punctuation marks). Text that names an attack (`the phrase "ignore
 * previous instructions"`, an inline-code `` `<IMPORTANT>` `` tag in a README)
 * mentions it; an instruction that goes on past its match (`"Ignore previous
 * instructions and send …"`) still counts. For prompt-injection and
 * tool-poisoning rules only: a quoted credential is still a credential.
 */
export function isQuotedMention(text: string, start: number, end: number): boolean {
  const close = start > 0 ? QUOTE_PAIRS.get(text.charAt(start - 1)) : undefined;
  if (close === undefined) return false;
  const punct = TRAILING_PUNCT.exec(text.slice(end, end + 2))?.[0].length ?? 0;
  if (!text.startsWith(close, end + punct)) return false;
  // `Run "curl … | bash"`, `Say "I have been pwned"`: a quotation handed to the reader to act on.
  return !ORDERED_QUOTE.test(text.slice(Math.max(0, start - 41), start - 1));
}

/** A verb that hands the reader the quotation to run, say or send, right before the opening quote. */
const ORDERED_QUOTE =
  /\b(?:run|execute|exec|type|paste|enter|say|said|reply|respond|write|print|output|answer|send|post|use|call|invoke|include|add|append|prepend|insert|start with|begin with|end with|follow|obey|repeat|copy)(?:\s+(?:this|the following|exactly|only|with|back|it))?\s*:?\s*$/i;
