/**
 * The persistent pin store: trust on first use that survives across sessions.
 * One JSON file, `{ "version": 1, "servers": { <identity>: ServerPins } }`,
 * written atomically (temp file in the same directory, then rename) with mode
 * 0600 in a 0700 directory, under a lock file so that proxies an agent starts
 * at the same moment do not lose each other's pins.
 *
 * Every record in a loaded file (servers, tools, pending, prompts, templates)
 * is a null-prototype object: tool names come from servers, and a tool called
 * `__proto__` or `constructor` must be an ordinary key, never a prototype hit.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { posix, win32 } from 'node:path';
import { GuardError } from '../errors.js';
import { canonicalJson } from '../scan/drift.js';
import { LOCK_WAIT_MS, lockBusyError, parsePinFile, tryLock, withLock, writeAtomic } from './pin-file.js';

/** A pinned definition. */
export interface PinnedItem {
  /** {@link pinHash} of `definition`: SHA-256, lower-case hex. */
  hash: string;
  /** The canonical pinned fields (for a tool, {@link toolPinDefinition}; for instructions, the string). */
  definition: unknown;
  /** ISO 8601 time the pin was made or approved. */
  pinnedAt: string;
}

/** Why a change waits for a person. */
export type PendingReason = 'drift' | 'new-tool' | 'instructions-changed' | 'description-changed';

/** A change that was seen and blocked; it is never promoted into the pins until approved. */
export interface PendingItem {
  /** {@link pinHash} of `definition`. */
  hash: string;
  /** The definition as the server now presents it. */
  definition: unknown;
  /** ISO 8601 time it was (last) seen. */
  seenAt: string;
  reason: PendingReason;
}

/** The pins of one server identity (see `identity.ts`). */
export interface ServerPins {
  /** ISO 8601 times. */
  firstSeen: string;
  updated: string;
  /** Tool name → pin. */
  tools: Record<string, PinnedItem>;
  /** Key: a tool name, `#instructions`, `prompt:<name>` or `template:<uriTemplate>`. */
  pending: Record<string, PendingItem>;
  /** The `initialize` result's `instructions`. */
  instructions?: PinnedItem;
  /** Prompt name → pin of its description and argument descriptions. */
  prompts: Record<string, PinnedItem>;
  /** URI template → pin of the resource template's description. */
  templates: Record<string, PinnedItem>;
  /**
   * Client capability sets the server was seen with: set key (see `capabilities.ts`)
   * → ISO 8601 time first seen. Absent in stores written before capability keying:
   * then no set admits anything until one is recorded.
   */
  capabilitySets?: Record<string, string>;
}

/** The whole file. */
export interface PinFile {
  version: 1;
  servers: Record<string, ServerPins>;
}

/** Pending-key spellings for things that are not tools. */
export const INSTRUCTIONS_KEY = '#instructions';
export const PROMPT_PREFIX = 'prompt:';
export const TEMPLATE_PREFIX = 'template:';

/** A null-prototype record (see the module comment). */
export function emptyRecord<T>(): Record<string, T> {
  return Object.create(null) as Record<string, T>;
}

/** An empty file: `{ version: 1, servers: {} }`. */
export function emptyPinFile(): PinFile {
  return { version: 1, servers: emptyRecord() };
}

/** A server with nothing pinned yet; `now` is an ISO 8601 time. Use this rather than `{}` records. */
export function emptyServerPins(now: string): ServerPins {
  return { firstSeen: now, updated: now, tools: emptyRecord(), pending: emptyRecord(), prompts: emptyRecord(), templates: emptyRecord() };
}

/**
 * Store caps, so that a server cannot grow the file without limit (and slow the start-up
 * of every other server): a server that lists fresh names on every `tools/list` would
 * otherwise add them all. Beyond a cap nothing is stored and the item stays hidden (see
 * {@link ServerBudget}). Sizes are in UTF-16 code units of the definition's JSON.
 */
export const STORE_CAPS = {
  /** Pending changes per server (all kinds). */
  pendingPerServer: 256,
  /** Pins per server and kind (tools, prompts, templates); beyond it a first-use item is pending. */
  pinnedPerKind: 1_000,
  /** One definition (a tool, prompt, template or the instructions). */
  definitionChars: 128 * 1024,
  /** Everything stored for one server (its entry's JSON). */
  serverChars: 4 * 1024 * 1024,
} as const;

/** Why {@link ServerBudget} refuses an item: a count cap or a size cap. */
export type StoreCap = 'pending' | 'pinned' | 'size';

/**
 * The room left in one server's entry, counted once per list and then kept up to date
 * as items are admitted (so a list of N items costs one pass over the entry, not N).
 */
export class ServerBudget {
  readonly #pins: ServerPins;
  #chars: number;
  readonly #counts: Record<'tools' | 'prompts' | 'templates' | 'pending', number>;

  constructor(pins: ServerPins) {
    this.#pins = pins;
    this.#chars = JSON.stringify(pins).length;
    const n = (r: object): number => Object.keys(r).length;
    this.#counts = { tools: n(pins.tools), prompts: n(pins.prompts), templates: n(pins.templates), pending: n(pins.pending) };
  }

  /**
   * Whether `definition` may be stored under `key`: as a pin (`slot` 'tools', 'prompts',
   * 'templates', or 'instructions') or as a pending change ('pending'). On success it is
   * counted; the caller then stores it.
   * @returns undefined when it fits, else the cap it would pass
   */
  admit(slot: 'tools' | 'prompts' | 'templates' | 'instructions' | 'pending', key: string, definition: unknown): StoreCap | undefined {
    const chars = JSON.stringify(definition ?? null).length;
    if (chars > STORE_CAPS.definitionChars) return 'size';
    const replaces = slot === 'pending' ? Object.hasOwn(this.#pins.pending, key) : slot !== 'instructions' && Object.hasOwn(this.#pins[slot], key);
    const counted = slot === 'instructions' || replaces ? undefined : slot;
    if (counted === 'pending' && this.#counts.pending >= STORE_CAPS.pendingPerServer) return 'pending';
    if (counted !== undefined && counted !== 'pending' && this.#counts[counted] >= STORE_CAPS.pinnedPerKind) return 'pinned';
    // The key, the definition, a hash and a time: an upper bound of what the entry grows by.
    const grows = chars + 2 * key.length + 200;
    if (this.#chars + grows > STORE_CAPS.serverChars) return 'size';
    this.#chars += grows;
    if (counted !== undefined) this.#counts[counted]++;
    return undefined;
  }
}

/**
 * Default store path:
 * - `$XDG_STATE_HOME/mcp-guard/pins.json` when set (any platform);
 * - Linux and others: `~/.local/state/mcp-guard/pins.json` (XDG Base Directory default);
 * - macOS: `~/Library/Application Support/mcp-guard/pins.json`;
 * - Windows: `%LOCALAPPDATA%\mcp-guard\pins.json`, else `%APPDATA%\…`, else `~\AppData\Local\…`.
 *
 * `~` is `$HOME` from `env`, then `%USERPROFILE%`, then the OS account's home.
 */
export function defaultPinStorePath(env: NodeJS.ProcessEnv, platform: NodeJS.Platform = process.platform): string {
  const set = (v: string | undefined): string | undefined => (v === undefined || v === '' ? undefined : v);
  const path = platform === 'win32' ? win32 : posix;
  const home = set(env['HOME']) ?? set(env['USERPROFILE']) ?? homedir();
  const xdg = set(env['XDG_STATE_HOME']);
  let base: string;
  if (xdg !== undefined) base = xdg;
  else if (platform === 'win32') base = set(env['LOCALAPPDATA']) ?? set(env['APPDATA']) ?? path.join(home, 'AppData', 'Local');
  else if (platform === 'darwin') base = path.join(home, 'Library', 'Application Support');
  else base = path.join(home, '.local', 'state');
  return path.join(base, 'mcp-guard', 'pins.json');
}

/** SHA-256 (lower-case hex) of the canonical JSON (sorted keys) of `definition`. */
export function pinHash(definition: unknown): string {
  return createHash('sha256').update(canonicalJson(definition)).digest('hex');
}

function pick(value: unknown, keys: readonly string[]): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  const obj = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const k of keys) if (Object.hasOwn(obj, k) && obj[k] !== undefined) out[k] = obj[k];
  return out;
}

/** A deep copy in canonical form (keys sorted, `undefined` dropped): later edits of the frame cannot reach the pin. */
function canonicalCopy(value: unknown): unknown {
  return value === undefined ? undefined : JSON.parse(canonicalJson(value));
}

/**
 * The pinned fields of a `tools/list` tool (MCP spec, "Tools" → Tool): `name`,
 * `title`, `description`, `inputSchema`, `outputSchema`, `annotations`; absent
 * keys are omitted, others (`_meta`, `icons`) ignored. Returns a canonical deep
 * copy (sorted keys); a non-object is returned as such a copy of itself.
 */
export function toolPinDefinition(tool: unknown): unknown {
  return canonicalCopy(pick(tool, ['name', 'title', 'description', 'inputSchema', 'outputSchema', 'annotations']));
}

/**
 * The pinned fields of a `prompts/list` prompt: `name`, `title`, `description`,
 * and per argument `name`, `title`, `description`, `required`. A canonical deep copy.
 */
export function promptPinDefinition(prompt: unknown): unknown {
  const out = pick(prompt, ['name', 'title', 'description', 'arguments']);
  if (out === null || typeof out !== 'object' || Array.isArray(out)) return canonicalCopy(out);
  const args = (out as Record<string, unknown>)['arguments'];
  if (Array.isArray(args)) (out as Record<string, unknown>)['arguments'] = args.map((a) => pick(a, ['name', 'title', 'description', 'required']));
  return canonicalCopy(out);
}

/**
 * The pinned fields of a `resources/templates/list` template: `uriTemplate`,
 * `name`, `title`, `description`, `mimeType`. A canonical deep copy.
 */
export function templatePinDefinition(template: unknown): unknown {
  return canonicalCopy(pick(template, ['uriTemplate', 'name', 'title', 'description', 'mimeType']));
}

/**
 * The pending key `item` names in `pins`: the key itself, or `instructions`
 * for `#instructions` (a leading `#` starts a shell comment).
 * @returns undefined when nothing pending or pinned goes by that name
 */
export function resolveItemKey(pins: ServerPins, item: string): string | undefined {
  const known = (k: string): boolean => Object.hasOwn(pins.pending, k) || pinnedItem(pins, k) !== undefined;
  if (known(item)) return item;
  if (item === 'instructions' && known(INSTRUCTIONS_KEY)) return INSTRUCTIONS_KEY;
  return undefined;
}

/** The pin a pending key refers to (by prefix: instructions, prompt, template, else tool), if any. */
export function pinnedItem(pins: ServerPins, key: string): PinnedItem | undefined {
  if (key === INSTRUCTIONS_KEY) return pins.instructions;
  const [rec, name] = slot(pins, key);
  return Object.hasOwn(rec, name) ? rec[name] : undefined;
}

function slot(pins: ServerPins, key: string): [Record<string, PinnedItem>, string] {
  if (key.startsWith(PROMPT_PREFIX)) return [pins.prompts, key.slice(PROMPT_PREFIX.length)];
  if (key.startsWith(TEMPLATE_PREFIX)) return [pins.templates, key.slice(TEMPLATE_PREFIX.length)];
  return [pins.tools, key];
}

function knownServers(file: PinFile): string {
  const names = Object.keys(file.servers).sort();
  return names.length === 0 ? 'the store is empty' : `known: ${names.map((n) => JSON.stringify(n)).join(', ')}`;
}

/** Options for {@link PinStore}. */
export interface PinStoreOptions {
  /** Clock for `pinnedAt` / `updated` (default: `new Date()`). */
  readonly now?: () => Date;
  /** How long `update` waits for another process's lock, in ms (default {@link LOCK_WAIT_MS}). */
  readonly lockWaitMs?: number;
}

/** A change to the file; `false` means nothing changed. Passed to `update` and `record`. */
export type PinMutation = (file: PinFile) => void | boolean;

/** Most changes {@link PinStore.record} keeps while the lock is held elsewhere; later ones are used but not saved. */
export const MAX_UNSAVED = 64;
/** First and longest pause between two attempts to save deferred changes (ms). */
const RETRY_MIN_MS = 20;
const RETRY_MAX_MS = 1_000;

/**
 * A pin file on disk. Read at proxy start and on every list; written rarely.
 * `update` waits for the lock (the `pins` commands); `record` never waits (the proxy).
 */
export class PinStore {
  readonly path: string;
  readonly #now: () => Date;
  readonly #lockWaitMs: number;
  #last: PinFile = emptyPinFile();
  /** Changes `record` applied while the lock was held elsewhere, oldest first, not yet on disk. */
  readonly #unsaved: PinMutation[] = [];
  #note: (msg: string) => void = () => undefined;
  #retry: NodeJS.Timeout | undefined;
  #retryMs = RETRY_MIN_MS;
  /** When saving was first deferred (ms since the epoch), and whether that was reported. */
  #deferredSince: number | undefined;
  #reported = false;

  constructor(path: string, options: PinStoreOptions = {}) {
    this.path = path;
    this.#now = options.now ?? (() => new Date());
    this.#lockWaitMs = options.lockWaitMs ?? LOCK_WAIT_MS;
  }

  /**
   * Read the file; a missing file is an empty store.
   * @throws GuardError `INPUT_INVALID` when the file cannot be read or is not a valid pin file (names the path)
   */
  load(): PinFile {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return (this.#last = emptyPinFile());
      throw new GuardError('INPUT_INVALID', `cannot read pin store ${this.path}: ${code ?? (err as Error).message}`);
    }
    return (this.#last = parsePinFile(text, this.path));
  }

  /** The pins of `name` from the last `load()`, `update()` or `record()`. */
  server(name: string): ServerPins | undefined {
    return Object.hasOwn(this.#last.servers, name) ? this.#last.servers[name] : undefined;
  }

  /** How many changes `record` applied that are not on disk yet. */
  get unsaved(): number {
    return this.#unsaved.length;
  }

  /**
   * Under the lock: re-read the file, apply `mutate`, write it atomically (mode
   * 0600; the directory is created 0700). When `mutate` returns `false`, or
   * throws, nothing is written. Blocks the thread for up to `lockWaitMs` while
   * another process holds the lock (see `withLock`).
   * @returns the file as written (also what `server()` answers from)
   * @throws GuardError `INPUT_INVALID` when the file cannot be read, parsed, locked or written;
   *   anything `mutate` throws
   */
  update(mutate: PinMutation): PinFile {
    return withLock(this.path, this.#lockWaitMs, () => this.#write(this.load(), [mutate]));
  }

  /**
   * Apply `mutate` now and save it without ever waiting, for the proxy, whose event
   * loop must keep serving (and must hear SIGTERM) while another process holds the lock.
   *
   * - Lock free (and nothing deferred): as `update`.
   * - Lock held elsewhere: `mutate` runs on a fresh read without the lock (safe, the file
   *   is only ever replaced by rename) with the deferred changes replayed first, so the
   *   caller's decision is made against the pins on disk and drift detection goes on.
   *   The change is kept (at most {@link MAX_UNSAVED}) and saved from a timer that retries
   *   the lock with backoff (20 ms to 1 s), replaying every kept change on a fresh read
   *   under the lock. `mutate` may therefore run several times: it must derive its
   *   change from the file it is given.
   *
   * So a busy or planted lock delays saving, never the decision. What is lost when the
   * lock never frees: first-use pins and pending records of this session (the next
   * session pins afresh or records again); `note` says so.
   * @param note receives messages about deferred and dropped saves (for the log)
   * @returns the file the decision was made on (also what `server()` answers from)
   * @throws GuardError `INPUT_INVALID` when the file cannot be read or parsed, or the lock
   *   cannot be created at all (the caller fails closed); anything `mutate` throws
   */
  record(mutate: PinMutation, note?: (msg: string) => void): PinFile {
    if (note !== undefined) this.#note = note;
    if (this.#unsaved.length === 0) {
      const release = tryLock(this.path);
      if (release !== undefined) {
        try {
          return this.#write(this.load(), [mutate]);
        } finally {
          release();
        }
      }
    }
    const file = this.load();
    for (const m of this.#unsaved) m(file);
    const changed = mutate(file) !== false;
    this.#last = file;
    if (changed) {
      if (this.#unsaved.length < MAX_UNSAVED) this.#unsaved.push(mutate);
      else this.#note(`pin store ${this.path}: ${MAX_UNSAVED} changes already wait for the lock; this one is used for this list but not saved`);
      this.#deferredSince ??= Date.now();
      this.#schedule();
    }
    return file;
  }

  /**
   * Try to save deferred changes until `waitMs` has passed, without blocking the event
   * loop (the proxy calls this when its server has exited).
   * @returns whether nothing is left unsaved
   */
  async flush(waitMs: number): Promise<boolean> {
    const deadline = Date.now() + waitMs;
    while (this.#unsaved.length > 0) {
      this.#saveDeferred();
      if (this.#unsaved.length === 0 || Date.now() >= deadline) break;
      await new Promise((ok) => setTimeout(ok, RETRY_MIN_MS));
    }
    if (this.#unsaved.length === 0) return true;
    this.#note(`pin store ${this.path}: ${this.#unsaved.length} changes not saved: ${lockBusyError(this.path).message}`);
    return false;
  }

  #write(file: PinFile, mutations: readonly PinMutation[]): PinFile {
    let changed = false;
    for (const m of mutations) changed = m(file) !== false || changed;
    if (changed) writeAtomic(this.path, `${JSON.stringify(file, null, 2)}\n`);
    return (this.#last = file);
  }

  #schedule(): void {
    if (this.#retry !== undefined) return;
    // unref: a held lock must not keep a finished proxy alive (run-proxy flushes on exit).
    this.#retry = setTimeout(() => {
      this.#retry = undefined;
      this.#saveDeferred();
      if (this.#unsaved.length > 0) this.#schedule();
    }, this.#retryMs).unref();
    this.#retryMs = Math.min(this.#retryMs * 2, RETRY_MAX_MS);
  }

  /** One attempt to save the deferred changes; never waits. */
  #saveDeferred(): void {
    if (this.#unsaved.length === 0) return;
    try {
      const release = tryLock(this.path);
      if (release === undefined) {
        if (!this.#reported && Date.now() - (this.#deferredSince ?? Date.now()) >= this.#lockWaitMs) {
          this.#reported = true;
          this.#note(`pin store ${this.path}: saving pins is deferred: ${lockBusyError(this.path).message}`);
        }
        return;
      }
      try {
        this.#write(this.load(), this.#unsaved);
      } finally {
        release();
      }
    } catch (err) {
      if (!this.#reported) this.#note(`pin store ${this.path}: saving pins is deferred: ${(err as Error).message}`);
      this.#reported = true;
      return;
    }
    if (this.#reported) this.#note(`pin store ${this.path}: ${this.#unsaved.length} deferred changes saved`);
    this.#unsaved.length = 0;
    this.#deferredSince = undefined;
    this.#reported = false;
    this.#retryMs = RETRY_MIN_MS;
  }

  /**
   * Approve pending changes: each moves into its pin (tool, instructions,
   * prompt or template, by key prefix) with `pinnedAt` now.
   * @param item a pending key (see {@link resolveItemKey}); undefined approves everything pending
   * @param hashPrefix approve only if each pending definition's hash starts with this (the
   *   hash `pins diff` showed), so a change made after the review is not approved by mistake
   * @returns the approved keys, sorted; empty when nothing was pending
   * @throws GuardError `USAGE` when the server, or the item, is unknown, or the hash does not match
   */
  approve(server: string, item?: string, hashPrefix?: string): string[] {
    let approved: string[] = [];
    this.update((file) => {
      const pins = Object.hasOwn(file.servers, server) ? file.servers[server] : undefined;
      if (pins === undefined) throw new GuardError('USAGE', `no pins for server ${JSON.stringify(server)} in ${this.path} (${knownServers(file)})`);
      let keys: string[];
      if (item === undefined) keys = Object.keys(pins.pending).sort();
      else {
        const key = resolveItemKey(pins, item);
        if (key === undefined) throw new GuardError('USAGE', `server ${JSON.stringify(server)} has no pinned or pending item ${JSON.stringify(item)}`);
        keys = Object.hasOwn(pins.pending, key) ? [key] : [];
      }
      if (keys.length === 0) return false;
      for (const key of keys) {
        const hash = (pins.pending[key] as PendingItem).hash;
        if (hashPrefix !== undefined && !hash.startsWith(hashPrefix.toLowerCase())) {
          throw new GuardError(
            'USAGE',
            `the pending change of ${JSON.stringify(key)} is now ${hash.slice(0, 12)}, not ${hashPrefix}: it changed since you reviewed it; run pins diff again`,
          );
        }
      }
      const now = this.#now().toISOString();
      for (const key of keys) {
        const p = pins.pending[key] as PendingItem;
        const pin: PinnedItem = { hash: p.hash, definition: p.definition, pinnedAt: now };
        if (key === INSTRUCTIONS_KEY) pins.instructions = pin;
        else {
          const [rec, name] = slot(pins, key);
          rec[name] = pin;
        }
        delete pins.pending[key];
      }
      pins.updated = now;
      approved = keys;
      return true;
    });
    return approved;
  }

  /**
   * Forget a server: its next session pins it afresh.
   * @returns whether the server had pins
   */
  reset(server: string): boolean {
    let existed = false;
    this.update((file) => {
      existed = Object.hasOwn(file.servers, server);
      if (!existed) return false;
      delete file.servers[server];
      return true;
    });
    return existed;
  }
}
