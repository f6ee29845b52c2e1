/**
 * Server identity: the key a server's pins are stored under. `--name` when
 * given; otherwise derived from the command line with anything secret-looking
 * replaced by `<redacted>`, so the pin file never holds a credential and a
 * rotated token does not make a new identity.
 */
import { createHash } from 'node:crypto';
import { RuleMatcher } from '../scan/matcher.js';
import { loadBuiltinRules, type CompiledRule } from '../scan/rule-pack.js';
import { shannonEntropy } from '../scan/validators.js';

/** What replaces a secret in a derived identity. */
export const REDACTED = '<redacted>';
/** Maximum length of a derived identity, in UTF-16 code units. */
export const MAX_IDENTITY_LENGTH = 120;

/** Launchers whose own name and `-y`/`--yes` flags say nothing about which server runs. */
const LAUNCHERS = new Set(['npx', 'pnpx', 'bunx']);
const YES_FLAGS = new Set(['-y', '--yes']);

/** Parts of a name that mark its value as secret (`--api-key`, `GITHUB_TOKEN=`, `?access_token=`). */
// Bounded repeats keep the scan linear on long arguments (no polynomial backtracking).
const SECRET_NAME = String.raw`[\w.-]{0,40}(?:token|secret|passw(?:or)?d|passwd|pwd|api[_.-]?key|apikey|auth|credential|private[_.-]?key|access[_.-]?key|session|cookie|signature|bearer)[\w.-]{0,40}`;
/** A flag whose next argument is its value: `--token abc`. */
const SECRET_FLAG = new RegExp(String.raw`^--?${SECRET_NAME}$`, 'i');
/** `name=value` / `name: value` inside an argument (env pairs, flags, query strings, headers). */
const SECRET_ASSIGNMENT = new RegExp(String.raw`(${SECRET_NAME})(\s*[=:]\s*)(?:(?:Bearer|Basic|Token)\s+)?[^\s&;,]+`, 'gi');
/** The user-info part of a URL: `https://user:pass@host`. */
const URL_USERINFO = /([a-z][a-z0-9+.-]{0,30}:\/\/)[^/?#@\s]{1,512}@/gi;
/** A long run of token (and base64) characters; `.` and `=` (but for padding) end it, so versions, file names and `k=v` stay readable. */
const TOKEN_RUN = /[A-Za-z0-9+/_-]{20,}={0,2}/g;
/** A segment of a run between `-`, `_` and `/`. */
const RUN_SEGMENT = /[A-Za-z0-9+=]{16,}/g;

/** Characters that must not reach a terminal or a log line. */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/g;

const matchers = new WeakMap<readonly CompiledRule[], RuleMatcher>();
let builtinRules: readonly CompiledRule[] | undefined;

function dlpMatcher(rules: readonly CompiledRule[] | undefined): RuleMatcher {
  const key = rules ?? (builtinRules ??= loadBuiltinRules());
  let m = matchers.get(key);
  if (m === undefined) {
    m = new RuleMatcher(key.filter((r) => r.category === 'dlp'));
    matchers.set(key, m);
  }
  return m;
}

function charClass(ch: string): number {
  if (ch >= 'a' && ch <= 'z') return 0;
  if (ch >= 'A' && ch <= 'Z') return 1;
  return 2;
}

/**
 * A random-looking token. After separators (`-_=+/`) are removed: ≥ 16 characters, and
 * - hex of ≥ 20 digits with letters and digits (a key or a hash); or
 * - letters and digits, ≥ 3.3 bits/char, and the character class (lower,
 *   upper, digit) changing at least once per 4 characters; or
 * - letters only, both cases, ≥ 3.6 bits/char, and CamelCase "words" shorter
 *   than 3 letters on average.
 *
 * Words with a date or version suffix (`server-everything-2025-01-15`) change
 * class rarely, and CamelCase names have long words; random tokens do neither.
 * CamelCase with digits (`Win32ApiHelperX64`) can be redacted: readability is
 * traded for never keeping a secret. Measured on random tokens, it misses about
 * 1 in 1,500 of 32 base62 characters and 1 in 300 of 24 base64url characters.
 * DLP rules and secret-ish names catch real credentials before this.
 */
export function looksRandom(run: string): boolean {
  const core = run.replace(/[-_=+/]/g, '');
  if (core.length < 16) return false;
  let changes = 0;
  for (let i = 1; i < core.length; i++) if (charClass(core[i] as string) !== charClass(core[i - 1] as string)) changes++;
  const entropy = shannonEntropy(core);
  if (/^[0-9a-f]+$/i.test(core) && /\d/.test(core) && /[a-f]/i.test(core)) return core.length >= 20 && entropy >= 3;
  if (/\d/.test(core) && /[A-Za-z]/.test(core)) return entropy >= 3.3 && changes * 4 >= core.length;
  const words = (core.match(/[A-Z]?[a-z]+|[A-Z]+(?![a-z])/g) ?? []).length;
  return /[a-z]/.test(core) && /[A-Z]/.test(core) && entropy >= 3.6 && words * 3 > core.length;
}

/** `word` with secret-looking parts replaced by {@link REDACTED}. */
function redactWord(word: string, matcher: RuleMatcher): string {
  let out = word.replace(URL_USERINFO, `$1${REDACTED}@`).replace(SECRET_ASSIGNMENT, (_m, name: string, sep: string) => `${name}${sep}${REDACTED}`);
  for (const hit of matcher.match(out, { firstPerRule: false })) {
    if (hit.matched.length === 0) continue;
    out = out.includes(hit.matched) ? out.split(hit.matched).join(REDACTED) : REDACTED;
  }
  return out.replace(TOKEN_RUN, (run) => (looksRandom(run) ? REDACTED : run.replace(RUN_SEGMENT, (seg) => (looksRandom(seg) ? REDACTED : seg))));
}

/** The command's file name without directories or a Windows extension (`C:\…\npx.cmd` → `npx`). */
function commandName(command: string): string {
  const base = command.split(/[\\/]/).pop() ?? command;
  return base.replace(/\.(?:exe|cmd|bat)$/i, '') || command;
}

/**
 * The key a server's pins are stored under.
 *
 * - With `name` (from `--name`, non-empty): that name, `derived: false`.
 * - Otherwise derived from the command line, `derived: true`: the command's file name
 *   and the arguments joined by spaces (arguments with spaces JSON-quoted). `npx`,
 *   `pnpx`, `bunx` and their leading `-y`/`--yes` are dropped; package versions are kept
 *   (`@scope/pkg@1.2.3`: a new version is a new identity). Secret-looking values become
 *   `<redacted>`: DLP rule matches, values of secret-ish names (`--token X`,
 *   `--api-key=X`, `GITHUB_TOKEN=X`, `?access_token=X`), URL user-info, and long
 *   random-looking tokens ({@link looksRandom}). Control and invisible characters become
 *   `?`. Over {@link MAX_IDENTITY_LENGTH} characters, it is cut and ends in `~` and 8 hex
 *   digits of the SHA-256 of the whole derived text, so long command lines stay distinct.
 *
 * Deterministic: the same command line always gives the same identity.
 * @param rules rule packs whose `dlp` rules find secrets (default: the built-in packs)
 * @throws GuardError `RULES_INVALID` only if the built-in rule packs cannot be loaded
 */
export function serverIdentity(
  name: string | undefined,
  command: string,
  args: readonly string[],
  rules?: readonly CompiledRule[],
): { id: string; derived: boolean } {
  if (name !== undefined && name.trim() !== '') return { id: name, derived: false };
  let words = [commandName(command), ...args];
  if (LAUNCHERS.has((words[0] as string).toLowerCase()) && words.length > 1) {
    words = words.slice(1);
    while (words.length > 1 && YES_FLAGS.has(words[0] as string)) words = words.slice(1);
  }
  const matcher = dlpMatcher(rules);
  const shown = words.map((word, i) => {
    const prev = i > 0 ? words[i - 1] : undefined;
    const clean = prev !== undefined && SECRET_FLAG.test(prev) && !word.startsWith('-') ? REDACTED : redactWord(word, matcher);
    const visible = clean.replace(CONTROL, '?');
    return visible === '' || /\s/.test(visible) ? JSON.stringify(visible) : visible;
  });
  const id = shown.join(' ');
  if (id.length <= MAX_IDENTITY_LENGTH) return { id, derived: true };
  const digest = createHash('sha256').update(id).digest('hex').slice(0, 8);
  let cut = MAX_IDENTITY_LENGTH - 9;
  if (/[\ud800-\udbff]/.test(id.charAt(cut - 1))) cut--; // never split a surrogate pair
  return { id: `${id.slice(0, cut)}~${digest}`, derived: true };
}
