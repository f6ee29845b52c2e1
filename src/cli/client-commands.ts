/**
 * `mcp-guard <client> setup|remove` and `mcp-guard assess`. Actions never
 * exit the process: they report on `io` and hand their exit code to `setExitCode`
 * (0 done; 1 `assess` found an unwrapped server or an invalid config; 2 a file
 * could not be processed, or a usage/config error, thrown as GuardError).
 */
import { resolve, sep } from 'node:path';
import { homeDir } from '../clients/paths.js';
import { Option, type Command } from 'commander';
import { GuardError, ExitCode } from '../errors.js';
import { loadConfig } from '../config/load.js';
import { loadRulePacks } from '../scan/rule-pack.js';
import { assess } from '../clients/assess.js';
import { formatAssessment } from '../clients/assess-format.js';
import { CLIENT_GROUPS, CLIENTS, clientsByName } from '../clients/registry.js';
import { formatChangeReport, launcherWarning } from '../clients/report.js';
import { runRemove } from '../clients/remove.js';
import { runSetup } from '../clients/setup.js';
import { secretFinder } from '../clients/secrets.js';
import { resolveLauncher } from '../clients/wrap.js';
import type { FileReport } from '../clients/apply.js';
import type { ClientDef, ScopeFilter } from '../clients/types.js';
import type { CliIO } from './io.js';
import { configuredStore } from './secrets-command.js';
import type { SecretStore } from '../secrets/store.js';
import type { SecretSink } from '../clients/move-secrets.js';

interface ChangeFlags {
  scope: ScopeFilter;
  dryRun?: boolean;
  config?: string;
  includeUnrecorded?: boolean;
  moveSecrets?: boolean;
  restoreSecrets?: boolean;
  store?: string;
}

/**
 * Where moved secrets go: the configured store; a name holding another value
 * gets `-2`, `-3`, …; a dry run stores nothing.
 */
function storeSink(store: SecretStore, dryRun: boolean): SecretSink {
  const planned = new Map<string, string>();
  return {
    put(base, value) {
      for (let n = 1; ; n++) {
        const name = n === 1 ? base : `${base.slice(0, 120)}-${n}`;
        const have = planned.get(name) ?? store.get(name)?.value;
        if (have === value) return name;
        if (have !== undefined) continue;
        if (!dryRun) store.set(name, value);
        planned.set(name, value);
        return name;
      }
    },
  };
}

/**
 * For assess: whether each referenced secret is in the configured store. A store
 * that cannot be asked (keychain chosen but not answering, a refused file) makes
 * every answer unknown, never an error: assess reports, it does not fail.
 */
async function secretLookup(io: CliIO): Promise<{ hasSecret: (name: string) => boolean | undefined; secretStore: string }> {
  let store: SecretStore | undefined;
  try {
    store = await configuredStore(io, undefined, true); // assess reports an invalid config itself
  } catch (err) {
    if (!(err instanceof GuardError)) throw err;
  }
  const has = (name: string): boolean | undefined => {
    try {
      return store?.get(name) !== undefined;
    } catch (err) {
      if (err instanceof GuardError) return undefined;
      throw err;
    }
  };
  return { hasSecret: (name) => (store === undefined ? undefined : has(name)), secretStore: store?.describe().split(homeDir(io.env) + sep).join(`~${sep}`) ?? 'the secret store' };
}

function storeOption(): Option {
  return new Option('--store <store>', 'secret store for --move-secrets / --restore-secrets: auto, keychain or file (default: $MCP_GUARD_SECRET_STORE, config env.secret_store, auto)').choices(['auto', 'keychain', 'file']);
}

function scopeOption(): Option {
  return new Option('--scope <scope>', 'which files: user (under your home), project (under the current directory) or all').choices(['user', 'project', 'all']).default('all');
}

function finish(reports: readonly FileReport[], setExitCode: (code: number) => void): void {
  setExitCode(reports.some((r) => r.error !== undefined) ? ExitCode.USAGE_OR_CONFIG : ExitCode.OK);
}

/** Mask secrets in dry-run diffs with the DLP rules. @throws GuardError `RULES_INVALID` */
function masker(): (text: string) => string {
  return secretFinder(loadRulePacks()).mask;
}

function setupAction(clients: readonly ClientDef[], io: CliIO, setExitCode: (code: number) => void) {
  return async (flags: ChangeFlags): Promise<void> => {
    let configPath: string | undefined;
    if (flags.config !== undefined) {
      configPath = resolve(io.cwd, flags.config);
      loadConfig({ path: configPath, env: io.env, cwd: io.cwd }); // refuse to point servers at a config the proxy would reject
    } else {
      try {
        loadConfig({ env: io.env, cwd: io.cwd });
      } catch (err) {
        if (!(err instanceof GuardError)) throw err;
        io.stderr.write(`warning: the mcp-guard config found from here is invalid (${err.message}); wrapped servers will not start until it is fixed\n`);
      }
    }
    const launcher = resolveLauncher();
    const warning = launcherWarning(launcher);
    if (warning !== undefined) io.stderr.write(warning);
    const dryRun = flags.dryRun === true;
    const store = flags.moveSecrets === true ? await configuredStore(io, flags.store) : undefined;
    const moveSecrets = store !== undefined ? { finder: secretFinder(loadRulePacks()), sink: storeSink(store, dryRun) } : undefined;
    const reports = runSetup({ clients, env: io.env, cwd: io.cwd, scope: flags.scope, dryRun, configPath, launcher, moveSecrets, ...(dryRun ? { mask: masker() } : {}) });
    for (const r of reports) if (r.diff !== undefined) io.stdout.write(r.diff);
    io.stdout.write(formatChangeReport(reports, { action: 'setup', dryRun, env: io.env, clientNames: clients.map((c) => c.name) }));
    if (store !== undefined) {
      io.stdout.write(`Secret store: ${store.describe().split(homeDir(io.env) + sep).join(`~${sep}`)}. Moved values are not kept in the configs, their .bak files (masked there) or the setup state.\n`);
    }
    finish(reports, setExitCode);
  };
}

function removeAction(clients: readonly ClientDef[], io: CliIO, setExitCode: (code: number) => void) {
  return async (flags: ChangeFlags): Promise<void> => {
    const dryRun = flags.dryRun === true;
    const includeUnrecorded = flags.includeUnrecorded === true;
    const store = flags.restoreSecrets === true ? await configuredStore(io, flags.store) : undefined;
    const restoreSecrets = store !== undefined ? { get: (name: string) => store.get(name)?.value } : undefined;
    const reports = runRemove({ clients, env: io.env, cwd: io.cwd, scope: flags.scope, dryRun, includeUnrecorded, restoreSecrets, ...(dryRun ? { mask: masker() } : {}) });
    for (const r of reports) if (r.diff !== undefined) io.stdout.write(r.diff);
    io.stdout.write(formatChangeReport(reports, { action: 'remove', dryRun, env: io.env, clientNames: clients.map((c) => c.name) }));
    finish(reports, setExitCode);
  };
}

/**
 * Register `<client> setup`, `<client> remove` (for every name in
 * {@link CLIENT_GROUPS}: claude, claude-code, claude-desktop, cursor, vscode,
 * windsurf, gemini, codex, junie, all) and `assess` on `program`.
 */
export function registerClientCommands(program: Command, io: CliIO, setExitCode: (code: number) => void): void {
  for (const [name, clients] of CLIENT_GROUPS) {
    const who = clients.map((c) => c.name).join(', ');
    const group = program.command(name).description(name === 'all' ? 'wrap or unwrap the MCP servers of every supported agent' : `wrap or unwrap the MCP servers of ${who}`);
    group
      .command('setup')
      .description(`wrap every stdio MCP server of ${who} in mcp-guard proxy`)
      .addOption(scopeOption())
      .option('--dry-run', 'print a unified diff per file and write nothing')
      .option('-c, --config <file>', 'mcp-guard config the wrapped servers use (written as an absolute path)')
      .option('--move-secrets', 'move secrets written inline in env blocks to the secret store; entries then name them (--env NAME=secret:STORE_NAME)')
      .addOption(storeOption())
      .action(setupAction(clients, io, setExitCode));
    group
      .command('remove')
      .description(`restore the MCP server entries of ${who} as they were before setup`)
      .addOption(scopeOption())
      .option('--dry-run', 'print a unified diff per file and write nothing')
      .option('--include-unrecorded', 'also unwrap entries setup has no record of (wrapped by hand, or state file lost)')
      .option('--restore-secrets', 'write secrets moved by setup --move-secrets back inline (without it, such entries stay wrapped)')
      .addOption(storeOption())
      .action(removeAction(clients, io, setExitCode));
  }
  program
    .command('assess')
    .description('report which MCP servers of every agent are wrapped, their risk and inline secrets, and grade the setup (starts no server)')
    .option('--json', 'print the assessment as JSON (schema: docs/clients.md)')
    .option('--client <name>', `only this agent (${[...CLIENT_GROUPS.keys()].join(', ')})`)
    .action(async (flags: { json?: boolean; client?: string }) => {
      const clients = flags.client === undefined ? CLIENTS : clientsByName(flags.client);
      if (clients === undefined) throw new GuardError('USAGE', `unknown client "${flags.client ?? ''}" (known: ${[...CLIENT_GROUPS.keys()].join(', ')})`);
      const lookup = await secretLookup(io);
      const result = assess({ clients, env: io.env, cwd: io.cwd, ...lookup });
      if (flags.json === true) io.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      else {
        const color = (io.stdout as { isTTY?: boolean }).isTTY === true && (io.env['NO_COLOR'] ?? '') === '';
        io.stdout.write(formatAssessment(result, { color, env: io.env }));
      }
      setExitCode(result.exitCode);
    });
}
