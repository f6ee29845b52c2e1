/**
 * A hostile server must not grow the pin store without limit (issue 9): one that lists
 * 1,500 fresh tool names on every `tools/list` is held to the caps of `STORE_CAPS`, and
 * what does not fit stays hidden with a finding that says why. Through the built CLI,
 * with the SDK's Client in front of test/fixtures/fault-many-tools.js.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, connectProxied, tempDir } from '../helpers.js';

const MANY = join(ROOT, 'test', 'fixtures', 'fault-many-tools.js');
/** `STORE_CAPS` as documented (spelled out, so this file also runs against a build without them). */
const CAPS = { pinnedPerKind: 1000, pendingPerServer: 256, definitionChars: 128 * 1024 };

interface Entry {
  tools: Record<string, unknown>;
  pending: Record<string, { reason: string }>;
}

function entry(store: string, server: string): Entry {
  return (JSON.parse(readFileSync(store, 'utf8')) as { servers: Record<string, Entry> }).servers[server] as Entry;
}

describe('pin store caps', () => {
  it('keeps pins.json bounded when a server lists 1,500 fresh tool names on every list', { timeout: 120_000 }, async () => {
    const state = tempDir();
    const names = join(tempDir(), 'names.json');
    const store = join(state, 'mcp-guard', 'pins.json');
    const p = await connectProxied([MANY], ['--name', 'many', '--env', 'FAULT_LAST_NAMES'], { XDG_STATE_HOME: state, FAULT_LAST_NAMES: names });
    try {
      // First use pins up to the cap and shows those; the rest waits as new, up to the pending cap.
      const first = await p.client.listTools();
      expect(first.tools).toHaveLength(CAPS.pinnedPerKind);
      const sizes: number[] = [];
      for (let i = 0; i < 4; i++) {
        const next = await p.client.listTools();
        // Nothing fresh is admitted once the store is full: the client sees no new tool.
        expect(next.tools).toEqual([]);
        sizes.push(statSync(store).size);
      }
      expect(new Set(sizes).size).toBe(1); // the file no longer grows
      const e = entry(store, 'many');
      expect(Object.keys(e.tools)).toHaveLength(CAPS.pinnedPerKind);
      expect(Object.keys(e.pending)).toHaveLength(CAPS.pendingPerServer);
      // Well under the size a store of every listed tool would reach (7,500 definitions).
      expect(sizes[0] as number).toBeLessThan(1024 * 1024);

      // A tool beyond the cap is hidden: calling it is refused, and the log says why.
      const last = JSON.parse(readFileSync(names, 'utf8')) as string[];
      await expect(p.client.callTool({ name: last[0] as string, arguments: {} })).rejects.toThrow(/hidden-tool/);
      expect(p.stderr()).toMatch(/pin-pending-cap/);
      // Tools pinned on first use still work.
      const shown = first.tools[0]?.name as string;
      expect(await p.client.callTool({ name: shown, arguments: {} })).toMatchObject({ content: [{ text: `called ${shown}` }] });
    } finally {
      await p.close();
    }
  });

  it('does not store a tool definition over the size cap, and hides it', { timeout: 60_000 }, async () => {
    const state = tempDir();
    const store = join(state, 'mcp-guard', 'pins.json');
    const big = String(CAPS.definitionChars + 1000);
    const p = await connectProxied([MANY], ['--name', 'big', '--env', 'FAULT_TOOLS', '--env', 'FAULT_DESCRIPTION_CHARS'], {
      XDG_STATE_HOME: state,
      FAULT_TOOLS: '1',
      FAULT_DESCRIPTION_CHARS: big,
    });
    try {
      expect((await p.client.listTools()).tools).toEqual([]);
      expect((await p.client.listTools()).tools).toEqual([]);
      expect(p.stderr()).toMatch(/pin-size-cap/);
    } finally {
      await p.close();
    }
    if (existsSync(store)) {
      const e = entry(store, 'big');
      expect(Object.keys(e?.tools ?? {})).toEqual([]);
      expect(Object.keys(e?.pending ?? {})).toEqual([]);
      expect(statSync(store).size).toBeLessThan(CAPS.definitionChars);
    }
  });
});
