/**
 * The pin file on disk (shape in `store.ts`): parsing and checking its JSON,
 * the lock, and the atomic write.
 *
 * A damaged file is an error that lists every problem with its JSON path; it
 * is never silently replaced, because an empty store would re-pin every server
 * on first use and so accept whatever the servers now say.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, fchmodSync, fsyncSync, mkdirSync, openSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { GuardError } from '../errors.js';
import type { PendingItem, PendingReason, PinFile, PinnedItem, ServerPins } from './store.js';

const REASONS: ReadonlySet<string> = new Set<PendingReason>(['drift', 'new-tool', 'instructions-changed', 'description-changed']);
const HASH = /^[0-9a-f]{64}$/;

type Obj = Record<string, unknown>;

function isObject(v: unknown): v is Obj {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function nullRecord<T>(): Record<string, T> {
  return Object.create(null) as Record<string, T>;
}

const at = (base: string, key: string): string => `${base}[${JSON.stringify(key)}]`;

class Checker {
  readonly problems: string[] = [];

  string(o: Obj, key: string, path: string): string {
    const v = o[key];
    if (typeof v === 'string') return v;
    this.problems.push(`${path}.${key}: expected a string`);
    return '';
  }

  hash(o: Obj, path: string): string {
    const v = o['hash'];
    if (typeof v === 'string' && HASH.test(v)) return v;
    this.problems.push(`${path}.hash: expected 64 lower-case hex digits (SHA-256)`);
    return '';
  }

  pinned(v: unknown, path: string): PinnedItem | undefined {
    if (!isObject(v)) {
      this.problems.push(`${path}: expected an object`);
      return undefined;
    }
    return { hash: this.hash(v, path), definition: v['definition'], pinnedAt: this.string(v, 'pinnedAt', path) };
  }

  pending(v: unknown, path: string): PendingItem | undefined {
    if (!isObject(v)) {
      this.problems.push(`${path}: expected an object`);
      return undefined;
    }
    const reason = v['reason'];
    if (typeof reason !== 'string' || !REASONS.has(reason)) this.problems.push(`${path}.reason: expected one of ${[...REASONS].join(', ')}`);
    return { hash: this.hash(v, path), definition: v['definition'], seenAt: this.string(v, 'seenAt', path), reason: reason as PendingReason };
  }

  /** A record of items; absent means empty (older writers). */
  record<T>(o: Obj, key: string, path: string, item: (v: unknown, p: string) => T | undefined): Record<string, T> {
    const out = nullRecord<T>();
    const v = o[key];
    if (v === undefined) return out;
    if (!isObject(v)) {
      this.problems.push(`${path}.${key}: expected an object`);
      return out;
    }
    for (const [name, entry] of Object.entries(v)) {
      const parsed = item(entry, at(`${path}.${key}`, name));
      if (parsed !== undefined) out[name] = parsed;
    }
    return out;
  }

  server(v: unknown, path: string): ServerPins | undefined {
    if (!isObject(v)) {
      this.problems.push(`${path}: expected an object`);
      return undefined;
    }
    const pins: ServerPins = {
      firstSeen: this.string(v, 'firstSeen', path),
      updated: this.string(v, 'updated', path),
      tools: this.record(v, 'tools', path, (e, p) => this.pinned(e, p)),
      pending: this.record(v, 'pending', path, (e, p) => this.pending(e, p)),
      prompts: this.record(v, 'prompts', path, (e, p) => this.pinned(e, p)),
      templates: this.record(v, 'templates', path, (e, p) => this.pinned(e, p)),
    };
    if (v['instructions'] !== undefined) {
      const instructions = this.pinned(v['instructions'], `${path}.instructions`);
      if (instructions !== undefined) pins.instructions = instructions;
    }
    return pins;
  }
}

/**
 * Parse the text of a pin file.
 * @param path the file's path, for messages
 * @returns the file, with null-prototype records and unknown fields dropped
 * @throws GuardError `INPUT_INVALID` naming `path`: not JSON, a newer version, or
 *   a wrong shape (one problem per bad field, as a JSON path)
 */
export function parsePinFile(text: string, path: string): PinFile {
  const damaged = (problems: string[]): GuardError =>
    new GuardError('INPUT_INVALID', `pin store ${path} is damaged; repair it or move it aside (every server is then pinned afresh)`, problems);
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw damaged([`not valid JSON: ${(err as Error).message}`]);
  }
  if (!isObject(raw)) throw damaged(['the top level is not an object']);
  if (typeof raw['version'] === 'number' && raw['version'] > 1) {
    throw new GuardError('INPUT_INVALID', `pin store ${path} has version ${raw['version']}, written by a newer mcp-guard; this one reads version 1`);
  }
  const check = new Checker();
  if (raw['version'] !== 1) check.problems.push('version: expected 1');
  const servers = nullRecord<ServerPins>();
  if (!isObject(raw['servers'])) check.problems.push('servers: expected an object');
  else {
    for (const [name, v] of Object.entries(raw['servers'])) {
      const pins = check.server(v, at('servers', name));
      if (pins !== undefined) servers[name] = pins;
    }
  }
  if (check.problems.length > 0) throw damaged(check.problems);
  return { version: 1, servers };
}

/** How long a lock file may live before it is taken as left by a crashed process (ms). */
export const LOCK_STALE_MS = 10_000;
/** How long {@link withLock} waits for another process's lock by default (ms). */
export const LOCK_WAIT_MS = 5_000;

const sleepCell = new Int32Array(new SharedArrayBuffer(4));
function sleepMs(ms: number): void {
  Atomics.wait(sleepCell, 0, 0, ms);
}

const errCode = (err: unknown): string => (err as NodeJS.ErrnoException).code ?? (err as Error).message;

/**
 * Run `fn` holding `<path>.lock` (created with O_EXCL), after creating the
 * directory (mode 0700). Waits up to `waitMs` for another holder;
 * a lock older than {@link LOCK_STALE_MS} was left by a crashed process and is broken.
 * @throws GuardError `INPUT_INVALID` when the directory or lock cannot be created, or the wait times out
 */
export function withLock<T>(path: string, waitMs: number, fn: () => T): T {
  try {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  } catch (err) {
    throw new GuardError('INPUT_INVALID', `cannot create the pin store directory ${dirname(path)}: ${errCode(err)}`);
  }
  const lock = `${path}.lock`;
  const deadline = Date.now() + waitMs;
  for (;;) {
    try {
      closeSync(openSync(lock, 'wx', 0o600));
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw new GuardError('INPUT_INVALID', `cannot lock pin store ${path}: ${errCode(err)}`);
    }
    try {
      if (Date.now() - statSync(lock).mtimeMs > LOCK_STALE_MS) unlinkSync(lock);
    } catch {
      continue; // released between our open and stat: retry at once
    }
    if (Date.now() > deadline) {
      throw new GuardError('INPUT_INVALID', `pin store ${path} is locked by another process; if no mcp-guard is running, remove ${lock}`);
    }
    sleepMs(10);
  }
  try {
    return fn();
  } finally {
    try {
      unlinkSync(lock);
    } catch {
      // Broken as stale by another process meanwhile; nothing to release.
    }
  }
}

/**
 * Replace `path` with `text` atomically: a temp file in the same directory
 * (mode 0600, fsynced), then rename, so a reader sees the old or the new file, never half.
 * @throws GuardError `INPUT_INVALID` naming the path and the system error code
 */
export function writeAtomic(path: string, text: string): void {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  let fd: number | undefined;
  try {
    fd = openSync(tmp, 'wx', 0o600);
    fchmodSync(fd, 0o600); // the umask may have narrowed it; never widened
    writeSync(fd, text);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, path);
  } catch (err) {
    if (fd !== undefined) closeSync(fd);
    try {
      unlinkSync(tmp);
    } catch {
      // Never created, or already renamed.
    }
    throw new GuardError('INPUT_INVALID', `cannot write pin store ${path}: ${errCode(err)}`);
  }
}
