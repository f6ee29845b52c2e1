/**
 * The commander program and a testable `run()`: no `process.exit` anywhere;
 * every path ends in an exit code (see `bin/mcp-guard.js` for the table).
 */
import { Command, CommanderError } from 'commander';
import { GuardError, ExitCode } from '../errors.js';
import { registerProxyCommand } from './proxy-command.js';
import { registerScanCommand } from './scan-command.js';
import { processIO, type CliIO } from './io.js';

/** The package version, kept in step with package.json by the release process. */
export const VERSION = '0.1.0';

/**
 * Build the program with commands bound to `io`.
 * @param lean only the `proxy` and `scan` commands: the proxy starts faster
 *   without loading the agent-config and pin-CLI modules (and their libraries)
 */
export async function buildProgram(io: CliIO, setExit: (code: number) => void, lean = false): Promise<Command> {
  const program = new Command('mcp-guard')
    .description('A transparent security proxy for MCP stdio servers: DLP, prompt injection, tool poisoning and rug-pull detection.')
    .version(VERSION)
    .exitOverride()
    .enablePositionalOptions()
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
    });
  registerProxyCommand(program, io, setExit);
  registerScanCommand(program, io, setExit);
  if (!lean) {
    const [{ registerClientCommands }, { registerPinsCommands }, { registerConfigCommands }] = await Promise.all([
      import('./client-commands.js'),
      import('./pins-command.js'),
      import('./config-command.js'),
    ]);
    registerClientCommands(program, io, setExit);
    registerPinsCommands(program, io, setExit);
    registerConfigCommands(program, io, setExit);
    (await import('./secrets-command.js')).registerSecretsCommands(program, io, setExit);
  }
  return program;
}

/** Report a GuardError on stderr: the message, then one indented line per problem. */
export function reportError(io: CliIO, err: GuardError): void {
  io.stderr.write(`mcp-guard: ${err.message}\n`);
  for (const p of err.problems) io.stderr.write(`  ${p}\n`);
}

/** Exit code for a GuardError. */
export function exitCodeFor(err: GuardError): number {
  return err.code === 'SPAWN_FAILED' ? ExitCode.CANNOT_START : ExitCode.USAGE_OR_CONFIG;
}

/**
 * Run the CLI.
 * @param argv arguments after the program name (e.g. `['proxy', '--', 'node', 's.js']`)
 * @returns the process exit code
 */
export async function run(argv: readonly string[], io: CliIO = processIO()): Promise<number> {
  let code: number = ExitCode.OK;
  // `proxy` is what agents start on every launch: keep its start-up lean.
  const program = await buildProgram(
    io,
    (c) => {
      code = c;
    },
    argv[0] === 'proxy' && !argv.includes('--help') && !argv.includes('-h'),
  );
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return code;
  } catch (err) {
    if (err instanceof CommanderError) {
      return err.exitCode === 0 ? ExitCode.OK : ExitCode.USAGE_OR_CONFIG;
    }
    if (err instanceof GuardError) {
      reportError(io, err);
      return exitCodeFor(err);
    }
    io.stderr.write(`mcp-guard: internal error: ${(err as Error).stack ?? String(err)}\n`);
    return ExitCode.USAGE_OR_CONFIG;
  }
}
