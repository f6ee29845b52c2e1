/**
 * Fault injection, end to end through the built CLI: a server that crashes,
 * stalls, stops mid-line, writes garbage, ignores SIGTERM or leaves a
 * grandchild behind, and a client that leaves mid-request. Each test proves
 * the client gets an answer for every request, the exit status is the
 * server's, and no process (proxy, server, grandchild) is left running.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { INIT, call, expectNoOrphans, fixture, isAlive, killLeftovers, sleep, startProxy, tempDir } from './harness.js';

const EXITED = { code: -32000, message: 'mcp-guard: server exited' };
const byId = (frames: Array<Record<string, unknown>>, id: unknown): Array<Record<string, unknown>> => frames.filter((f) => f['id'] === id);
const answered = (...ids: unknown[]) => (frames: Array<Record<string, unknown>>): boolean => ids.every((id) => byId(frames, id).length > 0);

afterEach(killLeftovers);

describe('server faults', () => {
  it('crash mid-response: the half line is dropped, every pending request gets -32000, the exit code propagates', async () => {
    const p = startProxy(fixture('crash-mid-response'));
    p.write(`${INIT}\n${call(2, 'a')}\n${call('three', 'b')}\n${call(4, 'c')}\n`);
    // stdin stays open: the proxy must notice the crash on its own.
    await p.waitFor(answered(1, 2, 'three', 4));
    const frames = p.frames();
    expect(byId(frames, 1)[0]).toMatchObject({ result: { serverInfo: { name: 'crash-mid-response' } } });
    for (const id of [2, 'three', 4]) expect(byId(frames, id)).toEqual([{ jsonrpc: '2.0', id, error: EXITED }]);
    expect(p.stdout().toString()).not.toContain('half of this answer');
    expect(await p.ended).toEqual({ code: 5, signal: null });
    expect(p.stderr()).toMatch(/server output ended inside a frame; \d+ bytes dropped/);
    await expectNoOrphans(p);
  });

  it('never answers: nothing is invented while it runs; on client EOF the server is stopped and pending requests get -32000', async () => {
    const p = startProxy(fixture('silent'));
    p.write(`${INIT}\n${call(2, 'a')}\n{"jsonrpc":"2.0","method":"notifications/initialized"}\n`);
    await sleep(300);
    expect(p.stdoutBytes()).toBe(0);
    p.end();
    await p.waitFor(answered(1, 2));
    expect(p.frames()).toEqual([
      { jsonrpc: '2.0', id: 1, error: EXITED },
      { jsonrpc: '2.0', id: 2, error: EXITED },
    ]);
    expect(await p.ended).toEqual({ code: 0, signal: null });
    await expectNoOrphans(p);
  });

  it('never answers and ignores EOF: SIGTERM follows the grace period, and pending requests get -32000', async () => {
    const p = startProxy(fixture('silent'), { serverEnv: { FAULT_IGNORE_EOF: '1' } });
    p.write(`${INIT}\n${call(2, 'a')}\n`);
    await sleep(200);
    p.end();
    await p.waitFor(answered(1, 2), 15_000);
    expect(byId(p.frames(), 2)).toEqual([{ jsonrpc: '2.0', id: 2, error: EXITED }]);
    expect(await p.ended).toEqual({ code: 128 + 15, signal: null });
    await expectNoOrphans(p);
  });

  it('partial line then exit: the fragment is never forwarded, the request gets -32000, status 0', async () => {
    const p = startProxy(fixture('partial-line'));
    p.write(`${INIT}\n${call(2, 'a')}\n`);
    await p.waitFor(answered(1, 2));
    expect(byId(p.frames(), 2)).toEqual([{ jsonrpc: '2.0', id: 2, error: EXITED }]);
    expect(p.stdout().toString()).not.toContain('cut');
    expect(await p.ended).toEqual({ code: 0, signal: null });
    expect(p.stderr()).toMatch(/server output ended inside a frame; \d+ bytes dropped/);
    await expectNoOrphans(p);
  });

  it('garbage between valid frames: the client sees exactly the valid frames, byte for byte, in order', async () => {
    const dir = tempDir();
    const sent = join(dir, 'sent');
    const q = startProxy(fixture('garbage'), { dir, serverEnv: { FAULT_SENT: sent } });
    const ids = [1, 2, 'x', 3, 'ü🚀', 4, 5, 6, 7, 8, 9, 10];
    q.write(`${INIT}\n${ids.slice(1).map((id) => call(id, 'a')).join('\n')}\n`);
    await q.waitFor(answered(...ids));
    q.end();
    expect(await q.ended).toEqual({ code: 0, signal: null });
    expect(q.stdout().equals(readFileSync(sent))).toBe(true);
    expect(q.stderr()).toMatch(/server wrote a line that is not JSON/);
    expect(q.stderr()).toMatch(/server sent an invalid JSON-RPC message; not forwarded/);
    await expectNoOrphans(q);
  });

  // Regression, fixed (src/proxy/jsonrpc.ts classify): any `id` together with `result`/`error` makes a
  // "response", so these invalid frames reach the client.
  it('garbage shaped like JSON-RPC (an id that is an object, array or boolean) is not forwarded either', async () => {
    const dir = tempDir();
    const sent = join(dir, 'sent');
    const q = startProxy(fixture('garbage'), { dir, serverEnv: { FAULT_SENT: sent, FAULT_GARBAGE_JSONRPC: '1' } });
    const ids = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12];
    q.write(`${INIT}\n${ids.slice(1).map((id) => call(id, 'a')).join('\n')}\n`);
    await q.waitFor(answered(...ids));
    q.end();
    await q.ended;
    await expectNoOrphans(q);
    expect(q.stdout().toString()).toBe(readFileSync(sent, 'utf8'));
  });

  it('ignores SIGTERM: SIGKILL follows, and the status says so', async () => {
    const p = startProxy(fixture('ignore-sigterm'));
    p.write(`${INIT}\n${call(2, 'a')}\n`);
    await p.waitFor(answered(1));
    p.end();
    const ended = await p.ended;
    expect(ended).toEqual({ code: 128 + 9, signal: null });
    expect(p.stderr()).toContain('fault-ignore-sigterm: ignored SIGTERM');
    expect(byId(p.frames(), 2)).toEqual([{ jsonrpc: '2.0', id: 2, error: EXITED }]);
    await expectNoOrphans(p);
  });
});

describe('process group', () => {
  // Regression, fixed (src/proxy/child-process.ts + run-proxy.ts): run-proxy calls child.signal('SIGKILL')
  // after the server exits, but signal() returns early once `exited` has settled, so the group
  // is never signalled and the grandchild is orphaned.
  it('a grandchild left running after the server exits is killed with the process group', async () => {
    const p = startProxy(fixture('grandchild'));
    p.write(`${INIT}\n${call(2, 'a')}\n`);
    await p.waitFor(answered(1, 2));
    const [server, grandchild] = p.serverPids();
    expect(grandchild).toBeDefined();
    expect(isAlive(grandchild as number)).toBe(true);
    p.end();
    expect(await p.ended).toEqual({ code: 0, signal: null });
    expect(server).toBeDefined();
    await expectNoOrphans(p);
  });

  // Regression, fixed (src/proxy/child-process.ts): `exited` waits for 'close', which needs every holder of
  // the stdout pipe to go; a grandchild holding it hides the server's death until the client
  // gives up (then the staged shutdown's SIGTERM to the group ends it).
  it('a server that dies while its grandchild still holds stdout: pending requests are answered without waiting for the client', async () => {
    const p = startProxy(fixture('grandchild'), { serverEnv: { FAULT_GRANDCHILD_STDIO: 'inherit', FAULT_EXIT_ON_CALL: '6' } });
    p.write(`${INIT}\n${call(2, 'a')}\n`);
    try {
      // stdin stays open: the client is waiting for its answer.
      await p.waitFor(answered(1, 2), 3000);
      expect(byId(p.frames(), 2)).toEqual([{ jsonrpc: '2.0', id: 2, error: EXITED }]);
      expect(await p.ended).toEqual({ code: 6, signal: null });
    } finally {
      p.end();
      await p.ended;
    }
    await expectNoOrphans(p);
  });

  // Regression, fixed (src/proxy/child-process.ts): a grandchild in its own session (`setsid`, or
  // spawned `detached`) survives the group kill. While it holds the server's stdout, the pipe's
  // handle kept the proxy's event loop alive after the server exited, until the grandchild ended
  // (here 10 minutes: the test's own timeout fails first).
  describe('a grandchild that escaped the process group and holds stdout', () => {
    const escaped = { FAULT_ESCAPED_MS: '600000' };
    /** The grandchild outlives the proxy by design: end it so the suite leaks nothing. */
    const killEscaped = (p: { serverPids(): number[] }): void => {
      const grandchild = p.serverPids()[1];
      if (grandchild !== undefined && isAlive(grandchild)) process.kill(grandchild, 'SIGKILL');
    };

    it('the server exits at client EOF: the proxy exits too, and says it stopped waiting', { timeout: 30_000 }, async () => {
      const p = startProxy(fixture('escaped-grandchild'), { serverEnv: escaped });
      p.write(`${INIT}\n${call(2, 'a')}\n`);
      await p.waitFor(answered(1, 2));
      const grandchild = p.serverPids()[1];
      expect(grandchild).toBeDefined();
      p.end();
      try {
        expect(await p.ended).toEqual({ code: 0, signal: null });
        // It did escape: the proxy's group kill did not reach it.
        expect(isAlive(grandchild as number)).toBe(true);
        expect(p.stderr()).toContain('still holds its output; stopped waiting');
      } finally {
        killEscaped(p);
      }
      await expectNoOrphans(p);
    });

    it('the server dies with the client still connected: pending requests are answered, the proxy exits with its status', { timeout: 30_000 }, async () => {
      const p = startProxy(fixture('escaped-grandchild'), { serverEnv: { ...escaped, FAULT_EXIT_ON_CALL: '6' } });
      p.write(`${INIT}\n${call(2, 'a')}\n`);
      try {
        // stdin stays open.
        await p.waitFor(answered(1, 2));
        expect(byId(p.frames(), 2)).toEqual([{ jsonrpc: '2.0', id: 2, error: EXITED }]);
        expect(await p.ended).toEqual({ code: 6, signal: null });
        expect(p.stderr()).toContain('still holds its output; stopped waiting');
      } finally {
        killEscaped(p);
        p.end();
      }
      await expectNoOrphans(p);
    });
  });
});

describe('client faults', () => {
  it('client closes stdin with a request in flight: the answer still arrives, then a clean exit', async () => {
    const p = startProxy(fixture('slow'), { serverEnv: { FAULT_DELAY_MS: '300' } });
    p.write(`${INIT}\n${call(2, 'a')}\n`);
    p.end();
    await p.waitFor(answered(1, 2));
    expect(byId(p.frames(), 2)[0]).toMatchObject({ result: { content: [{ text: 'slow answer to 2' }] } });
    expect(await p.ended).toEqual({ code: 0, signal: null });
    await expectNoOrphans(p);
  });

  it('client closes stdin in the middle of a frame: the fragment never reaches the server', async () => {
    const dir = tempDir();
    const log = join(dir, 'received');
    const q = startProxy(fixture('slow'), { dir, serverEnv: { FAULT_DELAY_MS: '50', FAULT_LOG: log } });
    q.write(`${INIT}\n{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"del`);
    await sleep(100);
    q.end();
    expect(await q.ended).toEqual({ code: 0, signal: null });
    expect(byId(q.frames(), 1)).toHaveLength(1);
    expect(byId(q.frames(), 3)).toHaveLength(0);
    expect(readFileSync(log, 'utf8')).toBe(`${INIT}\n`);
    expect(q.stderr()).toMatch(/client input ended inside a frame; \d+ bytes dropped/);
    await expectNoOrphans(q);
  });
});
