/**
 * `mcp-guard secrets set|get|list|rm`: the secret store the proxy reads
 * `--env NAME=secret:STORE_NAME` from (src/secrets/store.ts). A value is read
 * from stdin, or from a prompt without echo on a terminal; never from argv
 * (visible in `ps` and shell history). Nothing prints a value: `get` shows it
 * masked (src/scan/mask.ts).
 */
import { Option, type Command } from 'commander';
import { ExitCode, GuardError } from '../errors.js';
import { loadConfig } from '../config/load.js';
import { maskSecret } from '../scan/mask.js';
import { checkStoreName, openSecretStore, storeChoice, STORE_CHOICES, type SecretStore } from '../secrets/store.js';
import type { CliIO } from './io.js';

const HELP = `
The proxy gives a stored secret to the server it starts, and to nothing else:
  "args": ["proxy", "--env", "GITHUB_TOKEN=secret:github", "--", "npx", "-y", "server-github"]
or in config: env.secrets: {GITHUB_TOKEN: github}. \`mcp-guard <agent> setup --move-secrets\`
moves the secrets written in agent configs into the store.

Store: --store, else $MCP_GUARD_SECRET_STORE, else config env.secret_store, else auto
(the OS keychain when it answers, else $XDG_CONFIG_HOME/mcp-guard/secrets.json, mode 0600).

Examples:
  $ mcp-guard secrets set github              # prompts, without echo
  $ printf %s "$TOKEN" | mcp-guard secrets set github
  $ mcp-guard secrets get github --masked
  $ mcp-guard secrets list
  $ mcp-guard secrets rm github`;

/** Largest value accepted, in characters. */
export const MAX_SECRET_CHARS = 64 * 1024;

function storeOption(): Option {
  return new Option('--store <store>', 'auto, keychain or file (default: $MCP_GUARD_SECRET_STORE, config env.secret_store, auto)').choices([...STORE_CHOICES]);
}

/**
 * The store the user configured: flag, environment, then the discovered config
 * (an invalid config is not a reason to refuse: it is named in a warning, unless `quiet`).
 */
export async function configuredStore(io: CliIO, flag: string | undefined, quiet = false): Promise<SecretStore> {
  let fromConfig: 'auto' | 'keychain' | 'file' | undefined;
  if (flag === undefined && (io.env['MCP_GUARD_SECRET_STORE'] ?? '') === '') {
    try {
      fromConfig = loadConfig({ env: io.env, cwd: io.cwd }).config.secretStore;
    } catch (err) {
      if (!(err instanceof GuardError)) throw err;
      if (!quiet) io.stderr.write(`warning: the mcp-guard config found from here is invalid (${err.message}); its env.secret_store is not used\n`);
    }
  }
  return openSecretStore(storeChoice({ flag, env: io.env, config: fromConfig }), io.env);
}

/** Read everything from a non-terminal stdin; one trailing newline (`\n` or `\r\n`) is dropped. */
async function readPiped(stdin: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stdin) {
    const b = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    size += b.length;
    if (size > MAX_SECRET_CHARS * 4) throw new GuardError('INPUT_INVALID', `the value is larger than ${MAX_SECRET_CHARS} characters`);
    chunks.push(b);
  }
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

/** Prompt on stderr and read one line from a terminal with echo off (raw mode). */
function readHidden(io: CliIO, prompt: string): Promise<string> {
  const tty = io.stdin as NodeJS.ReadStream;
  io.stderr.write(prompt);
  return new Promise((resolve, reject) => {
    let value = '';
    const done = (err?: Error): void => {
      tty.setRawMode(false);
      tty.pause();
      tty.off('data', onData);
      io.stderr.write('\n');
      if (err) reject(err);
      else resolve(value);
    };
    const onData = (chunk: Buffer | string): void => {
      for (const ch of chunk.toString()) {
        if (ch === '\r' || ch === '\n') return done();
        if (ch === '\u0003') return done(new GuardError('USAGE', 'cancelled'));
        if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1);
        else value += ch;
      }
    };
    tty.setRawMode(true);
    tty.resume();
    tty.on('data', onData);
  });
}

/**
 * The value for `secrets set`: a prompt on a terminal, else all of stdin.
 * @throws GuardError `INPUT_INVALID` for an empty or oversized value
 */
async function readValue(io: CliIO, name: string): Promise<string> {
  const isTty = (io.stdin as { isTTY?: boolean }).isTTY === true && typeof (io.stdin as NodeJS.ReadStream).setRawMode === 'function';
  const value = isTty ? await readHidden(io, `Value for ${name} (not shown): `) : await readPiped(io.stdin);
  if (value === '') throw new GuardError('INPUT_INVALID', `no value given for ${name} (pipe it on stdin, or type it at the prompt)`);
  if (value.length > MAX_SECRET_CHARS) throw new GuardError('INPUT_INVALID', `the value is larger than ${MAX_SECRET_CHARS} characters`);
  return value;
}

/** Register `secrets` and its subcommands on `program`. */
export function registerSecretsCommands(program: Command, io: CliIO, setExit: (code: number) => void): void {
  const say = (line: string): void => {
    io.stdout.write(`${line}\n`);
  };
  const group = program.command('secrets').description('keep secrets for servers in the OS keychain or a private file, out of agent configs').addHelpText('after', HELP);
  group
    .command('set')
    .description('store a secret: the value comes from stdin or a prompt (never from the command line)')
    .argument('<name>', 'store name (letters, digits, ".", "_", "-", "/")')
    .addOption(storeOption())
    .action(async (name: string, flags: { store?: string }) => {
      checkStoreName(name);
      const store = await configuredStore(io, flags.store);
      const value = await readValue(io, name);
      const previous = store.get(name);
      const backend = store.set(name, value);
      const replaced = previous === undefined ? '' : previous.backend === backend ? ', replacing the previous value' : ` (an older value stays in ${previous.backend.where}: it is read only if this one is gone)`;
      say(`stored ${name} (${maskSecret(value)}) in ${backend.where}${replaced}`);
      setExit(ExitCode.OK);
    });
  group
    .command('get')
    .description('show a secret, masked, and where it is stored (the value is never printed)')
    .argument('<name>', 'store name')
    .option('--masked', 'show the value masked (the only form get prints)', true)
    .addOption(storeOption())
    .action(async (name: string, flags: { store?: string }) => {
      checkStoreName(name);
      const store = await configuredStore(io, flags.store);
      const found = store.get(name);
      if (found === undefined) {
        io.stderr.write(`mcp-guard: no secret named "${name}" in ${store.describe()}\n`);
        setExit(ExitCode.FINDINGS);
        return;
      }
      say(`${name}  ${maskSecret(found.value)}  ${found.backend.where}`);
      setExit(ExitCode.OK);
    });
  group
    .command('list')
    .description('list stored secret names and where each is kept')
    .addOption(storeOption())
    .action(async (flags: { store?: string }) => {
      const store = await configuredStore(io, flags.store);
      const all = store.list();
      say(`store: ${store.describe()}`);
      if (all.length === 0) say('(no secrets)');
      for (const { name, backend } of all) say(`${name}  ${backend.name}`);
      setExit(ExitCode.OK);
    });
  group
    .command('rm')
    .description('delete a stored secret')
    .argument('<name>', 'store name')
    .addOption(storeOption())
    .action(async (name: string, flags: { store?: string }) => {
      checkStoreName(name);
      const store = await configuredStore(io, flags.store);
      const from = store.delete(name);
      if (from.length === 0) {
        io.stderr.write(`mcp-guard: no secret named "${name}" in ${store.describe()}\n`);
        setExit(ExitCode.FINDINGS);
        return;
      }
      say(`deleted ${name} from ${from.map((b) => b.where).join(' and ')}`);
      setExit(ExitCode.OK);
    });
}
