/**
 * `setup --remote`: remote entries (url / httpUrl / serverUrl, type http|sse) are wrapped in
 * `proxy --upstream`, header values move into the entry's env block (never into args),
 * setup twice changes nothing, `remove` restores every file byte for byte, and a wrapped
 * entry started as the agent would start it reaches the server with its header.
 */
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseJsonc } from 'jsonc-parser';
import { parse as parseToml } from 'smol-toml';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { CLIENTS } from '../../src/clients/registry.js';
import { runSetup } from '../../src/clients/setup.js';
import { runRemove } from '../../src/clients/remove.js';
import { assess } from '../../src/clients/assess.js';
import { parseWrapped, type Launcher } from '../../src/clients/wrap.js';
import { FAKE_SECRETS, makeHome, snapshot, type FakeHome } from '../clients/helpers.js';
import { runInProcess } from '../secrets/helpers.js';
import { BIN, tempDir } from '../helpers.js';
import { startFaultServer } from './helpers.js';

const LAUNCHER: Launcher = { command: '/opt/node/bin/node', args: ['/opt/mcp-guard/bin/mcp-guard.js'] };

describe('setup --remote', () => {
  let h: FakeHome;
  beforeEach(() => {
    h = makeHome();
  });
  afterEach(() => h.cleanup());
  const opts = (extra: object = {}) => ({ clients: CLIENTS, env: h.env, cwd: h.cwd, launcher: LAUNCHER, remote: true, ...extra });

  it('wraps remote entries, moves header values to env, and remove restores every byte', () => {
    const before = snapshot(h.home);
    const reports = runSetup(opts());
    expect(reports.filter((r) => r.error !== undefined)).toEqual([]);
    const claude = JSON.parse(readFileSync(join(h.home, '.claude.json'), 'utf8')) as { mcpServers: Record<string, Record<string, unknown>> };
    const linear = claude.mcpServers['linear'] as { type: string; command: string; args: string[]; env: Record<string, string> };
    expect(linear).toEqual({
      type: 'stdio',
      command: LAUNCHER.command,
      args: [...LAUNCHER.args, 'proxy', '--name', 'linear', '--upstream', 'https://mcp.linear.app/mcp', '--header-from-env', 'Authorization=MCP_GUARD_HEADER_AUTHORIZATION'],
      env: { MCP_GUARD_HEADER_AUTHORIZATION: 'Bearer ${LINEAR_API_KEY}' },
    });
    expect(parseWrapped(linear.command, linear.args)).toMatchObject({ name: 'linear', upstream: 'https://mcp.linear.app/mcp' });
    // SSE entries say so: Claude Code's type sse, and Gemini's bare url.
    const sentry = JSON.parse(readFileSync(join(h.cwd, '.mcp.json'), 'utf8')).mcpServers.sentry as { args: string[] };
    expect(sentry.args.slice(-4)).toEqual(['--upstream', 'https://mcp.sentry.dev/sse', '--upstream-transport', 'sse']);
    const gemini = parseJsonc(readFileSync(join(h.home, '.gemini', 'settings.json'), 'utf8')).mcpServers;
    expect(gemini.events.args).toContain('sse');
    expect(gemini.atlassian.env).toEqual({ MCP_GUARD_HEADER_AUTHORIZATION: 'Bearer ${ATLASSIAN_TOKEN}' });
    expect(JSON.stringify(gemini.atlassian.args)).not.toContain('Bearer');
    const items = reports.flatMap((r) => r.items);
    // Codex's figma entry keeps its headers in a sub-table, which is not rewritten; it says so.
    expect(items.filter((i) => i.status === 'remote').map((i) => [i.name, i.note])).toEqual([['figma', 'its http_headers is a separate [… .http_headers] table: wrap it by hand']]);
    // assess sees them as wrapped, by their URL.
    const a = assess({ clients: CLIENTS, env: h.env, cwd: h.cwd });
    expect(a.servers.find((x) => x.client === 'claude-code' && x.name === 'linear')).toMatchObject({ wrapped: true, command: 'https://mcp.linear.app/mcp' });
    // A second setup changes nothing.
    const once = snapshot(h.home);
    const again = runSetup(opts());
    expect(again.every((r) => !r.changed)).toBe(true);
    expect(snapshot(h.home)).toEqual(once);
    // remove puts every file back exactly.
    const removed = runRemove({ clients: CLIENTS, env: h.env, cwd: h.cwd });
    expect(removed.filter((r) => r.error !== undefined)).toEqual([]);
    const after = snapshot(h.home);
    for (const [file, bytes] of before) expect(after.get(file)?.equals(bytes), file).toBe(true);
  });

  it("wraps a Codex remote table: the bearer token stays in the environment, literal headers move to env", () => {
    const file = join(h.home, '.codex', 'config.toml');
    const extra = '\n[mcp_servers.linear]  # remote\nurl = "https://mcp.linear.app/mcp"\nbearer_token_env_var = "LINEAR_TOKEN"\nhttp_headers = { "X-Team" = "blue" }\nenv_http_headers = { X-Org = "ORG_ID" }\nstartup_timeout_sec = 20\n';
    writeFileSync(file, readFileSync(file, 'utf8') + extra);
    const before = readFileSync(file);
    const [report] = runSetup(opts({ clients: CLIENTS.filter((c) => c.id === 'codex') }));
    expect(report?.error).toBeUndefined();
    expect(report?.items.find((i) => i.name === 'linear')?.status).toBe('wrapped');
    const text = readFileSync(file, 'utf8');
    expect(text).toContain('[mcp_servers.linear]  # remote\ncommand = "/opt/node/bin/node"\n');
    const entry = (parseToml(text) as { mcp_servers: Record<string, Record<string, unknown>> }).mcp_servers['linear'];
    expect(entry).toEqual({
      command: LAUNCHER.command,
      args: [...LAUNCHER.args, 'proxy', '--name', 'linear', '--upstream', 'https://mcp.linear.app/mcp', '--header', 'Authorization: Bearer ${LINEAR_TOKEN}', '--header-from-env', 'X-Team=MCP_GUARD_HEADER_X_TEAM', '--header-from-env', 'X-Org=ORG_ID'],
      env_vars: ['LINEAR_TOKEN', 'ORG_ID'],
      env: { MCP_GUARD_HEADER_X_TEAM: 'blue' },
      startup_timeout_sec: 20,
    });
    runRemove({ clients: CLIENTS.filter((c) => c.id === 'codex'), env: h.env, cwd: h.cwd });
    expect(readFileSync(file).equals(before)).toBe(true);
  });

  it('without --remote, remote entries are left alone as before', () => {
    const before = readFileSync(join(h.home, '.claude.json'), 'utf8');
    runSetup(opts({ remote: false }));
    const claude = JSON.parse(readFileSync(join(h.home, '.claude.json'), 'utf8'));
    expect(claude.mcpServers.linear).toEqual(JSON.parse(before).mcpServers.linear);
  });

  it('the wrapped entry runs as the agent starts it, and its header reaches the server', async () => {
    const log = join(tempDir(), 'headers.jsonl');
    const server = await startFaultServer({ HEADERS_LOG: log });
    try {
      const file = join(h.home, '.cursor', 'mcp.json');
      mkdirSync(join(h.home, '.cursor'), { recursive: true });
      writeFileSync(file, JSON.stringify({ mcpServers: { remote: { url: server.url, headers: { Authorization: 'Bearer wrapped-secret-0123456789' } } } }, null, 2));
      const [report] = runSetup({ clients: CLIENTS.filter((c) => c.id === 'cursor'), env: h.env, cwd: h.cwd, scope: 'user', remote: true, launcher: { command: process.execPath, args: [BIN] } });
      expect(report?.items.map((i) => i.status)).toEqual(['wrapped']);
      const entry = JSON.parse(readFileSync(file, 'utf8')).mcpServers.remote as { command: string; args: string[]; env: Record<string, string> };
      expect(entry.args.join(' ')).not.toContain('wrapped-secret');
      const transport = new StdioClientTransport({ command: entry.command, args: entry.args, env: { PATH: process.env['PATH'] ?? '', HOME: h.home, XDG_STATE_HOME: tempDir(), MCP_GUARD_CONFIG: '', ...entry.env }, stderr: 'pipe' });
      let err = '';
      transport.stderr?.on('data', (c: Buffer) => (err += c.toString('utf8')));
      const client = new Client({ name: 'agent', version: '1' });
      await client.connect(transport);
      expect((await client.listTools()).tools.map((t) => t.name)).toContain('echo');
      await client.close();
      expect(readFileSync(log, 'utf8')).toContain('"authorization":"Bearer wrapped-secret-0123456789"');
      expect(err).not.toContain('wrapped-secret');
    } finally {
      await server.stop();
    }
  });
  it('setup --remote then --move-secrets: the header token moves to the store and the proxy reads it from there', async () => {
    const log = join(tempDir(), 'headers.jsonl');
    const server = await startFaultServer({ HEADERS_LOG: log });
    const token = FAKE_SECRETS['@@GITHUB_TOKEN@@'] as string;
    const env = { HOME: h.home, PATH: process.env['PATH'] ?? '', XDG_CONFIG_HOME: join(h.home, '.config'), XDG_STATE_HOME: join(h.home, '.local', 'state'), MCP_GUARD_CONFIG: '', MCP_GUARD_SECRET_STORE: 'file' };
    try {
      const file = join(h.home, '.cursor', 'mcp.json');
      mkdirSync(join(h.home, '.cursor'), { recursive: true });
      writeFileSync(file, JSON.stringify({ mcpServers: { remote: { url: server.url, headers: { Authorization: `Bearer ${token}` } } } }, null, 2));
      const setup = await runInProcess(['cursor', 'setup', '--scope', 'user', '--remote', '--move-secrets'], env);
      expect(setup.code).toBe(0);
      const text = readFileSync(file, 'utf8');
      expect(text).not.toContain(token);
      const entry = JSON.parse(text).mcpServers.remote as { command: string; args: string[]; env: Record<string, string> };
      expect(entry.env['MCP_GUARD_HEADER_AUTHORIZATION']).toMatch(/^secret:/);
      const transport = new StdioClientTransport({ command: entry.command, args: entry.args, env: { ...env, ...entry.env }, stderr: 'pipe' });
      let err = '';
      transport.stderr?.on('data', (c: Buffer) => (err += c.toString('utf8')));
      const client = new Client({ name: 'agent', version: '1' });
      await client.connect(transport);
      expect((await client.listTools()).tools.map((t) => t.name)).toContain('echo');
      await client.close();
      expect(readFileSync(log, 'utf8')).toContain(`"authorization":"Bearer ${token}"`);
      expect(err).not.toContain(token);
    } finally {
      await server.stop();
    }
  });
});
