/** Helpers for the transport tests: HTTP servers on loopback ports, the proxy in its HTTP modes. */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { BIN, EVERYTHING, ROOT, tempDir } from '../helpers.js';

export const HTTP_FAULT = join(ROOT, 'test', 'fixtures', 'http-fault-server.js');
const LOOPBACK_ONLY = pathToFileURL(join(ROOT, 'test', 'fixtures', 'loopback-only.mjs')).href;

/** A free TCP port on 127.0.0.1 (for servers that take their port from the environment). */
export function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => ok(port));
    });
  });
}

/** A spawned server and how to stop it. */
export interface Spawned {
  readonly url: string;
  readonly child: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

function stopper(child: ChildProcess): () => Promise<void> {
  return async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise((ok) => child.once('exit', ok));
    child.kill('SIGTERM');
    const t = setTimeout(() => child.kill('SIGKILL'), 3000);
    await gone;
    clearTimeout(t);
  };
}

/** Wait until `pattern` shows in the child's stdout or stderr; resolves with its match. */
function waitFor(child: ChildProcess, pattern: RegExp, what: string): Promise<{ match: RegExpExecArray; output: () => string }> {
  let out = '';
  return new Promise((ok, fail) => {
    const look = (c: Buffer): void => {
      out += c.toString('utf8');
      const m = pattern.exec(out);
      if (m) ok({ match: m, output: () => out });
    };
    child.stdout?.on('data', look);
    child.stderr?.on('data', look);
    child.once('exit', (code) => fail(new Error(`${what} exited (${code}) before it was ready: ${out.slice(-2000)}`)));
  });
}

/** server-everything in its `streamableHttp` (path /mcp) or `sse` (path /sse) mode on a free loopback port. */
export async function startEverything(mode: 'streamableHttp' | 'sse'): Promise<Spawned> {
  const port = await freePort();
  // It listens on every interface; the preload keeps it on 127.0.0.1.
  const child = spawn(process.execPath, ['--import', LOOPBACK_ONLY, EVERYTHING, mode], { env: { PATH: process.env['PATH'] ?? '', PORT: String(port) }, stdio: ['ignore', 'pipe', 'pipe'] });
  const { output } = await waitFor(child, /listening on port|running on port/i, `server-everything ${mode}`);
  return { url: `http://127.0.0.1:${port}${mode === 'sse' ? '/sse' : '/mcp'}`, child, output, stop: stopper(child) };
}

/** test/fixtures/http-fault-server.js on a free port. */
export async function startFaultServer(env: Record<string, string> = {}): Promise<Spawned> {
  const child = spawn(process.execPath, [HTTP_FAULT], { env: { PATH: process.env['PATH'] ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const { match, output } = await waitFor(child, /\{"port":(\d+)\}/, 'http-fault-server');
  return { url: `http://127.0.0.1:${match[1]}/mcp`, child, output, stop: stopper(child) };
}

/** The environment every proxy in these tests gets: its own state directory, no user config. */
export function proxyEnv(extra: Record<string, string> = {}): Record<string, string> {
  return { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '', MCP_GUARD_CONFIG: '', XDG_STATE_HOME: tempDir(), ...extra };
}

/** An SDK Client over stdio to `mcp-guard proxy <args>`. */
export async function connectStdioProxy(args: string[], env: Record<string, string> = {}): Promise<{ client: Client; stderr: () => string; close: () => Promise<void> }> {
  const transport = new StdioClientTransport({ command: process.execPath, args: [BIN, 'proxy', ...args], env: proxyEnv(env), stderr: 'pipe', cwd: ROOT });
  let err = '';
  transport.stderr?.on('data', (c: Buffer) => (err += c.toString('utf8')));
  const client = new Client({ name: 'mcp-guard-test', version: '1.0.0' });
  await client.connect(transport);
  return { client, stderr: () => err, close: () => client.close() };
}

/** `mcp-guard proxy --listen 127.0.0.1:0 <args>`, once it is listening; `url` is its /mcp address. */
export async function startListening(args: string[], env: Record<string, string> = {}): Promise<Spawned> {
  const child = spawn(process.execPath, [BIN, 'proxy', '--listen', '127.0.0.1:0', ...args], { env: proxyEnv(env), cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const { match, output } = await waitFor(child, /listening on (http:\/\/[^"\s]+)/, 'mcp-guard --listen');
  return { url: match[1] as string, child, output, stop: stopper(child) };
}

/** The proxy driven with raw lines: what it writes on stdout, line by line, byte for byte. */
export interface RawProxy {
  readonly child: ChildProcess;
  send(frame: unknown): void;
  /** The first stdout line that answers `id` (a response, not a notification). */
  answer(id: number | string): Promise<string>;
  lines(): string[];
  stderr(): string;
  /** End stdin; resolves with the exit code. */
  end(): Promise<number | null>;
  /** Peak resident memory so far, KiB (Linux /proc; undefined elsewhere). */
  peakRssKiB(): number | undefined;
}

/** Start `mcp-guard proxy <args>` and initialize it as a client would (returns after the initialize answer). */
export async function rawProxy(args: string[], env: Record<string, string> = {}): Promise<RawProxy> {
  const child = spawn(process.execPath, [BIN, 'proxy', ...args], { env: proxyEnv(env), cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  const waiters: Array<() => void> = [];
  child.stdout?.on('data', (c: Buffer) => {
    out += c.toString('utf8');
    for (const w of waiters.splice(0)) w();
  });
  child.stderr?.on('data', (c: Buffer) => (err += c.toString('utf8')));
  const exited = new Promise<number | null>((ok) =>
    child.once('exit', (code) => {
      ok(code);
      for (const w of waiters.splice(0)) w();
    }),
  );
  const lines = (): string[] => out.split('\n').filter((l) => l !== '');
  const find = (id: number | string): string | undefined =>
    lines().find((l) => {
      const m = JSON.parse(l) as { id?: unknown; method?: unknown };
      return m.method === undefined && m.id === id;
    });
  const proxy: RawProxy = {
    child,
    send: (frame) => child.stdin?.write(`${JSON.stringify(frame)}\n`),
    answer: (id) =>
      new Promise((ok, fail) => {
        const look = (): void => {
          const hit = find(id);
          if (hit !== undefined) ok(hit);
          else if (child.exitCode !== null) fail(new Error(`proxy exited without answering ${id}: ${err.slice(-1500)}`));
          else waiters.push(look);
        };
        look();
      }),
    lines,
    stderr: () => err,
    end: async () => {
      child.stdin?.end();
      return exited;
    },
    peakRssKiB: () => {
      try {
        const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
        const m = /VmHWM:\s+(\d+) kB/.exec(status);
        return m ? Number(m[1]) : undefined;
      } catch {
        return undefined;
      }
    },
  };
  proxy.send({ jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } });
  await proxy.answer(0);
  proxy.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
  return proxy;
}
