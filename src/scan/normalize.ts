/**
 * Text variants for evasion-resistant matching. Each rule names the variants
 * it needs; {@link TextVariants} builds each one lazily, at most once per text.
 *
 * - `raw`: the text as received.
 * - `normalized`: C0/C1 controls, zero-width, bidi and variation selectors removed;
 *   Unicode tag characters (U+E0020–E007E, "ASCII smuggling") decoded to ASCII;
 *   NFKC (UAX #15); combining marks dropped; confusables mapped to ASCII with the
 *   Unicode confusables table (UTS #39 `confusables.txt`, via the `unhomoglyph` package).
 * - `leet`: `normalized` with leetspeak digits and symbols folded to letters.
 * - `compact`: `normalized` with all whitespace, `-`, `_` and `.` removed, for
 *   rules that must survive spaced-out spelling (`i g n o r e`). Computed only
 *   when the text has spaced-out letters; otherwise it is the normalised text.
 */
import { createRequire } from 'node:module';
import RE2 from 're2';
import { DECODE_TRIGGER } from './decoders.js';
import { spendNormalize } from './budget.js';
import { mapUnits, unitTable } from './code-units.js';

/** Variant names usable in a rule's `variants` field. */
export const VARIANT_NAMES = ['raw', 'normalized', 'leet', 'compact'] as const;
export type VariantName = (typeof VARIANT_NAMES)[number];

const require = createRequire(import.meta.url);

let toAscii: Map<number, string> | undefined;

/**
 * Non-ASCII code point → ASCII replacement, derived from the confusables table.
 * Built on first use (only text with non-ASCII characters needs it).
 */
function confusableMap(): Map<number, string> {
  if (toAscii !== undefined) return toAscii;
  const CONFUSABLES = require('unhomoglyph/data.json') as Record<string, string>;
  const map = new Map<number, string>();
  for (const [from, to] of Object.entries(CONFUSABLES)) {
    const cp = from.codePointAt(0);
    if (cp === undefined || cp < 0x80 || [...from].length !== 1) continue;
    if (!/^[\x20-\x7e]+$/.test(to)) continue;
    let target = to;
    // The skeleton folds I/l/1 together. A capital (Cyrillic І, Greek Ι, Roman
    // numeral Ⅰ) becomes `I`, so case-sensitive tokens and their checksums survive
    // the fold; otherwise prefer `i` where the lower-case form is an i.
    if (target === 'l' && from !== from.toLowerCase()) target = 'I';
    else if (target === 'l' && CONFUSABLES[from.toLowerCase()] === 'i') target = 'i';
    map.set(cp, target);
  }
  return (toAscii = map);
}

// Characters removed outright: C0/C1 controls (except tab, LF, CR), soft hyphen,
// zero-width and joiners, bidi embeddings/isolates/marks, word joiner and invisible
// operators, BOM, variation selectors, and Mongolian vowel separator.
const INVISIBLE =
  // Combining characters in the class are intended: each is removed on its own.
  // eslint-disable-next-line no-control-regex, no-misleading-character-class
  /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180e\u200b-\u200f\u202a-\u202e\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0]|\udb40[\udc00-\udc1f\udc7f-\uddef]/g;
// Unicode tag characters U+E0020–E007E mirror printable ASCII.
const TAG_CHAR = /\udb40([\udc20-\udc7e])/g;
const MARK = /^\p{M}$/u;

let bmpMarks: Uint8Array | undefined;

/** 1 for every BMP code point of general category M (built on first use, about 5 ms). */
function markTable(): Uint8Array {
  if (bmpMarks !== undefined) return bmpMarks;
  const t = new Uint8Array(0x10000);
  for (let cp = 0x300; cp < 0x10000; cp++) {
    if (cp >= 0xd800 && cp < 0xe000) continue;
    if (MARK.test(String.fromCharCode(cp))) t[cp] = 1;
  }
  return (bmpMarks = t);
}

/**
 * Drop combining marks and map confusables to ASCII, in one pass over decomposed
 * text. ASCII runs are copied as slices, so the cost is linear in the text and
 * in the number of replacements (a regex replace with a callback is about 6×
 * slower and, on tens of millions of matches, exhausts V8's match array).
 */
function foldMarks(s: string): string {
  const marks = markTable();
  const toAscii = confusableMap();
  let out = '';
  let runStart = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) continue;
    let cp = c;
    let width = 1;
    if (c >= 0xd800 && c < 0xdc00 && i + 1 < s.length) {
      cp = s.codePointAt(i) as number;
      if (cp > 0xffff) width = 2;
    }
    const isMark = cp <= 0xffff ? marks[cp] === 1 : MARK.test(String.fromCodePoint(cp));
    const rep = isMark ? '' : toAscii.get(cp);
    if (rep !== undefined) {
      out += s.slice(runStart, i) + rep;
      runStart = i + width;
    }
    i += width - 1;
  }
  return runStart === 0 ? s : out + s.slice(runStart);
}
// Anything that could need work; pure printable ASCII (plus tab/newline) skips normalisation.
// eslint-disable-next-line no-control-regex
const NEEDS_WORK = /[^\x09\x0a\x0d\x20-\x7e]/;

const LEET: Record<string, string> = {
  '0': 'o',
  '1': 'i',
  '3': 'e',
  '4': 'a',
  '5': 's',
  '7': 't',
  '8': 'b',
  '9': 'g',
  '@': 'a',
  $: 's',
  '!': 'i',
  '|': 'l',
  '+': 't',
};
const LEET_TABLE = unitTable(128, LEET);
/**
 * One RE2 set pass over the raw bytes says which variants differ from the raw
 * text and whether any decoder could apply, so clean ASCII text costs a single
 * linear scan. Bits: 0 needs normalising, 1 leetspeak, 2 spaced-out letters, 3 decodable.
 */
const FEATURES = new RE2.Set(
  [
    '[^\\x09\\x0a\\x0d\\x20-\\x7e]',
    '(?i)[a-z][01345789@$!|+]|[01345789@$!|+][a-z]',
    '\\b\\w[\\s._-]{1,3}\\w[\\s._-]{1,3}\\w[\\s._-]{1,3}\\w\\b',
    DECODE_TRIGGER,
  ],
  'u',
);
const F_NORMALIZE = 0;
const F_LEET = 1;
const F_SPACED = 2;
const F_DECODE = 3;

// Leetspeak only matters where a digit or symbol touches a letter.
const HAS_LEET = /[a-z][01345789@$!|+]|[01345789@$!|+][a-z]/i;
// Four or more single characters in a row, separated: `i g n o r e`, `s.e.n.d`.
const SPACED = /\b\w[\s._-]{1,3}\w[\s._-]{1,3}\w[\s._-]{1,3}\w\b/;

/** Characters per NFKC step, so growth is charged (and stopped) before it gets large. */
const NFKC_CHUNK = 1 << 16;

/**
 * NFKC in chunks, charging the budget for any growth after each one (U+FDFA
 * becomes 18 characters). Chunks end before an ASCII character where one is near,
 * so a combining sequence is not split.
 * @throws ScanLimitError when the growth uses up the frame's budget
 */
const COMBINING_AT = /^\p{M}/u;

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}

function nfkcBounded(text: string): string {
  if (text.length <= NFKC_CHUNK) {
    const out = text.normalize('NFKC');
    if (out.length > text.length) spendNormalize(out.length - text.length);
    return out;
  }
  const parts: string[] = [];
  for (let i = 0; i < text.length; ) {
    let end = Math.min(text.length, i + NFKC_CHUNK);
    let ascii = false;
    for (let j = end; j < text.length && j < end + 64; j++) {
      if (text.charCodeAt(j) < 0x80) {
        end = j;
        ascii = true;
        break;
      }
    }
    // No ASCII near: never cut a surrogate pair (its character would escape folding), nor
    // a base character from the combining marks after it (back off up to 64 units).
    if (!ascii && end < text.length) {
      for (let k = 0; k < 64 && end > i + 1 && COMBINING_AT.test(text.slice(end, end + 2)); k++) end--;
      if (end > i + 1 && isLowSurrogate(text.charCodeAt(end))) end--;
    }
    const chunk = text.slice(i, end);
    const out = chunk.normalize('NFKC');
    if (out.length > chunk.length) spendNormalize(out.length - chunk.length);
    parts.push(out);
    i = end;
  }
  return parts.join('');
}

/**
 * Normalise text for matching (see the module comment). Pure printable ASCII is
 * returned unchanged without allocation.
 * @throws ScanLimitError (budget.ts) when the frame's normalisation budget is used up
 */
export function normalizeText(text: string): string {
  if (!NEEDS_WORK.test(text)) return text;
  spendNormalize(text.length);
  let out = text.replace(TAG_CHAR, (_m, low: string) => String.fromCharCode(low.charCodeAt(0) - 0xdc00));
  out = out.replace(INVISIBLE, '');
  out = nfkcBounded(out);
  if (!NEEDS_WORK.test(out)) return out;
  const mapped = foldMarks(out.normalize('NFD'));
  return mapped.normalize('NFC');
}

/** Fold leetspeak in already-normalised text. */
export function foldLeet(text: string): string {
  return mapUnits(text, LEET_TABLE);
}

/** Remove whitespace and common separators from already-normalised text. */
export function compactText(text: string): string {
  return text.replace(/[\s\-_.]+/g, '');
}

/**
 * Lazily computed variants of one text. `transform` names what changed the text,
 * or is undefined when the variant equals the raw text (so no finding claims a
 * transform that did nothing).
 */
export class TextVariants {
  readonly raw: string;
  #normalized: string | undefined;
  #leet: string | undefined;
  #compact: string | undefined;
  #features: number | undefined;
  readonly #bytes = new Map<string, Buffer>();

  /**
   * @param raw the text; lone surrogates are replaced with U+FFFD (same UTF-16
   *   length, so offsets still map to the original). RE2 stops reading a string at
   *   a lone surrogate on some Node versions, which would hide what follows.
   */
  constructor(raw: string) {
    this.raw = raw.isWellFormed() ? raw : raw.toWellFormed();
  }

  get(name: VariantName): string {
    switch (name) {
      case 'raw':
        return this.raw;
      case 'normalized':
        return (this.#normalized ??= this.#has(F_NORMALIZE) ? normalizeText(this.raw) : this.raw);
      case 'leet': {
        // Unchanged text stays the same string, so the matcher scans it once.
        const n = this.get('normalized');
        return (this.#leet ??= (n === this.raw ? this.#has(F_LEET) : HAS_LEET.test(n)) ? foldLeet(n) : n);
      }
      case 'compact': {
        // Without spaced-out letters, removing separators only joins ordinary
        // words; compact rules then run on the normalised text itself.
        const n = this.get('normalized');
        return (this.#compact ??= (n === this.raw ? this.#has(F_SPACED) : SPACED.test(n)) ? compactText(n) : n);
      }
    }
  }

  /** True when some decoder could produce a view of the raw text (see decoders.ts). */
  mayDecode(): boolean {
    return this.#has(F_DECODE);
  }

  #has(bit: number): boolean {
    if (this.#features === undefined) {
      this.#features = 0;
      for (const i of FEATURES.match(this.bytes('raw'))) this.#features |= 1 << i;
    }
    return (this.#features & (1 << bit)) !== 0;
  }

  /** UTF-8 bytes of a variant's text (RE2 scans bytes; converting once saves a copy per pass). */
  bytes(name: VariantName): Buffer {
    const text = name === 'raw' ? this.raw : this.get(name);
    let buf = this.#bytes.get(text);
    if (buf === undefined) {
      buf = Buffer.from(text, 'utf8');
      this.#bytes.set(text, buf);
    }
    return buf;
  }

  /** The transform label for a finding made on `name`, or undefined if it equals raw. */
  transform(name: VariantName): string | undefined {
    if (name === 'raw') return undefined;
    const text = this.get(name);
    if (text === this.raw) return undefined;
    if (name === 'normalized') return 'normalized';
    return name;
  }
}
