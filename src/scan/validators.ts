/**
 * Checksum and structure validators for DLP rules. A rule naming a validator
 * reports a match only when the validator accepts the matched text, so random
 * look-alikes do not fire.
 */
import { createHash } from 'node:crypto';

/** Names usable in a rule's `validator` field (and Pipelock's `dlp.patterns[].validator`). */
export const VALIDATOR_NAMES = [
  'luhn',
  'mod97',
  'github-crc32',
  'npm-crc32',
  'pypi-macaroon',
  'jwt',
  'wif',
  'entropy',
] as const;
export type ValidatorName = (typeof VALIDATOR_NAMES)[number];

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32 (IEEE 802.3) of the UTF-8 bytes of `text`. */
export function crc32(text: string): number {
  let crc = 0xffffffff;
  for (const byte of Buffer.from(text, 'utf8')) {
    crc = (CRC_TABLE[(crc ^ byte) & 0xff] as number) ^ (crc >>> 8);
  }
  return (crc ^ 0xffffffff) >>> 0;
}

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** Base62 encoding of a non-negative integer, left-padded with `0` to `width`. */
export function base62(value: number, width: number): string {
  let out = '';
  let v = value;
  while (v > 0) {
    out = BASE62[v % 62] + out;
    v = Math.floor(v / 62);
  }
  return out.padStart(width, '0');
}

/**
 * GitHub token checksum: the last 6 characters are the CRC32 of the 30-character
 * random part, base62-encoded. Source: GitHub engineering blog, "Behind GitHub's
 * new authentication token formats" (2021-04-05).
 * @param token full token, e.g. `ghp_` + 36 characters
 */
export function githubCrc32(token: string): boolean {
  const underscore = token.lastIndexOf('_');
  const body = token.slice(underscore + 1);
  if (body.length !== 36) return false;
  return base62(crc32(body.slice(0, 30)), 6) === body.slice(30);
}

/**
 * Luhn check (ISO/IEC 7812-1 Annex B) over the digits of `text`; separators
 * (space, dash) are ignored. Requires 12–19 digits.
 */
export function luhn(text: string): boolean {
  const digits = text.replace(/[\s-]/g, '');
  if (!/^\d{12,19}$/.test(digits)) return false;
  if (/^(\d)\1+$/.test(digits)) return false;
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

/** IBAN mod-97 check (ISO 13616-1 § 7.1); spaces are ignored. */
export function mod97(text: string): boolean {
  const iban = text.replace(/\s/g, '').toUpperCase();
  if (!/^[A-Z]{2}\d{2}[A-Z0-9]{11,30}$/.test(iban)) return false;
  const rearranged = iban.slice(4) + iban.slice(0, 4);
  let remainder = 0;
  for (const ch of rearranged) {
    const code = ch.charCodeAt(0);
    const part = code >= 65 ? String(code - 55) : ch;
    for (const digit of part) remainder = (remainder * 10 + (digit.charCodeAt(0) - 48)) % 97;
  }
  return remainder === 1;
}

function base64urlJson(part: string): unknown {
  try {
    const text = Buffer.from(part.replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('utf8');
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** JWT structure (RFC 7519 § 7.2): a JSON header with a string `alg`, and a JSON payload. */
export function jwt(text: string): boolean {
  const [header, payload] = text.split('.');
  if (header === undefined || payload === undefined) return false;
  const h = base64urlJson(header);
  if (typeof h !== 'object' || h === null || typeof (h as { alg?: unknown }).alg !== 'string') return false;
  const p = base64urlJson(payload);
  return typeof p === 'object' && p !== null;
}

/**
 * PyPI API token structure: `pypi-` + a base64url macaroon whose decoded bytes
 * name `pypi.org` as location. Source: PyPI docs, "API tokens" / pypitoken.
 */
export function pypiMacaroon(text: string): boolean {
  const body = text.replace(/^pypi-/, '');
  try {
    const raw = Buffer.from(body.replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('latin1');
    return raw.includes('pypi.org') || raw.includes('test.pypi.org');
  } catch {
    return false;
  }
}

const BASE58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';

/** Bitcoin WIF private key: Base58Check with a valid double-SHA-256 checksum (Bitcoin wiki, "Wallet import format"). */
export function wif(text: string): boolean {
  let num = 0n;
  for (const ch of text) {
    const idx = BASE58.indexOf(ch);
    if (idx < 0) return false;
    num = num * 58n + BigInt(idx);
  }
  let hex = num.toString(16);
  if (hex.length % 2) hex = '0' + hex;
  const bytes = Buffer.from(hex, 'hex');
  if (bytes.length < 5) return false;
  const payload = bytes.subarray(0, bytes.length - 4);
  const check = bytes.subarray(bytes.length - 4);
  const first = createHash('sha256').update(payload).digest();
  const second = createHash('sha256').update(first).digest();
  return second.subarray(0, 4).equals(check) && payload[0] === 0x80;
}

/** Shannon entropy of `text` in bits per character. */
export function shannonEntropy(text: string): number {
  if (text.length === 0) return 0;
  const counts = new Map<string, number>();
  for (const ch of text) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let bits = 0;
  for (const n of counts.values()) {
    const p = n / text.length;
    bits -= p * Math.log2(p);
  }
  return bits;
}

/** High-entropy check for generic secrets: ≥ 3.5 bits/char and mixed character classes. */
export function highEntropy(text: string): boolean {
  if (shannonEntropy(text) < 3.5) return false;
  const classes = [/[a-z]/, /[A-Z]/, /\d/].filter((re) => re.test(text)).length;
  return classes >= 2;
}

const VALIDATORS: Record<ValidatorName, (text: string) => boolean> = {
  luhn,
  mod97,
  'github-crc32': githubCrc32,
  'npm-crc32': githubCrc32,
  'pypi-macaroon': pypiMacaroon,
  jwt,
  wif,
  entropy: highEntropy,
};

/** Run a named validator. Unknown names never reach here (the rule schema rejects them). */
export function runValidator(name: ValidatorName, text: string): boolean {
  return VALIDATORS[name](text);
}
