/**
 * Whatever lies at `pins.json.lock`, the proxy serves the session and stops on SIGTERM
 * (issue 9): a dangling symlink or a directory made the old lock loop spin for ever, and a
 * future mtime or a live holder blocked the event loop for 5 s and then blocked the list.
 * Through the built CLI with the SDK's Client; the only time bound is a generous test
 * timeout that catches a spin that never ends.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ROOT, connectProxied, runCli, tempDir } from '../helpers.js';
import { pinHash } from '../../src/pins/store.js';
import { INIT, killLeftovers, sleep, startProxy } from '../reliability/harness.js';

const ECHO = join(ROOT, 'test', 'fixtures', 'echo-server.js');
const LIST = JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list', params: {} });
const posix = process.platform !== 'win32';

afterEach(killLeftovers);

/** The store under `$XDG_STATE_HOME` (see `defaultPinStorePath`), its directory made. */
function storeIn(state: string): { store: string; lock: string } {
  const dir = join(state, 'mcp-guard');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return { store: join(dir, 'pins.json'), lock: join(dir, 'pins.json.lock') };
}

function pinnedTools(store: string, server: string): string[] {
  if (!existsSync(store)) return [];
  const servers = (JSON.parse(readFileSync(store, 'utf8')) as { servers: Record<string, { tools: object }> }).servers;
  return Object.keys(servers[server]?.tools ?? {});
}

async function until(test: () => boolean, what: string, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!test()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

const YEAR_AHEAD = new Date(Date.now() + 365 * 24 * 3600 * 1000);
const HOUR_AGO = new Date(Date.now() - 3600 * 1000);

/** Each bad lock entry, made at `lock` (`dir` is a scratch directory beside the store). */
const BAD_LOCKS: Record<string, (lock: string, dir: string) => void> = {
  'a dangling symlink': (lock, dir) => symlinkSync(join(dir, 'nowhere'), lock),
  'a symlink to a fresh file': (lock, dir) => {
    writeFileSync(join(dir, 'target'), '');
    symlinkSync(join(dir, 'target'), lock);
  },
  'a symlink to a directory': (lock, dir) => {
    writeFileSync(join(dir, 'inside'), '');
    symlinkSync(dir, lock);
  },
  'an empty directory': (lock) => mkdirSync(lock),
  'an old directory with files in it': (lock) => {
    mkdirSync(lock);
    writeFileSync(join(lock, 'keep'), 'not ours to delete');
    utimesSync(lock, HOUR_AGO, HOUR_AGO);
  },
  'a fifo': (lock) => execFileSync('mkfifo', [lock]),
  'a file with an mtime a year ahead': (lock) => {
    writeFileSync(lock, '');
    utimesSync(lock, YEAR_AHEAD, YEAR_AHEAD);
  },
  'a file left by a crashed process': (lock) => {
    writeFileSync(lock, '');
    utimesSync(lock, HOUR_AGO, HOUR_AGO);
  },
};

describe.skipIf(!posix)('the pin-store lock against what a hostile server may leave', () => {
  for (const [kind, make] of Object.entries(BAD_LOCKS)) {
    it(`serves a session and saves the pins when pins.json.lock is ${kind}`, { timeout: 60_000 }, async () => {
      const state = tempDir();
      const scratch = tempDir();
      const { store, lock } = storeIn(state);
      make(lock, scratch);
      const p = await connectProxied([ECHO], ['--name', 'echo'], { XDG_STATE_HOME: state });
      try {
        expect((await p.client.listTools()).tools.map((t) => t.name)).toEqual(['echo']);
        expect(await p.client.callTool({ name: 'echo', arguments: { text: 'hi' } })).toMatchObject({ content: [{ type: 'text', text: 'hi' }] });
      } finally {
        await p.close();
      }
      expect(pinnedTools(store, 'echo')).toEqual(['echo']);
      // The foreign entry is gone, and no lock of ours is left behind.
      expect(existsSync(lock) || readdirSync(join(state, 'mcp-guard')).includes('pins.json.lock')).toBe(false);
      if (kind.includes('files in it')) {
        const aside = readdirSync(join(state, 'mcp-guard')).filter((n) => n.endsWith('.stale'));
        expect(aside).toHaveLength(1);
        expect(readFileSync(join(state, 'mcp-guard', aside[0] as string, 'keep'), 'utf8')).toBe('not ours to delete');
      }
      // Symlink targets are never followed: the target survives.
      if (kind.startsWith('a symlink')) expect(readdirSync(scratch).length).toBeGreaterThan(0);
    });
  }

  it('answers the list at once while a live process holds the lock, and saves the pins once it is released', { timeout: 60_000 }, async () => {
    const state = tempDir();
    const { store, lock } = storeIn(state);
    writeFileSync(lock, '');
    // A live holder keeps its lock fresh, so it is never taken as stale.
    const touch = setInterval(() => utimesSync(lock, new Date(), new Date()), 500);
    const p = await connectProxied([ECHO], ['--name', 'echo'], { XDG_STATE_HOME: state });
    try {
      expect((await p.client.listTools()).tools.map((t) => t.name)).toEqual(['echo']);
      expect(existsSync(lock)).toBe(true); // a live lock is respected
      expect(pinnedTools(store, 'echo')).toEqual([]);
      clearInterval(touch);
      rmSync(lock);
      await until(() => pinnedTools(store, 'echo').length > 0, 'the deferred pins to be saved');
      expect(pinnedTools(store, 'echo')).toEqual(['echo']);
      expect(await p.client.callTool({ name: 'echo', arguments: { text: 'after' } })).toMatchObject({ content: [{ text: 'after' }] });
    } finally {
      clearInterval(touch);
      await p.close();
    }
  });

  it('keeps detecting drift while the lock is held: pins on disk still decide', { timeout: 60_000 }, async () => {
    const state = tempDir();
    const { store, lock } = storeIn(state);
    // Pinned earlier with another description: the listed echo tool is a change.
    const definition = { name: 'echo', description: 'Echo text, nothing else.', inputSchema: { type: 'object', properties: { text: { type: 'string' } } } };
    const now = new Date().toISOString();
    writeFileSync(store, JSON.stringify({ version: 1, servers: { echo: { firstSeen: now, updated: now, tools: { echo: { hash: pinHash(definition), definition, pinnedAt: now } }, pending: {}, prompts: {}, templates: {} } } }));
    writeFileSync(lock, '');
    const touch = setInterval(() => utimesSync(lock, new Date(), new Date()), 500);
    const p = await connectProxied([ECHO], ['--name', 'echo'], { XDG_STATE_HOME: state });
    try {
      expect((await p.client.listTools()).tools).toEqual([]);
      await expect(p.client.callTool({ name: 'echo', arguments: { text: 'x' } })).rejects.toThrow(/hidden-tool|blocked/);
    } finally {
      clearInterval(touch);
      await p.close();
    }
  });

  it('stops promptly on SIGTERM while another process holds the lock', { timeout: 60_000 }, async () => {
    const dir = tempDir();
    const { lock } = storeIn(join(dir, '.local', 'state'));
    writeFileSync(lock, '');
    const touch = setInterval(() => utimesSync(lock, new Date(), new Date()), 500);
    try {
      const proxy = startProxy(ECHO, { dir });
      proxy.write(`${INIT}\n${LIST}\n`);
      await proxy.waitFor((frames) => frames.some((f) => f['id'] === 2));
      expect(proxy.frames().find((f) => f['id'] === 2)).toMatchObject({ result: { tools: [{ name: 'echo' }] } });
      proxy.child.kill('SIGTERM');
      const ended = await proxy.ended;
      // The server got the SIGTERM too: the proxy reports its exit (128 + 15).
      expect(ended.code).toBe(143);
      expect(proxy.stderr()).toMatch(/not saved/);
    } finally {
      clearInterval(touch);
    }
  });

  it('stops on SIGTERM with a dangling symlink as the lock (the old loop spun there for ever)', { timeout: 60_000 }, async () => {
    const dir = tempDir();
    const { lock } = storeIn(join(dir, '.local', 'state'));
    symlinkSync(join(dir, 'nowhere'), lock);
    const proxy = startProxy(ECHO, { dir });
    proxy.write(`${INIT}\n${LIST}\n`);
    await proxy.waitFor((frames) => frames.some((f) => f['id'] === 2));
    proxy.child.kill('SIGTERM');
    expect((await proxy.ended).code).toBe(143);
  });

  it('lets `pins reset` through a dangling symlink or a future-dated lock (the commands wait with a deadline)', { timeout: 60_000 }, async () => {
    const state = tempDir();
    const { store, lock } = storeIn(state);
    const p = await connectProxied([ECHO], ['--name', 'echo'], { XDG_STATE_HOME: state });
    await p.client.listTools();
    await p.close();
    expect(pinnedTools(store, 'echo')).toEqual(['echo']);
    const pinnedText = readFileSync(store, 'utf8');
    symlinkSync(join(state, 'nowhere'), lock);
    const reset = await runCli(['pins', 'reset', 'echo'], '', { XDG_STATE_HOME: state });
    expect(reset.code, reset.stderr).toBe(0);
    expect(pinnedTools(store, 'echo')).toEqual([]);
    writeFileSync(store, pinnedText);
    writeFileSync(lock, '');
    utimesSync(lock, YEAR_AHEAD, YEAR_AHEAD);
    const again = await runCli(['pins', 'reset', 'echo'], '', { XDG_STATE_HOME: state });
    expect(again.code, again.stderr).toBe(0);
    expect(pinnedTools(store, 'echo')).toEqual([]);
    expect(existsSync(lock)).toBe(false);
  });
});
