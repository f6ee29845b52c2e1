/**
 * `mcp-guard pins list|diff|approve|reset`: review and approve the definitions
 * the proxy pinned per server (see `src/pins/store.ts`). Output is for people,
 * on stdout; `list --json` is for scripts. Names and text come from servers, so
 * everything printed goes through `printable` / the diff's escaping.
 */
import { dirname, resolve } from 'node:path';
import type { Command } from 'commander';
import { ExitCode, GuardError } from '../errors.js';
import { tildify } from '../clients/paths.js';
import { loadConfig } from '../config/load.js';
import { diffToolDefinitions, printable } from '../pins/diff.js';
import { INSTRUCTIONS_KEY, PinStore, defaultPinStorePath, pinnedItem, resolveItemKey, type PinFile, type PinnedItem, type ServerPins } from '../pins/store.js';
import { secureStateDir } from '../private-fs.js';
import type { CliIO } from './io.js';

const STORE_HELP =
  'pin store file (default: the config\'s pins.store, else $XDG_STATE_HOME/mcp-guard/pins.json, or ~/.local/state/… on Linux, ~/Library/Application Support/… on macOS, %LOCALAPPDATA%\\… on Windows)';
const CONFIG_HELP = 'config file, for its pins.store (default: discovered as `proxy` does)';

/** Options every subcommand takes. */
interface StoreOptions {
  store?: string;
  config?: string;
}

const HELP = `
A server is pinned the first time \`mcp-guard proxy\` sees it: a SHA-256 of each
tool's definition (name, title, description, inputSchema, outputSchema,
annotations), the server's instructions, and its prompt and resource-template
descriptions. Later changes and new tools are hidden from the agent and blocked
until you approve them here. Servers are named by \`proxy --name\`, or else by a
name derived from the command line with secrets removed (see \`pins list\`).

Items are tool names, or #instructions (also accepted as "instructions"),
prompt:NAME and template:URI_TEMPLATE.

Examples:
  $ mcp-guard pins list                       # every pinned server
  $ mcp-guard pins list github                # one server: tools, hashes, pending changes
  $ mcp-guard pins diff github                # what changed, for every pending item
  $ mcp-guard pins diff github create_issue   # one tool
  $ mcp-guard pins approve github create_issue
  $ mcp-guard pins approve github --all
  $ mcp-guard pins reset github               # forget it; the next session pins afresh
  $ mcp-guard pins list --store ./pins.json   # another store file
  $ mcp-guard pins list -c team.yaml          # the store named by a config's pins.store`;

/** `2025-01-02T03:04:05.678Z` → `2025-01-02T03:04:05Z`. */
const when = (iso: string): string => iso.replace(/\.\d+Z$/, 'Z');
const short = (hash: string): string => hash.slice(0, 12);
const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

/** `s` as one shell word, for the hints we print (escaped instead when it holds control characters). */
function shellWord(s: string): string {
  if (printable(s) !== s) return printable(s);
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** Rows as left-aligned columns separated by two spaces, each line indented by `indent`. */
function columns(rows: string[][], indent = ''): string[] {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  return rows.map((r) => indent + r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ').trimEnd());
}

function serverOf(store: PinStore, file: PinFile, name: string): ServerPins {
  const pins = store.server(name);
  if (pins !== undefined) return pins;
  const known = Object.keys(file.servers).sort().map(printable);
  throw new GuardError('USAGE', `no pins for server ${JSON.stringify(name)} in ${store.path} (${known.length === 0 ? 'the store is empty' : `known: ${known.join(', ')}`})`);
}

function pinRows(rec: Record<string, PinnedItem>, pins: ServerPins, prefix: string): string[][] {
  return Object.keys(rec)
    .sort()
    .map((k) => {
      const p = rec[k] as PinnedItem;
      const pending = pins.pending[prefix + k];
      return [printable(k), short(p.hash), `pinned ${when(p.pinnedAt)}`, pending ? `change pending (${pending.reason})` : ''];
    });
}

function listServers(store: PinStore, file: PinFile, env: NodeJS.ProcessEnv): string[] {
  const names = Object.keys(file.servers).sort();
  if (names.length === 0) return [`No servers pinned yet in ${tildify(store.path, env)}.`, 'A server is pinned the first time `mcp-guard proxy` sees it.'];
  const rows = [['SERVER', 'TOOLS', 'PENDING', 'UPDATED']];
  let pending = 0;
  for (const n of names) {
    const s = file.servers[n] as ServerPins;
    const p = Object.keys(s.pending).length;
    pending += p;
    rows.push([printable(n), String(Object.keys(s.tools).length), p === 0 ? '-' : String(p), when(s.updated)]);
  }
  const out = [`Pin store: ${tildify(store.path, env)}`, '', ...columns(rows)];
  if (pending > 0) out.push('', `${plural(pending, 'change')} pending. Review with \`mcp-guard pins diff SERVER\`.`);
  return out;
}

function listServer(name: string, pins: ServerPins): string[] {
  const out = [`Server: ${printable(name)}`, `First seen ${when(pins.firstSeen)}, updated ${when(pins.updated)}`, ''];
  const section = (title: string, rec: Record<string, PinnedItem>, prefix: string): void => {
    const rows = pinRows(rec, pins, prefix);
    out.push(`${title} (${rows.length}):`, ...(rows.length === 0 ? ['  (none)'] : columns(rows, '  ')));
  };
  section('Tools', pins.tools, '');
  if (pins.instructions !== undefined) {
    const p = pins.instructions;
    const pending = pins.pending[INSTRUCTIONS_KEY];
    out.push(`Instructions: ${short(p.hash)}  pinned ${when(p.pinnedAt)}${pending ? `  change pending (${pending.reason})` : ''}`);
  }
  if (Object.keys(pins.prompts).length > 0) section('Prompts', pins.prompts, 'prompt:');
  if (Object.keys(pins.templates).length > 0) section('Resource templates', pins.templates, 'template:');
  const keys = Object.keys(pins.pending).sort();
  if (keys.length === 0) out.push('', 'Nothing pending.');
  else {
    out.push('', `Pending (${keys.length}), hidden from the agent and blocked until approved:`);
    out.push(...columns(keys.map((k) => {
      const p = pins.pending[k];
      return p ? [printable(k), p.reason, short(p.hash), `seen ${when(p.seenAt)}`] : [];
    }), '  '));
    const s = shellWord(name);
    out.push('', `Review:  mcp-guard pins diff ${s}`, `Approve: mcp-guard pins approve ${s} ITEM   (or --all)`);
  }
  return out;
}

/** Pinned and pending definitions of `key` in the shape the diff expects (instructions are wrapped to get a label). */
function diffLines(pins: ServerPins, key: string): string[] {
  const before = pinnedItem(pins, key)?.definition;
  const after = pins.pending[key]?.definition;
  if (key !== INSTRUCTIONS_KEY) return diffToolDefinitions(before, after);
  const wrap = (v: unknown): unknown => (v === undefined ? undefined : { instructions: v });
  return diffToolDefinitions(wrap(before), wrap(after));
}

function showDiff(name: string, pins: ServerPins, item: string | undefined): string[] {
  let keys = Object.keys(pins.pending).sort();
  if (item !== undefined) {
    const key = resolveItemKey(pins, item);
    if (key === undefined) throw new GuardError('USAGE', `server ${JSON.stringify(name)} has no pinned or pending item ${JSON.stringify(item)}`);
    const pinned = pinnedItem(pins, key);
    if (!Object.hasOwn(pins.pending, key) && pinned !== undefined) {
      return [`${printable(key)}: no pending change (pinned ${short(pinned.hash)} at ${when(pinned.pinnedAt)}).`];
    }
    keys = [key];
  }
  if (keys.length === 0) return [`No pending changes for server ${printable(name)}.`];
  const out: string[] = [];
  for (const key of keys) {
    const p = pins.pending[key];
    if (p === undefined) continue;
    const pinned = pinnedItem(pins, key);
    const hashes = pinned === undefined ? `new ${short(p.hash)}` : `pinned ${short(pinned.hash)} → now ${short(p.hash)}`;
    const lines = diffLines(pins, key);
    out.push(`${printable(key)}  (${p.reason}, seen ${when(p.seenAt)}; ${hashes})`, ...(lines.length === 0 ? ['  (no difference in the pinned fields)'] : lines.map((l) => `  ${l}`)), '');
  }
  const only = keys.length === 1 ? pins.pending[keys[0] as string] : undefined;
  out.push(
    `${plural(keys.length, 'pending change')}. Approve with: mcp-guard pins approve ${shellWord(name)} ${only ? `${shellWord(keys[0] as string)} --hash ${short(only.hash)}` : 'ITEM   (or --all)'}`,
  );
  return out;
}

/**
 * Register `pins` and its subcommands on `program`.
 * Errors are GuardErrors: `USAGE` (unknown server or item, missing TOOL/--all; exit 2),
 * `INPUT_INVALID` (unreadable, damaged or unwritable store; exit 2) and, when the
 * store path comes from the config, `CONFIG_*` (exit 2). Every
 * subcommand exits 0 on success; `pins diff` does so even when there are differences.
 */
export function registerPinsCommands(program: Command, io: CliIO, setExit: (code: number) => void): void {
  const print = (lines: readonly string[]): void => {
    io.stdout.write(lines.map((l) => `${l}\n`).join(''));
  };
  // The same store the proxy uses: --store, else the config's pins.store, else the platform default.
  const open = (opts: StoreOptions): { store: PinStore; file: PinFile } => {
    let path = opts.store;
    if (path === undefined) path = loadConfig({ path: opts.config, env: io.env, cwd: io.cwd }).config.pins.store;
    const store = new PinStore(path !== undefined ? resolve(io.cwd, path) : defaultPinStorePath(io.env));
    const note = path === undefined ? secureStateDir(dirname(store.path)) : undefined;
    if (note !== undefined) io.stderr.write(`mcp-guard: warning: ${note}\n`);
    return { store, file: store.load() };
  };

  const pins = program
    .command('pins')
    .description('review, approve and reset the tool definitions pinned for each server')
    .addHelpText('after', HELP);

  pins
    .command('list')
    .description('list pinned servers, or one server\'s pins and pending changes')
    .argument('[server]', 'server name (as shown by `pins list`)')
    .option('--store <file>', STORE_HELP)
    .option('-c, --config <file>', CONFIG_HELP)
    .option('--json', 'print the store (or the server\'s pins) as JSON')
    .addHelpText('after', '\nExamples:\n  $ mcp-guard pins list\n  $ mcp-guard pins list github\n  $ mcp-guard pins list github --json')
    .action((server: string | undefined, opts: StoreOptions & { json?: boolean }) => {
      const { store, file } = open(opts);
      if (opts.json === true) {
        const value = server === undefined ? file : serverOf(store, file, server);
        io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
      } else print(server === undefined ? listServers(store, file, io.env) : listServer(server, serverOf(store, file, server)));
      setExit(ExitCode.OK);
    });

  pins
    .command('diff')
    .description('show what changed in each pending item, against its pin (exit 0 even when there are changes)')
    .argument('<server>', 'server name')
    .argument('[item]', 'tool name, #instructions, prompt:NAME or template:URI_TEMPLATE (default: every pending item)')
    .option('--store <file>', STORE_HELP)
    .option('-c, --config <file>', CONFIG_HELP)
    .addHelpText('after', '\nLines: "+" added, "-" removed, "~" changed (words in [-old-]{+new+}).\n\nExamples:\n  $ mcp-guard pins diff github\n  $ mcp-guard pins diff github create_issue')
    .action((server: string, item: string | undefined, opts: StoreOptions) => {
      const { store, file } = open(opts);
      print(showDiff(server, serverOf(store, file, server), item));
      setExit(ExitCode.OK);
    });

  pins
    .command('approve')
    .description('accept pending changes: they become the new pins')
    .argument('<server>', 'server name')
    .argument('[item]', 'tool name, #instructions, prompt:NAME or template:URI_TEMPLATE')
    .option('--all', 'approve every pending item of the server')
    .option('--hash <prefix>', 'approve only if the pending definition still has this hash (as shown by pins diff)')
    .option('--store <file>', STORE_HELP)
    .option('-c, --config <file>', CONFIG_HELP)
    .addHelpText('after', '\nReview first with `mcp-guard pins diff SERVER`.\n\nExamples:\n  $ mcp-guard pins approve github create_issue\n  $ mcp-guard pins approve github --all')
    .action((server: string, item: string | undefined, opts: StoreOptions & { all?: boolean; hash?: string }) => {
      if (item === undefined && opts.all !== true) throw new GuardError('USAGE', 'pins approve: name the ITEM to approve, or pass --all');
      if (item !== undefined && opts.all === true) throw new GuardError('USAGE', 'pins approve: give an ITEM or --all, not both');
      const { store, file } = open(opts);
      const before = serverOf(store, file, server);
      const approved = store.approve(server, item, opts.hash);
      if (approved.length === 0) {
        print([item === undefined ? `Nothing pending for server ${printable(server)}.` : `${printable(item)} has no pending change.`]);
      } else {
        const after = store.server(server);
        const hashOf = (k: string): string => (after === undefined ? '' : short(pinnedItem(after, k)?.hash ?? ''));
        const rows = approved.map((k) => [printable(k), `(${before.pending[k]?.reason ?? 'pending'})`, `now pinned ${hashOf(k)}`]);
        print([`Approved ${plural(approved.length, 'change')} for server ${printable(server)}:`, ...columns(rows, '  ')]);
      }
      setExit(ExitCode.OK);
    });

  pins
    .command('reset')
    .description('forget every pin of a server; its next session pins it afresh (trust on first use again)')
    .argument('<server>', 'server name')
    .option('--store <file>', STORE_HELP)
    .option('-c, --config <file>', CONFIG_HELP)
    .addHelpText('after', '\nExample:\n  $ mcp-guard pins reset github')
    .action((server: string, opts: StoreOptions) => {
      const { store, file } = open(opts);
      const pinsOf = serverOf(store, file, server);
      const tools = Object.keys(pinsOf.tools).length;
      if (!store.reset(server)) throw new GuardError('USAGE', `no pins for server ${JSON.stringify(server)} in ${store.path}`);
      print([`Removed the pins of server ${printable(server)} (${plural(tools, 'tool')}). Its next session is pinned afresh.`]);
      setExit(ExitCode.OK);
    });
}
