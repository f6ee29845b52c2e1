/**
 * Every surface that reaches the model is scanned (issue: whole MCP surface):
 * a fixture server puts an attack on each one, driven with raw JSON-RPC lines
 * through the built CLI.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { base62, crc32 } from '../../src/scan/validators.js';
import { ROOT, jsonLines, runCli, type CliResult } from '../helpers.js';

const SURFACE = `${ROOT}/test/fixtures/surface-server.js`;
const body = 'Sf3kQ9wLm2Xv7RtY1pZc8NbH4dJg6A';
const TOKEN = `ghp_${body}${base62(crc32(body), 6)}`;

let r: CliResult;
let byId: Map<unknown, Record<string, unknown>>;
const frames: string[] = [];
const req = (id: number | string, method: string, params: object = {}): void => {
  frames.push(JSON.stringify({ jsonrpc: '2.0', id, method, params }));
};

beforeAll(async () => {
  req(1, 'initialize', { protocolVersion: '2025-06-18', capabilities: { sampling: {}, elicitation: {} }, clientInfo: { name: 't', version: '1' } });
  frames.push(JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }));
  req(2, 'tools/list');
  req(3, 'tools/list', { cursor: 'page2' });
  req(4, 'tools/call', { name: 'get_secret', arguments: {} });
  req(5, 'tools/call', { name: 'read_page', arguments: {} });
  req(6, 'tools/call', { name: 'fail', arguments: {} });
  req(7, 'tools/call', { name: 'needs_input', arguments: {} });
  req(8, 'prompts/list');
  req(9, 'prompts/get', { name: 'summarize' });
  req(10, 'resources/list');
  req(11, 'resources/templates/list');
  req(12, 'resources/read', { uri: 'file:///notes.txt' });
  req(13, 'resources/read', { uri: 'file:///data.json' });
  req(14, 'resources/read', { uri: 'file:///image.png' });
  req(15, 'completion/complete', { ref: { type: 'ref/prompt', name: 'summarize' }, argument: { name: 'x', value: 'a' } });
  req(16, 'tasks/result', { taskId: 't1' });
  req(17, 'tools/call', { name: 'ask_model', arguments: {} });
  req(18, 'elicitation/trigger');
  req(19, 'tools/call', { name: 'lookup', arguments: { q: 'word' } });
  r = await runCli(['proxy', '--name', 'surface', '--env', 'FIXTURE_TOKEN', '--', process.execPath, SURFACE], frames.join('\n') + '\n', { FIXTURE_TOKEN: TOKEN }, { keepOpenMs: 1500 });
  byId = new Map(jsonLines(r.stdout).filter((m) => 'id' in m).map((m) => [m['id'], m]));
});

const blocked = (id: number, category = 'injection'): void => {
  const m = byId.get(id) as { error?: { code: number; data: { findings: Array<{ category: string }> } } };
  expect(m?.error?.code, `id ${id}`).toBe(-32001);
  expect(m?.error?.data.findings.map((f) => f.category), `id ${id}`).toContain(category);
};

describe('whole MCP surface', () => {
  it('passes clean frames, including initialize instructions and a binary blob', () => {
    expect(byId.get(1)).toMatchObject({ result: { instructions: 'Use lookup for words.' } });
    expect(byId.get(10)).toMatchObject({ result: { resources: [{ uri: 'file:///notes.txt' }] } });
    expect(byId.get(14)).toMatchObject({ result: { contents: [{ mimeType: 'image/png' }] } });
    expect(byId.get(19)).toMatchObject({ result: { content: [{ text: 'definition of word' }] } });
  });

  it('scans every tools/list page', () => {
    expect((byId.get(2) as { result: { tools: unknown[]; nextCursor: string } }).result.nextCursor).toBe('page2');
    expect((byId.get(3) as { result: { tools: Array<{ name: string }> } }).result.tools.map((t) => t.name)).toEqual(['read_page', 'fail', 'needs_input', 'ask_model']);
  });

  it('redacts a credential a server returns, keeping valid JSON-RPC', () => {
    const m = byId.get(4) as { result: { content: Array<{ text: string }>; structuredContent: { token: string } } };
    expect(m.result.content[0]?.text).toBe('token: [REDACTED:github-pat] (keep it safe)');
    expect(m.result.structuredContent.token).toBe('[REDACTED:github-pat]');
    expect(r.stdout).not.toContain(body);
    expect(r.stderr).not.toContain(body);
  });

  it('blocks injection in tool results, error messages and inputRequests', () => {
    blocked(5);
    blocked(6);
    expect((byId.get(6) as { error: { message: string } }).error.message).not.toContain('Ignore all previous');
    blocked(7);
  });

  it('filters a poisoned prompt and resource template out of their lists; blocks prompts/get messages', () => {
    expect((byId.get(8) as { result: { prompts: Array<{ name: string }> } }).result.prompts.map((p) => p.name)).toEqual(['summarize']);
    expect((byId.get(11) as { result: { resourceTemplates: Array<{ name: string }> } }).result.resourceTemplates.map((t) => t.name)).toEqual(['files']);
    blocked(9);
  });

  it('blocks injection in resources/read text and textual blobs, completions and tasks/result', () => {
    blocked(12);
    blocked(13);
    blocked(15);
    blocked(16);
  });

  it('drops injected log notifications and answers blocked sampling/elicitation requests for the client', () => {
    const all = jsonLines(r.stdout);
    expect(all.some((m) => m['method'] === 'notifications/message' && JSON.stringify(m).includes('Ignore all previous'))).toBe(false);
    expect(all.some((m) => m['method'] === 'sampling/createMessage' || m['method'] === 'elicitation/create')).toBe(false);
    // The server got our error for its sampling request, and said so in a (clean) log line.
    expect(all.some((m) => m['method'] === 'notifications/message' && JSON.stringify(m).includes('-32001'))).toBe(true);
    expect(byId.get(17)).toMatchObject({ result: { content: [{ text: 'asked' }] } });
    expect(byId.get(18)).toMatchObject({ result: {} });
    expect(r.stderr).toMatch(/"method":"elicitation\/create"/);
  });
});
