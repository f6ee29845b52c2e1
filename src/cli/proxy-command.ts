/** `mcp-guard proxy [options] -- COMMAND [ARGS...]`. */
import type { Command } from 'commander';
import { runProxy } from '../proxy/run-proxy.js';
import { Recorder } from '../proxy/transcript.js';
import type { CliIO } from './io.js';

const EXAMPLES = `
Examples:
  $ mcp-guard proxy -- npx -y @modelcontextprotocol/server-everything
  $ mcp-guard proxy --name github --env GITHUB_TOKEN -- npx -y @modelcontextprotocol/server-github
  $ mcp-guard proxy -c ./mcp-guard.yaml --env API_BASE=https://api.example.com -- node server.js
  $ mcp-guard proxy --env GITHUB_TOKEN=secret:github -- npx -y @modelcontextprotocol/server-github

In an agent's config, replace the server's command and args:
  "command": "mcp-guard", "args": ["proxy", "--name", "fs", "--", "npx", "-y", "@modelcontextprotocol/server-filesystem", "/tmp"]

The server gets only a safe environment (HOME, PATH, USER, LANG, …); name
every variable it needs with --env or config env.passthrough. At start, withheld
variables that look like settings (*_PATH, *_DIR, *_FILE, *_URL) are named in a
warning (names only, never values).`;

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** Register the `proxy` command; the action stores the exit code through `setExit`. */
export function registerProxyCommand(program: Command, io: CliIO, setExit: (code: number) => void): void {
  program
    .command('proxy')
    .description('run an MCP stdio server behind the scanner chain')
    .usage('[options] -- COMMAND [ARGS...]')
    .argument('<command...>', 'the server command and its arguments (after --)')
    .option('-c, --config <file>', 'config file (default: $MCP_GUARD_CONFIG, ./mcp-guard.yaml once trusted with `config trust`, $XDG_CONFIG_HOME/mcp-guard/config.yaml)')
    .option('--name <name>', 'server name for logs (default: derived from the command)')
    .option('--env <NAME[=VALUE]>', 'pass an environment variable to the server (repeatable); NAME=secret:STORE_NAME gives it a value from the secret store (`mcp-guard secrets`)', collect, [])
    .option('--inherit-env', 'pass the whole environment to the server (not recommended)', false)
    .option('--record <file>', 'record every frame to a new FILE (JSON Lines, mode 0600; an existing file or link is refused) for `mcp-guard scan`; recordings hold raw traffic, secrets included')
    .passThroughOptions()
    .addHelpText('after', EXAMPLES)
    .action(async (command: string[], opts: { config?: string; name?: string; env: string[]; inheritEnv: boolean; record?: string }) => {
      const [cmd, ...args] = command;
      const recorder = opts.record !== undefined ? new Recorder(opts.record) : undefined;
      const code = await runProxy({
        observer: recorder ? (from, message) => recorder.record(from, message) : undefined,
        command: cmd as string,
        args,
        configPath: opts.config,
        name: opts.name,
        envSpecs: opts.env,
        inheritEnv: opts.inheritEnv,
        env: io.env,
        cwd: io.cwd,
        stdin: io.stdin,
        stdout: io.stdout,
        stderr: io.stderr,
      });
      recorder?.close();
      setExit(code);
    });
}
