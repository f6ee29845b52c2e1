/**
 * Trusted working-directory configs. Any cloned repository can ship a
 * `./mcp-guard.yaml` that sets `mode: audit` or passes variables through, so
 * one is loaded only after the user ran `mcp-guard config trust`, and only
 * while its bytes are the ones they trusted.
 *
 * The store is `<stateDir>/trusted-configs.json` (the pin store's directory, see
 * `defaultPinStorePath`), mode 0600 in a 0700 directory:
 * `{ "version": 1, "configs": [{ "path": <absolute>, "sha256": <hex>, "trustedAt": <ISO 8601> }] }`.
 * A store that others can write, or that does not parse, trusts nothing.
 */
import { createHash } from 'node:crypto';
import { closeSync, fstatSync, openSync, readFileSync } from 'node:fs';
import { dirname, posix, win32 } from 'node:path';
import { GuardError } from '../errors.js';
import { defaultPinStorePath } from '../pins/store.js';
import { ensurePrivateDir, errCode, PrivateFsError, writePrivateAtomic } from '../private-fs.js';

/** One trusted file. */
export interface TrustEntry {
  /** Absolute path, as resolved from the working directory (symlinks not resolved). */
  readonly path: string;
  /** SHA-256 of the file's bytes, lower-case hex. */
  readonly sha256: string;
  /** ISO 8601 time of `config trust`. */
  readonly trustedAt: string;
}

/** The store file's shape. */
export interface TrustFile {
  readonly version: 1;
  readonly configs: readonly TrustEntry[];
}

/** Whether a file, as read, is trusted; `changed` = trusted once, with other bytes. */
export type TrustState = 'trusted' | 'changed' | 'untrusted';

/** SHA-256 of `bytes`, lower-case hex. */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** `<stateDir>/trusted-configs.json`, next to the default pin store. */
export function trustStorePath(env: NodeJS.ProcessEnv, platform: NodeJS.Platform = process.platform): string {
  const path = platform === 'win32' ? win32 : posix;
  return path.join(path.dirname(defaultPinStorePath(env, platform)), 'trusted-configs.json');
}

const HASH = /^[0-9a-f]{64}$/;

function parseTrustFile(text: string): TrustFile | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (raw === null || typeof raw !== 'object' || (raw as { version?: unknown }).version !== 1) return undefined;
  const configs = (raw as { configs?: unknown }).configs;
  if (!Array.isArray(configs)) return undefined;
  const out: TrustEntry[] = [];
  for (const c of configs as unknown[]) {
    const e = c as Partial<Record<keyof TrustEntry, unknown>> | null;
    if (e === null || typeof e !== 'object' || typeof e.path !== 'string' || typeof e.sha256 !== 'string' || !HASH.test(e.sha256)) return undefined;
    out.push({ path: e.path, sha256: e.sha256, trustedAt: typeof e.trustedAt === 'string' ? e.trustedAt : '' });
  }
  return { version: 1, configs: out };
}

/**
 * Read the store.
 * @returns the file (empty when absent), or `problem` saying why it trusts nothing:
 *   unreadable, damaged, or writable by group or others
 */
export function readTrust(storePath: string): { file: TrustFile; problem?: string } {
  const empty: TrustFile = { version: 1, configs: [] };
  let fd: number;
  try {
    fd = openSync(storePath, 'r');
  } catch (err) {
    if (errCode(err) === 'ENOENT') return { file: empty };
    return { file: empty, problem: `cannot read the trust store ${storePath}: ${errCode(err)}` };
  }
  try {
    const st = fstatSync(fd);
    const me = typeof process.getuid === 'function' ? process.getuid() : undefined;
    if (process.platform !== 'win32' && ((st.mode & 0o022) !== 0 || (me !== undefined && st.uid !== me))) {
      return { file: empty, problem: `the trust store ${storePath} is writable by others or not yours; it is ignored` };
    }
    const file = parseTrustFile(readFileSync(fd, 'utf8'));
    return file === undefined ? { file: empty, problem: `the trust store ${storePath} is damaged; it is ignored (trust the configs again)` } : { file };
  } finally {
    closeSync(fd);
  }
}

/** Is `path` (absolute) with these bytes trusted? */
export function trustState(file: TrustFile, path: string, sha256: string): TrustState {
  const entry = file.configs.find((c) => c.path === path);
  if (entry === undefined) return 'untrusted';
  return entry.sha256 === sha256 ? 'trusted' : 'changed';
}

/** Read, apply `mutate` (false = no change, nothing written), write atomically. */
function update(storePath: string, mutate: (configs: TrustEntry[]) => boolean): void {
  const { file, problem } = readTrust(storePath);
  // Refuse to replace a damaged store silently; an absent one is fine.
  if (problem !== undefined) throw new GuardError('INPUT_INVALID', `${problem}; move it aside to start afresh`);
  const configs = [...file.configs];
  if (!mutate(configs)) return;
  try {
    ensurePrivateDir(dirname(storePath));
    writePrivateAtomic(storePath, `${JSON.stringify({ version: 1, configs }, null, 2)}\n`);
  } catch (err) {
    if (err instanceof PrivateFsError) throw new GuardError('INPUT_INVALID', err.message);
    throw err;
  }
}

/**
 * Record `path` (absolute) with `sha256` as trusted, replacing an earlier entry for it.
 * @throws GuardError `INPUT_INVALID` when the store is damaged or cannot be written
 */
export function addTrust(storePath: string, path: string, sha256: string, now: Date = new Date()): TrustEntry {
  const entry: TrustEntry = { path, sha256, trustedAt: now.toISOString() };
  update(storePath, (configs) => {
    const i = configs.findIndex((c) => c.path === path);
    if (i === -1) configs.push(entry);
    else configs[i] = entry;
    return true;
  });
  return entry;
}

/**
 * Forget `path` (absolute).
 * @returns whether it was trusted
 * @throws GuardError `INPUT_INVALID` when the store is damaged or cannot be written
 */
export function removeTrust(storePath: string, path: string): boolean {
  let found = false;
  update(storePath, (configs) => {
    const i = configs.findIndex((c) => c.path === path);
    found = i !== -1;
    if (found) configs.splice(i, 1);
    return found;
  });
  return found;
}
