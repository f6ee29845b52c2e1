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
const SECRET_NAME = String.raw`[\w.-]*(?:token|secret|passw(?:or)?d|passwd|pwd|api[_.-]?key|apikey|auth|credential|private[_.-]?key|access[_.-]?key|session|cookie|signature|bearer)[\w.-]*`;
/** A flag whose next argument is its value: `--token abc`. */
const SECRET_FLAG = new RegExp(String.raw`^--?${SECRET_NAME}$`, 'i');
/** `name=value` / `name: value` inside an argument (env pairs, flags, query strings, headers). */
const SECRET_ASSIGNMENT = new RegExp(String.raw`(${SECRET_NAME})(\s*[=:]\s*)(?:(?:Bearer|Basic|Token)\s+)?[^\s&;,]+`, 'gi');
/** The user-info part of a URL: `https://user:pass@host`. */
const URL_USERINFO = /([a-z][a-z0-9+.-]*:\/\/)[^/?#@\s]+@/gi;
/** A long run of token (and base64) characters; `.` ends it, so versions and file names stay readable. */
const TOKEN_RUN = /[A-Za-z0-9+/=_-]{20,}/g;

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
 * hex of ≥ 20 digits with letters and digits (a key or a hash), or
 * letters and digits with ≥ 3.3 bits/char and the character class
 * (lower, upper, digit) changing at least once per 4 characters, or, without
 * digits, both cases with ≥ 4 bits/char and a change at least once per 3.
 * Words with a date or version suffix (`server-everything-2025-01-15`) and
 * CamelCase names change class rarely; random tokens often.
 */
export function looksRandom(run: string): boolean {
  const core = run.replace(/[-_=+/]/g, '');
  if (core.length < 16) return false;
  let changes = 0;
  for (let i = 1; i < core.length; i++) if (charClass(core[i] as string) !== charClass(core[i - 1] as string)) changes++;
  const entropy = shannonEntropy(core);
  if (/^[0-9a-f]+$/i.test(core) && /\d/.test(core) && /[a-f]/i.test(core)) return core.length >= 20 && entropy >= 3;
  if (/\d/.test(core) && /[A-Za-z]/.test(core)) return entropy >= 3.3 && changes * 4 >= core.length;
  return /[a-z]/.test(core) && /[A-Z]/.test(core) && entropy >= 4 && changes * 3 >= core.length;
}

/** `word` with secret-looking parts replaced by {@link REDACTED}. */
function redactWord(word: string, matcher: RuleMatcher): string {
  let out = word.replace(URL_USERINFO, `$1${REDACTED}@`).replace(SECRET_ASSIGNMENT, (_m, name: string, sep: string) => `${name}${sep}${REDACTED}`);
  for (const hit of matcher.match(out, { firstPerRule: false })) {
    if (hit.matched.length === 0) continue;
    out = out.includes(hit.matched) ? out.split(hit.matched).join(REDACTED) : REDACTED;
  }
  return out.replace(TOKEN_RUN, (run) => (looksRandom(run) ? REDACTED : run));
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
