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

/** A set of secret values from an environment, with their encoded forms. */
export class EnvSecrets {
  /** value form → variable name; forms are raw, base64, base64url, hex and URL-encoded. */
  readonly #forms = new Map<string, string>();

  /**
   * @param env the environment to harvest (normally `process.env` at start)
   */
  constructor(env: NodeJS.ProcessEnv) {
    for (const [name, value] of Object.entries(env)) {
      if (value === undefined || IGNORED_NAMES.test(name)) continue;
      if (value.length < ENV_SECRET_MIN_LENGTH || value.length > 4096) continue;
      if (/[\s/\\:]/.test(value) && !/^[A-Za-z0-9+/=_-]+$/.test(value)) continue; // paths, URL lists, sentences
      if (shannonEntropy(value) < ENV_SECRET_MIN_ENTROPY) continue;
      if (isFilesystemPath(value)) continue;
      const buf = Buffer.from(value, 'utf8');
      for (const form of [value, buf.toString('base64'), buf.toString('base64url'), buf.toString('hex'), encodeURIComponent(value)]) {
        this.#forms.set(form.replace(/=+$/, ''), name);
      }
    }
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
    if (this.#forms.size === 0 || text.length < ENV_SECRET_MIN_LENGTH) return;
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
