/** Shared test helpers: run the built CLI with the SDK's real Client in front of it. */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { McpError } from '@modelcontextprotocol/sdk/types.js';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const BIN = join(ROOT, 'bin', 'mcp-guard.js');
export const EVERYTHING = join(ROOT, 'node_modules', '@modelcontextprotocol', 'server-everything', 'dist', 'index.js');
export const EVIL = join(ROOT, 'test', 'fixtures', 'evil-server.js');

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'mcp-guard-test-'));
}

/** A connected SDK Client talking through `mcp-guard proxy` to `server`. */
export interface Proxied {
  readonly client: Client;
  /** Everything the proxy (and the server) wrote on stderr so far. */
  stderr(): string;
  close(): Promise<void>;
}

/**
 * Start `mcp-guard proxy [proxyArgs] -- node <serverArgs>` and connect a real SDK Client.
 * @param env environment for the proxy process (merged over PATH, HOME and a fresh
 *   XDG_STATE_HOME, so each run has its own pin store unless the test shares one)
 * @param options.cwd the proxy's working directory (default: the repository root)
 */
export async function connectProxied(serverArgs: string[], proxyArgs: string[] = [], env: Record<string, string> = {}, options: { cwd?: string } = {}): Promise<Proxied> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [BIN, 'proxy', ...proxyArgs, '--', process.execPath, ...serverArgs],
    env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '', MCP_GUARD_CONFIG: '', XDG_STATE_HOME: tempDir(), ...env },
    stderr: 'pipe',
    cwd: options.cwd ?? ROOT,
  });
  let err = '';
  transport.stderr?.on('data', (c: Buffer) => (err += c.toString('utf8')));
  const client = new Client({ name: 'mcp-guard-test', version: '1.0.0' });
  await client.connect(transport);
  return { client, stderr: () => err, close: () => client.close() };
}

/** Result of running the CLI to completion with raw stdin lines. */
export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Run the built CLI with `args`, feeding `input` on stdin, and collect its output.
 * An array input is written one part every `stepMs` (default 300 ms), so a test can
 * let responses arrive before it sends the next frames. `options.cwd` is the
 * working directory (default: the repository root).
 */
export function runCli(
  args: string[],
  input: string | string[] = '',
  env: Record<string, string> = {},
  options: { keepOpenMs?: number; stepMs?: number; cwd?: string } = {},
): Promise<CliResult> {
  return new Promise((ok) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: options.cwd ?? ROOT,
      env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '', MCP_GUARD_CONFIG: '', XDG_STATE_HOME: tempDir(), ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    child.on('close', (code) => ok({ code, stdout, stderr }));
    const parts = typeof input === 'string' ? [input] : input;
    const step = options.stepMs ?? 300;
    parts.forEach((part, i) => (i === 0 ? child.stdin.write(part) : setTimeout(() => child.stdin.write(part), i * step)));
    const endAt = (parts.length - 1) * step + (options.keepOpenMs ?? 0);
    if (endAt === 0) child.stdin.end();
    else setTimeout(() => child.stdin.end(), endAt);
  });
}

/** Parse newline-delimited JSON output. */
export function jsonLines(text: string): Array<Record<string, unknown>> {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/**
 * The labelled corpus: `$MCP_GUARD_CORPUS`, else `../shared/corpus` (the team's
 * copy), else the vendored copy in `test/corpus` (same files, with their licences).
 */
export function corpusDir(): string {
  const fromEnv = process.env['MCP_GUARD_CORPUS'];
  if (fromEnv) return fromEnv;
  const shared = resolve(ROOT, '..', 'shared', 'corpus');
  return existsSync(join(shared, 'README.md')) ? shared : join(ROOT, 'test', 'corpus');
}

/** The MCP error a request is answered with; fails the test when it succeeds or throws anything else. */
export async function errorOf(p: Promise<unknown>): Promise<McpError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof McpError) return e;
    throw e;
  }
  throw new Error('expected an MCP error');
}
