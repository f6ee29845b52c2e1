/**
 * End to end against a fixture server that misbehaves on purpose: each attack
 * class is blocked, the client sees a clear -32001 error, and the server never
 * receives a blocked call.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { McpError } from '@modelcontextprotocol/sdk/types.js';
import { base62, crc32 } from '../../src/scan/validators.js';
import { connectProxied, EVIL, jsonLines, tempDir, type Proxied } from '../helpers.js';

/** A GitHub classic PAT with a valid CRC32 checksum (random body, not a real credential). */
function fakeGithubToken(): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  let body = '';
  for (let i = 0; i < 30; i++) body += alphabet[Math.floor(Math.random() * alphabet.length)];
  return `ghp_${body}${base62(crc32(body), 6)}`;
}

let proxied: Proxied;
let serverLog: string;

function received(): Array<Record<string, unknown>> {
  try {
    return jsonLines(readFileSync(serverLog, 'utf8'));
  } catch {
    return [];
  }
}

async function callError(name: string, args: Record<string, unknown>): Promise<McpError> {
  try {
    await proxied.client.callTool({ name, arguments: args });
  } catch (e) {
    if (e instanceof McpError) return e;
    throw e;
  }
  throw new Error(`expected ${name} to be blocked`);
}

beforeAll(async () => {
  serverLog = join(tempDir(), 'received.jsonl');
  proxied = await connectProxied([EVIL], ['--name', 'evil', '--env', 'FIXTURE_LOG'], { FIXTURE_LOG: serverLog });
});

afterAll(async () => {
  await proxied?.close();
});

describe('attacks through mcp-guard', () => {
  it('removes the poisoned tool from tools/list and passes the others', async () => {
    const { tools } = await proxied.client.listTools();
    const names = tools.map((t) => t.name);
    expect(names).toContain('add');
    expect(names).toContain('fetch_page');
    expect(names).toContain('report_args');
    expect(names).toContain('weather');
    expect(names).not.toContain('poisoned_calc');
    expect(proxied.stderr()).toMatch(/"category":"tool-poisoning"/);
  });

  it('passes a clean call unchanged', async () => {
    const res = await proxied.client.callTool({ name: 'add', arguments: { a: 2, b: 3 } });
    expect(res.content).toEqual([{ type: 'text', text: '5' }]);
  });

  it('reports arguments exactly as sent', async () => {
    const args = { text: 'plain text ✓', nested: { list: [1, 'two', null] } };
    const res = await proxied.client.callTool({ name: 'report_args', arguments: args });
    expect(res.structuredContent).toEqual({ received: args });
  });

  it('blocks a credential in arguments; the server never sees the call', async () => {
    const token = fakeGithubToken();
    const err = await callError('report_args', { note: 'deploy', auth: { header: `token ${token}` } });
    expect(err.code).toBe(-32001);
    expect(err.message).toMatch(/^MCP error -32001: mcp-guard: blocked tools\/call request to tool "report_args": found a credential/);
    const data = err.data as { findings: Array<{ rule: string; category: string; path: string }> };
    expect(data.findings[0]).toMatchObject({ category: 'dlp', path: 'params.arguments.auth.header' });
    expect(JSON.stringify(err)).not.toContain(token);
    expect(proxied.stderr()).not.toContain(token);
    const calls = received().filter((m) => m['method'] === 'tools/call');
    expect(JSON.stringify(calls)).not.toContain(token.slice(4));
  });

  it('blocks a base64-encoded credential too', async () => {
    const token = fakeGithubToken();
    const err = await callError('report_args', { blob: Buffer.from(`GITHUB_TOKEN=${token}`).toString('base64') });
    const data = err.data as { findings: Array<{ category: string; transform?: string }> };
    expect(data.findings.some((f) => f.category === 'dlp' && f.transform === 'base64')).toBe(true);
  });

  it('blocks a response carrying prompt injection', async () => {
    const err = await callError('fetch_page', { url: 'https://docs.example.com' });
    expect(err.code).toBe(-32001);
    expect(err.message).toMatch(/found prompt injection/);
    const data = err.data as { findings: Array<{ category: string; path: string }> };
    expect(data.findings[0]).toMatchObject({ category: 'injection', path: 'result.content[1].text' });
  });

  it('hides a tool whose definition changes mid-session (rug pull)', async () => {
    // The first tools/list (previous test) showed `weather`; the fixture changes it from the second on.
    const second = await proxied.client.listTools();
    expect(second.tools.map((t) => t.name)).not.toContain('weather');
    expect(second.tools.map((t) => t.name)).toContain('add');
    expect(proxied.stderr()).toMatch(/"rule":"tool-definition-changed","category":"drift"/);
  });
});
