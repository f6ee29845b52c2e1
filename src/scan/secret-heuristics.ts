/**
 * Heuristic checks for credentials that have no checksum: entropy scaled to the
 * token's alphabet, token-value shapes, and the generic `name = value`
 * assignments (password, secret, credential pairs). Each is a pure
 * `(text) => boolean`; the DLP rules name them in `validator` (registry in validators.ts).
 */
import { isPlaceholder } from './placeholders.js';

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

/**
 * Bits per character a random string of this length over the same alphabet can reach:
 * log2(min(alphabet, length)). The alphabet is hex when ≥ 90 % of the characters are hex
 * digits (prefixes such as `SK` or `key-` aside); otherwise the classes present.
 */
function reachableBits(text: string): number {
  const hex = (text.match(/[\da-fA-F]/g) ?? []).length;
  const alphabet =
    hex >= 0.9 * text.length
      ? 16
      : 10 + (/[a-z]/.test(text) ? 26 : 0) + (/[A-Z]/.test(text) ? 26 : 0) + (/[^A-Za-z\d]/.test(text) ? 2 : 0);
  return Math.log2(Math.min(alphabet, text.length));
}

/**
 * High-entropy check for random tokens: at least two character classes, and Shannon
 * entropy of at least 80 % of what a random string of that alphabet and length can
 * reach, capped at 3.5 bits/char (32 hex digits need 3.2, 24 base62 characters 3.5).
 * Rejects `AIzaaaaa…`, DNA strings and similar filler.
 */
export function highEntropy(text: string): boolean {
  const classes = [/[a-z]/, /[A-Z]/, /\d/, /[^A-Za-z\d]/].filter((re) => re.test(text)).length;
  return classes >= 2 && shannonEntropy(text) >= Math.min(3.5, 0.8 * reachableBits(text));
}

/**
 * AWS access key id sanity (IAM user guide, "Understanding unique ID prefixes"): the
 * 16 characters after the 4-character prefix are random base32, so their entropy is
 * high; DNA strings and other upper-case text that fit the shape are rejected.
 */
export function awsKeyId(text: string): boolean {
  return shannonEntropy(text.slice(4)) >= 2.5;
}

/**
 * Random base62 token (Vault `s.` tokens): upper and lower case present, and either a
 * digit or ≥ 4 bits/char, so words in CamelCase (`AcceptanceTimeoutSeconds`) fail.
 */
export function mixedAlnum(text: string): boolean {
  if (!/[a-z]/.test(text) || !/[A-Z]/.test(text)) return false;
  const bits = shannonEntropy(text);
  return bits >= 4 || (/\d/.test(text) && bits >= 3.5);
}

/**
 * Canonical padded base64 (RFC 4648 § 4) of at least 12 characters: the length is a
 * multiple of 4 and padding only at the end. Used for Kubernetes Secret `data:` values,
 * which the API server always stores this way.
 */
export function base64(text: string): boolean {
  return text.length >= 12 && text.length % 4 === 0 && /^[A-Za-z0-9+/]+={0,2}$/.test(text);
}

/**
 * A credential value in a header or assignment: ≥ 8 characters, at least one letter
 * and one digit, and entropy of at least 65 % of what a random string of that alphabet
 * and length reaches (capped at 2.8 bits/char), so words (`required`) do not count.
 */
export function tokenValue(text: string): boolean {
  const v = text.replace(/^["'`]|["'`]$/g, '');
  if (v.length < 8 || !/[A-Za-z]/.test(v) || !/\d/.test(v)) return false;
  return shannonEntropy(v) >= Math.min(2.8, 0.65 * reachableBits(v));
}

/** `name<sep>value` as matched by the generic assignment rules. */
const ASSIGNMENT = /^(?<name>[\w.-]*)["'`]?\s*(?:=>|:{1,3}=|\?=|[:=,])\s*["'`]?(?<value>[^"'`\s;,]*)/;
/** Key names that hold public or anti-forgery values, not secrets. */
const PUBLIC_NAME = /(?:public|publishable|csrf|xsrf|anti[_.-]?forgery)[_.-]?(?:api[_.-]?)?(?:token|key)$/i;
/** A dotted code reference (`config.apiKey`, `X25519.secret_length`) or a file name. */
const CODE_REFERENCE = /^[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)+$|\.(?:pem|key|json|txt|p12|crt|cer|ya?ml|env)$/i;

/**
 * Generic `name = value` secret assignment (env files, JSON, YAML, code). Accepts when
 * the name is not a public/CSRF key and the value looks random: ≥ 10 characters, a
 * letter and a digit, entropy ≥ 75 % of reachable (capped at 3 bits/char), not a
 * placeholder and not a dotted code reference.
 * @param text the whole match, `name`, separator and value
 */
export function genericSecret(text: string): boolean {
  const m = ASSIGNMENT.exec(text);
  const name = m?.groups?.['name'] ?? '';
  const value = m?.groups?.['value'] ?? '';
  if (PUBLIC_NAME.test(name) || CODE_REFERENCE.test(value) || isPlaceholder(value)) return false;
  if (value.length < 10 || !/[A-Za-z]/.test(value) || !/\d/.test(value)) return false;
  return shannonEntropy(value) >= Math.min(3, 0.75 * reachableBits(value));
}

/**
 * A password assignment (`password = "…"`, `DB_PASSWORD=…`): the value is 8–128
 * characters, has at least 5 distinct characters, and is not a variable reference,
 * a template, a file path or an escaped line break.
 * Stock placeholders (`password`, `changeme`) are rejected via `isPlaceholder`.
 * @param text the whole match, `name`, separator and value
 */
export function password(text: string): boolean {
  const m = /(?:=>|:{1,3}=|\?=|[:=])\s*["'`]?([^"'`\s]*)/.exec(text.replace(/^[\w.-]*["'`]?\s*/, ''));
  const value = m?.[1] ?? '';
  if (value.length < 8 || value.length > 128 || new Set(value).size < 5) return false;
  // Variable references, templates, and file paths (`PWD=/home/me`) are not passwords;
  // nor is an escaped line break (`password=\njdbc.url=` in JSON or code text): the value is empty.
  return !/^(?:\$|%\w|\{|<|\[|~?\/|\.{1,2}\/|[A-Za-z]:\\|\\[nrt])/.test(value) && !CODE_REFERENCE.test(value) && !isPlaceholder(value);
}

/**
 * A `user:password` pair as given to `curl -u` / `--user` (quotes allowed around each
 * part). At least one side is a credential of ≥ 6 characters, and neither side is a
 * shell variable, command substitution or template.
 */
export function credentialPair(text: string): boolean {
  const pair = text.replace(/["']/g, '');
  const colon = pair.indexOf(':');
  if (colon < 0) return false;
  const parts = [pair.slice(0, colon), pair.slice(colon + 1)];
  if (parts.some((p) => /^\$\w*$|\$[{(]|\{\{/.test(p))) return false;
  return parts.some((p) => p.length >= 6);
}
