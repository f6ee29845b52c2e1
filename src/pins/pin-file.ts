/**
 * Parsing and checking the pin file's JSON (shape in `store.ts`). A damaged
 * file is an error that lists every problem with its JSON path; it is never
 * silently replaced, because an empty store would re-pin every server on
 * first use and so accept whatever the servers now say.
 */
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
