/**
 * A wrapped entry really runs: setup rewrites a real server's entry, then the
 * SDK Client starts the entry exactly as the agent would (command, args, env)
 * and lists the tools of @modelcontextprotocol/server-everything through
 * mcp-guard. Needs the built CLI (`npm run build`), which bin/mcp-guard.js loads.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CLIENTS } from '../../src/clients/registry.js';
import { runSetup } from '../../src/clients/setup.js';
import { parseWrapped } from '../../src/clients/wrap.js';
import { makeHome, REPO_ROOT, type FakeHome } from './helpers.js';

const EVERYTHING = join(REPO_ROOT, 'node_modules', '@modelcontextprotocol', 'server-everything', 'dist', 'index.js');

describe('a wrapped entry', () => {
  let h: FakeHome;
  beforeAll(() => {
    if (!existsSync(join(REPO_ROOT, 'dist', 'cli', 'program.js'))) throw new Error('dist/ is missing: run `npm run build` first (npm test does)');
  });
  beforeEach(() => {
    h = makeHome();
  });
  afterEach(() => h.cleanup());

  it('starts from the rewritten config and serves the real server’s tools', async () => {
    const file = join(h.home, '.cursor', 'mcp.json');
    mkdirSync(join(h.home, '.cursor'), { recursive: true });
    writeFileSync(file, JSON.stringify({ mcpServers: { everything: { command: process.execPath, args: [EVERYTHING, 'stdio'], env: { EVERYTHING_MODE: 'test' } } } }, null, 2));
    const [report] = runSetup({ clients: CLIENTS.filter((c) => c.id === 'cursor'), env: h.env, cwd: h.cwd, scope: 'user' });
    expect(report?.items.map((i) => i.status)).toEqual(['wrapped']);

    const entry = JSON.parse(readFileSync(file, 'utf8')).mcpServers.everything as { command: string; args: string[]; env: Record<string, string> };
    expect(parseWrapped(entry.command, entry.args)).toMatchObject({ name: 'everything', envNames: ['EVERYTHING_MODE'], command: process.execPath });

    const transport = new StdioClientTransport({
      command: entry.command,
      args: entry.args,
      // what the agent does: its own environment plus the entry's env
      env: { ...entry.env, HOME: h.home, PATH: process.env['PATH'] ?? '', UNRELATED_AGENT_VAR: 'agent-only' },
      cwd: h.cwd,
      stderr: 'pipe',
    });
    const client = new Client({ name: 'mcp-guard-test', version: '0.0.0' });
    try {
      await client.connect(transport);
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name)).toContain('echo');
      const result = await client.callTool({ name: 'echo', arguments: { message: 'through the guard' } });
      expect(JSON.stringify(result.content)).toContain('through the guard');
      // --env EVERYTHING_MODE passes the entry's variable; the agent's other variables are withheld
      const env = await client.callTool({ name: 'get-env', arguments: {} });
      const text = JSON.stringify(env.content);
      expect(text).toContain('EVERYTHING_MODE');
      expect(text).not.toContain('UNRELATED_AGENT_VAR');
    } finally {
      await client.close();
    }
  }, 30_000);
});
