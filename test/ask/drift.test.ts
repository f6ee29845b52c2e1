/**
 * `ask` for rug pulls and new tools (issue 13): a tool whose definition changed
 * since it was pinned is held in its `tools/list` while the person is asked;
 * allowed, it is shown for this session only (the pins keep the old
 * definition); denied, it is filtered out and the rest of the list still arrives.
 * Also: `mcp-guard scan` replays an `ask` verdict as `ask`.
 */
import { describe, expect, it } from 'vitest';
import { errorOf, runCli, tempDir } from '../helpers.js';
import { askConfig, choose, connectAsking, fakeToken } from './helpers.js';

const names = (r: { tools: Array<{ name: string }> }): string[] => r.tools.map((t) => t.name);

describe('ask: drifted tools', () => {
  it('a drifted tool approved once is shown in that session, and hidden again in the next', async () => {
    const state = tempDir();
    const config = askConfig();
    const first = await connectAsking(config, () => choose('deny'), { XDG_STATE_HOME: state });
    try {
      expect(names(await first.client.listTools())).toEqual(['send', 'echo', 'read_page', 'ask_model', 'lookup']);
      expect(first.questions).toHaveLength(0);
    } finally {
      await first.close();
    }

    const approved = await connectAsking(config, () => choose('allow_once'), { XDG_STATE_HOME: state, ASK_VARIANT: 'changed' });
    try {
      expect(names(await approved.client.listTools())).toEqual(['send', 'echo', 'read_page', 'ask_model', 'lookup']);
      const q = approved.questions[0]?.params as { message: string };
      expect(q.message).toContain('tools/list lists "lookup"');
      expect(q.message).toContain('tool-definition-changed at result.tools[4]');
      expect(await approved.client.callTool({ name: 'lookup', arguments: { q: 'x' } })).toMatchObject({ content: [{ text: 'definition of x' }] });
    } finally {
      await approved.close();
    }

    // Never written to the pins: the next session asks again; denied, the tool is filtered out, the rest arrives.
    const denied = await connectAsking(config, () => choose('deny'), { XDG_STATE_HOME: state, ASK_VARIANT: 'changed' });
    try {
      expect(names(await denied.client.listTools())).toEqual(['send', 'echo', 'read_page', 'ask_model']);
      expect(denied.questions).toHaveLength(1);
      const e = await errorOf(denied.client.callTool({ name: 'lookup', arguments: { q: 'x' } }));
      expect(e.data).toMatchObject({ findings: [{ rule: 'hidden-tool' }] });
      // A call to a hidden tool is not asked about: the person never saw its definition.
      expect(denied.questions).toHaveLength(1);
    } finally {
      await denied.close();
    }
    const pins = await runCli(['pins', 'list', 'ask'], '', { XDG_STATE_HOME: state });
    expect(pins.stdout).toMatch(/lookup/);
    expect(pins.stdout).toMatch(/drift/);

    // Without a person to ask, a drifted tool is withheld as before.
    const headless = await connectAsking(config, undefined, { XDG_STATE_HOME: state, ASK_VARIANT: 'changed' });
    try {
      expect(names(await headless.client.listTools())).toEqual(['send', 'echo', 'read_page', 'ask_model']);
    } finally {
      await headless.close();
    }
  });

  it('allowed for the session, a relisted drifted tool is not asked about again', async () => {
    const state = tempDir();
    const config = askConfig();
    const first = await connectAsking(config, undefined, { XDG_STATE_HOME: state });
    await first.client.listTools();
    await first.close();
    const s = await connectAsking(config, () => choose('allow_session'), { XDG_STATE_HOME: state, ASK_VARIANT: 'changed' });
    try {
      expect(names(await s.client.listTools())).toContain('lookup');
      expect(names(await s.client.listTools())).toContain('lookup');
      expect(s.questions).toHaveLength(1);
    } finally {
      await s.close();
    }
  });
});

describe('ask: new tools (new_tool_admission: ask)', () => {
  it('a tool added after pinning is asked about; allowed once it is listed and callable, denied it is withheld', async () => {
    const state = tempDir();
    const config = askConfig();
    // The same capabilities in every session: a capability new to the server would pin what it lists (src/pins/capabilities.ts).
    const first = await connectAsking(config, () => choose('deny'), { XDG_STATE_HOME: state });
    await first.client.listTools();
    await first.close();
    const allowed = await connectAsking(config, () => choose('allow_once'), { XDG_STATE_HOME: state, ASK_VARIANT: 'newtool' });
    try {
      expect(names(await allowed.client.listTools())).toContain('purge');
      expect((allowed.questions[0]?.params as { message: string }).message).toContain('new-tool at result.tools[5]');
      expect(await allowed.client.callTool({ name: 'purge', arguments: {} })).toMatchObject({ content: [{ text: 'purged' }] });
    } finally {
      await allowed.close();
    }
    const denied = await connectAsking(config, () => ({ action: 'cancel' }), { XDG_STATE_HOME: state, ASK_VARIANT: 'newtool' });
    try {
      expect(names(await denied.client.listTools())).toEqual(['send', 'echo', 'read_page', 'ask_model', 'lookup']);
    } finally {
      await denied.close();
    }
  });
});

describe('scan: ask verdicts', () => {
  it('replays a frame that would ask as "ask", and exits 1', async () => {
    const lines = [
      { from: 'client', message: { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: { elicitation: {} }, clientInfo: { name: 't', version: '1' } } } },
      { from: 'server', message: { jsonrpc: '2.0', id: 1, result: { protocolVersion: '2025-06-18', capabilities: { tools: {} }, serverInfo: { name: 's', version: '1' } } } },
      { from: 'client', message: { jsonrpc: '2.0', id: 2, method: 'tools/list', params: {} } },
      { from: 'server', message: { jsonrpc: '2.0', id: 2, result: { tools: [{ name: 'send', description: 'Send a message.', inputSchema: { type: 'object' } }] } } },
      { from: 'client', message: { jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'send', arguments: { body: fakeToken() } } } },
    ];
    const r = await runCli(['scan', '-c', askConfig(), '-'], lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
    expect(r.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { action: string }).action)).toEqual(['allow', 'allow', 'allow', 'allow', 'ask']);
    expect(r.code).toBe(1);
  });
});
