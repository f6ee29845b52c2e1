/** Frame-size limits and the audit log, through the built CLI. */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EVIL, jsonLines, runCli, tempDir } from '../helpers.js';

const INIT = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } } });
const call = (id: number, name: string, args: object): string => JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: args } });

function configFile(text: string): string {
  const f = join(tempDir(), 'mcp-guard.yaml');
  writeFileSync(f, text);
  return f;
}

describe('frame size limit', () => {
  // `huge` is not listed by the fixture: session binding (require_list) is off here, this block is about frame sizes.
  const cfg = configFile('limits:\n  max_frame_bytes: 65536\nmcp_tool_scanning:\n  require_list: false\n');

  it('rejects an oversized client frame with its id, never forwards it, and keeps going', async () => {
    const big = call(2, 'report_args', { blob: 'a'.repeat(200_000) });
    const input = [INIT, big, call(3, 'add', { a: 1, b: 1 })].join('\n') + '\n';
    const dir = tempDir();
    const log = join(dir, 'received.jsonl');
    const r = await runCli(['proxy', '-c', cfg, '--env', 'FIXTURE_LOG', '--', process.execPath, EVIL], input, { FIXTURE_LOG: log });
    const out = jsonLines(r.stdout);
    expect(out.find((m) => m['id'] === 2)).toMatchObject({ error: { code: -32001, message: expect.stringMatching(/frame of 200\d+ bytes exceeds the 65536-byte limit/), data: { findings: [{ rule: 'frame-too-large', category: 'protocol' }] } } });
    expect(out.find((m) => m['id'] === 3)).toMatchObject({ result: { content: [{ text: '2' }] } });
    expect(readFileSync(log, 'utf8')).not.toContain('"id":2');
  });

  it('answers a pending request when the server sends an oversized response', async () => {
    const input = [INIT, call(2, 'huge', { bytes: 300_000 }), call(3, 'add', { a: 2, b: 2 })].join('\n') + '\n';
    const r = await runCli(['proxy', '-c', cfg, '--', process.execPath, EVIL], input);
    const out = jsonLines(r.stdout);
    expect(out.find((m) => m['id'] === 2)).toMatchObject({ error: { code: -32001, message: expect.stringContaining('exceeds the 65536-byte limit') } });
    expect(out.find((m) => m['id'] === 3)).toMatchObject({ result: { content: [{ text: '4' }] } });
    expect(r.stdout).not.toContain('xxxxxxxx');
  });
});

describe('audit log', () => {
  it('logs one JSON event per decision with the documented fields, to stderr by default', async () => {
    const cfg = configFile('logging:\n  include_allowed: true\n');
    const input = [INIT, call(2, 'fetch_page', { url: 'https://x.example' })].join('\n') + '\n';
    const r = await runCli(['proxy', '-c', cfg, '--name', 'fixture', '--', process.execPath, EVIL], input);
    const events = jsonLines(r.stderr.split('\n').filter((l) => l.startsWith('{')).join('\n'));
    const decisions = events.filter((e) => e['event'] === 'decision');
    const blocked = decisions.find((e) => e['action'] === 'block');
    expect(blocked).toMatchObject({ server: 'fixture', direction: 'server-to-client', method: 'tools/call', id: 2, tool: 'fetch_page' });
    expect(blocked?.['time']).toEqual(expect.any(String));
    expect(blocked?.['scan_us']).toEqual(expect.any(Number));
    expect((blocked?.['findings'] as Array<Record<string, unknown>>)[0]).toMatchObject({ category: 'injection', path: 'result.content[1].text' });
    expect(decisions.some((e) => e['action'] === 'allow' && e['method'] === 'initialize')).toBe(true);
  });

  it('omits allowed frames by default and can write to a file instead of stderr', async () => {
    const dir = tempDir();
    const file = join(dir, 'audit.jsonl');
    const cfg = configFile(`logging:\n  output: file\n  file: ${file}\n`);
    const input = [INIT, call(2, 'fetch_page', { url: 'https://x.example' })].join('\n') + '\n';
    const r = await runCli(['proxy', '-c', cfg, '--', process.execPath, EVIL], input);
    expect(r.stderr).not.toContain('"event":"decision"');
    const decisions = jsonLines(readFileSync(file, 'utf8')).filter((e) => e['event'] === 'decision');
    // The proxy's own tools/list (made before the first tools/call) takes the poisoned tool out: `filter`.
    expect(decisions.map((e) => e['action'])).toEqual(['filter', 'block']);
  });
});
