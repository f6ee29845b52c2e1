/**
 * Checksum and structure checks defined by credential providers and standards
 * (CRC32 token checksums, Luhn, IBAN mod-97, JWT, Base58Check, PyPI macaroons).
 * Each is a pure `(text) => boolean`; the DLP rules name them in `validator`
 * (registry in validators.ts).
 */
import { createHash } from 'node:crypto';

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

/** Base62 encoding (`0-9A-Za-z`) of a non-negative integer, left-padded with `0` to `width`. */
export function base62(value: number, width: number): string {
  let out = '';
  let v = value;
  while (v > 0) {
    out = BASE62[v % 62] + out;
    v = Math.floor(v / 62);
  }
  return out.padStart(width, '0');
}

/** `prefix_` + 30 base62 characters + base62(CRC32 of those 30, width 6). */
function crc32Base62Token(token: string): boolean {
  const body = token.slice(token.lastIndexOf('_') + 1);
  if (!/^[A-Za-z0-9]{36}$/.test(body)) return false;
  return base62(crc32(body.slice(0, 30)), 6) === body.slice(30);
}

/**
 * GitHub token checksum (`ghp_`, `gho_`, `ghu_`, `ghs_`, `ghr_`): the last 6 characters
 * are the CRC32 of the 30-character random part, base62-encoded. Source: GitHub
 * engineering blog, "Behind GitHub's new authentication token formats" (2021-04-05).
 * @param token full token, e.g. `ghp_` + 36 characters
 */
export function githubCrc32(token: string): boolean {
  return crc32Base62Token(token);
}

/**
 * npm access-token checksum: `npm_` + 30 random base62 characters + their CRC32 in
 * base62 (6 characters), the same scheme as GitHub's. Source: GitHub changelog
 * "npm granular access tokens" / npm token format announcement (2021-09).
 */
export function npmCrc32(token: string): boolean {
  return token.startsWith('npm_') && crc32Base62Token(token);
}

/**
 * Cloudflare prefixed token checksum: `cfat_`/`cfut_`/`cfk_` + 40 base62 characters
 * + CRC32 of those 40 characters as 8 lower-case hex digits. Source:
 * https://developers.cloudflare.com/fundamentals/api/get-started/token-formats/
 */
export function cloudflareCrc32(token: string): boolean {
  const m = /^(?:cfat|cfut|cfk)_([A-Za-z0-9]{40})([0-9a-f]{8})$/.exec(token);
  if (m === null) return false;
  return crc32(m[1] as string).toString(16).padStart(8, '0') === m[2];
}

/**
 * Luhn check (ISO/IEC 7812-1 Annex B) over the digits of `text`; separators
 * (space, dash) are ignored. Requires 12–19 digits, not all the same.
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

/** IBAN length per country code, from the SWIFT IBAN Registry (release 99, 2024). */
const IBAN_LENGTHS: Readonly<Record<string, number>> = Object.fromEntries(
  ('AD24 AE23 AL28 AT20 AZ28 BA20 BE16 BG22 BH22 BI27 BR29 BY28 CH21 CR22 CY28 CZ24 DE22 DJ27 DK18 DO28 EE20 EG29 ES24 ' +
    'FI18 FK18 FO18 FR27 GB22 GE22 GI23 GL18 GR27 GT28 HR21 HU28 IE22 IL23 IQ23 IS26 IT27 JO30 KW30 KZ20 LB28 LC32 LI21 ' +
    'LT20 LU20 LV21 LY25 MC27 MD24 ME22 MK19 MN20 MR27 MT31 MU30 NI28 NL18 NO15 OM23 PK24 PL28 PS29 PT25 QA29 RO24 RS22 ' +
    'RU33 SA24 SC31 SD18 SE24 SI19 SK24 SM27 SO23 ST25 SV28 TL23 TN24 TR26 UA29 VA22 VG24 XK20 YE30')
    .split(' ')
    .map((e) => [e.slice(0, 2), Number(e.slice(2))]),
);

/**
 * IBAN check (ISO 13616-1 § 7.1): a registered country code, that country's length
 * (SWIFT IBAN Registry), and mod-97 check digits. Spaces are ignored.
 */
export function mod97(text: string): boolean {
  const iban = text.replace(/\s/g, '').toUpperCase();
  if (!/^[A-Z]{2}\d{2}[A-Z0-9]{11,30}$/.test(iban) || IBAN_LENGTHS[iban.slice(0, 2)] !== iban.length) return false;
  const rearranged = iban.slice(4) + iban.slice(0, 4);
  let remainder = 0;
  for (const ch of rearranged) {
    const code = ch.charCodeAt(0);
    const part = code >= 65 ? String(code - 55) : ch;
    for (const digit of part) remainder = (remainder * 10 + (digit.charCodeAt(0) - 48)) % 97;
  }
  return remainder === 1;
}

function base64urlText(part: string): string | undefined {
  if (!/^[A-Za-z0-9_-]+$/.test(part)) return undefined;
  return Buffer.from(part, 'base64url').toString('utf8');
}

/**
 * JWT structure (RFC 7519 § 3, RFC 7515 § 7.1): `header.payload.signature` where the
 * base64url header and payload both decode to JSON-object text (`{"…`), and at least
 * one of them parses as a JSON object. Damaged-but-real tokens (a corrupted header
 * byte) still pass; random base64 that merely starts with `eyJ` does not.
 */
export function jwt(text: string): boolean {
  const [header, payload] = text.split('.');
  if (header === undefined || payload === undefined) return false;
  const texts = [base64urlText(header), base64urlText(payload)];
  if (!texts.every((t) => t !== undefined && /^\s*\{\s*"/.test(t))) return false;
  return texts.some((t) => {
    try {
      const v = JSON.parse(t as string) as unknown;
      return typeof v === 'object' && v !== null && !Array.isArray(v);
    } catch {
      return false;
    }
  });
}

/**
 * Discord bot token structure: `base64url(user id).timestamp.hmac`, where the first
 * segment decodes to the bot's 17–20 digit snowflake id. Source:
 * https://discord.com/developers/docs/reference#snowflakes and #authentication.
 */
export function discordBotToken(text: string): boolean {
  const id = base64urlText(text.split('.')[0] ?? '');
  return id !== undefined && /^\d{17,20}$/.test(id);
}

/**
 * PyPI API token structure: `pypi-` + a base64url macaroon (libmacaroons v2 binary
 * format, first byte 0x02) whose location field names `pypi.org` or `test.pypi.org`.
 * Source: https://pypi.org/help/#apitoken and the `pypitoken` project.
 */
export function pypiMacaroon(text: string): boolean {
  const body = text.replace(/^pypi-/, '');
  if (!/^[A-Za-z0-9_-]{50,}$/.test(body)) return false;
  const raw = Buffer.from(body, 'base64url');
  return raw[0] === 0x02 && raw.subarray(0, 64).toString('latin1').includes('pypi.org');
}

const BASE58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';

/** Base58Check decode (Bitcoin wiki, "Base58Check encoding"): payload, or undefined on a bad checksum. */
function base58check(text: string): Buffer | undefined {
  let num = 0n;
  for (const ch of text) {
    const idx = BASE58.indexOf(ch);
    if (idx < 0) return undefined;
    num = num * 58n + BigInt(idx);
  }
  let hex = num.toString(16);
  if (hex.length % 2) hex = '0' + hex;
  const leadingZeros = /^1*/.exec(text)?.[0].length ?? 0;
  const bytes = Buffer.concat([Buffer.alloc(leadingZeros), Buffer.from(hex, 'hex')]);
  if (bytes.length < 5) return undefined;
  const payload = bytes.subarray(0, bytes.length - 4);
  const first = createHash('sha256').update(payload).digest();
  const second = createHash('sha256').update(first).digest();
  return second.subarray(0, 4).equals(bytes.subarray(bytes.length - 4)) ? payload : undefined;
}

/**
 * Bitcoin WIF private key: Base58Check, version byte 0x80 (mainnet) or 0xef (testnet),
 * 32-byte key plus an optional 0x01 compression flag. Source: Bitcoin wiki, "Wallet import format".
 */
export function wif(text: string): boolean {
  const p = base58check(text);
  if (p === undefined || (p[0] !== 0x80 && p[0] !== 0xef)) return false;
  return p.length === 33 || (p.length === 34 && p[33] === 0x01);
}

/**
 * BIP-32 extended private key (`xprv`/`tprv`): Base58Check of 78 bytes with version
 * 0x0488ADE4 (mainnet) or 0x04358394 (testnet). Source: BIP-32, "Serialization format".
 */
export function xprv(text: string): boolean {
  const p = base58check(text);
  if (p === undefined || p.length !== 78) return false;
  const version = p.readUInt32BE(0);
  return version === 0x0488ade4 || version === 0x04358394;
}
