/**
 * `mcp-guard config trust|untrust|list`: decide which working-directory
 * `mcp-guard.yaml` files the proxy may load (see `src/config/trust.ts`).
 * Output is for people, on stdout.
 */
import { readFileSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import type { Command } from 'commander';
import { ExitCode, GuardError } from '../errors.js';
import { parseConfigText, type GuardConfig } from '../config/load.js';
import { addTrust, readTrust, removeTrust, sha256Hex, trustState, trustStorePath } from '../config/trust.js';
import { configJsonSchema } from '../config/json-schema.js';
import type { CliIO } from './io.js';

const HELP = `
A ./mcp-guard.yaml in the working directory can come with any cloned
repository, so the proxy loads one only after you trust it, and only while it
is byte for byte the file you trusted (SHA-256). A file given with -c or
$MCP_GUARD_CONFIG, and your own $XDG_CONFIG_HOME/mcp-guard/config.yaml, need no trust.

Examples:
  $ mcp-guard config trust                  # ./mcp-guard.yaml
  $ mcp-guard config trust ~/work/api/mcp-guard.yaml
  $ mcp-guard config list
  $ mcp-guard config untrust
  $ mcp-guard config schema > mcp-guard.schema.json   # JSON Schema of the whole config, for editors`;

const short = (hash: string): string => hash.slice(0, 12);

/** Settings a reviewer should see before trusting: each weakens the defaults. */
function weakenings(c: GuardConfig): string[] {
  const out: string[] = [];
  if (!c.enforce) out.push('audit mode: nothing is blocked, findings are only logged');
  if (!c.dlp.enabled) out.push('argument DLP is off');
  if (!c.injection.enabled) out.push('response prompt-injection scanning is off');
  if (!c.poisoning.enabled) out.push('tool-poisoning and drift scanning are off');
  if (!c.policy.enabled) out.push('the policy engine (guard_policy) is off');
  else if (!c.policy.paths.defaultDeny) out.push('guard_policy: the built-in path deny globs (~/.ssh, .env, ~/.aws, agent MCP configs) are off');
  if (c.suppress.length > 0) out.push(`${c.suppress.length} suppression(s): ${c.suppress.map((s) => s.rule).join(', ')}`);
  if (c.envPassthrough.length > 0) out.push(`passes to the server: ${c.envPassthrough.join(', ')}`);
  return out;
}

function readBytes(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new GuardError(code === 'ENOENT' ? 'CONFIG_NOT_FOUND' : 'CONFIG_INVALID', `cannot read config ${path}: ${code ?? (err as Error).message}`);
  }
}

/**
 * Register `config` and its subcommands on `program`.
 * Errors are GuardErrors (exit 2): `CONFIG_NOT_FOUND`, `CONFIG_INVALID` (a config
 * that does not validate is never trusted) and `INPUT_INVALID` (a damaged or
 * unwritable trust store).
 */
export function registerConfigCommands(program: Command, io: CliIO, setExit: (code: number) => void): void {
  const print = (lines: readonly string[]): void => {
    io.stdout.write(lines.map((l) => `${l}\n`).join(''));
  };
  const target = (path: string | undefined): string => resolve(io.cwd, path ?? 'mcp-guard.yaml');

  const config = program.command('config').description('trust or untrust a working-directory mcp-guard.yaml').addHelpText('after', HELP);

  config
    .command('trust')
    .description('let the proxy load this mcp-guard.yaml when run from its directory, until the file changes')
    .argument('[path]', 'the file (default: ./mcp-guard.yaml)')
    .action((path: string | undefined) => {
      const file = target(path);
      // Hash the bytes that were validated: what is trusted is what was checked.
      const bytes = readBytes(file);
      const { config: parsed } = parseConfigText(bytes.toString('utf8'), file);
      const entry = addTrust(trustStorePath(io.env), file, sha256Hex(bytes));
      const lines = [`Trusted ${file} (sha256 ${short(entry.sha256)}).`, `mcp-guard loads it when run from ${dirname(file)}, until the file changes.`];
      const notes = weakenings(parsed);
      if (notes.length > 0) lines.push('It weakens the defaults:', ...notes.map((n) => `  - ${n}`));
      if (basename(file) !== 'mcp-guard.yaml') lines.push('Note: only a file named mcp-guard.yaml is discovered; pass other files with -c.');
      print(lines);
      setExit(ExitCode.OK);
    });

  config
    .command('untrust')
    .description('stop loading this mcp-guard.yaml')
    .argument('[path]', 'the file (default: ./mcp-guard.yaml)')
    .action((path: string | undefined) => {
      const file = target(path);
      print([removeTrust(trustStorePath(io.env), file) ? `No longer trusted: ${file}.` : `${file} was not trusted.`]);
      setExit(ExitCode.OK);
    });

  config
    .command('schema')
    .description('print the JSON Schema (draft 2020-12) of the config file, for editors to complete and check it')
    .action(() => {
      io.stdout.write(`${JSON.stringify(configJsonSchema(), null, 2)}\n`);
      setExit(ExitCode.OK);
    });

  config
    .command('list')
    .description('list trusted configs and whether each is unchanged')
    .action(() => {
      const store = trustStorePath(io.env);
      const { file, problem } = readTrust(store);
      if (problem !== undefined) io.stderr.write(`mcp-guard: warning: ${problem}\n`);
      if (file.configs.length === 0) print([`No trusted configs (${store}).`]);
      for (const c of file.configs) {
        let state: string;
        try {
          state = trustState(file, c.path, sha256Hex(readFileSync(c.path))) === 'trusted' ? 'trusted' : 'changed since trusted: not loaded';
        } catch {
          state = 'missing';
        }
        print([`${c.path}  ${short(c.sha256)}  ${c.trustedAt}  ${state}`]);
      }
      setExit(ExitCode.OK);
    });
}
