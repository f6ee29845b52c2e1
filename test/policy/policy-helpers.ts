/** Helpers for the policy tests: an SDK Client with the roots capability through the built CLI. */
import { readFileSync, existsSync } from 'node:fs';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { ListRootsRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { BIN, ROOT, jsonLines, tempDir, type Proxied } from '../helpers.js';

/**
 * Start `mcp-guard proxy [proxyArgs] -- node <serverArgs>` with a Client that declares `roots`
 * and answers `roots/list` with `roots()` (a function, so a test can change them and notify).
 */
export async function connectWithRoots(
  serverArgs: string[],
  proxyArgs: string[],
  env: Record<string, string>,
  roots: () => string[],
): Promise<Proxied & { rootsAsked: () => number }> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [BIN, 'proxy', ...proxyArgs, '--', process.execPath, ...serverArgs],
    env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '', MCP_GUARD_CONFIG: '', XDG_STATE_HOME: tempDir(), ...env },
    stderr: 'pipe',
    cwd: ROOT,
  });
  let err = '';
  transport.stderr?.on('data', (c: Buffer) => (err += c.toString('utf8')));
  const client = new Client({ name: 'mcp-guard-test', version: '1.0.0' }, { capabilities: { roots: { listChanged: true } } });
  let asked = 0;
  client.setRequestHandler(ListRootsRequestSchema, () => {
    asked++;
    return { roots: roots().map((uri) => ({ uri })) };
  });
  await client.connect(transport);
  return { client, stderr: () => err, close: () => client.close(), rootsAsked: () => asked };
}

/** Frames the fixture server received ($FIXTURE_LOG). */
export function received(log: string): Array<Record<string, unknown>> {
  return existsSync(log) ? jsonLines(readFileSync(log, 'utf8')) : [];
}

/** The tools/call frames the fixture received, as `name arguments-json`. */
export function receivedCalls(log: string): string[] {
  return received(log)
    .filter((m) => m['method'] === 'tools/call')
    .map((m) => {
      const p = m['params'] as { name: string; arguments: unknown };
      return `${p.name} ${JSON.stringify(p.arguments)}`;
    });
}
