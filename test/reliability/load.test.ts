/**
 * Load and memory, end to end through the built CLI: 10,000 requests with many
 * in flight and answered out of order; a 50 MB frame against the default
 * 16 MiB limit, both ways; and a slow reader against a fast writer, both ways.
 *
 * Memory is read from /proc (VmHWM, the peak RSS of the proxy process) while the
 * proxy still runs. The bounds are far above the measured figures (see
 * scripts/bench-load.js) and far below what buffering the traffic would take:
 * they catch "unbounded", not "a little slower".
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { HAS_PROC, INIT, MiB, call, currentRss, expectNoOrphans, fixture, killLeftovers, peakRss, sleep, startProxy, tempDir } from './harness.js';

afterEach(killLeftovers);

/**
 * Peak RSS the proxy may reach under load. Measured (scripts/bench-load.js): about
 * 70 MiB at rest, 100 MiB after 10,000 requests in flight.
 */
const RSS_BOUND = 200 * MiB;
/**
 * Growth of the peak RSS over its value at rest while a frame larger than the limit
 * streams past. Measured: 31–47 MiB for 20, 50 and 150 MB frames alike (the pending
 * 16 MiB, a copy of it, and garbage not yet collected); buffering a 50 MB frame whole
 * would take at least three times its size.
 */
const OVERSIZE_GROWTH_BOUND = 100 * MiB;
/** Growth of RSS while a reader is stalled: only pipe buffers and one frame may wait in the proxy. */
const HELD_GROWTH_BOUND = 32 * MiB;

/**
 * The proxy's RSS once its start-up is over (0 without /proc): read every 100 ms until
 * two readings in a row agree within 1 MiB, or 5 s pass. A fixed sleep is not enough on
 * a loaded machine, where the proxy may still be loading its rule pack, and growth
 * measured from a reading taken too early is start-up, not buffering.
 */
async function settledRss(pid: number): Promise<number> {
  let last = currentRss(pid) ?? 0;
  for (let waited = 0; waited < 5000; waited += 100) {
    await sleep(100);
    const now = currentRss(pid) ?? 0;
    if (Math.abs(now - last) < MiB) return Math.max(now, peakRss(pid) ?? 0);
    last = now;
  }
  return Math.max(last, peakRss(pid) ?? 0);
}

/** The proxy's peak RSS once it is idle after initialize (0 without /proc). */
async function restingPeak(pid: number): Promise<number> {
  await sleep(200);
  return peakRss(pid) ?? 0;
}

/**
 * 10,000 request ids in every shape JSON-RPC allows, as raw text: small and
 * large integers, negatives, a float, exponent and big-integer spellings,
 * plain, Unicode and escaped strings. Each is distinct after parsing too.
 */
function rawId(i: number): string {
  switch (i % 8) {
    case 0:
      return String(i);
    case 1:
      return String(-i);
    case 2:
      return JSON.stringify(`req-${i}`);
    case 3:
      return JSON.stringify(`ünï-🚀-${i}`);
    case 4:
      return `"\\u0069d-${i}"`;
    case 5:
      return `${i}.5`;
    case 6:
      // e-3, not e3: 6e3 is 6000, the same id as case 0 gives for 6000 (pairing is by value, as in the SDK).
      return `${i}e-3`;
    default:
      return `"${'9'.repeat(30)}-${i}"`;
  }
}

describe('load', () => {
  it('10,000 requests, many in flight, answered out of order: none lost, ids untouched, bytes identical', async () => {
    const dir = tempDir();
    const sent = join(dir, 'sent');
    const p = startProxy(fixture('out-of-order'), { dir, serverEnv: { FAULT_SENT: sent, FAULT_BATCH: '250' } });
    const N = 10_000;
    const lines = [INIT];
    for (let i = 1; i <= N; i++) lines.push(`{"jsonrpc":"2.0","id":${rawId(i)},"method":"tools/call","params":{"name":"echo","arguments":{"n":${i}}}}`);
    // Written as fast as the pipe takes it: the proxy sees thousands of requests in flight.
    p.write(`${lines.join('\n')}\n`);
    await p.waitFor((f) => f.length >= N + 1, 60_000);
    const rss = peakRss(p.pid);
    p.end();
    expect(await p.ended).toEqual({ code: 0, signal: null });
    await expectNoOrphans(p);

    // Byte for byte what the server wrote, in the server's order.
    const out = p.stdout();
    expect(out.equals(readFileSync(sent))).toBe(true);
    // Every request answered exactly once, with its id spelled exactly as the client spelled it.
    const seen = new Map<number, string>();
    for (const line of out.toString('utf8').split('\n').slice(1, -1)) {
      const m = /^\{"jsonrpc":"2\.0","id":(.*),"result":\{"content":\[\{"type":"text","text":"n=(\d+)"\}\]/.exec(line);
      expect(m, line).not.toBeNull();
      const n = Number(m?.[2]);
      expect(seen.has(n)).toBe(false);
      seen.set(n, m?.[1] as string);
    }
    expect(seen.size).toBe(N);
    for (const [n, id] of seen) expect(id).toBe(rawId(n));
    // Out of order for real: the answers did not come back in request order.
    expect([...seen.keys()].some((n, i, all) => i > 0 && n < (all[i - 1] as number))).toBe(true);
    if (rss !== undefined) expect(rss).toBeLessThan(RSS_BOUND);
  });
});

describe.runIf(HAS_PROC)('memory stays bounded', () => {
  it('a 50 MB request against the 16 MiB limit is refused with its id while it streams past', async () => {
    const p = startProxy(fixture('flood'));
    p.write(`${INIT}\n`);
    await p.waitFor((f) => f.length === 1);
    const rest = await restingPeak(p.pid);
    const head = '{"jsonrpc":"2.0","id":"big","method":"tools/call","params":{"name":"blob","arguments":{"pad":"';
    p.write(head);
    const chunk = 'a'.repeat(MiB);
    for (let i = 0; i < 50; i++) {
      p.write(chunk);
      await sleep(1);
    }
    p.write(`"}}}\n${call(3, 'blob', { bytes: 10 })}\n`);
    await p.waitFor((f) => f.some((m) => m['id'] === 3));
    const rss = peakRss(p.pid);
    p.end();
    await p.ended;
    await expectNoOrphans(p);
    const big = p.frames().filter((m) => m['id'] === 'big');
    expect(big).toHaveLength(1);
    expect(big[0]).toMatchObject({ error: { code: -32001, message: expect.stringMatching(/frame of 5\d{7} bytes exceeds the 16777216-byte limit/), data: { findings: [{ rule: 'frame-too-large' }] } } });
    expect((rss ?? 0) - rest).toBeLessThan(OVERSIZE_GROWTH_BOUND);
  });

  it('a 50 MB response against the 16 MiB limit is replaced by an error for its request', async () => {
    const p = startProxy(fixture('flood'));
    p.write(`${INIT}\n`);
    await p.waitFor((f) => f.length === 1);
    const rest = await restingPeak(p.pid);
    p.write(`${call(2, 'blob', { bytes: 50_000_000 })}\n${call(3, 'blob', { bytes: 10 })}\n`);
    await p.waitFor((f) => f.some((m) => m['id'] === 3), 30_000);
    const rss = peakRss(p.pid);
    p.end();
    await p.ended;
    await expectNoOrphans(p);
    expect(p.frames().filter((m) => m['id'] === 2)).toEqual([
      { jsonrpc: '2.0', id: 2, error: expect.objectContaining({ code: -32001, message: expect.stringContaining('exceeds the 16777216-byte limit') }) },
    ]);
    expect(p.stdoutBytes()).toBeLessThan(4096);
    expect((rss ?? 0) - rest).toBeLessThan(OVERSIZE_GROWTH_BOUND);
  });

  it('slow client reader, fast server writer: the server is held back and the proxy does not buffer the stream', async () => {
    const count = 400;
    const bytes = 256 * 1024;
    const dir = tempDir();
    const progress = join(dir, 'progress');
    let next = 0;
    let intact = true;
    let answer = '';
    const p = startProxy(fixture('flood'), {
      dir,
      serverEnv: { FAULT_PROGRESS: progress },
      pausedStdout: true,
      onLine: (line) => {
        const text = line.toString('utf8');
        if (text.includes('"method":"notifications/message"')) {
          // Every notification arrives whole and in order.
          intact &&= text.startsWith(`{"jsonrpc":"2.0","method":"notifications/message","params":{"level":"info","logger":"flood","data":"${next} `) && text.length > bytes;
          next += 1;
        } else if (text.includes('"id":2')) answer = text;
      },
    });
    p.write(`${INIT}\n`);
    const rest = await settledRss(p.pid);
    p.write(`${call(2, 'flood', { count, bytes })}\n`);
    // Nobody reads the proxy's stdout: wait until the server's progress stops moving.
    let last = -1;
    let written = 0;
    for (let stable = 0; stable < 5; ) {
      await sleep(100);
      written = Number(readFileSync(progress, { encoding: 'utf8', flag: 'a+' }) || 0);
      stable = written === last ? stable + 1 : 0;
      last = written;
    }
    const rssHeld = currentRss(p.pid);
    // Held back: only pipe buffers' worth of frames left the server (100 MB were asked for).
    expect(written).toBeGreaterThan(0);
    expect(written * bytes).toBeLessThan(16 * MiB);
    p.child.stdout.resume();
    await p.waitFor(() => answer !== '', 60_000);
    const peak = peakRss(p.pid);
    p.end();
    await p.ended;
    await expectNoOrphans(p);
    expect(next).toBe(count);
    expect(intact).toBe(true);
    expect(answer).toContain(`flooded ${count}`);
    expect((rssHeld ?? 0) - rest).toBeLessThan(HELD_GROWTH_BOUND);
    expect(peak).toBeLessThan(RSS_BOUND);
  });

  it('fast client writer, slow server reader: the proxy stops reading the client instead of buffering', async () => {
    const dir = tempDir();
    const counter = join(dir, 'count');
    const gate = join(dir, 'release');
    // The server reads nothing until the test creates `gate`, however long start-up takes on a loaded machine.
    const p = startProxy(fixture('silent'), { dir, serverEnv: { FAULT_PAUSE_FILE: gate, FAULT_COUNT: counter } });
    const arg = 'b'.repeat(256 * 1024);
    // 60 MB in all: twice the bound, so buffering it would fail the bound clearly.
    const count = 240;
    p.write(`${INIT}\n`);
    const rest = await settledRss(p.pid);
    for (let i = 0; i < count; i++) p.write(`${call(i + 2, 'sink', { arg })}\n`);
    // While the server is not reading, what the client wrote waits in the client's own buffer.
    await sleep(1000);
    const held = p.child.stdin.writableLength;
    const rssHeld = currentRss(p.pid);
    writeFileSync(gate, '');
    expect(held).toBeGreaterThan(40 * MiB);
    // Then the server reads everything, and every frame arrives.
    const received = (): number => Number(readFileSync(counter, { encoding: 'utf8', flag: 'a+' }) || 0);
    for (let waited = 0; received() < count + 1 && waited < 60_000; waited += 50) await sleep(50);
    expect(received()).toBe(count + 1);
    p.end();
    expect(await p.ended).toEqual({ code: 0, signal: null });
    await expectNoOrphans(p);
    expect((rssHeld ?? 0) - rest).toBeLessThan(HELD_GROWTH_BOUND);
  });
});
