/**
 * `proxy --listen`: the SDK's StreamableHTTPClientTransport as the client, a stdio child
 * behind (one per session). Wrong or missing token: 401. Foreign Origin or Host: 403.
 * Sessions are isolated: their own server, session binding and pending map.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { base62, crc32 } from '../../src/scan/validators.js';
import { EVERYTHING, ROOT, errorOf, runCli, tempDir } from '../helpers.js';
import { startEverything, startListening, type Spawned } from './helpers.js';

const TOKEN = 'test-token-0123456789abcdefghij';
const SESSION_TOOLS = join(ROOT, 'test', 'fixtures', 'session-tools-server.js');

function tokenFile(): string {
  const file = join(tempDir(), 'token');
  writeFileSync(file, `${TOKEN}\n`, { mode: 0o600 });
  return file;
}

async function connect(url: string, name = 'mcp-guard-test', token = TOKEN): Promise<Client> {
  const client = new Client({ name, version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { Authorization: `Bearer ${token}` } } }));
  return client;
}

const INIT = JSON.stringify({ jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } });

function post(url: string, headers: Record<string, string>, body = INIT): Promise<Response> {
  return fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers }, body });
}

describe('--listen in front of server-everything (stdio child per session)', () => {
  let listen: Spawned;
  let bare: Client;

  beforeAll(async () => {
    listen = await startListening(['--name', 'everything-listen', '--auth-token-file', tokenFile(), '--', process.execPath, EVERYTHING, 'stdio']);
    bare = new Client({ name: 'bare', version: '1.0.0' });
    await bare.connect(new StdioClientTransport({ command: process.execPath, args: [EVERYTHING, 'stdio'], cwd: ROOT, stderr: 'ignore' }));
  });

  afterAll(async () => {
    await bare?.close();
    await listen?.stop();
  });

  it('serves the SDK client exactly what the server gives over stdio', async () => {
    const client = await connect(listen.url);
    const tools = await client.listTools();
    expect(tools.tools.length).toBeGreaterThan(8);
    expect(tools).toEqual(await bare.listTools());
    const args = { message: 'héllo — 你好 🚀' };
    expect(await client.callTool({ name: 'echo', arguments: args })).toEqual(await bare.callTool({ name: 'echo', arguments: args }));
    expect(await client.listResources()).toEqual(await bare.listResources());
    await client.close();
  });

  it('blocks what the chain blocks, as over stdio', async () => {
    const client = await connect(listen.url);
    await client.listTools();
    const body = 'Q7fK2mX9pL4vR8tN1cW6yB3hJ5dG0s';
    const token = `ghp_${body}${base62(crc32(body), 6)}`; // a valid checksum, not a real credential
    const err = await errorOf(client.callTool({ name: 'echo', arguments: { message: token } }));
    expect(err.code).toBe(-32001);
    expect(err.message).toMatch(/github/);
    expect(err.message).not.toContain(token);
    expect(listen.output()).not.toContain(token);
    await client.close();
  });

  it('a wrong or missing token gets 401 with no detail', async () => {
    for (const headers of [{ authorization: 'Bearer wrong-token-0123456789abcdefghij' }, {}, { authorization: `Basic ${TOKEN}` }, { authorization: `Bearer ${TOKEN}x` }]) {
      const res = await post(listen.url, headers);
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Bearer');
      expect(await res.text()).toBe('');
    }
    const err = await connect(listen.url, 'x', 'wrong-token-0123456789abcdefghij').then(
      () => undefined,
      (e: Error) => e,
    );
    expect(err).toBeInstanceOf(Error);
  });

  it('a foreign Origin or Host gets 403 (DNS rebinding), even with the right token', async () => {
    const auth = { authorization: `Bearer ${TOKEN}` };
    for (const origin of ['http://evil.example', 'null', 'http://127.0.0.1.evil.example:80', 'file://']) {
      expect((await post(listen.url, { ...auth, origin })).status).toBe(403);
    }
    const port = new URL(listen.url).port;
    const rebound = await new Promise<number>((ok, fail) => {
      // fetch will not send a Host of our choosing; node:http will.
      void import('node:http').then(({ request }) => {
        const req = request({ host: '127.0.0.1', port, path: '/mcp', method: 'POST', headers: { host: `evil.example:${port}`, 'content-type': 'application/json', ...auth } }, (res) => {
          res.resume();
          ok(res.statusCode ?? 0);
        });
        req.on('error', fail);
        req.end(INIT);
      });
    });
    expect(rebound).toBe(403);
    // A loopback origin is fine.
    const ok = await post(listen.url, { ...auth, origin: `http://localhost:${port}` });
    expect(ok.status).toBe(200);
    await ok.body?.cancel();
  });

  it('refuses a body over max_frame_bytes with 413 (declared or streamed), and a session id it never gave with 404', async () => {
    const port = Number(new URL(listen.url).port);
    const { request } = await import('node:http');
    const status = (headers: Record<string, string | number>, chunks: number): Promise<number> =>
      new Promise((ok, fail) => {
        const req = request({ host: '127.0.0.1', port, path: '/mcp', method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}`, ...headers } }, (res) => {
          res.resume();
          ok(res.statusCode ?? 0);
        });
        req.on('error', fail);
        const mib = Buffer.alloc(1024 * 1024, 'x');
        let sent = 0;
        const more = (): void => {
          while (sent < chunks) {
            sent++;
            if (!req.write(mib)) {
              req.once('drain', more);
              return;
            }
          }
        };
        req.write('{"jsonrpc":"2.0","id":1,"method":"ping","params":{"pad":"');
        more();
      });
    // Declared too long: refused before a byte of the body is read.
    expect(await status({ 'content-length': 17 * 1024 * 1024 }, 0)).toBe(413);
    // Chunked, with no length: refused once the limit is passed, not after the whole body.
    expect(await status({ 'transfer-encoding': 'chunked' }, 64)).toBe(413);
    expect(listen.output()).toMatch(/over the 16777216-byte limit refused \(413\)/);
    expect((await post(listen.url, { authorization: `Bearer ${TOKEN}`, 'mcp-session-id': 'not-a-session' }, '{"jsonrpc":"2.0","id":1,"method":"ping"}')).status).toBe(404);
  });

  it('speaks the session protocol: Mcp-Session-Id, 202 for notifications, one GET stream, DELETE', async () => {
    const auth = { authorization: `Bearer ${TOKEN}` };
    const init = await post(listen.url, auth);
    expect(init.status).toBe(200);
    expect(init.headers.get('content-type')).toBe('text/event-stream');
    const sid = init.headers.get('mcp-session-id') as string;
    expect(sid).toMatch(/^[0-9a-f-]{36}$/);
    expect(await init.text()).toMatch(/^event: message\ndata: \{.*"protocolVersion".*\}\n\n$/s);
    const note = await post(listen.url, { ...auth, 'mcp-session-id': sid }, '{"jsonrpc":"2.0","method":"notifications/initialized"}');
    expect(note.status).toBe(202);
    const get = await fetch(listen.url, { headers: { ...auth, accept: 'text/event-stream', 'mcp-session-id': sid } });
    expect(get.status).toBe(200);
    const second = await fetch(listen.url, { headers: { ...auth, accept: 'text/event-stream', 'mcp-session-id': sid } });
    expect(second.status).toBe(409);
    const del = await fetch(listen.url, { method: 'DELETE', headers: { ...auth, 'mcp-session-id': sid } });
    expect(del.status).toBe(200);
    await get.body?.cancel();
    // The session is gone once its server has shut down.
    let after = 0;
    for (let i = 0; i < 100 && after !== 404; i++) {
      after = (await post(listen.url, { ...auth, 'mcp-session-id': sid }, '{"jsonrpc":"2.0","id":5,"method":"ping"}')).status;
      if (after !== 404) await new Promise((r) => setTimeout(r, 100));
    }
    expect(after).toBe(404);
  });

  it('two concurrent sessions with the same request ids do not mix', async () => {
    const a = await connect(listen.url, 'alpha');
    const b = await connect(listen.url, 'beta');
    await a.listTools();
    await b.listTools();
    // Both clients now send id 2: a slow call in one session, a quick one in the other.
    const slow = a.callTool({ name: 'trigger-long-running-operation', arguments: { duration: 0.5, steps: 1 } });
    const quick = await b.callTool({ name: 'echo', arguments: { message: 'from beta' } });
    expect(JSON.stringify(quick)).toContain('from beta');
    expect(JSON.stringify(await slow)).toContain('Long running operation completed');
    await a.close();
    await b.close();
  });
});

describe('--listen: session isolation of tools and binding', () => {
  let listen: Spawned;

  beforeAll(async () => {
    const config = join(tempDir(), 'mcp-guard.yaml');
    // Pins off: each session's tool differs, which pins would (rightly) hold as new tools.
    writeFileSync(config, 'mcp_tool_scanning:\n  pin: false\n');
    listen = await startListening(['-c', config, '--auth-token-file', tokenFile(), '--', process.execPath, SESSION_TOOLS]);
  });

  afterAll(async () => {
    await listen?.stop();
  });

  it("each session sees only its own tools, and cannot call the other's", async () => {
    const a = await connect(listen.url, 'alpha');
    const b = await connect(listen.url, 'beta');
    expect((await a.listTools()).tools.map((t) => t.name)).toEqual(['alpha_tool']);
    expect((await b.listTools()).tools.map((t) => t.name)).toEqual(['beta_tool']);
    expect(JSON.stringify(await a.callTool({ name: 'alpha_tool', arguments: {} }))).toContain('called alpha_tool');
    // beta's relay never showed alpha_tool to beta: session binding blocks it before its server sees it.
    const err = await errorOf(b.callTool({ name: 'alpha_tool', arguments: {} }));
    expect(err.code).toBe(-32001);
    expect(err.message).toMatch(/unlisted|never|not listed|shown/i);
    await a.close();
    await b.close();
  });
});

describe('--listen in front of --upstream', () => {
  it('relays a Streamable HTTP client to a Streamable HTTP server', async () => {
    const server = await startEverything('streamableHttp');
    const listen = await startListening(['--upstream', server.url]);
    try {
      const client = new Client({ name: 'mcp-guard-test', version: '1.0.0' });
      await client.connect(new StreamableHTTPClientTransport(new URL(listen.url)));
      const direct = new Client({ name: 'mcp-guard-test', version: '1.0.0' });
      await direct.connect(new StreamableHTTPClientTransport(new URL(server.url)));
      expect(await client.listTools()).toEqual(await direct.listTools());
      expect(await client.callTool({ name: 'get-sum', arguments: { a: 1, b: 2 } })).toEqual(await direct.callTool({ name: 'get-sum', arguments: { a: 1, b: 2 } }));
      await client.close();
      await direct.close();
    } finally {
      await listen.stop();
      await server.stop();
    }
  });
});

describe('--listen refuses unsafe binds', () => {
  it('a non-loopback address needs --allow-remote and --auth-token-file (exit 2)', async () => {
    const plain = await runCli(['proxy', '--listen', '0.0.0.0:0', '--', process.execPath, EVERYTHING, 'stdio']);
    expect(plain.code).toBe(2);
    expect(plain.stderr).toMatch(/needs --allow-remote and --auth-token-file/);
    const noAuth = await runCli(['proxy', '--listen', '0.0.0.0:0', '--allow-remote', '--', process.execPath, EVERYTHING, 'stdio']);
    expect(noAuth.code).toBe(2);
    const short = join(tempDir(), 'short');
    writeFileSync(short, 'abc\n', { mode: 0o600 });
    const weak = await runCli(['proxy', '--listen', '127.0.0.1:0', '--auth-token-file', short, '--', process.execPath, EVERYTHING, 'stdio']);
    expect(weak.code).toBe(2);
    expect(weak.stderr).toMatch(/at least 16 characters/);
    expect(weak.stderr).not.toContain('abc');
  });
});
