/**
 * A hostile server attacks request/response pairing and re-serialisation
 * (test/fixtures/hostile-pairing.js), with the SDK's real Client in front of
 * the built CLI. Before these fixes, each of these let a poisoned tools/list
 * reach the model unscanned, or crashed the proxy.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { CreateMessageRequestSchema, ElicitRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { BIN, ROOT, connectProxied, errorOf, jsonLines, tempDir } from '../helpers.js';

const HOSTILE = join(ROOT, 'test', 'fixtures', 'hostile-pairing.js');
const TOKEN = 'AKIA' + 'Z7Q2M3OC23DL2B6E';

async function hostile(mode: string, extraEnv: Record<string, string> = {}) {
  return connectProxied([HOSTILE], ['--env', 'HOSTILE_MODE', '--env', 'FIXTURE_LOG'], { HOSTILE_MODE: mode, FIXTURE_LOG: join(tempDir(), 'log'), ...extraEnv });
}

describe('response pairing', () => {
  for (const mode of ['string-id', 'hex-id']) {
    it(`a tools/list answered with a ${mode} is paired like the SDK pairs it, and the poisoned tool is taken out`, async () => {
      const p = await hostile(mode);
      try {
        const names = (await p.client.listTools()).tools.map((t) => t.name);
        expect(names).toEqual(['add']);
        expect(p.stderr()).toMatch(/"category":"tool-poisoning"/);
      } finally {
        await p.close();
      }
    });
  }

  it('a first answer without "jsonrpc":"2.0" is dropped and does not use up the request; the real answer is scanned', async () => {
    const p = await hostile('no-jsonrpc');
    try {
      const names = (await p.client.listTools()).tools.map((t) => t.name);
      expect(names).toEqual(['add']);
      expect(p.stderr()).toMatch(/server sent an invalid JSON-RPC message; not forwarded/);
      expect(p.stderr()).toMatch(/"category":"tool-poisoning"/);
    } finally {
      await p.close();
    }
  });

  it('an answer sent before its request is not forwarded (unpaired-response), and the real answer is', async () => {
    const p = await hostile('early');
    try {
      const names = (await p.client.listTools()).tools.map((t) => t.name);
      expect(names).toEqual(['add']);
      expect(p.stderr()).toMatch(/"rule":"unpaired-response"/);
    } finally {
      await p.close();
    }
  });

  it('a response with a duplicate key is blocked: the client might keep the copy that was never scanned', async () => {
    const p = await hostile('dup-keys');
    try {
      const e = await errorOf(p.client.listTools());
      expect(e.code).toBe(-32001);
      expect(e.message).toMatch(/duplicate-key at result\.tools/);
    } finally {
      await p.close();
    }
  });
});

describe('re-serialisation is fail-closed', () => {
  it('a redactable credential in a response with a 20,000-deep _meta is blocked, and the proxy keeps serving', async () => {
    const p = await hostile('deep-meta');
    try {
      await p.client.listTools();
      const e = await errorOf(p.client.callTool({ name: 'leak', arguments: {} }));
      expect(e.code).toBe(-32001);
      expect(e.message).toMatch(/frame-too-deep/);
      expect(e.message).not.toContain(TOKEN);
      const ok = await p.client.callTool({ name: 'add', arguments: { a: 2, b: 3 } });
      expect(ok.content).toEqual([{ type: 'text', text: '5' }]);
    } finally {
      await p.close();
    }
  });
});

describe('scan limits', () => {
  it('a response that grows 18× under NFKC is blocked as scan-limit-normalize in bounded time, and a ping still gets its answer', async () => {
    const p = await hostile('fdfa');
    try {
      await p.client.listTools();
      const big = errorOf(p.client.callTool({ name: 'big', arguments: {} }, undefined, { timeout: 20_000 }));
      await p.client.ping();
      const e = await big;
      expect(e.code).toBe(-32001);
      expect(e.message).toMatch(/scan-limit-normalize.*limits\.normalize_chars/);
    } finally {
      await p.close();
    }
  }, 20_000);
});

describe("the client's own responses", () => {
  it('a credential in the answer to sampling/createMessage never reaches the server, which gets an error instead', async () => {
    const log = join(tempDir(), 'log');
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [BIN, 'proxy', '--env', 'HOSTILE_MODE', '--env', 'FIXTURE_LOG', '--', process.execPath, HOSTILE],
      env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '', MCP_GUARD_CONFIG: '', XDG_STATE_HOME: tempDir(), HOSTILE_MODE: 'sampling', FIXTURE_LOG: log },
      stderr: 'pipe',
      cwd: ROOT,
    });
    let stderr = '';
    transport.stderr?.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    const client = new Client({ name: 'sampling-client', version: '1.0.0' }, { capabilities: { sampling: {} } });
    client.setRequestHandler(CreateMessageRequestSchema, () => ({
      role: 'assistant',
      model: 'test-model',
      content: { type: 'text', text: `The config has aws_access_key_id = ${TOKEN} in it.` },
    }));
    await client.connect(transport);
    try {
      await client.listTools();
      const r = await client.callTool({ name: 'ask', arguments: {} });
      const text = (r.content as Array<{ text: string }>)[0]?.text ?? '';
      expect(text).toMatch(/client said: .*-32001/);
      expect(text).toMatch(/the client's response to sampling\/createMessage/);
      expect(readFileSync(log, 'utf8')).not.toContain(TOKEN);
      expect(stderr).not.toContain(TOKEN);
      expect(jsonLines(readFileSync(log, 'utf8')).some((m) => m['id'] === 'ask-1' && 'error' in m)).toBe(true);
    } finally {
      await client.close();
    }
  });

  /** Connect a client with elicitation, whose handler is `handler`, to the hostile server in elicitation mode. */
  async function elicit(handler: () => unknown): Promise<{ text: string; log: string; stderr: string }> {
    const log = join(tempDir(), 'log');
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [BIN, 'proxy', '--env', 'HOSTILE_MODE', '--env', 'FIXTURE_LOG', '--', process.execPath, HOSTILE],
      env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '', MCP_GUARD_CONFIG: '', XDG_STATE_HOME: tempDir(), HOSTILE_MODE: 'elicitation', FIXTURE_LOG: log },
      stderr: 'pipe',
      cwd: ROOT,
    });
    let stderr = '';
    transport.stderr?.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    const client = new Client({ name: 'elicitation-client', version: '1.0.0' }, { capabilities: { elicitation: {} } });
    client.setRequestHandler(ElicitRequestSchema, handler as never);
    await client.connect(transport);
    try {
      await client.listTools();
      const r = await client.callTool({ name: 'ask', arguments: {} });
      return { text: (r.content as Array<{ text: string }>)[0]?.text ?? '', log: readFileSync(log, 'utf8'), stderr };
    } finally {
      await client.close();
    }
  }

  it('a credential the user typed into elicitation/create content never reaches the server', async () => {
    const r = await elicit(() => ({ action: 'accept', content: { key: TOKEN } }));
    expect(r.text).toMatch(/client said: .*-32001/);
    expect(r.text).toMatch(/the client's response to elicitation\/create/);
    expect(r.log).not.toContain(TOKEN);
    expect(r.stderr).not.toContain(TOKEN);
  });

  it('a benign elicitation answer is forwarded unchanged', async () => {
    const r = await elicit(() => ({ action: 'accept', content: { key: 'the staging one' } }));
    expect(r.text).toBe('client said: {"action":"accept","content":{"key":"the staging one"}}');
  });

  it("a credential in the client's error response never reaches the server", async () => {
    const r = await elicit(() => {
      throw new Error(`cannot read config: aws_access_key_id = ${TOKEN}`);
    });
    expect(r.text).toMatch(/client said: .*-32001/);
    expect(r.log).not.toContain(TOKEN);
    expect(r.stderr).not.toContain(TOKEN);
  });
});
