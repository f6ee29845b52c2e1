/**
 * Bounded decoders that expose text hidden in common encodings, so DLP and
 * injection rules can rescan it. Each decoded form carries the transform chain
 * that produced it (`base64`, `url+base64`, …).
 *
 * Decoders: base64 (RFC 4648 § 4, and URL-safe § 5, padded or not, at any of
 * the 4 alignments, and gzip/zlib (RFC 1952 / RFC 1950) inside it), base32
 * (RFC 4648 § 6, either case), hex (either alignment; also bytes separated by
 * spaces or colons, as hex dumps print them), repeated URL
 * percent-decoding (RFC 3986 § 2.1), `\uXXXX` / `\xXX` / octal `\101`
 * escapes, HTML character references (named subset and numeric), dot-collapse
 * (`i.g.n.o.r.e`), ROT13 and reversed text. They never throw and always
 * terminate: depth and output are capped, and {@link decodeViews} says when a
 * cap cut the work short so callers can fail closed.
 */
import { gunzipSync, inflateSync } from 'node:zlib';
import RE2 from 're2';
import { mapUnits, reverseCodePoints, unitTable } from './code-units.js';

/** A decoded view of (part of) a text. */
export interface Decoded {
  readonly text: string;
  /** Transform chain, outermost first, joined with `+`. */
  readonly transform: string;
}

/** Caps on decoding work per input text. */
export interface DecodeLimits {
  /** Nesting depth (base64 inside URL-encoding counts 2). Default 3. */
  readonly maxDepth: number;
  /**
   * Decoded output per text, in UTF-16 units, each view also costing
   * {@link VIEW_COST}: the larger of this and 3 × the input length (the
   * ROT13 and reversed views of the input are not charged: there is one of each). Default 256 Ki.
   */
  readonly maxOutput: number;
  /** Largest inflated size of one gzip/zlib stream, in bytes. Default 1 MiB. */
  readonly maxInflate: number;
}

export const DEFAULT_DECODE_LIMITS: DecodeLimits = { maxDepth: 3, maxOutput: 256 * 1024, maxInflate: 1024 * 1024 };

/** Budget charged per decoded view on top of its length (the rescan's fixed cost), in UTF-16 units. */
export const VIEW_COST = 64;

// One linear-time pass that says whether any decoder could apply; most text skips decoding entirely.
/** RE2 source of the decoder prefilter (also used by normalize.ts's feature pass). */
export const DECODE_TRIGGER =
  '[A-Za-z0-9+/_=-]{16,}|(?:[0-9A-Fa-f]{2}[ :]){7}[0-9A-Fa-f]{2}|%[0-9A-Fa-f]{2}|\\\\"|\\\\u[0-9a-fA-F{]|\\\\x[0-9a-fA-F]{2}|\\\\[0-7]{3}|&#?[a-zA-Z0-9]{2,8};|(?:\\b\\w[.\\s]){4,}\\w\\b';
const TRIGGER = new RE2(DECODE_TRIGGER, 'u');

/** True when some decoder could produce a view of `text` (cheap prefilter). */
export function mayDecode(text: string): boolean {
  return TRIGGER.test(text.isWellFormed() ? text : text.toWellFormed());
}

const B64_RUN = /[A-Za-z0-9+/_-]{16,}={0,2}/g;
const HEX_RUN = /[0-9a-fA-F]{16,}/g;
/** Hex bytes separated by single spaces or colons, as a hex dump prints them (`5b 61 64 6d`), 8 bytes or more. */
const SPACED_HEX_RUN = /(?:[0-9a-fA-F]{2}[ :]){7,}[0-9a-fA-F]{2}/g;
const B32_RUN = /[A-Z2-7]{16,}={0,6}|[a-z2-7]{16,}={0,6}/g;
const PCT = /%[0-9a-fA-F]{2}/;
const ESCAPE = /\\u[0-9a-fA-F]{4}|\\x[0-9a-fA-F]{2}|\\u\{[0-9a-fA-F]{1,6}\}|\\[0-7]{3}/;
/** A run of 16 or more token characters: what ROT13 or reversal could have hidden. */
const TOKENISH = /[A-Za-z0-9_-]{16,}/;
const ENTITY = /&(?:#\d{1,7}|#x[0-9a-fA-F]{1,6}|[a-zA-Z]{2,8});/;
const DOTTED = /(?:\b\w[.\s]){4,}\w\b/;

const NAMED_ENTITIES: Record<string, string> = {
  amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ', sol: '/', colon: ':', period: '.',
  lpar: '(', rpar: ')', lsqb: '[', rsqb: ']', lbrace: '{', rbrace: '}', equals: '=', commat: '@',
  num: '#', excl: '!', quest: '?', dollar: '$', percnt: '%', ast: '*', plus: '+', comma: ',',
  semi: ';', bsol: '\\', hyphen: '-', lowbar: '_', tilde: '~', grave: '`', vert: '|', Tab: '\t', NewLine: '\n',
};

/** True when `s` is mostly printable text (≥ 85% printable, no NUL), i.e. worth rescanning. */
export function isMostlyText(s: string): boolean {
  if (s.length === 0) return false;
  // Counted in UTF-16 units (a surrogate pair counts twice, both printable); stops
  // as soon as more than 15 % is unprintable, which is where garbage is rejected.
  const allowed = Math.floor(s.length * 0.15);
  let bad = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0) return false;
    if ((c < 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) || c === 0x7f || c === 0xfffd) {
      if (++bad > allowed) return false;
    }
  }
  return true;
}

/** Thrown inside decoding when a compressed stream inflates past its cap; the caller fails closed. */
class InflateLimit extends Error {}

/** The bytes of base64 / base64url `s` (padding optional), or undefined when too short. */
function base64Bytes(s: string): Buffer | undefined {
  let body = s.replace(/=+$/, '');
  if (body.length % 4 === 1) body = body.slice(0, -1);
  if (body.length < 16) return undefined;
  return Buffer.from(body.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
}

/**
 * Text of a gzip or zlib stream in `bytes`, inflated to at most `max` bytes;
 * undefined when `bytes` is not one, or not text.
 * @throws InflateLimit when it inflates past `max` (a compression bomb)
 */
function inflateText(bytes: Buffer, max: number): string | undefined {
  const gzip = bytes[0] === 0x1f && bytes[1] === 0x8b;
  const zlib = bytes[0] === 0x78 && ((bytes[0] << 8) | (bytes[1] ?? 0)) % 31 === 0;
  if (!gzip && !zlib) return undefined;
  try {
    const out = (gzip ? gunzipSync : inflateSync)(bytes, { maxOutputLength: max }).toString('utf8');
    return isMostlyText(out) ? out : undefined;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' || err instanceof RangeError) throw new InflateLimit();
    return undefined;
  }
}

/**
 * Decode base64 / base64url (padding optional), trying each of the 4 alignments
 * (a run glued to other letters does not start on a 4-character boundary).
 * Returns undefined when no alignment gives clean text.
 */
export function decodeBase64(s: string): string | undefined {
  for (let k = 0; k < 4 && s.length - k >= 16; k++) {
    const bytes = base64Bytes(s.slice(k));
    if (bytes === undefined) break;
    const out = bytes.toString('utf8');
    if (isMostlyText(out)) return out;
  }
  return undefined;
}

/** Decode a hex string at either alignment (an odd leading digit is dropped). Returns undefined when not clean text. */
export function decodeHex(s: string): string | undefined {
  for (let k = 0; k < 2; k++) {
    const body = s.slice(k, k + ((s.length - k) & ~1));
    if (body.length < 16) break;
    const out = Buffer.from(body, 'hex').toString('utf8');
    if (isMostlyText(out)) return out;
  }
  return undefined;
}

/** Decode hex bytes separated by spaces or colons ({@link SPACED_HEX_RUN}); undefined when not clean text. */
export function decodeSpacedHex(s: string): string | undefined {
  return decodeHex(s.replace(/[ :]/g, ''));
}

const ROT13 = unitTable(
  128,
  Object.fromEntries(
    [65, 97].flatMap((base) => Array.from({ length: 26 }, (_, i) => [String.fromCharCode(base + i), String.fromCharCode(base + ((i + 13) % 26))])),
  ),
);

/** Decode ROT13 (letters only). Returns undefined when `s` has no run ROT13 could have hidden. */
export function decodeRot13(s: string): string | undefined {
  if (!TOKENISH.test(s)) return undefined;
  return mapUnits(s, ROT13);
}

/** Reverse `s` by code point. Returns undefined when `s` has no run reversal could have hidden. */
export function decodeReversed(s: string): string | undefined {
  if (!TOKENISH.test(s)) return undefined;
  return reverseCodePoints(s);
}

/** Decode RFC 4648 base32 (either case, padding optional). */
export function decodeBase32(s: string): string | undefined {
  const body = s.replace(/=+$/, '');
  let bits = 0;
  let value = 0;
  const bytes: number[] = [];
  for (let i = 0; i < body.length; i++) {
    const c = body.charCodeAt(i) | 0x20; // either case
    const idx = c >= 0x61 && c <= 0x7a ? c - 0x61 : c >= 0x32 && c <= 0x37 ? c - 0x32 + 26 : -1;
    if (idx < 0) return undefined;
    value = (value << 5) | idx;
    bits += 5;
    if (bits >= 8) {
      bytes.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  const out = Buffer.from(bytes).toString('utf8');
  return isMostlyText(out) ? out : undefined;
}

/** Percent-decode repeatedly (at most 4 rounds) until stable; malformed sequences are left as-is. */
export function decodePercent(s: string): string | undefined {
  let cur = s;
  for (let i = 0; i < 4 && PCT.test(cur); i++) {
    const next = cur.replace(/(?:%[0-9a-fA-F]{2})+/g, (seq) => {
      try {
        return decodeURIComponent(seq);
      } catch {
        return Buffer.from(seq.replace(/%/g, ''), 'hex').toString('latin1');
      }
    });
    if (next === cur) break;
    cur = next;
  }
  return cur === s ? undefined : cur;
}

/** Decode `\uXXXX`, `\u{X…}`, `\xXX` and three-digit octal `\101` escapes. */
export function decodeEscapes(s: string): string | undefined {
  if (!ESCAPE.test(s)) return undefined;
  const out = s.replace(/\\u\{([0-9a-fA-F]{1,6})\}|\\u([0-9a-fA-F]{4})|\\x([0-9a-fA-F]{2})|\\([0-7]{3})/g, (m, a?: string, b?: string, c?: string, o?: string) => {
    const cp = o !== undefined ? parseInt(o, 8) : parseInt(a ?? b ?? c ?? '', 16);
    return cp <= 0x10ffff ? String.fromCodePoint(cp) : m;
  });
  return out === s ? undefined : out;
}

/**
 * Unquote JSON string literals that hold escapes (RFC 8259 § 7), so text inside
 * a JSON document carried in a string (`"{\"note\":\"line\\nkey = …\"}"`)
 * reads as written: each such literal is replaced by its value, without the
 * quotes. Literals that are not valid JSON are left as they are. One pass, linear
 * in the text: an unterminated literal (a line break or the end before its
 * closing quote) is skipped to its end, not retried from every quote inside it.
 */
export function decodeJsonStrings(s: string): string | undefined {
  if (!s.includes('\\')) return undefined;
  const parts: string[] = [];
  let last = 0;
  let changed = false;
  for (let i = s.indexOf('"'); i >= 0 && i < s.length; ) {
    let j = i + 1;
    let escaped = false;
    while (j < s.length) {
      const c = s.charCodeAt(j);
      if (c === 0x5c) {
        escaped = true;
        j += 2;
      } else if (c === 0x22 || c === 0x0a || c === 0x0d) {
        break;
      } else {
        j++;
      }
    }
    if (j >= s.length || s.charCodeAt(j) !== 0x22) {
      // Unterminated: nothing in it can close either; go on after it.
      i = j >= s.length ? -1 : s.indexOf('"', j + 1);
      continue;
    }
    if (escaped) {
      try {
        parts.push(s.slice(last, i), JSON.parse(s.slice(i, j + 1)) as string);
        last = j + 1;
        changed = true;
      } catch {
        // Not a valid JSON literal (an escape JSON does not know): leave it.
      }
    }
    i = s.indexOf('"', j + 1);
  }
  if (!changed) return undefined;
  parts.push(s.slice(last));
  return parts.join('');
}

/** Decode HTML character references (numeric, and a named subset useful for evasion). */
export function decodeEntities(s: string): string | undefined {
  if (!ENTITY.test(s)) return undefined;
  const out = s.replace(/&(#\d{1,7}|#x[0-9a-fA-F]{1,6}|[a-zA-Z]{2,8});/g, (m, ref: string) => {
    if (ref.startsWith('#x') || ref.startsWith('#X')) {
      const cp = parseInt(ref.slice(2), 16);
      return cp <= 0x10ffff ? String.fromCodePoint(cp) : m;
    }
    if (ref.startsWith('#')) {
      const cp = parseInt(ref.slice(1), 10);
      return cp <= 0x10ffff ? String.fromCodePoint(cp) : m;
    }
    return NAMED_ENTITIES[ref] ?? m;
  });
  return out === s ? undefined : out;
}

/** Collapse single characters separated by dots or spaces (`i.g.n.o.r.e` → `ignore`). */
export function collapseDots(s: string): string | undefined {
  if (!DOTTED.test(s)) return undefined;
  const out = s.replace(/(?:\b\w[.\s]){4,}\w\b/g, (m) => m.replace(/[.\s]/g, ''));
  return out === s ? undefined : out;
}

type WholeDecoder = (s: string) => string | undefined;

/**
 * Escape decoders, applied one after the other as a single view (labelled with
 * those that changed something, `url+html`): each leaves the others' syntax
 * alone, and one combined view costs one rescan of a large text instead of one
 * per decoder and per pair.
 */
const UNESCAPE: Array<[string, WholeDecoder]> = [
  ['url', decodePercent],
  ['json', decodeJsonStrings],
  ['escape', decodeEscapes],
  ['html', decodeEntities],
];

/** `s` with every escape decoder of {@link UNESCAPE} applied, and the label, or undefined when none applies. */
function unescapeAll(s: string): [string, string] | undefined {
  let cur = s;
  const names: string[] = [];
  for (const [name, fn] of UNESCAPE) {
    const d = fn(cur);
    if (d === undefined) continue;
    cur = d;
    names.push(name);
  }
  return names.length === 0 ? undefined : [cur, names.join('+')];
}

/**
 * Other whole-text decoders. The flag marks ciphers that apply to the input
 * text only and whose views are scanned but not decoded further: a cipher of a
 * cipher or of a decoded view is not a form anyone pastes, and this bounds
 * their work to 2 extra views per text.
 */
const WHOLE: Array<[string, WholeDecoder, boolean]> = [
  ['dots', collapseDots, false],
  ['rot13', decodeRot13, true],
  ['reversed', decodeReversed, true],
];

const RUNS: Array<[string, RegExp, WholeDecoder]> = [
  ['hex', HEX_RUN, decodeHex],
  ['hex', SPACED_HEX_RUN, decodeSpacedHex],
  ['base32', B32_RUN, decodeBase32],
];

/** Decoded views of a text, and whether a cap cut decoding short. */
export interface DecodeResult {
  readonly views: Decoded[];
  /**
   * True when the output budget or a compressed stream's cap ran out with
   * candidates left: some encoded text was not looked at, so callers fail closed.
   */
  readonly exhausted: boolean;
}

/**
 * Every decoded view of `text` reachable within the limits, excluding `text` itself.
 * Whole-text decoders (URL, escapes and entities as one view; dots; ROT13;
 * reversal) transform the full string; run decoders (base64 with gzip/zlib inside, hex, base32)
 * decode each encoded run found in it. Breadth first: every view of one depth is
 * made before any of the next, so decoys nested deep cannot use up the budget
 * before a shallow candidate is seen. Failed candidates cost nothing but time
 * linear in the text (runs are disjoint); views cost their length plus {@link VIEW_COST}.
 */
export function decodeViews(input: string, limits: DecodeLimits = DEFAULT_DECODE_LIMITS): DecodeResult {
  // Lone surrogates would stop RE2 early on some Node versions (see TextVariants).
  const text = input.isWellFormed() ? input : input.toWellFormed();
  const out: Decoded[] = [];
  if (!TRIGGER.test(text)) return { views: out, exhausted: false };
  let budget = Math.max(limits.maxOutput, 3 * text.length);
  let exhausted = false;
  const seen = new Set<string>([text]);
  let level: Decoded[] = [{ text, transform: '' }];
  const next: Decoded[] = [];
  /** Record one view; false once the budget is spent (the caller stops). */
  const emit = (decoded: string, chain: string, name: string, terminal = false): boolean => {
    if (seen.has(decoded)) return true;
    if (!terminal && budget < decoded.length + VIEW_COST) {
      exhausted = true;
      return false;
    }
    seen.add(decoded);
    if (!terminal) budget -= decoded.length + VIEW_COST;
    const view = { text: decoded, transform: chain === '' ? name : `${chain}+${name}` };
    out.push(view);
    if (!terminal) next.push(view);
    return true;
  };
  const visit = (s: string, chain: string): boolean => {
    const unescaped = unescapeAll(s);
    if (unescaped !== undefined && !emit(unescaped[0], chain, unescaped[1])) return false;
    for (const [name, fn, terminal] of WHOLE) {
      if (terminal && chain !== '') continue;
      const d = fn(s);
      if (d !== undefined && !emit(d, chain, name, terminal)) return false;
    }
    B64_RUN.lastIndex = 0;
    for (let m = B64_RUN.exec(s); m !== null; m = B64_RUN.exec(s)) {
      const run = m[0];
      const inflated = inflateBase64(run, limits.maxInflate);
      if (inflated !== undefined && !emit(inflated, chain, 'base64+gzip')) return false;
      const d = decodeBase64(run);
      if (d !== undefined && !emit(d, chain, 'base64')) return false;
    }
    for (const [name, re, fn] of RUNS) {
      re.lastIndex = 0;
      for (let m = re.exec(s); m !== null; m = re.exec(s)) {
        const d = fn(m[0]);
        if (d !== undefined && !emit(d, chain, name)) return false;
      }
    }
    return true;
  };
  try {
    for (let depth = 0; depth < limits.maxDepth && level.length > 0 && !exhausted; depth++) {
      for (const v of level) if (!visit(v.text, v.transform)) break;
      level = next.splice(0);
    }
  } catch (err) {
    // Decoders are best-effort views; the raw text is always scanned regardless.
    // A compression bomb, though, hides what it holds: fail closed.
    if (err instanceof InflateLimit) exhausted = true;
  }
  return { views: out, exhausted };
}

/** The inflated text of a gzip/zlib stream in base64 run `run`, at any alignment. @throws InflateLimit */
function inflateBase64(run: string, max: number): string | undefined {
  for (let k = 0; k < 4 && run.length - k >= 16; k++) {
    // Base64 of the gzip magic (1f 8b 08) is `H4sI`; of a zlib header (78 01/5e/9c/da), `eA`/`eF`/`eJ`/`eN`.
    if (!run.startsWith('H4sI', k) && !/^e[AFJN]/.test(run.slice(k, k + 2))) continue;
    const bytes = base64Bytes(run.slice(k));
    if (bytes === undefined) break;
    const t = inflateText(bytes, max);
    if (t !== undefined) return t;
  }
  return undefined;
}

/** The views of {@link decodeViews}, without the exhaustion flag (for scanners that do not fail closed on it). */
export function decodeAll(input: string, limits: DecodeLimits = DEFAULT_DECODE_LIMITS): Decoded[] {
  return decodeViews(input, limits).views;
}
