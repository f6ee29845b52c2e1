/**
 * `mcp-guard audit verify|show`: check a hash-chained audit log
 * (`src/log/chain-verify.ts`) and list its decisions for a person. Exit codes
 * of `verify`: 0 intact, 1 broken, 2 unreadable (or a keyed chain without `--key`).
 * Everything printed from the file goes through `printable`: the file's text
 * came partly from servers.
 */
import { lstatSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { ExitCode, GuardError } from '../errors.js';
import { printable } from '../pins/diff.js';
import { readChainKey } from '../log/chain-key.js';
import { VerifyInputError, verifyAudit, type ChainBreak, type VerifyReport } from '../log/chain-verify.js';
import type { ChainKey } from '../log/chain-format.js';
import type { CliIO } from './io.js';

const VERIFY_HELP = `
Checks every line's hash, the seq/prev links between lines, and (for a
directory) the links between the rotated files of each chain. Reports the first
broken line of each file: edited, deleted, reordered, truncated, replayed, or
wrong_key. Lines cut from the end of the newest file cannot be seen from the
files alone: compare the last seq and hash printed here with a copy kept
elsewhere (syslog and OTLP exports carry them).

Exit status: 0 intact, 1 broken, 2 unreadable.

Examples:
  $ mcp-guard audit verify ~/.local/state/mcp-guard/audit.jsonl
  $ mcp-guard audit verify ./audit/ --key ~/.config/mcp-guard/chain.key
  $ mcp-guard audit verify ./audit/ --json`;

const SHOW_HELP = `
Examples:
  $ mcp-guard audit show audit.jsonl --since today --action block
  $ mcp-guard audit show ./audit/ --since 2h --server github`;

const KIND_TEXT: Record<ChainBreak['kind'], string> = {
  edited: 'edited',
  deleted: 'lines deleted',
  reordered: 'reordered',
  truncated: 'truncated',
  wrong_key: 'wrong key',
  replayed: 'replayed',
  not_chained: 'not a hash-chained log',
};

const short = (h: string | undefined): string => (h === undefined ? '-' : `${h.slice(0, 12)}…`);

/** The text report of `audit verify`. */
export function formatVerify(report: VerifyReport, base: string): string[] {
  const name = (f: string): string => printable(f === base ? basename(f) : f.startsWith(`${base}/`) ? f.slice(base.length + 1) : f);
  const out: string[] = [];
  for (const f of report.files) {
    if (f.break) {
      out.push(`BROKEN  ${name(f.file)}  line ${f.break.line}: ${KIND_TEXT[f.break.kind]}: ${f.break.detail}`);
      continue;
    }
    const seq = f.firstSeq !== undefined && f.lastSeq !== undefined ? `seq ${f.firstSeq}–${f.lastSeq}` : '';
    out.push(`ok      ${name(f.file)}  ${f.lines} line${f.lines === 1 ? '' : 's'}, ${seq}, chain ${f.chain?.slice(0, 8) ?? '-'} file ${f.fileIndex ?? '-'}, key ${f.keyId ?? '-'}, last hash ${short(f.lastHash)}`);
    if (f.unchained !== undefined) out.push(`        lines 1–${f.unchained} precede the chain (written before chaining was on): not covered`);
  }
  for (const l of report.links) out.push(`BROKEN  ${name(l.file)}  line ${l.line}: ${KIND_TEXT[l.kind]}: ${l.detail}`);
  const broken = report.files.filter((f) => !f.ok).length + report.links.length;
  out.push(report.ok ? `intact: ${report.files.length} file${report.files.length === 1 ? '' : 's'}` : `broken: ${broken} problem${broken === 1 ? '' : 's'} in ${report.files.length} file${report.files.length === 1 ? '' : 's'}`);
  return out;
}

/** One decision line of the log, as `show` prints it. */
interface Row {
  readonly time: string;
  readonly server: string;
  readonly action: string;
  readonly direction: string;
  readonly method: string;
  readonly tool: string;
  readonly rules: string;
}

/**
 * `--since`: an ISO 8601 date or time, `today`, or a duration back from now (`30m`, `2h`, `7d`).
 * @throws GuardError `USAGE` for anything else
 */
export function parseSince(s: string, now: Date = new Date()): Date {
  if (s === 'today') return new Date(now.getFullYear(), now.getMonth(), now.getDate());
  const m = /^(\d+)\s*([smhd])$/.exec(s);
  if (m) return new Date(now.getTime() - Number(m[1]) * { s: 1e3, m: 60e3, h: 3600e3, d: 86400e3 }[m[2] as 's' | 'm' | 'h' | 'd']);
  const t = Date.parse(s);
  if (Number.isNaN(t)) throw new GuardError('USAGE', `--since ${JSON.stringify(s)}: expected an ISO date or time, "today", or a duration such as 30m, 2h, 7d`);
  return new Date(t);
}

function logFiles(path: string): string[] {
  let st;
  try {
    st = lstatSync(path);
  } catch (err) {
    throw new GuardError('INPUT_INVALID', `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  if (!st.isDirectory()) return [path];
  return readdirSync(path)
    .filter((n) => n.endsWith('.jsonl') && !n.startsWith('.'))
    .map((n) => join(path, n))
    .filter((p) => lstatSync(p).isFile())
    .sort();
}

const str = (v: unknown): string => (typeof v === 'string' ? v : v === undefined || v === null ? '' : JSON.stringify(v));

/** Decision rows of the files, filtered, oldest first. */
export function decisionRows(files: readonly string[], f: { since?: Date; actions?: ReadonlySet<string>; server?: string }): Row[] {
  const rows: Array<Row & { t: number }> = [];
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new GuardError('INPUT_INVALID', `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    for (const line of text.split('\n')) {
      if (line.trim() === '') continue;
      let o: Record<string, unknown>;
      try {
        o = JSON.parse(line) as Record<string, unknown>;
      } catch {
        continue;
      }
      if (o === null || typeof o !== 'object' || o['event'] !== 'decision') continue;
      const t = Date.parse(str(o['time']));
      const action = str(o['action']);
      const server = str(o['server']);
      if (f.since && !(t >= f.since.getTime())) continue;
      if (f.actions && !f.actions.has(action)) continue;
      if (f.server !== undefined && server !== f.server) continue;
      const findings = Array.isArray(o['findings']) ? (o['findings'] as Array<Record<string, unknown>>) : [];
      const rules = [...new Set(findings.map((x) => str(x?.['rule'])))].filter((r) => r !== '');
      rows.push({
        t: Number.isNaN(t) ? 0 : t,
        time: str(o['time']).replace(/\.\d+Z$/, 'Z'),
        server,
        action,
        direction: o['direction'] === 'client-to-server' ? 'to server' : o['direction'] === 'server-to-client' ? 'to client' : str(o['direction']),
        method: str(o['method']),
        tool: str(o['tool']),
        rules: rules.join(', '),
      });
    }
  }
  return rows.sort((a, b) => a.t - b.t);
}

function table(rows: readonly string[][]): string[] {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ').trimEnd());
}

/** Register `audit verify` and `audit show`. */
export function registerAuditCommands(program: Command, io: CliIO, setExit: (code: number) => void): void {
  const print = (lines: readonly string[]): void => {
    io.stdout.write(lines.map((l) => `${l}\n`).join(''));
  };
  const audit = program.command('audit').description('verify the hash-chained audit log, and list its decisions');

  audit
    .command('verify')
    .description('check the hash chain of an audit file, or of every .jsonl file in a directory')
    .argument('<path>', 'audit file or directory')
    .option('--key <file>', 'the chain key (logging.chain_key_file), for a keyed chain')
    .option('--json', 'print the report as JSON')
    .addHelpText('after', VERIFY_HELP)
    .action((path: string, opts: { key?: string; json?: boolean }) => {
      const target = resolve(io.cwd, path);
      let report: VerifyReport;
      try {
        const key: ChainKey | undefined = opts.key !== undefined ? readChainKey(resolve(io.cwd, opts.key), false) : undefined;
        report = verifyAudit(target, key);
      } catch (err) {
        if (err instanceof VerifyInputError || err instanceof Error) {
          if (opts.json === true) print([JSON.stringify({ ok: false, error: err.message })]);
          io.stderr.write(`mcp-guard: ${err.message}\n`);
          setExit(ExitCode.USAGE_OR_CONFIG);
          return;
        }
        throw err;
      }
      print(opts.json === true ? [JSON.stringify(report, null, 2)] : formatVerify(report, target));
      setExit(report.ok ? ExitCode.OK : ExitCode.FINDINGS);
    });

  audit
    .command('show')
    .description('list the decisions in an audit log as a table (secrets stay masked: the log holds masked previews only)')
    .argument('<path>', 'audit file or directory')
    .option('--since <when>', 'only decisions since: an ISO date or time, "today", or 30m, 2h, 7d')
    .option('--action <actions>', 'only these actions, comma-separated (block, warn, allow, filter, drop)')
    .option('--server <name>', 'only this server')
    .addHelpText('after', SHOW_HELP)
    .action((path: string, opts: { since?: string; action?: string; server?: string }) => {
      const files = logFiles(resolve(io.cwd, path));
      const rows = decisionRows(files, {
        ...(opts.since !== undefined ? { since: parseSince(opts.since) } : {}),
        ...(opts.action !== undefined ? { actions: new Set(opts.action.split(',').map((a) => a.trim())) } : {}),
        ...(opts.server !== undefined ? { server: opts.server } : {}),
      });
      if (rows.length === 0) {
        print(['no decisions match']);
        return;
      }
      const cells = rows.map((r) => [r.time, r.server, r.action, r.direction, r.method, r.tool, r.rules].map((c) => printable(c)));
      print(table([['TIME', 'SERVER', 'ACTION', 'DIRECTION', 'METHOD', 'TOOL', 'RULES'], ...cells]));
      print([`${rows.length} decision${rows.length === 1 ? '' : 's'}`]);
    });
}
