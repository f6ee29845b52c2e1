/** `mcp-guard proxy [options] -- COMMAND [ARGS...]`. */
import type { Command } from 'commander';
import { runProxy } from '../proxy/run-proxy.js';
import { Recorder } from '../proxy/transcript.js';
import type { CliIO } from './io.js';
import { GuardError } from '../errors.js';
import type { RemoteOptions } from '../transport/run-remote.js';

const EXAMPLES = `
Examples:
  $ mcp-guard proxy -- npx -y @modelcontextprotocol/server-everything
  $ mcp-guard proxy --name github --env GITHUB_TOKEN -- npx -y @modelcontextprotocol/server-github
  $ mcp-guard proxy -c ./mcp-guard.yaml --env API_BASE=https://api.example.com -- node server.js
  $ mcp-guard proxy --env GITHUB_TOKEN=secret:github -- npx -y @modelcontextprotocol/server-github

  $ mcp-guard proxy --name linear --upstream https://mcp.linear.app/mcp --header-from-env Authorization=LINEAR_AUTH
  $ mcp-guard proxy --listen 127.0.0.1:8889 --auth-token-file ~/.config/mcp-guard/token -- npx -y @modelcontextprotocol/server-everything

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
    .usage('[options] (-- COMMAND [ARGS...] | --upstream URL)')
    .argument('[command...]', 'the server command and its arguments (after --)')
    .option('-c, --config <file>', 'config file (default: $MCP_GUARD_CONFIG, ./mcp-guard.yaml once trusted with `config trust`, $XDG_CONFIG_HOME/mcp-guard/config.yaml)')
    .option('--name <name>', 'server name for logs (default: derived from the command)')
    .option('--env <NAME[=VALUE]>', 'pass an environment variable to the server (repeatable); NAME=secret:STORE_NAME gives it a value from the secret store (`mcp-guard secrets`)', collect, [])
    .option('--inherit-env', 'pass the whole environment to the server (not recommended)', false)
    .option('--record <file>', 'record every frame to a new FILE (JSON Lines, mode 0600; an existing file or link is refused) for `mcp-guard scan`; recordings hold raw traffic, secrets included')
    .option('--upstream <url>', 'a remote MCP server (Streamable HTTP; HTTP+SSE when it answers 4xx to initialize) instead of a command')
    .option('--upstream-transport <kind>', 'auto, streamable-http or sse', 'auto')
    .option('--header <"Name: value">', 'header for every request to --upstream (repeatable); ${VAR} in the value is read from the environment', collect, [])
    .option('--header-from-env <Name=VAR>', 'header whose value is the environment variable VAR (repeatable)', collect, [])
    .option('--header-from-file <Name=PATH>', 'header whose value is the content of the file PATH (repeatable)', collect, [])
    .option('--listen <[host:]port>', 'serve Streamable HTTP on this address (default host 127.0.0.1), in front of --upstream or the command')
    .option('--auth-token-file <file>', '--listen: require "Authorization: Bearer <token>" with the token in FILE')
    .option('--allow-remote', '--listen: allow a non-loopback address (needs --auth-token-file)', false)
    .option('--allow-origin <origin>', '--listen: accept this browser Origin besides loopback ones (repeatable)', collect, [])
    .passThroughOptions()
    .addHelpText('after', EXAMPLES)
    .action(async (command: string[], opts: ProxyCliOptions) => {
      const [cmd, ...args] = command;
      const remote = await remoteOptions(opts, cmd !== undefined, io.env);
      const recorder = opts.record !== undefined ? new Recorder(opts.record) : undefined;
      const code = await runProxy({
        observer: recorder ? (from, message) => recorder.record(from, message) : undefined,
        command: cmd ?? '',
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
        remote,
      });
      recorder?.close();
      setExit(code);
    });
}

interface ProxyCliOptions {
  config?: string;
  name?: string;
  env: string[];
  inheritEnv: boolean;
  record?: string;
  upstream?: string;
  upstreamTransport: string;
  header: string[];
  headerFromEnv: string[];
  headerFromFile: string[];
  listen?: string;
  authTokenFile?: string;
  allowRemote: boolean;
  allowOrigin: string[];
}

/**
 * Check the transport options (before anything starts) and load what they name.
 * The transport modules are loaded only when one is used, so plain `proxy` starts lean.
 * @throws GuardError `USAGE` for a wrong combination, URL, header, address or token file
 */
async function remoteOptions(opts: ProxyCliOptions, hasCommand: boolean, env: NodeJS.ProcessEnv): Promise<RemoteOptions | undefined> {
  const headerCount = opts.header.length + opts.headerFromEnv.length + opts.headerFromFile.length;
  if (opts.upstream === undefined && opts.listen === undefined) {
    if (!hasCommand) throw new GuardError('USAGE', 'proxy: give the server command after --, or --upstream URL');
    if (headerCount > 0) throw new GuardError('USAGE', '--header options need --upstream');
    if (opts.authTokenFile !== undefined || opts.allowRemote || opts.allowOrigin.length > 0) throw new GuardError('USAGE', '--auth-token-file, --allow-remote and --allow-origin need --listen');
    return undefined;
  }
  if (opts.upstream !== undefined && hasCommand) throw new GuardError('USAGE', 'proxy: give either --upstream URL or a command after --, not both');
  if (opts.upstream === undefined && !hasCommand) throw new GuardError('USAGE', '--listen needs --upstream URL or a command after --');
  if (opts.upstream === undefined && headerCount > 0) throw new GuardError('USAGE', '--header options need --upstream');
  const transports = ['auto', 'streamable-http', 'sse'] as const;
  const transport = transports.find((t) => t === opts.upstreamTransport);
  if (transport === undefined) throw new GuardError('USAGE', `--upstream-transport: expected auto, streamable-http or sse`);
  const { buildHeaders, inlineSecretWarnings } = await import('../transport/headers.js');
  let upstream: RemoteOptions['upstream'];
  if (opts.upstream !== undefined) {
    let url: URL;
    try {
      url = new URL(opts.upstream);
    } catch {
      throw new GuardError('USAGE', '--upstream: not a valid URL');
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new GuardError('USAGE', '--upstream: the URL must start with http:// or https://');
    if (url.username !== '' || url.password !== '') throw new GuardError('USAGE', '--upstream: put credentials in a header (--header-from-env), not in the URL');
    const headers = buildHeaders({ inline: opts.header, fromEnv: opts.headerFromEnv, fromFile: opts.headerFromFile }, env);
    upstream = { url, headers, transport, warnings: inlineSecretWarnings(opts.header) };
  }
  if (opts.listen === undefined) {
    if (opts.authTokenFile !== undefined || opts.allowRemote || opts.allowOrigin.length > 0) throw new GuardError('USAGE', '--auth-token-file, --allow-remote and --allow-origin need --listen');
    return { upstream };
  }
  if (opts.record !== undefined) throw new GuardError('USAGE', '--record records one session; it cannot be used with --listen');
  const { parseListen, readAuthToken } = await import('../transport/listen-guard.js');
  const address = parseListen(opts.listen);
  if (!address.loopback && !(opts.allowRemote && opts.authTokenFile !== undefined)) {
    throw new GuardError('USAGE', `--listen ${address.host}: a non-loopback address needs --allow-remote and --auth-token-file`);
  }
  const auth = opts.authTokenFile !== undefined ? readAuthToken(opts.authTokenFile) : undefined;
  const warnings = auth?.warning !== undefined ? [auth.warning] : auth === undefined ? ['--listen without --auth-token-file: any local process can use this server'] : [];
  return { upstream, listen: { address, token: auth?.token, allowOrigins: opts.allowOrigin, warnings } };
}
