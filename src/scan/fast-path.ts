/**
 * Fast path for clean frames: one RE2 set pass shows that no DLP, injection or
 * poisoning rule can match a frame, so the chain skips those scanners, their
 * text variants and decoders. Protocol work (pairing, policy, binding, drift,
 * pins) still runs. In doubt it answers "full path"; it never flags anything.
 * Probe text: for a client frame (DLP reads every key and string alone) the
 * line with its JSON escapes decoded, P; for a server frame the exact text the
 * response scanner reads (surfaces.ts), T, whose `\n`-joined order the line does not show.
 *
 * Soundness (a cleared frame gets no content finding on the full path):
 * 1. Probe not printable ASCII (+ tab, LF, CR): full path. So `normalized` = raw.
 * 2. DECODE_TRIGGER (decoders.ts) in the probe: full path. So no decoded view exists.
 * 3. Every scanned string is P's text between two `"` (same `\b` edges; `^`/`$` also
 *    accept `"`), or is T itself; so a keyword or keyword-less regex there is in the probe.
 * 4. `leet` folds char by char and `compact` drops separator runs: their rules' keywords
 *    are also probed as leet classes (`[i1!]gn[o0]r`) and with separators between letters.
 * 5. Each candidate's own regex is rerun on the probe, its leet fold and compact form.
 * 6. DLP's joined short values (split secrets, ≤ 3 values) are probed the same way.
 * 7. Env secrets (env-secrets.ts, every encoded form) are literals in the set.
 * 8. Depth > 60, texts > 32 KiB (below the leaf cap), unreadable parts, `tools/list`: full path.
 * `test/fast-path.property.test.ts` checks this against the full chain.
 */
import RE2 from 're2';
import type { CompiledRule } from './rule-pack.js';
import { DECODE_TRIGGER } from './decoders.js';
import { compactText, foldLeet } from './normalize.js';
import { extractServerText } from './surfaces.js';
import { MAX_JOIN_LENGTH, MAX_LEAVES, joinedTexts } from './dlp-scanner.js';
import { walkStrings } from './json-walk.js';
import { listedTools } from './tool-text.js';
import type { ScanInput } from './types.js';
import type { ExtractedText } from './response-text.js';

const EMPTY: ExtractedText = { text: '', segments: [] };

type RE2Set = InstanceType<(typeof RE2)['Set']>;

/**
 * Probe texts longer than this (UTF-16 units) take the full path directly. Large
 * tool outputs nearly always hold a run a decoder would try, and a probe that
 * fails costs a set pass on top of the full path (+50 % for 1 MB). Far fewer
 * than `MAX_LEAVES` strings fit in it, so the leaf cap cannot be reached.
 */
export const FAST_PATH_MAX_CHARS = 32 * 1024;
/** Nesting at which the full path starts reading a value as its JSON text; deeper frames take the full path. */
const MAX_FAST_DEPTH = 60;
/** DLP's split-secret join (dlp-scanner.ts): values of this many UTF-16 units are joined. */
const JOIN_MIN = 4;
const JOIN_MAX = MAX_JOIN_LENGTH;
/** Joined texts probed at most (3 values: their join and 6 pairs); more take the full path. */
const MAX_FAST_JOINS = 7;

// Text the normaliser would change, or raw control characters.
const NEEDS_FULL = '[^\\x09\\x0a\\x0d\\x20-\\x7e]';
const LEET_TOUCH = '(?i)[a-z][01345789@$!|+]|[01345789@$!|+][a-z]';
const SPACED = '\\b\\w[\\s._-]{1,3}\\w[\\s._-]{1,3}\\w[\\s._-]{1,3}\\w\\b';

/** One set index: a reason to take the full path, or the rules it makes candidates. */
type Entry = { readonly full: string; readonly decodes?: true } | { readonly full: false; readonly rules: CompiledRule[] };
const full = (why: string): Entry => ({ full: why });
/** The decoder trigger: joined texts are never decoded (dlp-scanner.ts), so it does not apply to them. */
const DECODABLE: Entry = { full: 'decodable', decodes: true };

const escapeLiteral = (s: string): string => s.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&');
const escapeClass = (c: string): string => (/[A-Za-z0-9]/.test(c) ? c : `\\${c}`);

// Derived from normalize.ts itself, so a change there cannot leave this behind.
const PRINTABLE = Array.from({ length: 0x5f }, (_v, i) => String.fromCharCode(0x20 + i)).concat(['\t', '\n', '\r']);
const LEET_SOURCES = new Map<string, string[]>();
for (const c of PRINTABLE) {
  const f = foldLeet(c).toLowerCase();
  if (f !== c.toLowerCase()) LEET_SOURCES.set(f, [...(LEET_SOURCES.get(f) ?? []), c]);
}
const SEPARATORS = PRINTABLE.filter((c) => compactText(c) === '');
const SEP_RUN = `[${SEPARATORS.map((c) => (c === '\t' ? '\\t' : c === '\n' ? '\\n' : c === '\r' ? '\\r' : escapeClass(c))).join('')}]*`;

/** Keyword `k` as it can appear in text whose leet fold contains it. */
function leetPattern(k: string): string {
  const parts = [...k].map((ch) => {
    const alts = [ch, ...(LEET_SOURCES.get(ch.toLowerCase()) ?? [])];
    return alts.length === 1 ? escapeLiteral(ch) : `[${alts.map(escapeClass).join('')}]`;
  });
  return `(?i)${parts.join('')}`;
}

/** Keyword `k` as it can appear in text whose compact form contains it (separators anywhere between letters). */
function compactPattern(k: string): string {
  const chars = [...k].filter((ch) => !SEPARATORS.includes(ch));
  return `(?i)${chars.map(escapeLiteral).join(SEP_RUN)}`;
}

/**
 * `source` with `^`, `$`, `\A` and `\z` also accepting a `"`, so a rule anchored
 * to the start or end of one JSON string still matches inside the whole line.
 */
export function relaxAnchors(source: string): string {
  let out = '';
  for (let i = 0; i < source.length; i++) {
    const c = source[i] as string;
    if (c === '\\') {
      const n = source[i + 1] ?? '';
      out += n === 'A' ? '(?:^|")' : n === 'z' ? '(?:$|")' : c + n;
      i++;
    } else if (c === '[') {
      // Copy a class verbatim: `^` and `$` mean nothing special inside it.
      let j = i + 1;
      if (source[j] === '^') j++;
      if (source[j] === ']') j++;
      while (j < source.length && source[j] !== ']') j += source[j] === '\\' ? 2 : 1;
      out += source.slice(i, j + 1);
      i = j;
    } else if (c === '^') out += '(?:^|")';
    else if (c === '$') out += '(?:$|")';
    else out += c;
  }
  return out;
}

/** A JSON text with every string escape decoded (RFC 8259 § 7); structure has none, so it is unchanged. */
export function unescapeJson(line: string): string {
  if (!line.includes('\\')) return line;
  return line.replace(/\\(?:u([0-9a-fA-F]{4})|(.))/g, (_m, hex: string | undefined, c: string) => {
    if (hex !== undefined) return String.fromCharCode(parseInt(hex, 16));
    return c === 'n' ? '\n' : c === 't' ? '\t' : c === 'r' ? '\r' : c === 'b' ? '\b' : c === 'f' ? '\f' : c;
  });
}

/** The set and stage-two regexes for one direction's rules. */
class Probe {
  readonly #rules: readonly CompiledRule[];
  readonly #extra: readonly string[];
  readonly #relax: boolean;
  #set: RE2Set | undefined;
  #entries: Entry[] = [];
  readonly #res = new Map<CompiledRule, RE2>();

  /**
   * @param relax match inside a whole JSON line (anchors relaxed), not the exact text
   * @param extra literals that mean full path (env-secret forms)
   */
  constructor(rules: readonly CompiledRule[], relax: boolean, extra: readonly string[]) {
    this.#rules = rules;
    this.#relax = relax;
    this.#extra = extra;
  }

  #build(): RE2Set {
    const patterns: string[] = [];
    const index = new Map<string, number>();
    const add = (p: string, entry: Entry | CompiledRule): void => {
      let i = index.get(p);
      if (i === undefined) {
        i = patterns.push(p) - 1;
        index.set(p, i);
        this.#entries.push('full' in entry ? entry : { full: false, rules: [] });
      }
      const e = this.#entries[i];
      // A reason for the full path wins over candidates that share its pattern (and is then never skipped).
      if ('full' in entry) {
        if (e?.full === false) this.#entries[i] = full(entry.full || 'shared pattern');
      } else if (e?.full === false) e.rules.push(entry);
      else if (e === DECODABLE) this.#entries[i] = full('decodable');
    };
    add(NEEDS_FULL, full('not printable ASCII'));
    add(DECODE_TRIGGER, DECODABLE);
    for (const form of this.#extra) add(escapeLiteral(form), full('env secret'));
    for (const r of this.#rules) {
      const keywords = r.spec.keywords ?? [];
      const leet = r.variants.includes('leet');
      const compact = r.variants.includes('compact');
      if (keywords.length === 0) {
        // A keyword-less rule on a leet or compact text: no cheap witness, take the full path when they differ.
        if (leet) add(LEET_TOUCH, full('leetspeak'));
        if (compact) add(SPACED, full('spaced-out letters'));
        add(this.#relax ? relaxAnchors(r.spec.regex) : r.spec.regex, r);
        continue;
      }
      for (const k of keywords) {
        add(`(?i)${escapeLiteral(k)}`, r);
        if (leet) add(leetPattern(k), r);
        if (compact) add(compactPattern(k), r);
      }
    }
    return new RE2.Set(patterns, 'u');
  }

  /** Compile now (the set is otherwise built on first use). */
  warmUp(): void {
    this.#set ??= this.#build();
  }

  /**
   * Undefined when no rule can match `text` (see the module comment for why this is enough), else why not.
   * @param joined `text` is a join of values, which the DLP scanner matches but never decodes
   */
  check(text: string, joined = false): string | undefined {
    const set = (this.#set ??= this.#build());
    const bytes = Buffer.from(text, 'utf8');
    const hits = set.match(bytes);
    if (hits.length === 0) return undefined;
    const candidates = new Set<CompiledRule>();
    for (const i of hits) {
      const e = this.#entries[i];
      if (e === undefined) return 'internal';
      if (e.full !== false) {
        if (joined && e === DECODABLE) continue;
        return e.full;
      }
      for (const r of e.rules) candidates.add(r);
    }
    let leet: Buffer | undefined;
    let compact: Buffer | undefined;
    for (const r of candidates) {
      let re = this.#res.get(r);
      if (re === undefined) {
        re = new RE2(this.#relax ? relaxAnchors(r.spec.regex) : r.spec.regex, 'u');
        this.#res.set(r, re);
      }
      if (re.test(bytes)) return `rule ${r.id}`;
      if (r.variants.includes('leet') && re.test((leet ??= Buffer.from(foldLeet(text), 'utf8')))) return `rule ${r.id} (leet)`;
      if (r.variants.includes('compact') && re.test((compact ??= Buffer.from(compactText(text), 'utf8')))) return `rule ${r.id} (compact)`;
    }
    return undefined;
  }
}

/** Rules and secrets a {@link FastPath} covers: exactly what the chain's content scanners use. */
export interface FastPathOptions {
  /** Rules the DLP scanner runs on client → server frames (empty when it is off). */
  readonly request: readonly CompiledRule[];
  /** Rules the response scanner runs on server → client frames (empty when it is off). */
  readonly response: readonly CompiledRule[];
  /** Env-secret forms the DLP scanner looks for (`EnvSecrets.values()`). */
  readonly envForms: readonly string[];
  /**
   * Whether server → client frames may be cleared at all (default true). The chain
   * clears them with a learned scorer on too: the scorer still reads a cleared
   * response (`Scanner.scanCleared`), only the rules and their variants are skipped.
   */
  readonly responses?: boolean;
}

/**
 * Decides per frame whether the content scanners (DLP, response injection and
 * DLP, tool poisoning) can be skipped. Stateless per frame; one per chain.
 */
export class FastPath {
  readonly #request: Probe;
  readonly #response: Probe;
  readonly #responses: boolean;

  constructor(options: FastPathOptions) {
    this.#request = new Probe(options.request, true, options.envForms);
    this.#response = new Probe(options.response, false, []);
    this.#responses = options.responses ?? true;
  }

  warmUp(): void {
    this.#request.warmUp();
    this.#response.warmUp();
  }

  /**
   * True when no content scanner would report a finding for `input`, so they may
   * be skipped. `input.raw` (the line as received) is used when present, else
   * the message is serialised. Never throws: anything unexpected is a `false` (full path).
   */
  clears(input: ScanInput): boolean {
    return this.check(input) === undefined;
  }

  /** As {@link clears}: undefined when the frame is cleared, else a short reason for the full path (for tests and profiling). */
  check(input: ScanInput): string | undefined {
    return this.#guarded(input, undefined);
  }

  /**
   * As {@link clears}, for the chain: undefined when the frame takes the full
   * path; for a cleared frame, the model-visible text the probe read (surfaces.ts;
   * empty for a client frame), so the steps that still run on it (the learned
   * scorer) need not extract it again.
   */
  clearance(input: ScanInput): ExtractedText | undefined {
    const out: { text: ExtractedText } = { text: EMPTY };
    return this.#guarded(input, out) === undefined ? out.text : undefined;
  }

  #guarded(input: ScanInput, out: { text: ExtractedText } | undefined): string | undefined {
    try {
      return this.#check(input, out);
    } catch {
      // RE2.Set throws when its DFA runs out of memory: the full path decides (and fails closed itself).
      return 'probe failed';
    }
  }

  #check(input: ScanInput, out: { text: ExtractedText } | undefined): string | undefined {
    // Saying "full path" is always sound: a long line need not be extracted to be sent there.
    if (input.raw !== undefined && input.raw.length > FAST_PATH_MAX_CHARS) return 'large frame';
    if (input.direction === 'server-to-client') {
      if (!this.#responses) return 'responses are scored';
      if (listedTools(input) !== undefined) return 'tools/list';
      const extracted = extractServerText(input);
      if (extracted.unreadable !== undefined) return 'unreadable part';
      if (extracted.text.length > FAST_PATH_MAX_CHARS) return 'large frame';
      if (out !== undefined) out.text = extracted;
      return extracted.text.length === 0 ? undefined : this.#response.check(extracted.text);
    }
    const line = input.raw ?? JSON.stringify(input.message);
    if (line.length > FAST_PATH_MAX_CHARS) return 'large frame';
    const joinable = countJoinable(input.message);
    if (joinable === undefined) return 'deep nesting';
    const why = this.#request.check(unescapeJson(line));
    if (why !== undefined || joinable < 2) return why;
    // Split secrets: the DLP scanner also scans short values joined; probe those texts too.
    const { leaves, complete } = walkStrings(input.message, '', MAX_LEAVES);
    const joined = complete ? joinedTexts(leaves) : [];
    if (!complete || joined.length > MAX_FAST_JOINS) return 'many joinable values';
    for (const [text] of joined) {
      const j = this.#request.check(text, true);
      if (j !== undefined) return `joined values: ${j}`;
    }
    return undefined;
  }
}

/**
 * How many values the DLP scanner could join (dlp-scanner.ts `joinedTexts`),
 * counted up to 2: strings of {@link JOIN_MIN}–{@link JOIN_MAX} units under
 * `params` (but `params.name`) or `result`, an upper bound of its pool. Undefined
 * when the message nests past {@link MAX_FAST_DEPTH} (the walk reads deep values as JSON text).
 */
function countJoinable(message: unknown): number | undefined {
  let joinable = 0;
  const walk = (v: unknown, depth: number, counted: boolean, skipName: boolean): boolean => {
    if (typeof v === 'string') {
      if (counted && v.length >= JOIN_MIN && v.length <= JOIN_MAX) joinable = Math.min(2, joinable + 1);
      return true;
    }
    if (v === null || typeof v !== 'object') return true;
    if (depth >= MAX_FAST_DEPTH) return false;
    if (Array.isArray(v)) {
      for (const x of v) if (!walk(x, depth + 1, counted, false)) return false;
      return true;
    }
    for (const [k, child] of Object.entries(v)) {
      if (skipName && k === 'name' && typeof child === 'string') continue;
      const body = depth === 0 && (k === 'params' || k === 'result');
      if (!walk(child, depth + 1, counted || body, depth === 0 && k === 'params')) return false;
    }
    return true;
  };
  return walk(message, 0, false, false) ? joinable : undefined;
}
