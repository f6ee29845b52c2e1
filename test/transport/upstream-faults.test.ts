/**
 * `proxy --upstream` against test/fixtures/http-fault-server.js, which misbehaves on
 * purpose: frames pass byte for byte, headers arrive and never show in logs, a slow
 * answer does not hold others, a stream cut short is resumed, a 50 MB answer is refused
 * in bounded memory, and an upstream that dies mid-stream leaves nothing pending.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { errorOf, jsonLines, runCli, tempDir } from '../helpers.js';
import { connectStdioProxy, rawProxy, startEverything, startFaultServer, type RawProxy, type Spawned } from './helpers.js';

let server: Spawned | undefined;
let proxy: RawProxy | undefined;

afterEach(async () => {
  if (proxy) await proxy.end();
  await server?.stop();
  proxy = undefined;
  server = undefined;
});

const call = (id: number, name: string) => ({ jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: {} } });
const list = (id: number) => ({ jsonrpc: '2.0', id, method: 'tools/list' });

describe('--upstream against a misbehaving server', () => {
  it('forwards frames byte for byte and sends the headers, which never show in the log', async () => {
    const dir = tempDir();
    const log = join(dir, 'headers.jsonl');
    const tokenFile = join(dir, 'token');
    writeFileSync(tokenFile, 'file-secret-0123456789abcdef\n', { mode: 0o600 });
    server = await startFaultServer({ HEADERS_LOG: log });
    const env = { UPSTREAM_TOKEN: 'Bearer env-secret-0123456789abcdef', INLINE_PART: 'inline-secret-0123456789' };
    proxy = await rawProxy(
      ['--upstream', server.url, '--header-from-env', 'Authorization=UPSTREAM_TOKEN', '--header', 'X-Inline: v=${INLINE_PART}', '--header-from-file', `X-File=${tokenFile}`],
      env,
    );
    proxy.send(list(1));
    await proxy.answer(1);
    proxy.send(call(2, 'echo'));
    // JSON allows a line break only between tokens: it becomes a space; every other byte is the server's.
    expect(await proxy.answer(2)).toBe('{"jsonrpc":"2.0","id":2,"result":{"content":[{"type":"text","text":"caf\\u00e9 \\/ ok"}],  "x-unknown":1.0,"z":{"b":1,"a":2}}}');
    const requests = readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { method: string; headers: Record<string, string> });
    const posts = requests.filter((r) => r.method === 'POST');
    expect(posts.length).toBeGreaterThanOrEqual(4);
    for (const r of posts) {
      expect(r.headers['authorization']).toBe('Bearer env-secret-0123456789abcdef');
      expect(r.headers['x-inline']).toBe('v=inline-secret-0123456789');
      expect(r.headers['x-file']).toBe('file-secret-0123456789abcdef');
      expect(r.headers['accept']).toBe('application/json, text/event-stream');
    }
    // Every request after initialize carries the session and the negotiated protocol version.
    expect(posts.slice(1).every((r) => r.headers['mcp-session-id'] === 'fixture-session-1' && r.headers['mcp-protocol-version'] === '2025-06-18')).toBe(true);
    await proxy.end();
    expect(proxy.stderr()).not.toMatch(/env-secret|inline-secret|file-secret/);
    expect(readFileSync(log, 'utf8')).toMatch(/"method":"DELETE"/);
  });

  it("the SDK's client transport would not keep those bytes (why the proxy has its own client)", async () => {
    server = await startFaultServer();
    const t = new StreamableHTTPClientTransport(new URL(server.url));
    const got: JSONRPCMessage[] = [];
    t.onmessage = (m) => got.push(m);
    await t.start();
    await t.send({ jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'sdk', version: '1' } } });
    await t.send({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'echo', arguments: {} } });
    await t.close();
    const echo = got.find((m) => 'id' in m && m.id === 2);
    // It hands over parsed objects: re-serialised, the escapes and the 1.0 are gone.
    expect(JSON.stringify(echo)).not.toContain('caf\\u00e9');
    expect(JSON.stringify(echo)).not.toContain('1.0');
  });

  it('--record writes the session, and scan replays it', async () => {
    server = await startFaultServer();
    const record = join(tempDir(), 'session.jsonl');
    proxy = await rawProxy(['--record', record, '--upstream', server.url]);
    proxy.send(list(1));
    await proxy.answer(1);
    proxy.send(call(2, 'echo'));
    await proxy.answer(2);
    await proxy.end();
    proxy = undefined;
    const frames = jsonLines(readFileSync(record, 'utf8'));
    expect(frames.map((f) => f['from'])).toEqual(['client', 'server', 'client', 'client', 'server', 'client', 'server']);
    const replay = await runCli(['scan', record]);
    expect(replay.code).toBe(0);
    expect(jsonLines(replay.stdout).every((v) => v['action'] === 'allow')).toBe(true);
  });

  it('passes on what the server sends on the GET stream', async () => {
    server = await startFaultServer();
    proxy = await rawProxy(['--upstream', server.url]);
    proxy.send(list(1));
    await proxy.answer(1);
    proxy.send(call(2, 'notify'));
    expect(await proxy.answer(2)).toContain('"notified"');
    // Two connections: the notification may come after the answer. Wait for it (no time limit is asserted).
    for (let i = 0; i < 100 && !proxy.lines().some((l) => l.includes('on the GET stream')); i++) await new Promise((r) => setTimeout(r, 50));
    expect(proxy.lines().some((l) => l.includes('on the GET stream'))).toBe(true);
  });

  it('a slow answer does not hold the others back, and arrives', async () => {
    server = await startFaultServer({ SLOW_MS: '600' });
    proxy = await rawProxy(['--upstream', server.url]);
    proxy.send(list(1));
    await proxy.answer(1);
    proxy.send(call(2, 'slow'));
    proxy.send({ jsonrpc: '2.0', id: 3, method: 'ping' });
    await proxy.answer(3);
    expect(proxy.lines().some((l) => l.includes('slow answer'))).toBe(false);
    expect(await proxy.answer(2)).toContain('slow answer');
  });

  it('resumes a stream cut short with Last-Event-ID', async () => {
    const dir = tempDir();
    const log = join(dir, 'headers.jsonl');
    server = await startFaultServer({ HEADERS_LOG: log });
    proxy = await rawProxy(['--upstream', server.url]);
    proxy.send(list(1));
    await proxy.answer(1);
    proxy.send(call(2, 'resume'));
    expect(await proxy.answer(2)).toContain('resumed answer');
    expect(readFileSync(log, 'utf8')).toMatch(/"last-event-id":"resume-1"/);
  });

  it('guard_policy applies per server identity behind --upstream too (--name reaches the chain)', async () => {
    server = await startFaultServer();
    const config = join(tempDir(), 'mcp-guard.yaml');
    writeFileSync(config, 'guard_policy:\n  tools:\n    servers:\n      remote-one:\n        deny: ["echo"]\n');
    proxy = await rawProxy(['-c', config, '--name', 'remote-one', '--upstream', server.url]);
    proxy.send(list(1));
    expect(await proxy.answer(1)).not.toContain('"echo"');
    proxy.send(call(2, 'echo'));
    const denied = JSON.parse(await proxy.answer(2)) as { error: { code: number; data: { findings: Array<{ rule: string }> } } };
    expect(denied.error.code).toBe(-32001);
    expect(denied.error.data.findings.map((f) => f.rule)).toContain('tool-denied');
  });

  it('refuses a 50 MB answer as frame-too-large in bounded memory, JSON and SSE, and goes on', async () => {
    server = await startFaultServer();
    const config = join(tempDir(), 'mcp-guard.yaml');
    writeFileSync(config, 'limits:\n  max_frame_bytes: 1048576\n');
    proxy = await rawProxy(['-c', config, '--upstream', server.url]);
    proxy.send(list(1));
    await proxy.answer(1);
    // A warm-up answer of ordinary size: the peak after it is the baseline (Node 24's is higher than 20's).
    proxy.send(call(5, 'echo'));
    await proxy.answer(5);
    const base = proxy.peakRssKiB();
    proxy.send(call(2, 'big-json'));
    const json = JSON.parse(await proxy.answer(2)) as { error: { code: number; data: { findings: Array<{ rule: string }> } } };
    expect(json.error.code).toBe(-32001);
    expect(json.error.data.findings[0]?.rule).toBe('frame-too-large');
    proxy.send(call(3, 'big-sse'));
    const sse = JSON.parse(await proxy.answer(3)) as { error: { code: number; message: string } };
    expect(sse.error.code).toBe(-32001);
    expect(sse.error.message).toContain('exceeds the 1048576-byte limit');
    proxy.send(call(4, 'echo'));
    expect(await proxy.answer(4)).toContain('caf');
    // The notification after the big event came through: the stream went on past it.
    expect(proxy.lines().some((l) => l.includes('after the big one'))).toBe(true);
    const peak = proxy.peakRssKiB();
    // The limit is 1 MiB; holding one 50 MB answer as bytes and then as text would add over 100 MB to
    // the peak before it. Measured as growth, since the baseline differs between Node versions. Seen
    // here: about 18 MB on Node 20, about 62 MB on Node 24 (chunks read past the limit and not yet
    // collected, or fetch buffering ahead: not analysed), so the bound is 90 MiB.
    if (process.env['MCP_GUARD_RSS_DEBUG']) process.stderr.write(`rss base ${base} peak ${peak}\n`);
    if (peak !== undefined && base !== undefined) expect(peak - base).toBeLessThan(90 * 1024);
    expect(proxy.stderr()).toMatch(/"rule":"frame-too-large"/);
  });

  it('the upstream dies mid-stream: the pending request gets -32000 and nothing hangs', async () => {
    server = await startFaultServer();
    proxy = await rawProxy(['--upstream', server.url]);
    proxy.send(list(1));
    await proxy.answer(1);
    proxy.send(call(2, 'die'));
    const answer = JSON.parse(await proxy.answer(2)) as { error: { code: number; message: string } };
    expect(answer.error.code).toBe(-32000);
    expect(answer.error.message).toMatch(/upstream/);
    proxy.send({ jsonrpc: '2.0', id: 3, method: 'ping' });
    const after = JSON.parse(await proxy.answer(3)) as { error: { code: number } };
    expect(after.error.code).toBe(-32000);
    expect(await proxy.end()).toBe(0);
  });

  it('the upstream ends the session (404): pending requests get -32000 and the proxy exits 1', async () => {
    server = await startFaultServer();
    proxy = await rawProxy(['--upstream', server.url]);
    proxy.send(list(1));
    await proxy.answer(1);
    proxy.send(call(2, 'forget'));
    expect(await proxy.answer(2)).toContain('forgotten');
    proxy.send({ jsonrpc: '2.0', id: 3, method: 'ping' });
    const answer = JSON.parse(await proxy.answer(3)) as { error: { code: number } };
    expect(answer.error.code).toBe(-32000);
    expect(await proxy.end()).toBe(1);
    expect(proxy.stderr()).toMatch(/upstream session ended \(HTTP 404\)/);
  });
});

describe('--upstream against the legacy SSE transport', () => {
  it('the server dies mid-stream: the pending call gets -32000 and the proxy exits', async () => {
    const everything = await startEverything('sse');
    const p = await connectStdioProxy(['--upstream', everything.url]);
    try {
      await p.client.listTools();
      const pending = errorOf(p.client.callTool({ name: 'trigger-long-running-operation', arguments: { duration: 30, steps: 30 } }, undefined, { timeout: 20_000 }));
      await new Promise((r) => setTimeout(r, 300));
      await everything.stop();
      const err = await pending;
      expect(err.code).toBe(-32000);
      // The proxy logs the end right after it answered; wait for the line (no time limit is asserted).
      for (let i = 0; i < 100 && !/upstream session ended/.test(p.stderr()); i++) await new Promise((r) => setTimeout(r, 50));
      expect(p.stderr()).toMatch(/upstream session ended: upstream closed its SSE stream/);
    } finally {
      await p.close();
      await everything.stop();
    }
  });
});
