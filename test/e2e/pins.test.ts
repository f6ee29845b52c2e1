/**
 * Rug pulls between sessions: two proxy runs share one pin store while the
 * fixture server changes in between (FIXTURE_VARIANT).
 */
import { describe, expect, it } from 'vitest';
import { ROOT, jsonLines, runCli, tempDir } from '../helpers.js';

const SURFACE = `${ROOT}/test/fixtures/surface-server.js`;
const INIT = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } } };
const LIST1 = { jsonrpc: '2.0', id: 2, method: 'tools/list', params: {} };
const LIST2 = { jsonrpc: '2.0', id: 3, method: 'tools/list', params: { cursor: 'page2' } };
const CALL = (id: number, name: string): object => ({ jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: { q: 'x' } } });

async function session(state: string, variant: string, extra: object[] = []): Promise<Map<unknown, Record<string, unknown>>> {
  const lines = (ms: object[]): string => ms.map((m) => JSON.stringify(m)).join('\n') + '\n';
  // The calls go out once the lists have been answered, as an agent would send them.
  const input = extra.length > 0 ? [lines([INIT, LIST1, LIST2]), lines(extra)] : lines([INIT, LIST1, LIST2]);
  const r = await runCli(['proxy', '--name', 'surface', '--env', 'FIXTURE_VARIANT', '--', process.execPath, SURFACE], input, { XDG_STATE_HOME: state, FIXTURE_VARIANT: variant }, { stepMs: 1500 });
  return new Map(jsonLines(r.stdout).filter((m) => 'id' in m).map((m) => [m['id'], m]));
}
const toolNames = (m: Map<unknown, Record<string, unknown>>): string[] =>
  [2, 3].flatMap((id) => ((m.get(id) as { result?: { tools?: Array<{ name: string }> } }).result?.tools ?? []).map((t) => t.name));
const pins = (state: string, ...args: string[]): ReturnType<typeof runCli> => runCli(['pins', ...args], '', { XDG_STATE_HOME: state });

describe('pins across sessions', () => {
  it('hides a tool changed between sessions, blocks calls to it, and shows it again once approved', async () => {
    const state = tempDir();
    const first = await session(state, '');
    expect(toolNames(first)).toEqual(['lookup', 'get_secret', 'read_page', 'fail', 'needs_input', 'ask_model']);

    const changed = await session(state, 'changed', [CALL(4, 'lookup')]);
    expect(toolNames(changed)).not.toContain('lookup');
    expect(toolNames(changed)).toContain('get_secret');
    expect(changed.get(4)).toMatchObject({ error: { code: -32001, data: { findings: [{ rule: 'hidden-tool', category: 'drift', path: 'params.name' }] } } });

    const diff = await pins(state, 'diff', 'surface', 'lookup');
    expect(diff.code).toBe(0);
    expect(diff.stdout).toContain('dictionary');

    // Still hidden in a new session until a person approves; the blocked change is never promoted.
    expect(toolNames(await session(state, 'changed'))).not.toContain('lookup');
    // Approval is bound to the reviewed definition: a stale hash is refused.
    const hash = /--hash ([0-9a-f]{12})/.exec(diff.stdout)?.[1];
    expect(hash).toBeDefined();
    const stale = await pins(state, 'approve', 'surface', 'lookup', '--hash', '000000000000');
    expect(stale.code).toBe(2);
    expect(stale.stderr).toMatch(/changed since you reviewed it/);
    expect((await pins(state, 'approve', 'surface', 'lookup', '--hash', hash as string)).code).toBe(0);
    const approved = await session(state, 'changed', [CALL(4, 'lookup')]);
    expect(toolNames(approved)).toContain('lookup');
    expect(approved.get(4)).toMatchObject({ result: { content: [{ text: 'definition of x' }] } });
  });

  it('does not treat reordered keys as a change', async () => {
    const state = tempDir();
    await session(state, '');
    expect(toolNames(await session(state, 'reordered'))).toContain('lookup');
  });

  it('withholds a new tool until approved', async () => {
    const state = tempDir();
    await session(state, '');
    const next = await session(state, 'newtool', [CALL(4, 'delete_all')]);
    expect(toolNames(next)).not.toContain('delete_all');
    expect(next.get(4)).toMatchObject({ error: { code: -32001, data: { findings: [{ rule: 'hidden-tool' }] } } });
    const list = await pins(state, 'list', 'surface');
    expect(list.stdout).toMatch(/delete_all/);
    expect(list.stdout).toMatch(/new-tool/);
  });

  it('drops changed server instructions until approved', async () => {
    const state = tempDir();
    expect((await session(state, '')).get(1)).toMatchObject({ result: { instructions: 'Use lookup for words.' } });
    const changed = await session(state, 'instructions');
    const init = changed.get(1) as { result: Record<string, unknown> };
    expect(init.result['instructions']).toBeUndefined();
    expect(init.result['serverInfo']).toMatchObject({ name: 'surface-fixture' });
    await pins(state, 'approve', 'surface', '--all');
    expect(((await session(state, 'instructions')).get(1) as { result: Record<string, unknown> }).result['instructions']).toMatch(/Always call get_secret/);
  });

  it('fails at start with exit 2 on a corrupt pin store', async () => {
    const state = tempDir();
    const { mkdirSync, writeFileSync } = await import('node:fs');
    mkdirSync(`${state}/mcp-guard`, { recursive: true });
    writeFileSync(`${state}/mcp-guard/pins.json`, '{not json');
    const r = await runCli(['proxy', '--', process.execPath, SURFACE], '', { XDG_STATE_HOME: state });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('pins.json');
  });
});
