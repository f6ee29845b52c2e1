/**
 * Wrapping one server entry in `mcp-guard proxy`, recognising wrapped entries
 * and undoing the wrap. Pure functions over parsed entries; the file editing
 * lives in `json-entries.ts` / `toml-entries.ts`.
 *
 * A wrapped entry's command line is
 * `<launcher> proxy --name NAME [-c CONFIG] [--env KEY]... -- ORIG_COMMAND ORIG_ARGS...`.
 */
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isInjectionVector, isPassableName } from '../proxy/env.js';

/** A server entry as the agent wrote it (JSON object or TOML table). */
export type Entry = Record<string, unknown>;

/** How mcp-guard is started from an agent config: `command` plus leading `args`. */
export interface Launcher {
  readonly command: string;
  readonly args: readonly string[];
}

/**
 * The launcher written into wrapped entries: the absolute path of the running
 * Node (`process.execPath`) and of this package's `bin/mcp-guard.js`. Both are
 * absolute, so the agent needs no PATH lookup and no shell; the price is that
 * moving the package or the Node binary needs a new `setup` (see docs/clients.md).
 */
export function resolveLauncher(): Launcher {
  // src/clients/wrap.ts and dist/clients/wrap.js are both two levels below the package root.
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
  return { command: process.execPath, args: [resolve(root, 'bin', 'mcp-guard.js')] };
}

/** Transport of an entry, from its keys (`type`, `url`, `httpUrl`, `serverUrl`, `command`). */
export type Transport = 'stdio' | 'http' | 'sse' | 'unknown';

/** What an entry is, for setup and assess. */
export interface EntryKind {
  readonly kind: 'stdio' | 'remote' | 'wrapped' | 'invalid';
  readonly transport: Transport;
}

const REMOTE_KEYS = ['url', 'httpUrl', 'serverUrl'] as const;
/** `type` values of remote entries (Claude Code, VS Code, Cursor); `sse-ide`/`ws-ide` are Claude Code's IDE bridges. */
const REMOTE_TYPES = new Set(['http', 'sse', 'streamable-http', 'streamablehttp', 'ws', 'websocket', 'sse-ide', 'ws-ide']);

function strings(v: unknown): string[] | undefined {
  return Array.isArray(v) && v.every((x) => typeof x === 'string') ? (v as string[]) : undefined;
}

/**
 * Classify an entry. Remote entries have `url`, `httpUrl` or `serverUrl`, or a
 * remote `type` (`http`, `sse`, …); stdio entries have a string `command`.
 * @param urlTransport transport meant by a bare `url` (Gemini CLI: `sse`)
 */
export function classifyEntry(entry: Entry, urlTransport: 'http' | 'sse' = 'http'): EntryKind {
  const type = typeof entry['type'] === 'string' ? entry['type'].toLowerCase() : undefined;
  const remoteKey = REMOTE_KEYS.find((k) => typeof entry[k] === 'string');
  const remoteType = type !== undefined && REMOTE_TYPES.has(type);
  if (remoteKey !== undefined || remoteType) {
    const transport: Transport = type === 'sse' || type === 'sse-ide' ? 'sse' : remoteType ? 'http' : remoteKey === 'url' ? urlTransport : 'http';
    return { kind: 'remote', transport };
  }
  const command = entry['command'];
  if (typeof command !== 'string' || command === '') return { kind: 'invalid', transport: 'unknown' };
  const args = entry['args'] === undefined ? [] : strings(entry['args']);
  if (args === undefined) return { kind: 'invalid', transport: 'stdio' };
  return { kind: parseWrapped(command, args) ? 'wrapped' : 'stdio', transport: 'stdio' };
}

/** The parts of a wrapped command line. */
export interface WrappedInfo {
  readonly name: string | undefined;
  /** The `-c`/`--config` value, if any. */
  readonly config: string | undefined;
  readonly envNames: readonly string[];
  /** The inner command ('' for a `--upstream` entry). */
  readonly command: string;
  readonly args: readonly string[];
  /** The `--upstream` URL of a wrapped remote entry. */
  readonly upstream?: string;
}

const LAUNCHER_NAME = /^mcp-guard(?:@[^/\\]*)?(?:\.(?:c?m?js|cmd|exe|ps1))?$/i;

function baseName(p: string): string {
  return p.split(/[\\/]/).pop() ?? p;
}

/**
 * Recognise a wrapped command line: the command, or an argument, named
 * `mcp-guard` / `mcp-guard.js` (any directory), followed by `proxy`, with a
 * `--` after it and a command after that.
 * @returns the parsed parts, or undefined when the entry is not wrapped
 */
export function parseWrapped(command: string, args: readonly string[]): WrappedInfo | undefined {
  const line = [command, ...args];
  const at = line.findIndex((w, i) => LAUNCHER_NAME.test(baseName(w)) && line[i + 1] === 'proxy');
  if (at === -1) return undefined;
  const rest = line.slice(at + 2);
  // `proxy … --upstream URL` (setup --remote, remote-wrap.ts) has no `--` and no inner command.
  const up = rest.indexOf('--upstream');
  const upstream = up !== -1 && !rest.slice(0, up).includes('--') ? rest[up + 1] : undefined;
  if (upstream !== undefined) return { ...options(rest, rest.length), command: '', args: [], upstream };
  const dash = rest.indexOf('--');
  const inner = dash === -1 ? undefined : rest[dash + 1];
  if (inner === undefined) return undefined;
  return { ...options(rest, dash), command: inner, args: rest.slice(dash + 2) };
}

/** The `--name`, `-c` and `--env` values among the first `end` words of a proxy command line. */
function options(rest: readonly string[], end: number): Pick<WrappedInfo, 'name' | 'config' | 'envNames'> {
  const dash = end;
  let name: string | undefined;
  let config: string | undefined;
  const envNames: string[] = [];
  for (let i = 0; i < dash; i++) {
    const w = rest[i] as string;
    const next = rest[i + 1];
    if ((w === '--name' || w === '-c' || w === '--config' || w === '--env') && next !== undefined && i + 1 < dash) {
      if (w === '--name') name = next;
      else if (w === '--env') envNames.push(next.split('=')[0] as string);
      else config = next;
      i++;
    } else if (w.startsWith('--name=')) name = w.slice(7);
    else if (w.startsWith('--config=')) config = w.slice(9);
    else if (w.startsWith('--env=')) envNames.push(w.slice(6).split('=')[0] as string);
  }
  return { name, config, envNames };
}

/** Names of the variables an entry gives its server: keys of `env`, plus Codex's `env_vars`. */
export function entryEnvNames(entry: Entry): string[] {
  const env = entry['env'];
  const names = env !== null && typeof env === 'object' && !Array.isArray(env) ? Object.keys(env) : [];
  for (const n of strings(entry['env_vars']) ?? []) if (!names.includes(n)) names.push(n);
  return names;
}

/** What {@link addEnvPassthrough} changes in a wrapped entry. */
export interface EnvPassthroughFix {
  readonly entry: Entry;
  /** The entry's new `args`: `--env NAME` pairs inserted before the `--`. */
  readonly args: string[];
  /** Names now passed. */
  readonly added: string[];
  /** Names the proxy refuses for `--env` (LD_PRELOAD, NODE_OPTIONS, …): the server will not get them. */
  readonly refusedEnv: string[];
}

/**
 * Make a wrapped entry pass every variable its `env` block (or Codex `env_vars`)
 * sets: an entry wrapped by hand, or edited after setup, may set a variable the
 * proxy then withholds (server-memory's `MEMORY_FILE_PATH`: the server silently
 * writes elsewhere). Each missing name gets `--env NAME` before the `--`, so the
 * value stays in the agent's env block and never moves into `args`.
 * @returns the change, or undefined when nothing is missing (or the entry is not
 *   wrapped, or passes the whole environment with `--inherit-env`)
 */
export function addEnvPassthrough(entry: Entry): EnvPassthroughFix | undefined {
  const command = entry['command'];
  const args = strings(entry['args']);
  if (typeof command !== 'string' || args === undefined) return undefined;
  const info = parseWrapped(command, args);
  if (info === undefined || info.upstream !== undefined) return undefined;
  const line = [command, ...args];
  const at = line.findIndex((w, i) => LAUNCHER_NAME.test(baseName(w)) && line[i + 1] === 'proxy');
  const options = line.slice(at + 2);
  const dash = options.indexOf('--');
  if (options.slice(0, dash).includes('--inherit-env')) return undefined;
  const names = entryEnvNames(entry);
  const refusedEnv = names.filter((n) => !passable(n));
  const added = names.filter((n) => passable(n) && !info.envNames.includes(n));
  if (added.length === 0) return undefined;
  // The `--` sits at line index at + 2 + dash, that is args index at + 1 + dash.
  const cut = at + 1 + dash;
  const next = [...args.slice(0, cut), ...added.flatMap((n) => ['--env', n]), ...args.slice(cut)];
  return { entry: withCommand(entry, command, next), args: next, added, refusedEnv };
}

/** Whether `--env NAME` works for `name`: a valid name the proxy does not refuse. */
function passable(name: string): boolean {
  return isPassableName(name) && !isInjectionVector(name);
}

/** Options of {@link wrapEntry}. */
export interface WrapOptions {
  /** Server name, passed as `--name`. */
  readonly name: string;
  /** Absolute config path, passed as `-c`. */
  readonly configPath?: string | undefined;
  readonly launcher: Launcher;
}

/** A wrapped entry and the variables that could not be passed through. */
export interface WrapResult {
  readonly entry: Entry;
  readonly command: string;
  readonly args: string[];
  /** Variable names the proxy refuses for `--env` (LD_PRELOAD, NODE_OPTIONS, …, or with `=`): the server will not get them. */
  readonly refusedEnv: string[];
}

/**
 * Wrap a stdio entry. Only `command` and `args` change; `env`, `cwd`, `type` and
 * unknown keys are kept, in their order (`args` is added after `command` when absent).
 * @throws Error when the entry has no string `command` (check with {@link classifyEntry} first)
 */
export function wrapEntry(entry: Entry, options: WrapOptions): WrapResult {
  const command = entry['command'];
  if (typeof command !== 'string') throw new Error('wrapEntry: entry has no command');
  const origArgs = strings(entry['args']) ?? [];
  const names = entryEnvNames(entry);
  const refusedEnv = names.filter((n) => !passable(n));
  const args = [
    ...options.launcher.args,
    'proxy',
    '--name',
    options.name,
    ...(options.configPath !== undefined ? ['-c', options.configPath] : []),
    ...names.filter(passable).flatMap((n) => ['--env', n]),
    '--',
    command,
    ...origArgs,
  ];
  return { entry: withCommand(entry, options.launcher.command, args), command: options.launcher.command, args, refusedEnv };
}

/**
 * Undo a wrap structurally (used when the recorded original no longer applies
 * because the entry was edited after setup).
 * @param hadArgs whether the original entry had an `args` key (default true)
 * @returns the entry with the inner command line, or undefined when it is not wrapped
 */
export function unwrapEntry(entry: Entry, hadArgs = true): Entry | undefined {
  const command = entry['command'];
  const args = strings(entry['args']);
  if (typeof command !== 'string' || args === undefined) return undefined;
  const info = parseWrapped(command, args);
  // A wrapped remote entry has no inner command to put back: only its recorded text restores it.
  if (info === undefined || info.upstream !== undefined) return undefined;
  return withCommand(entry, info.command, hadArgs || info.args.length > 0 ? [...info.args] : undefined);
}

/** A copy of `entry` with `command` and `args` replaced (`args` dropped when undefined), key order kept. */
export function withCommand(entry: Entry, command: string, args: string[] | undefined): Entry {
  const out: Entry = {};
  for (const [k, v] of Object.entries(entry)) {
    if (k === 'args') {
      if (args !== undefined) out[k] = args;
    } else out[k] = k === 'command' ? command : v;
    if (k === 'command' && args !== undefined && !('args' in entry)) out['args'] = args;
  }
  return out;
}
