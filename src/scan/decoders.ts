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

/** Character classes of the encoded runs: bit 1 base64 (and base64url), 2 hex, 4 base32 upper case, 8 base32 lower case. */
const RUN_CLASS = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  const ch = String.fromCharCode(c);
  RUN_CLASS[c] = (/[A-Za-z0-9+/_-]/.test(ch) ? 1 : 0) | (/[0-9a-fA-F]/.test(ch) ? 2 : 0) | (/[A-Z2-7]/.test(ch) ? 4 : 0) | (/[a-z2-7]/.test(ch) ? 8 : 0);
}
/** Run classes, with the padding each may end with (`=`, RFC 4648 § 3.2). */
export const RUN_KINDS = { base64: { bits: 1, pad: 2 }, hex: { bits: 2, pad: 0 }, base32: { bits: 4 | 8, pad: 6 } } as const;

/**
 * The encoded runs of `s`, as `[start, end)` pairs: exactly the matches, in
 * order, of `/[A-Za-z0-9+/_-]{16,}={0,2}/g` (base64), `/[0-9a-fA-F]{16,}/g` (hex)
 * or `/[A-Z2-7]{16,}={0,6}|[a-z2-7]{16,}={0,6}/g` (base32: a run of one case, digits
 * in either; the upper-case branch first). In one linear pass: those regexes
 * retry at every character of a shorter run, which made them quadratic in the
 * length of ordinary words (most of a source file's time in the decoders).
 */
export function encodedRuns(s: string, kind: keyof typeof RUN_KINDS): number[] {
  const { bits, pad } = RUN_KINDS[kind];
  // Base32 has two classes (one per case) that share the digits 2–7; the others one (`second` 0).
  const first = bits === 12 ? 4 : bits;
  const second = bits === 12 ? 8 : 0;
  const out: number[] = [];
  const n = s.length;
  let i = 0;
  let prev = 0;
  while (i < n) {
    const c0 = s.charCodeAt(i);
    const here = c0 < 128 ? (RUN_CLASS[c0] as number) : 0;
    // A match can start only where a run of some class starts: any other place is inside a run through an
    // earlier start, so its run is shorter than one already measured (and found too short).
    if (((here & first) === 0 || (prev & first) !== 0) && ((here & second) === 0 || (prev & second) !== 0)) {
      prev = here;
      i++;
      continue;
    }
    // The first class (in regex branch order) whose run from i is long enough.
    let end = -1;
    let stop = i;
    for (let b = (here & first) !== 0 ? first : second; b !== 0; b = b === first ? second : 0) {
      let j = i;
      while (j < n) {
        const c = s.charCodeAt(j);
        if (c >= 128 || ((RUN_CLASS[c] as number) & b) === 0) break;
        j++;
      }
      if (j - i >= 16) {
        end = j;
        break;
      }
      stop = Math.max(stop, j);
      if ((here & second) === 0) break;
    }
    if (end < 0) {
      // Too short: go on after the first character (a run of the other class may start inside this one).
      prev = here;
      i++;
      continue;
    }
    let e = end;
    while (e < n && e - end < pad && s.charCodeAt(e) === 0x3d) e++;
    out.push(i, e);
    i = e;
    // The regex resumes at e as at the start of the text: whatever precedes it does not count.
    prev = 0;
  }
  return out;
}
/** Hex bytes separated by single spaces or colons, as a hex dump prints them (`5b 61 64 6d`), 8 bytes or more. */
const SPACED_HEX_RUN = /(?:[0-9a-fA-F]{2}[ :]){7,}[0-9a-fA-F]{2}/g;
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

/**
 * A lower bound on the units of `bytes.toString('utf8')` that {@link isMostlyText}
 * counts as unprintable, read byte by byte without decoding, or -1 for a NUL
 * (which it rejects outright). Counted: ASCII controls but tab, LF and CR, and
 * DEL (each decodes to itself, whatever came before); and a byte that can start
 * no UTF-8 sequence (continuation 0x80–0xBF, or 0xC0, 0xC1, 0xF5–0xFF) right
 * after an ASCII byte or at the start, where the decoder is between sequences
 * and so must emit U+FFFD for it (WHATWG Encoding § 4.1, the UTF-8 decoder).
 */
class BadBytes {
  bad = 0;
  prevAscii = true;
  /** Feed one byte; false for a NUL (the text is rejected whatever follows). */
  push(b: number): boolean {
    if (b < 0x80) {
      if (b === 0) return false;
      if ((b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d) || b === 0x7f) this.bad++;
      this.prevAscii = true;
      return true;
    }
    if (this.prevAscii && (b < 0xc2 || b > 0xf4)) this.bad++;
    this.prevAscii = false;
    return true;
  }
}

/**
 * False when `n` decoded bytes with the lower bound `bad` of {@link BadBytes}
 * cannot pass {@link isMostlyText}: it allows 15 % of the decoded UTF-16 units,
 * and there are at most as many units as bytes.
 */
function mayPass(bad: number, n: number): boolean {
  return n > 0 && bad <= Math.floor(n * 0.15);
}

/** Base64 alphabet (RFC 4648 § 4, and the URL-safe `-` `_` of § 5) → sextet, -1 for anything else. */
const SEXTET = new Int8Array(128).fill(-1);
for (let i = 0; i < 64; i++) SEXTET['ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'.charCodeAt(i)] = i;
SEXTET[0x2d] = 62;
SEXTET[0x5f] = 63;

/**
 * False when base64 `s[from, to)` (alphabet characters only) cannot decode to
 * text {@link isMostlyText} accepts; true when it may (or holds other characters:
 * the exact decoder decides). Reads the bytes as Node's decoder makes them,
 * without allocating: a failed candidate costs one pass over it.
 */
function base64MayBeText(s: string, from: number, to: number): boolean {
  const bb = new BadBytes();
  let acc = 0;
  let bits = 0;
  let n = 0;
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    const v = c < 128 ? (SEXTET[c] as number) : -1;
    if (v < 0) return true;
    acc = ((acc << 6) | v) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      if (!bb.push((acc >> bits) & 0xff)) return false;
      n++;
    }
  }
  return mayPass(bb.bad, n);
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
  let end = s.length;
  while (end > 0 && s.charCodeAt(end - 1) === 0x3d) end--;
  for (let k = 0; k < 4 && s.length - k >= 16; k++) {
    // The body base64Bytes decodes: padding off, a lone last character dropped.
    const len = end - k - ((end - k) % 4 === 1 ? 1 : 0);
    if (len >= 16 && !base64MayBeText(s, k, k + len)) continue;
    const bytes = base64Bytes(s.slice(k));
    if (bytes === undefined) break;
    const out = bytes.toString('utf8');
    if (isMostlyText(out)) return out;
  }
  return undefined;
}

/** As {@link base64MayBeText}, for hex digit pairs (Node stops at the first pair that is not hex; so does this). */
function hexMayBeText(body: string): boolean {
  const bb = new BadBytes();
  let n = 0;
  for (let i = 0; i + 1 < body.length; i += 2) {
    const hi = hexDigit(body.charCodeAt(i));
    const lo = hexDigit(body.charCodeAt(i + 1));
    if (hi < 0 || lo < 0) break;
    if (!bb.push((hi << 4) | lo)) return false;
    n++;
  }
  return mayPass(bb.bad, n);
}

function hexDigit(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  const l = c | 0x20;
  return l >= 97 && l <= 102 ? l - 87 : -1;
}

/** Decode a hex string at either alignment (an odd leading digit is dropped). Returns undefined when not clean text. */
export function decodeHex(s: string): string | undefined {
  for (let k = 0; k < 2; k++) {
    const body = s.slice(k, k + ((s.length - k) & ~1));
    if (body.length < 16) break;
    if (!hexMayBeText(body)) continue;
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
  // A cheap bound first (BadBytes): most candidates are long lower-case words, which decode to no text.
  const bb = new BadBytes();
  const total = Math.floor((body.length * 5) / 8);
  for (let i = 0; i < body.length; i++) {
    const c = body.charCodeAt(i) | 0x20; // either case
    const idx = c >= 0x61 && c <= 0x7a ? c - 0x61 : c >= 0x32 && c <= 0x37 ? c - 0x32 + 26 : -1;
    if (idx < 0) return undefined;
    value = ((value << 5) | idx) & 0xfffff;
    bits += 5;
    if (bits >= 8) {
      const b = (value >>> (bits - 8)) & 0xff;
      if (!bb.push(b) || !mayPass(bb.bad, total)) return undefined;
      bytes.push(b);
      bits -= 8;
    }
  }
  const out = Buffer.from(bytes).toString('utf8');
  return isMostlyText(out) ? out : undefined;
}

/** Percent-decode repeatedly (at most 4 rounds) until stable; malformed sequences are left as-is. */
export function decodePercent(s: string): string | undefined {
  return percentLogged(s, undefined);
}

/** {@link decodePercent}, logging each round's edits in `log` (one {@link Edits} per round). */
function percentLogged(s: string, log: Edits[] | undefined): string | undefined {
  let cur = s;
  for (let i = 0; i < 4 && PCT.test(cur); i++) {
    const edits: Edits | undefined = log ? [] : undefined;
    const next = replaceLogged(
      cur,
      /(?:%[0-9a-fA-F]{2})+/g,
      (seq) => {
        try {
          return decodeURIComponent(seq);
        } catch {
          return Buffer.from(seq.replace(/%/g, ''), 'hex').toString('latin1');
        }
      },
      edits,
    );
    if (next === cur) break;
    if (edits) log?.push(edits);
    cur = next;
  }
  return cur === s ? undefined : cur;
}

/** Decode `\uXXXX`, `\u{X…}`, `\xXX` and three-digit octal `\101` escapes. */
export function decodeEscapes(s: string): string | undefined {
  return escapesLogged(s, undefined);
}

function escapesLogged(s: string, log: Edits[] | undefined): string | undefined {
  if (!ESCAPE.test(s)) return undefined;
  const edits: Edits | undefined = log ? [] : undefined;
  const out = replaceLogged(
    s,
    /\\u\{([0-9a-fA-F]{1,6})\}|\\u([0-9a-fA-F]{4})|\\x([0-9a-fA-F]{2})|\\([0-7]{3})/g,
    (m, a?: string, b?: string, c?: string, o?: string) => {
      const cp = o !== undefined ? parseInt(o, 8) : parseInt(a ?? b ?? c ?? '', 16);
      return cp <= 0x10ffff ? String.fromCodePoint(cp) : m;
    },
    edits,
  );
  if (out === s) return undefined;
  if (edits) log?.push(edits);
  return out;
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
  return jsonLogged(s, undefined);
}

function jsonLogged(s: string, log: Edits[] | undefined): string | undefined {
  if (!s.includes('\\')) return undefined;
  const edits: Edits = [];
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
        const value = JSON.parse(s.slice(i, j + 1)) as string;
        parts.push(s.slice(last, i), value);
        edits.push(i, j + 1, value.length);
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
  log?.push(edits);
  return parts.join('');
}

/** Decode HTML character references (numeric, and a named subset useful for evasion). */
export function decodeEntities(s: string): string | undefined {
  return entitiesLogged(s, undefined);
}

function entitiesLogged(s: string, log: Edits[] | undefined): string | undefined {
  if (!ENTITY.test(s)) return undefined;
  const edits: Edits | undefined = log ? [] : undefined;
  const out = replaceLogged(s, /&(#\d{1,7}|#x[0-9a-fA-F]{1,6}|[a-zA-Z]{2,8});/g, (m, ref?: string) => {
    if (ref === undefined) return m;
    if (ref.startsWith('#x') || ref.startsWith('#X')) {
      const cp = parseInt(ref.slice(2), 16);
      return cp <= 0x10ffff ? String.fromCodePoint(cp) : m;
    }
    if (ref.startsWith('#')) {
      const cp = parseInt(ref.slice(1), 10);
      return cp <= 0x10ffff ? String.fromCodePoint(cp) : m;
    }
    return NAMED_ENTITIES[ref] ?? m;
  }, edits);
  if (out === s) return undefined;
  if (edits) log?.push(edits);
  return out;
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
const UNESCAPE: Array<[string, (s: string, log: Edits[] | undefined) => string | undefined]> = [
  ['url', percentLogged],
  ['json', jsonLogged],
  ['escape', escapesLogged],
  ['html', entitiesLogged],
];

/**
 * One replacing pass, as `[start, end, length]` triples, in order and disjoint:
 * `s[start, end)` of the text before the pass became `length` units.
 */
type Edits = number[];

/** As `s.replace(re, fn)` for a global regex without named groups; each replacement is added to `log`. */
function replaceLogged(s: string, re: RegExp, fn: (m: string, ...groups: Array<string | undefined>) => string, log: Edits | undefined): string {
  return s.replace(re, (...args: unknown[]) => {
    const m = args[0] as string;
    const r = fn(m, ...(args.slice(1, -2) as Array<string | undefined>));
    const at = args[args.length - 2] as number;
    log?.push(at, at + m.length, r.length);
    return r;
  });
}

/**
 * The ranges (flattened `[start, end)` pairs, in order, disjoint) of the text
 * after a pass that hold changed characters: the pass's replacements, and the
 * ranges `dirty` of the text before it, moved (and widened over any
 * replacement they touch).
 */
export function afterEdits(dirty: readonly number[], edits: readonly number[]): number[] {
  const k = edits.length / 3;
  const outStart: number[] = [];
  const shiftAfter: number[] = [];
  // Two lists, each in order: the replacements' output ranges, and the old ranges moved (moving keeps order).
  const ranges: number[] = [];
  const moved: number[] = [];
  let shift = 0;
  for (let e = 0; e < k; e++) {
    const a = edits[3 * e] as number;
    const b = edits[3 * e + 1] as number;
    const len = edits[3 * e + 2] as number;
    outStart.push(a + shift);
    ranges.push(a + shift, a + shift + len);
    shift += len - (b - a);
    shiftAfter.push(shift);
  }
  /** The last edit that starts at or before `p` (strictly before it when `strict`), or -1. */
  const lastEdit = (p: number, strict: boolean): number => {
    let lo = 0;
    let hi = k - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const a = edits[3 * mid] as number;
      if (strict ? a < p : a <= p) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  };
  for (let d = 0; d < dirty.length; d += 2) {
    const a = dirty[d] as number;
    const b = dirty[d + 1] as number;
    const ea = lastEdit(a, false);
    const start = ea >= 0 && a < (edits[3 * ea + 1] as number) ? (outStart[ea] as number) : a + (ea >= 0 ? (shiftAfter[ea] as number) : 0);
    const eb = lastEdit(b, true);
    const end = eb >= 0 && b <= (edits[3 * eb + 1] as number) ? (outStart[eb] as number) + (edits[3 * eb + 2] as number) : b + (eb >= 0 ? (shiftAfter[eb] as number) : 0);
    moved.push(start, Math.max(start, end));
  }
  const out: number[] = [];
  const add = (a: number, b: number): void => {
    if (out.length > 0 && a <= (out[out.length - 1] as number)) out[out.length - 1] = Math.max(out[out.length - 1] as number, b);
    else out.push(a, b);
  };
  let i = 0;
  let j = 0;
  while (i < ranges.length || j < moved.length) {
    if (j >= moved.length || (i < ranges.length && (ranges[i] as number) <= (moved[j] as number))) {
      add(ranges[i] as number, ranges[i + 1] as number);
      i += 2;
    } else {
      add(moved[j] as number, moved[j + 1] as number);
      j += 2;
    }
  }
  return out;
}

/**
 * `s` with every escape decoder of {@link UNESCAPE} applied, the label, and the
 * ranges of the result that hold characters a decoder changed; undefined when none applies.
 */
function unescapeAll(s: string): [string, string, number[]] | undefined {
  let cur = s;
  const names: string[] = [];
  let dirty: number[] = [];
  for (const [name, fn] of UNESCAPE) {
    const log: Edits[] = [];
    const d = fn(cur, log);
    if (d === undefined) continue;
    for (const edits of log) dirty = afterEdits(dirty, edits);
    cur = d;
    names.push(name);
  }
  return names.length === 0 ? undefined : [cur, names.join('+'), dirty];
}

/**
 * How far (UTF-16 units) around the characters an escape decoder changed its
 * view is rescanned. The rest of the view is the input text unchanged, which
 * is scanned as it is: only a match that holds a changed character (or touches
 * one) can be new, and it is found when it reaches at most this far past the
 * changes, or to the end of the word there (windows end at whitespace). Rule
 * matches are shorter than this, but for key blocks, whose body lines (one
 * word each) chain the windows when the changes are the line breaks.
 */
export const UNESCAPE_CONTEXT = 256;

function isSpaceUnit(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

/**
 * The parts of an unescaped view to rescan: flattened `[start, end)` windows of
 * {@link UNESCAPE_CONTEXT} around `dirty`, widened to whitespace (one whitespace
 * unit kept on each side, so word boundaries read as in the whole view), merged;
 * the whole view when they cover half of it or more.
 */
export function unescapeWindows(text: string, dirty: readonly number[]): number[] {
  const n = text.length;
  const out: number[] = [];
  for (let d = 0; d < dirty.length; d += 2) {
    let a = Math.max(0, (dirty[d] as number) - UNESCAPE_CONTEXT);
    let b = Math.min(n, (dirty[d + 1] as number) + UNESCAPE_CONTEXT);
    while (a > 0 && !isSpaceUnit(text.charCodeAt(a - 1))) a--;
    if (a > 0) a--;
    while (b < n && !isSpaceUnit(text.charCodeAt(b))) b++;
    if (b < n) b++;
    if (out.length > 0 && a <= (out[out.length - 1] as number)) out[out.length - 1] = Math.max(out[out.length - 1] as number, b);
    else out.push(a, b);
  }
  let covered = 0;
  for (let w = 0; w < out.length; w += 2) covered += (out[w + 1] as number) - (out[w] as number);
  return 2 * covered >= n || out.length === 0 ? [0, n] : out;
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

const RUNS: Array<[keyof typeof RUN_KINDS, WholeDecoder]> = [
  ['hex', decodeHex],
  ['base32', decodeBase32],
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
    if (unescaped !== undefined) {
      // Only the windows around what the decoders changed: the rest is `s` itself (see UNESCAPE_CONTEXT).
      const [u, label, dirty] = unescaped;
      const w = unescapeWindows(u, dirty);
      for (let i = 0; i < w.length; i += 2) if (!emit(u.slice(w[i], w[i + 1]), chain, label)) return false;
    }
    for (const [name, fn, terminal] of WHOLE) {
      if (terminal && chain !== '') continue;
      const d = fn(s);
      if (d !== undefined && !emit(d, chain, name, terminal)) return false;
    }
    const b64 = encodedRuns(s, 'base64');
    for (let r = 0; r < b64.length; r += 2) {
      const run = s.slice(b64[r], b64[r + 1]);
      const inflated = inflateBase64(run, limits.maxInflate);
      if (inflated !== undefined && !emit(inflated, chain, 'base64+gzip')) return false;
      const d = decodeBase64(run);
      if (d !== undefined && !emit(d, chain, 'base64')) return false;
    }
    for (const [name, fn] of RUNS) {
      const runs = encodedRuns(s, name);
      for (let r = 0; r < runs.length; r += 2) {
        const d = fn(s.slice(runs[r], runs[r + 1]));
        if (d !== undefined && !emit(d, chain, name)) return false;
      }
    }
    for (const m of s.matchAll(SPACED_HEX_RUN)) {
      const d = decodeSpacedHex(m[0]);
      if (d !== undefined && !emit(d, chain, 'hex')) return false;
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
