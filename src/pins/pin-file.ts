/**
 * The pin file on disk (shape in `store.ts`): parsing and checking its JSON,
 * the lock, and the atomic write.
 *
 * A damaged file is an error that lists every problem with its JSON path; it
 * is never silently replaced, because an empty store would re-pin every server
 * on first use and so accept whatever the servers now say.
 */
import { randomBytes } from 'node:crypto';
import {
  closeSync, fstatSync, lstatSync, mkdirSync, openSync, renameSync, rmdirSync, unlinkSync, type Stats,
} from 'node:fs';
import { dirname } from 'node:path';
import { GuardError } from '../errors.js';
import { PrivateFsError, writePrivateAtomic } from '../private-fs.js';
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

  time(v: unknown, path: string): string | undefined {
    if (typeof v === 'string') return v;
    this.problems.push(`${path}: expected a string`);
    return undefined;
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
    if (v['capabilitySets'] !== undefined) pins.capabilitySets = this.record(v, 'capabilitySets', path, (e, p) => this.time(e, p));
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
/**
 * A lock file whose mtime is further than this in the future (ms) is broken too: a live
 * holder's lock is never younger than now, so such a time is a clock step or a planted file.
 */
export const LOCK_FUTURE_MS = 2_000;
/** How long {@link withLock} waits for another process's lock by default (ms). */
export const LOCK_WAIT_MS = 5_000;
/** Pause between two attempts of {@link withLock} (ms). */
const LOCK_POLL_MS = 10;
/** Creation attempts in one {@link tryLock}: each after breaking a stale or foreign entry. */
const LOCK_ATTEMPTS = 3;

const sleepCell = new Int32Array(new SharedArrayBuffer(4));
function sleepMs(ms: number): void {
  Atomics.wait(sleepCell, 0, 0, ms);
}

const errCode = (err: unknown): string => (err as NodeJS.ErrnoException).code ?? (err as Error).message;

/** Releases a lock taken by {@link tryLock}; safe to call once the lock was broken by another process. */
export type ReleaseLock = () => void;

/**
 * Whether the entry at the lock path can be broken. Only regular files are ever made by
 * {@link tryLock}, so anything else (directory, symlink, dangling or not, fifo, socket,
 * device) is foreign and broken at once; a regular file is broken when older than
 * {@link LOCK_STALE_MS} or more than {@link LOCK_FUTURE_MS} in the future.
 */
function breakable(st: Stats, now: number): boolean {
  if (!st.isFile()) return true;
  const age = now - st.mtimeMs;
  return age > LOCK_STALE_MS || age < -LOCK_FUTURE_MS;
}

/**
 * Remove a stale or foreign lock entry without following it: `unlink` removes a symlink,
 * never its target. A directory is removed when empty, else moved aside to
 * `<lock>.<hex>.stale` (its contents are not ours to delete).
 * Two processes breaking the same stale lock at once can both end up holding it; the
 * window needs a lock left for {@link LOCK_STALE_MS} and is accepted.
 */
function breakLock(lock: string, st: Stats): void {
  try {
    if (!st.isDirectory()) unlinkSync(lock);
    else {
      try {
        rmdirSync(lock);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw err;
        renameSync(lock, `${lock}.${randomBytes(6).toString('hex')}.stale`);
      }
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return; // released or broken meanwhile
    throw new GuardError('INPUT_INVALID', `cannot remove the stale pin store lock ${lock}: ${errCode(err)}; remove it by hand`);
  }
}

/**
 * Take `<path>.lock` if it is free, without waiting: create it with O_EXCL (which never
 * follows a symlink or opens a fifo), after creating the directory (mode 0700). An entry
 * that is stale or foreign (see {@link breakable}) is broken and creation retried, at most
 * {@link LOCK_ATTEMPTS} times in all, so this call is bounded whatever lies at the path.
 * @returns a release function, or undefined when a live holder (a fresh regular file) has the lock
 * @throws GuardError `INPUT_INVALID` when the directory or lock cannot be created, or a stale
 *   entry cannot be removed (names the path and the system error code)
 */
export function tryLock(path: string): ReleaseLock | undefined {
  try {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  } catch (err) {
    throw new GuardError('INPUT_INVALID', `cannot create the pin store directory ${dirname(path)}: ${errCode(err)}`);
  }
  const lock = `${path}.lock`;
  for (let attempt = 0; attempt < LOCK_ATTEMPTS; attempt++) {
    let fd: number;
    try {
      fd = openSync(lock, 'wx', 0o600);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw new GuardError('INPUT_INVALID', `cannot lock pin store ${path}: ${errCode(err)}`);
      let st: Stats;
      try {
        st = lstatSync(lock);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue; // released between our open and lstat
        throw new GuardError('INPUT_INVALID', `cannot lock pin store ${path}: ${errCode(e)}`);
      }
      if (!breakable(st, Date.now())) return undefined;
      breakLock(lock, st);
      continue;
    }
    const { ino, dev } = fstatSync(fd);
    closeSync(fd);
    return () => {
      try {
        // Only our own file: if ours was broken as stale, another process may hold a new one.
        const now = lstatSync(lock);
        if (now.ino === ino && now.dev === dev) unlinkSync(lock);
      } catch {
        // Broken as stale by another process meanwhile; nothing to release.
      }
    };
  }
  return undefined;
}

/** The error for a lock still held after the wait. */
export function lockBusyError(path: string): GuardError {
  return new GuardError('INPUT_INVALID', `pin store ${path} is locked by another process; if no mcp-guard is running, remove ${path}.lock`);
}

/**
 * Run `fn` holding `<path>.lock` (see {@link tryLock}), retrying every 10 ms for up to
 * `waitMs`. This blocks the thread while it waits: it is for the `pins` commands, which
 * have nothing else to do; the proxy uses {@link tryLock} and never waits.
 * @throws GuardError `INPUT_INVALID` when the directory or lock cannot be created, or the wait times out
 */
export function withLock<T>(path: string, waitMs: number, fn: () => T): T {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const release = tryLock(path);
    if (release !== undefined) {
      try {
        return fn();
      } finally {
        release();
      }
    }
    if (Date.now() >= deadline) throw lockBusyError(path);
    sleepMs(LOCK_POLL_MS);
  }
}

/**
 * Replace `path` with `text` atomically: a temp file in the same directory
 * (mode 0600, fsynced), then rename, so a reader sees the old or the new file, never half.
 * @throws GuardError `INPUT_INVALID` naming the path and the system error code
 */
export function writeAtomic(path: string, text: string): void {
  try {
    writePrivateAtomic(path, text);
  } catch (err) {
    throw new GuardError('INPUT_INVALID', `cannot write pin store ${path}: ${err instanceof PrivateFsError ? err.code : errCode(err)}`);
  }
}
