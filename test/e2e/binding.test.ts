/**
 * Session binding before the first tools/list, and secrets used as names.
 * A tools/call before any tools/list used to run a tool whose definition was
 * never scanned; the proxy now lists the tools itself first (under an id the
 * client never sees) and decides on the call against that list.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EVIL, ROOT, connectProxied, errorOf, jsonLines, runCli, tempDir } from '../helpers.js';

const HOSTILE = join(ROOT, 'test', 'fixtures', 'hostile-pairing.js');
const INIT = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } } });
const call = (id: number, name: string, args: object) => JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: args } });

describe('a tools/call before any tools/list', () => {
  it('is decided against a list the proxy fetches itself: a clean tool runs, the client sees only its own answers', async () => {
    const log = join(tempDir(), 'received.jsonl');
    const r = await runCli(['proxy', '--env', 'FIXTURE_LOG', '--', process.execPath, EVIL], `${INIT}\n${call(2, 'add', { a: 2, b: 2 })}\n`, { FIXTURE_LOG: log });
    const out = jsonLines(r.stdout);
    expect(out.map((m) => m['id'])).toEqual([1, 2]);
    expect(out[1]).toMatchObject({ result: { content: [{ text: '4' }] } });
    const received = jsonLines(readFileSync(log, 'utf8'));
    const list = received.findIndex((m) => m['method'] === 'tools/list');
    expect(list).toBeGreaterThan(-1);
    expect(String(received[list]?.['id'])).toMatch(/^mcp-guard:[0-9a-f-]{36}:1$/);
    expect(received.findIndex((m) => m['method'] === 'tools/call')).toBeGreaterThan(list);
  });

  it('of a poisoned tool is refused, and the server never receives it', async () => {
    const log = join(tempDir(), 'received.jsonl');
    const p = await connectProxied([EVIL], ['--env', 'FIXTURE_LOG'], { FIXTURE_LOG: log });
    try {
      const e = await errorOf(p.client.callTool({ name: 'poisoned_calc', arguments: { a: 1, b: 2 } }));
      expect(e.code).toBe(-32001);
      expect(e.message).toMatch(/hidden-tool/);
      expect(readFileSync(log, 'utf8')).not.toMatch(/"method":"tools\/call"/);
      // Later calls see the same list; no second listing.
      expect((await p.client.callTool({ name: 'add', arguments: { a: 1, b: 2 } })).content).toEqual([{ type: 'text', text: '3' }]);
      expect(jsonLines(readFileSync(log, 'utf8')).filter((m) => m['method'] === 'tools/list')).toHaveLength(1);
    } finally {
      await p.close();
    }
  });

  it('is refused with call-before-list when the server cannot list its tools', async () => {
    const r = await runCli(['proxy', '--env', 'HOSTILE_MODE', '--', process.execPath, HOSTILE], `${INIT}\n${call(2, 'add', { a: 2, b: 2 })}\n`, { HOSTILE_MODE: 'no-list' });
    const out = jsonLines(r.stdout);
    expect(out.find((m) => m['id'] === 2)).toMatchObject({ error: { code: -32001, message: expect.stringMatching(/call-before-list.*call tools\/list first/) } });
  });

  it('holds later client frames in order while the proxy lists, and finishes them when the client closes early', async () => {
    const lines = [INIT, call(2, 'add', { a: 1, b: 1 }), call(3, 'add', { a: 1, b: 2 }), JSON.stringify({ jsonrpc: '2.0', id: 4, method: 'ping' })];
    const r = await runCli(['proxy', '--', process.execPath, EVIL], `${lines.join('\n')}\n`);
    const out = jsonLines(r.stdout);
    expect(out.map((m) => m['id'])).toEqual([1, 2, 3, 4]);
    expect(out[2]).toMatchObject({ result: { content: [{ text: '3' }] } });
  });
});

describe('secrets used as names', () => {
  const TOKEN = 'AKIA' + 'Z7Q2M3OC23DL2B6E';
  it('a credential as the tool name or an argument key is masked in the error and in the audit log', async () => {
    const lines = [INIT, JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' }), call(3, TOKEN, { a: 1 }), call(4, 'add', { [TOKEN]: 'x' })];
    const r = await runCli(['proxy', '--', process.execPath, EVIL], lines.map((l) => `${l}\n`), {}, { stepMs: 200 });
    const out = jsonLines(r.stdout);
    expect(out.find((m) => m['id'] === 3)).toMatchObject({ error: { code: -32001 } });
    expect(out.find((m) => m['id'] === 4)).toMatchObject({ error: { code: -32001 } });
    const answers = JSON.stringify(out.filter((m) => m['id'] === 3 || m['id'] === 4));
    expect(answers).not.toContain(TOKEN);
    expect(r.stderr).not.toContain(TOKEN);
    expect(answers).toMatch(/AKIA…\[20 chars\]/);
  });
});
