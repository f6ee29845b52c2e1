/**
 * Recognises documentation examples and placeholders that look like credentials,
 * so they do not block: AWS's documented `AKIAIOSFODNN7EXAMPLE`, `sk-xxxx…`,
 * `${API_KEY}`, `<your token>`, `user:pass` and the like.
 *
 * The checks are deliberately about *filler*, not about regularity: test fixtures
 * and real base64 key material legitimately contain runs such as `AAAAAAAA` (zero
 * bytes) or counting digits, so neither repeated letters nor sequences mark a
 * placeholder on their own.
 */
// Cyclic with secret-heuristics.ts, which is safe: only function declarations are used, at call time.
import { shannonEntropy } from './secret-heuristics.js';

/**
 * Publicly documented example values that have a real format. Each is exact.
 * - AWS IAM user guide, "Managing access keys": the example key pair.
 * - Firebase Android SDK (github.com/firebase/firebase-android-sdk) sample API keys, as
 *   listed in gitleaks' `gcp-api-key` allowlist.
 * - Microsoft Learn, "nuget.config reference": sample `ClearTextPassword` values.
 * - Yarn's documentation site Algolia search key (yarnpkg/berry#6201), public by design.
 * - Stripe docs test-mode key; jwt.io's default token.
 * - Test card numbers from Stripe's, Braintree's and Adyen's testing docs; IBAN examples
 *   from the SWIFT IBAN registry (one per country format shown there).
 * - BIP-39 mnemonics: the first test vector of BIP-39's reference vectors (all-zero
 *   entropy), and Hardhat's and Foundry's default development mnemonic.
 */
const KNOWN_EXAMPLES: readonly string[] = [
  'AKIAIOSFODNN7EXAMPLE',
  'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  'AIzaSyabcdefghijklmnopqrstuvwxyz1234567',
  'AIzaSyAnLA7NfeLquW1tJFpx_eQCxoX-oo6YyIs',
  'AIzaSyCkEhVjf3pduRDt6d1yKOMitrUEke8agEM',
  'AIzaSyDMAScliyLx7F0NPDEJi1QmyCgHIAODrlU',
  'AIzaSyD3asb-2pEZVqMkmL6M9N6nHZRR_znhrh0',
  'AIzayDNSXIbFmlXbIE6mCzDLQAqITYefhixbX4A',
  'AIzaSyAdOS2zB6NCsk1pCdZ4-P6GBdi_UUPwX7c',
  'AIzaSyASWm6HmTMdYWpgMnjRBjxcQ9CKctWmLd4',
  'AIzaSyANUvH9H9BsUccjsu2pCmEkOPjjaXeDQgY',
  'AIzaSyA5_iVawFQ8ABuTZNUdcwERLJv_a_p4wtM',
  'AIzaSyA4UrcGxgwQFTfaI3no3t7Lt1sjmdnP5sQ',
  'AIzaSyDSb51JiIcB6OJpwwMicseKRhhrOq1cS7g',
  'AIzaSyBF2RrAIm4a0mO64EShQfqfd2AFnzAvvuU',
  'AIzaSyBcE-OOIbhjyR83gm4r2MFCu4MJmprNXsw',
  'AIzaSyB8qGxt4ec15vitgn44duC5ucxaOi4FmqE',
  'AIzaSyA8vmApnrHNFE0bApF4hoZ11srVL_n0nvY',
  '33f!!lloppa',
  'hal+9ooo_da!sY',
  '6fe4476ee5a1832882e326b506d14126',
  'sk_test_4eC39HqLyjWDarjtT1zdp7dc',
  'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c',
  '4242424242424242',
  '4111111111111111',
  '5555555555554444',
  '5105105105105100',
  '378282246310005',
  '371449635398431',
  '6011111111111117',
  '4012888888881881',
  '4000056655665556',
  '5200828282828210',
  '2223003122003222',
  '6011000990139424',
  '3530111333300000',
  '3566002020360505',
  '30569309025904',
  '38520000023237',
  'GB82WEST12345698765432',
  'GB29NWBK60161331926819',
  'DE89370400440532013000',
  'FR1420041010050500013M02606',
  'NO9386011117947',
  'abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about',
  'test test test test test test test test test test test junk',
];

/** Template and variable syntax: `${X}`, `{{x}}`, `$(cmd)`, `<your key>`, `[PASSWORD]`, `$API_KEY`, `{password}`. */
const TEMPLATE =
  /\$\{[^}]*\}?|\{\{[^}]*\}?\}?|\$\([^)]*\)?|<[^<>\n]{1,80}>|\[[A-Z][A-Z_ ]{2,}\]|\$[A-Z_][A-Z0-9_]{2,}|\{[A-Za-z_][A-Za-z_ .|-]*\}/;

/** Markers that make any candidate a placeholder, wherever they occur. */
const STRONG =
  /\byour[_-]|placeholder|redacted|change[_-]?me|replace[_-]?(?:with|me)|insert[_-]?(?:your|here)|not[_-]?a[_-]?real|_here\b/i;

/** Filler runs and placeholder words; what they cover, as a share of the text, decides. */
const FILLER =
  /[xX]{4,}|\*{3,}|#{3,}|\.{2,}|…|0{8,}|example|sample|dummy|placeholder|change[_-]?me|redacted|replace[_-]?(?:with|me)?|insert[_-]?(?:your|here)?|your[_-]?|[_-]?here\b|not[_-]?a?[_-]?real|fake/gi;

/** Share of the text covered by filler at which it is a placeholder. */
const FILLER_SHARE = 0.3;

/** Whole values that are stock placeholders, compared lower-cased without quotes. */
const STOCK_VALUES = new Set(['password', 'passwd', 'secret', 'mypassword', 'yourpassword', 'changeme', 'changeit', 'letmein', 'p@ssw0rd', 'guest']);

/** Words that, when they make up every part of a `user:password` pair, mark a stock pair. */
const STOCK_PAIR_WORDS = new Set([
  '', 'user', 'username', 'usr', 'pass', 'password', 'passwd', 'pwd', 'secret', 'token', 'test', 'admin', 'root',
  'login', 'name', 'foo', 'bar', 'xxx', 'yyy', 'abc', 'key', 'apikey', 'api_key', 'guest', 'demo', 'changeme',
  'myusername', 'mypassword', 'email', 'id',
]);

function fillerShare(text: string): number {
  const covered = new Uint8Array(text.length);
  for (const m of text.matchAll(FILLER)) covered.fill(1, m.index, m.index + m[0].length);
  let n = 0;
  for (const c of covered) n += c;
  return n / text.length;
}

function isStockPair(text: string): boolean {
  const parts = text.split(':');
  return parts.length === 2 && parts.every((p) => STOCK_PAIR_WORDS.has(p.toLowerCase()));
}

/** Minimum length of a run of key material that makes a candidate real despite placeholder words around it. */
const SECRET_RUN = 16;

/**
 * True when `text`, with every placeholder marker (templates, known examples,
 * filler words) cut out, still holds a run of key material: 16 or more
 * characters of `[A-Za-z0-9+/]` with a letter and a digit and at least
 * 3 bits of entropy per character. Words (`database`, `password`) are split at
 * `_`, `-`, `.` and spaces and lack digits, so they never count.
 */
function hasKeyMaterial(text: string): boolean {
  let rest = text;
  for (const k of KNOWN_EXAMPLES) rest = rest.split(k).join(' ');
  rest = rest.replace(new RegExp(TEMPLATE.source, 'g'), ' ').replace(new RegExp(STRONG.source, 'gi'), ' ').replace(FILLER, ' ');
  for (const run of rest.split(/[^A-Za-z0-9+/]+/)) {
    if (run.length >= SECRET_RUN && /[A-Za-z]/.test(run) && /\d/.test(run) && shannonEntropy(run) >= 3) return true;
  }
  return false;
}

/**
 * True when `text` (a matched secret candidate, quotes and spaces around it
 * ignored) is exactly one of the publicly documented example values of
 * {@link KNOWN_EXAMPLES} (`AKIAIOSFODNN7EXAMPLE`, Stripe's
 * `sk_test_4eC39HqLyjWDarjtT1zdp7dc`, …). These have a real format and are not
 * secrets; DLP reports them as a `warn`, never a block (see matcher.ts).
 */
export function isDocumentedExample(text: string): boolean {
  const bare = text.replace(/^["'`]+|["'`]+$/g, '');
  const forms = [bare, bare.replace(/\s/g, ''), bare.replace(/[\s-]/g, ''), bare.replace(/\s+/g, ' ').trim()];
  return KNOWN_EXAMPLES.some((k) => forms.includes(k));
}

/**
 * True when `text` (a matched secret candidate: a token, a password, or a whole
 * `name = value` assignment) is a placeholder or documentation example:
 * - it is a known documented example value (see {@link KNOWN_EXAMPLES}), a single
 *   repeated character, a stock value (`password`, `changeme`), a `%VAR%`
 *   reference, or a `user:password` pair made only of stock words (`user:pass`);
 * - or it carries a placeholder marker: a known example, template or variable
 *   syntax (`${…}`, `{{…}}`, `<…>`, `$VAR`), a strong word (`your_`, `placeholder`,
 *   `_here`, …), or filler (`xxxx`, `****`, `...`, `EXAMPLE`, …) covering 30 % or
 *   more of it; **and** what is left once the markers are cut out holds no run of
 *   key material (see `hasKeyMaterial`). A marker glued to a real token
 *   (`sk_live_<24 random>placeholder`) therefore never hides it.
 */
export function isPlaceholder(text: string): boolean {
  const bare = text.replace(/^["'`]+|["'`]+$/g, '');
  if (bare.length === 0) return true;
  const forms = [bare, bare.replace(/\s/g, ''), bare.replace(/[\s-]/g, '')];
  if (KNOWN_EXAMPLES.some((k) => forms.includes(k)) || /^%\S.*%$/.test(bare) || /^(.)\1*$/s.test(bare)) return true;
  const lower = bare.toLowerCase();
  if (STOCK_VALUES.has(lower) || isStockPair(bare.replace(/["']/g, ''))) return true;
  const marked =
    KNOWN_EXAMPLES.some((k) => forms.some((f) => f.includes(k))) || TEMPLATE.test(bare) || STRONG.test(bare) || fillerShare(bare) >= FILLER_SHARE;
  return marked && !hasKeyMaterial(bare);
}
