/**
 * Bounded decoders that expose text hidden in common encodings, so DLP and
 * injection rules can rescan it. Each decoded form carries the transform chain
 * that produced it (`base64`, `url+base64`, …).
 *
 * Decoders: base64 (RFC 4648 § 4, and URL-safe § 5, padded or not), base32
 * (RFC 4648 § 6), hex, repeated URL percent-decoding (RFC 3986 § 2.1), `\uXXXX`
 * / `\xXX` escapes, HTML character references (named subset and numeric), and
 * dot-collapse (`i.g.n.o.r.e`). They never throw and always terminate: depth,
 * candidate count and output size are capped.
 */
import RE2 from 're2';

/** A decoded view of (part of) a text. */
export interface Decoded {
  readonly text: string;
  /** Transform chain, outermost first, joined with `+`. */
  readonly transform: string;
}

/** Caps on decoding work per input text. */
export interface DecodeLimits {
  /** Nesting depth (base64 inside URL-encoding counts 2). Default 2. */
  readonly maxDepth: number;
  /** Encoded candidates examined per text. Default 32. */
  readonly maxCandidates: number;
  /** Total decoded characters produced. Default 256 KiB. */
  readonly maxOutput: number;
}

export const DEFAULT_DECODE_LIMITS: DecodeLimits = { maxDepth: 2, maxCandidates: 32, maxOutput: 256 * 1024 };

// One linear-time pass that says whether any decoder could apply; most text skips decoding entirely.
/** RE2 source of the decoder prefilter (also used by normalize.ts's feature pass). */
export const DECODE_TRIGGER = '[A-Za-z0-9+/_=-]{16,}|%[0-9A-Fa-f]{2}|\\\\u[0-9a-fA-F{]|\\\\x[0-9a-fA-F]{2}|&#?[a-zA-Z0-9]{2,8};|(?:\\b\\w[.\\s]){4,}\\w\\b';
const TRIGGER = new RE2(DECODE_TRIGGER, 'u');

/** True when some decoder could produce a view of `text` (cheap prefilter). */
export function mayDecode(text: string): boolean {
  return TRIGGER.test(text.isWellFormed() ? text : text.toWellFormed());
}

const B64_RUN = /[A-Za-z0-9+/_-]{16,}={0,2}/g;
const HEX_RUN = /(?:[0-9a-fA-F]{2}){8,}/g;
const B32_RUN = /[A-Z2-7]{16,}={0,6}/g;
const PCT = /%[0-9a-fA-F]{2}/;
const ESCAPE = /\\u[0-9a-fA-F]{4}|\\x[0-9a-fA-F]{2}|\\u\{[0-9a-fA-F]{1,6}\}/;
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
  if (s.length === 0 || s.includes('\0')) return false;
  let printable = 0;
  for (const ch of s) {
    const c = ch.codePointAt(0) as number;
    if ((c >= 0x20 && c !== 0x7f && c !== 0xfffd) || c === 0x0a || c === 0x0d || c === 0x09) printable++;
  }
  return printable / [...s].length >= 0.85;
}

/** Decode base64 / base64url (padding optional). Returns undefined when not clean text. */
export function decodeBase64(s: string): string | undefined {
  const body = s.replace(/=+$/, '');
  if (body.length < 16 || body.length % 4 === 1) return undefined;
  const std = body.replace(/-/g, '+').replace(/_/g, '/');
  const out = Buffer.from(std, 'base64').toString('utf8');
  return isMostlyText(out) ? out : undefined;
}

/** Decode an even-length hex string. Returns undefined when not clean text. */
export function decodeHex(s: string): string | undefined {
  if (s.length % 2 !== 0) return undefined;
  const out = Buffer.from(s, 'hex').toString('utf8');
  return isMostlyText(out) ? out : undefined;
}

/** Decode RFC 4648 base32 (upper-case alphabet, padding optional). */
export function decodeBase32(s: string): string | undefined {
  const body = s.replace(/=+$/, '');
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0;
  let value = 0;
  const bytes: number[] = [];
  for (const ch of body) {
    const idx = alphabet.indexOf(ch);
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

/** Decode `\uXXXX`, `\u{X…}` and `\xXX` escapes. */
export function decodeEscapes(s: string): string | undefined {
  if (!ESCAPE.test(s)) return undefined;
  const out = s.replace(/\\u\{([0-9a-fA-F]{1,6})\}|\\u([0-9a-fA-F]{4})|\\x([0-9a-fA-F]{2})/g, (m, a?: string, b?: string, c?: string) => {
    const cp = parseInt(a ?? b ?? c ?? '', 16);
    return cp <= 0x10ffff ? String.fromCodePoint(cp) : m;
  });
  return out === s ? undefined : out;
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

const WHOLE: Array<[string, WholeDecoder]> = [
  ['url', decodePercent],
  ['escape', decodeEscapes],
  ['html', decodeEntities],
  ['dots', collapseDots],
];

const RUNS: Array<[string, RegExp, WholeDecoder]> = [
  ['base64', B64_RUN, decodeBase64],
  ['hex', HEX_RUN, decodeHex],
  ['base32', B32_RUN, decodeBase32],
];

/**
 * Every decoded view of `text` reachable within the limits, excluding `text` itself.
 * Whole-text decoders (URL, escapes, entities, dots) transform the full string;
 * run decoders (base64, hex, base32) decode each encoded run found in it.
 */
export function decodeAll(input: string, limits: DecodeLimits = DEFAULT_DECODE_LIMITS): Decoded[] {
  // Lone surrogates would stop RE2 early on some Node versions (see TextVariants).
  const text = input.isWellFormed() ? input : input.toWellFormed();
  const out: Decoded[] = [];
  const budget = { candidates: limits.maxCandidates, output: limits.maxOutput };
  const seen = new Set<string>([text]);
  const visit = (s: string, chain: string, depth: number): void => {
    if (depth >= limits.maxDepth) return;
    const emit = (decoded: string, name: string): void => {
      if (budget.output <= 0 || seen.has(decoded)) return;
      seen.add(decoded);
      budget.output -= decoded.length;
      const transform = chain === '' ? name : `${chain}+${name}`;
      out.push({ text: decoded, transform });
      visit(decoded, transform, depth + 1);
    };
    for (const [name, fn] of WHOLE) {
      if (budget.candidates <= 0) return;
      const d = fn(s);
      if (d !== undefined) {
        budget.candidates--;
        emit(d, name);
      }
    }
    for (const [name, re, fn] of RUNS) {
      re.lastIndex = 0;
      let m: RegExpExecArray | null;
      while ((m = re.exec(s)) !== null) {
        if (budget.candidates <= 0) return;
        budget.candidates--;
        const d = fn(m[0]);
        if (d !== undefined) emit(d, name);
      }
    }
  };
  if (!TRIGGER.test(text)) return out;
  try {
    visit(text, '', 0);
  } catch {
    // Decoders are best-effort views; the raw text is always scanned regardless.
  }
  return out;
}
