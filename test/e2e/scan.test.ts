/** `mcp-guard proxy --record` and `mcp-guard scan` replay, through the built CLI. */
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { base62, crc32 } from '../../src/scan/validators.js';
import { EVIL, jsonLines, runCli, tempDir } from '../helpers.js';

const INIT = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } } };
const LIST = (id: number): object => ({ jsonrpc: '2.0', id, method: 'tools/list' });

describe('record and replay', () => {
  it('records a session (mode 0600) and replays it with one verdict per line', async () => {
    const dir = tempDir();
    const rec = join(dir, 'session.jsonl');
    const input = [INIT, LIST(2), LIST(3)].map((m) => JSON.stringify(m)).join('\n') + '\n';
    const live = await runCli(['proxy', '--record', rec, '--', process.execPath, EVIL], input);
    expect(live.code).toBe(0);
    expect(statSync(rec).mode & 0o777).toBe(0o600);
    const records = jsonLines(readFileSync(rec, 'utf8'));
    expect(records.map((r) => r['from'])).toEqual(['client', 'client', 'client', 'server', 'server', 'server']);

    const replay = await runCli(['scan', rec]);
    const verdicts = jsonLines(replay.stdout);
    expect(verdicts).toHaveLength(6);
    expect(verdicts.map((v) => v['index'])).toEqual([0, 1, 2, 3, 4, 5]);
    // The second tools/list result carries the changed `weather` tool: drift, as in the live proxy.
    const last = verdicts[5] as { action: string; findings: Array<{ rule: string; category: string; path: string }> };
    expect(last.action).toBe('block');
    expect(last.findings).toContainEqual({ rule: 'tool-definition-changed', category: 'drift', path: 'result.tools[2]' });
    expect(replay.code).toBe(1);
  });

  it('blocks a credential in a replayed request and exits 1; a clean transcript exits 0', async () => {
    const body = 'Q7wErT9yUiOp3AsDfGhJkLzXcVbNm1';
    const token = `ghp_${body}${base62(crc32(body), 6)}`;
    const call = { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'x', arguments: { t: token } } };
    const dirty = await runCli(['scan', '-'], `${JSON.stringify({ from: 'client', message: call })}\n`);
    expect(dirty.code).toBe(1);
    expect(jsonLines(dirty.stdout)[0]).toMatchObject({ index: 0, action: 'block', findings: [{ category: 'dlp', path: 'params.arguments.t' }] });
    expect(dirty.stdout).not.toContain(body);
    const clean = await runCli(['scan', '-'], `${JSON.stringify({ from: 'client', message: INIT })}\n`);
    expect(clean.code).toBe(0);
    expect(jsonLines(clean.stdout)).toEqual([{ index: 0, action: 'allow', findings: [] }]);
  });

  it('exits 2 naming the line on bad input', async () => {
    const dir = tempDir();
    const f = join(dir, 'bad.jsonl');
    writeFileSync(f, `${JSON.stringify({ from: 'client', message: INIT })}\n{"from":"nobody"}\n`);
    const r = await runCli(['scan', f]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('line 2: expected {"from":"client"|"server","message":{…}}');
    expect((await runCli(['scan', join(dir, 'missing.jsonl')])).code).toBe(2);
  });
});
