/**
 * Environment-secret check: values of 16 characters or more with high entropy,
 * taken from the proxy's own environment at start. Seeing one of them, raw or
 * encoded, in outbound arguments is a finding. This catches a leaked key for
 * which no pattern exists.
 */
import { existsSync } from 'node:fs';
import { dirname, isAbsolute } from 'node:path';
import { shannonEntropy } from './validators.js';
import { maskSecret } from './mask.js';
import type { Finding } from './types.js';

/** Variable names whose values are never treated as secrets (paths, locale, terminal, …). */
const IGNORED_NAMES = /^(?:PATH|HOME|PWD|OLDPWD|SHELL|TERM|LANG|LC_\w+|TZ|TMPDIR|USER|LOGNAME|HOSTNAME|SHLVL|_|NODE|npm_\w+|INIT_CWD|COLORTERM|TERM_\w+|XDG_\w+|DISPLAY|EDITOR|PAGER|MANPATH|INFOPATH|PYENV\w*|NVM_\w+|GOPATH|CARGO_HOME|RUSTUP_HOME|JAVA_HOME|PS1|LS_COLORS)$/;

/**
 * An absolute path that exists, or whose parent directory exists: a random
 * temporary directory's name has high entropy, but it is not a secret, and
 * agents pass such paths as arguments all the time. Base64 keys may contain `/`,
 * so a value only counts as a path when the filesystem says so.
 */
function isFilesystemPath(value: string): boolean {
  if (!isAbsolute(value)) return false;
  try {
    const parent = dirname(value);
    // The root itself does not count as a parent: "/<base64>" would pass for a path.
    return existsSync(value) || (parent !== dirname(parent) && existsSync(parent));
  } catch {
    return false;
  }
}

/** Minimum value length in characters. */
export const ENV_SECRET_MIN_LENGTH = 16;
/** Minimum Shannon entropy in bits per character. */
export const ENV_SECRET_MIN_ENTROPY = 3.5;

/**
 * Shortest stored secret (`--env NAME=secret:…`) that is checked, in characters:
 * shorter ones would match ordinary text. A stored secret is checked whatever its entropy.
 */
export const STORED_SECRET_MIN_LENGTH = 8;

/** The encoded forms of `value` that are looked for: raw, base64, base64url, hex, URL-encoded (base64 padding dropped). */
function formsOf(value: string): string[] {
  const buf = Buffer.from(value, 'utf8');
  return [value, buf.toString('base64'), buf.toString('base64url'), buf.toString('hex'), encodeURIComponent(value)].map((f) => f.replace(/=+$/, ''));
}

/** Where a stored secret was found in a text: UTF-16 offsets; `raw` when the value itself (not an encoding) is there. */
export interface StoredHit {
  readonly name: string;
  readonly form: string;
  readonly start: number;
  readonly end: number;
  readonly raw: boolean;
}

/** A set of secret values from an environment, with their encoded forms. */
export class EnvSecrets {
  /** value form → variable name; forms are raw, base64, base64url, hex and URL-encoded. */
  readonly #forms = new Map<string, string>();
  /** The forms of stored secrets (the proxy injected them): form → [variable name, raw value]. */
  readonly #stored = new Map<string, readonly [string, string]>();
  #minLength = ENV_SECRET_MIN_LENGTH;

  /**
   * @param env the environment to harvest (normally `process.env` at start)
   * @param stored secrets from the store that the proxy gives the server
   *   (variable name → value): always checked, in both directions, whatever their
   *   entropy, when at least {@link STORED_SECRET_MIN_LENGTH} characters long
   * @param harvest whether to harvest `env` at all (config `dlp.scan_env`) @default true
   */
  constructor(env: NodeJS.ProcessEnv, stored: Readonly<Record<string, string>> = {}, harvest = true) {
    for (const [name, value] of Object.entries(stored)) {
      if (value.length < STORED_SECRET_MIN_LENGTH) continue;
      for (const form of formsOf(value)) {
        this.#forms.set(form, name);
        this.#stored.set(form, [name, value]);
      }
      this.#minLength = Math.min(this.#minLength, STORED_SECRET_MIN_LENGTH);
    }
    for (const [name, value] of Object.entries(harvest ? env : {})) {
      if (value === undefined || IGNORED_NAMES.test(name)) continue;
      if (value.length < ENV_SECRET_MIN_LENGTH || value.length > 4096) continue;
      if (/[\s/\\:]/.test(value) && !/^[A-Za-z0-9+/=_-]+$/.test(value)) continue; // paths, URL lists, sentences
      if (shannonEntropy(value) < ENV_SECRET_MIN_ENTROPY) continue;
      if (isFilesystemPath(value)) continue;
      for (const form of formsOf(value)) if (!this.#forms.has(form)) this.#forms.set(form, name);
    }
  }

  /** Forms of stored secrets only (the response direction checks these). */
  storedValues(): string[] {
    return [...this.#stored.keys()];
  }

  /**
   * Every place a stored secret's form occurs in `text` (server → client: the
   * server must not hand back what the proxy gave it).
   */
  locateStored(text: string): StoredHit[] {
    const hits: StoredHit[] = [];
    if (this.#stored.size === 0 || text.length < STORED_SECRET_MIN_LENGTH) return hits;
    for (const [form, [name, value]] of this.#stored) {
      for (let at = text.indexOf(form); at !== -1; at = text.indexOf(form, at + form.length)) {
        hits.push({ name, form, start: at, end: at + form.length, raw: form === value });
      }
    }
    return hits;
  }

  /** Number of harvested variables' forms (for `assess` and logs). */
  get size(): number {
    return this.#forms.size;
  }

  /** The raw secret values, for masking free-form text. */
  values(): string[] {
    return [...this.#forms.keys()];
  }

  /** Append an `env-secret` finding for each harvested value found in `text`. */
  scan(text: string, path: string, transform: string | undefined, findings: Finding[]): void {
    if (this.#forms.size === 0 || text.length < this.#minLength) return;
    for (const [form, name] of this.#forms) {
      if (text.includes(form)) {
        findings.push({
          rule: 'env-secret',
          category: 'dlp',
          severity: 'critical',
          path,
          masked: `${name}=${maskSecret(form)}`,
          ...(transform ? { transform } : {}),
        });
      }
    }
  }
}
