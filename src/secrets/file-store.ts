/**
 * The file backend: `$XDG_CONFIG_HOME/mcp-guard/secrets.json` (`~/.config` when
 * unset; `%APPDATA%\mcp-guard\secrets.json` on Windows), for machines with no
 * reachable keychain (headless Linux, CI).
 *
 * Shape: `{"version": 1, "secrets": {"NAME": "value", …}}`. The file is created
 * with mode 0600 in a 0700 directory, replaced atomically on every change, and
 * refused when it is a symbolic link, not a regular file, owned by another user,
 * or readable or writable by the group or others (POSIX; Windows has no modes).
 *
 * What it protects against: the secret is no longer in the agent's config, which
 * other tools read, dotfile repositories sync and bug reports quote; other local
 * users cannot read it. What it does not: the values are not encrypted, so any
 * process running as you (a compromised dependency, the agent itself with a shell
 * tool) and anyone with your backups can read them.
 */
import { closeSync, constants, fstatSync, openSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { homedir } from 'node:os';
import { GuardError } from '../errors.js';
import { ensurePrivateDir, errCode, octalMode, PrivateFsError, writePrivateAtomic } from '../private-fs.js';
import type { SecretBackend } from './store.js';

// Undefined on Windows.
const O_NOFOLLOW = constants.O_NOFOLLOW ?? 0;

/** Where the file store lives for `env` (read at call time; tests point it at a fake home). */
export function fileStorePath(env: NodeJS.ProcessEnv, platform: NodeJS.Platform = process.platform): string {
  const nonEmpty = (v: string | undefined): string | undefined => (v === undefined || v === '' ? undefined : v);
  const home = nonEmpty(env['HOME']) ?? nonEmpty(env['USERPROFILE']) ?? homedir();
  const base = platform === 'win32' ? (nonEmpty(env['APPDATA']) ?? join(home, 'AppData', 'Roaming')) : (nonEmpty(env['XDG_CONFIG_HOME']) ?? join(home, '.config'));
  return join(base, 'mcp-guard', 'secrets.json');
}

function invalid(path: string, why: string): GuardError {
  return new GuardError('INPUT_INVALID', `secret store ${path}: ${why}`);
}

/** The file backend over one path. */
export class FileSecretBackend implements SecretBackend {
  readonly name = 'file' as const;
  readonly where: string;

  constructor(readonly path: string) {
    this.where = path;
  }

  /**
   * The stored secrets (an absent file is an empty store).
   * @throws GuardError `INPUT_INVALID` when the file is a link, not regular, another
   *   user's, open to the group or others, or not a valid store
   */
  #read(): Map<string, string> {
    let fd: number;
    try {
      fd = openSync(this.path, constants.O_RDONLY | O_NOFOLLOW);
    } catch (err) {
      const code = errCode(err);
      if (code === 'ENOENT') return new Map();
      if (code === 'ELOOP' || code === 'EMLINK') throw invalid(this.path, 'is a symbolic link; refusing to follow it');
      throw invalid(this.path, `cannot open: ${code}`);
    }
    let text: string;
    try {
      const st = fstatSync(fd);
      if (!st.isFile()) throw invalid(this.path, 'is not a regular file');
      if (process.platform !== 'win32') {
        const me = typeof process.getuid === 'function' ? process.getuid() : undefined;
        if (me !== undefined && st.uid !== me) throw invalid(this.path, `is owned by another user (uid ${st.uid}); refusing to use it`);
        if ((st.mode & 0o077) !== 0) {
          throw invalid(this.path, `has mode ${octalMode(st.mode)}: the group or others can read or change it; refusing to use it (chmod 600 ${this.path} after checking nobody else has read it, or rotate the secrets)`);
        }
      }
      text = readFileSync(fd, 'utf8');
    } finally {
      closeSync(fd);
    }
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch {
      throw invalid(this.path, 'is not valid JSON');
    }
    const secrets = data !== null && typeof data === 'object' ? (data as Record<string, unknown>)['secrets'] : undefined;
    if ((data as Record<string, unknown>)['version'] !== 1 || secrets === null || typeof secrets !== 'object' || Array.isArray(secrets)) {
      throw invalid(this.path, 'is not a secret store (expected {"version": 1, "secrets": {…}})');
    }
    const out = new Map<string, string>();
    for (const [k, v] of Object.entries(secrets as Record<string, unknown>)) {
      if (typeof v !== 'string') throw invalid(this.path, `the value of ${k} is not a string`);
      out.set(k, v);
    }
    return out;
  }

  #write(secrets: Map<string, string>): void {
    try {
      ensurePrivateDir(dirname(this.path));
      const sorted = Object.fromEntries([...secrets].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
      writePrivateAtomic(this.path, `${JSON.stringify({ version: 1, secrets: sorted }, null, 2)}\n`);
    } catch (err) {
      if (err instanceof PrivateFsError) throw invalid(this.path, err.message);
      throw err;
    }
  }

  get(name: string): string | undefined {
    return this.#read().get(name);
  }

  set(name: string, value: string): void {
    const all = this.#read();
    all.set(name, value);
    this.#write(all);
  }

  delete(name: string): boolean {
    const all = this.#read();
    if (!all.delete(name)) return false;
    this.#write(all);
    return true;
  }

  list(): string[] {
    return [...this.#read().keys()].sort();
  }
}
