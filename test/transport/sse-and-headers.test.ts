/** The pure parts of the transports: the SSE parser (any chunking, bounded), header specs, listen checks. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SseParser, type SseEvent, type SseOversized } from '../../src/transport/sse.js';
import { buildHeaders, inlineSecretWarnings } from '../../src/transport/headers.js';
import { bearerMatches, hostAllowed, originAllowed, parseListen } from '../../src/transport/listen-guard.js';
import { runs } from '../fast-check-runs.js';

function parse(chunks: Uint8Array[], max = 1 << 20): { events: SseEvent[]; over: SseOversized[]; retry: number[]; last: string } {
  const events: SseEvent[] = [];
  const over: SseOversized[] = [];
  const retry: number[] = [];
  const p = new SseParser({ event: (e) => events.push(e), oversized: (e) => over.push(e), retry: (ms) => retry.push(ms) }, max);
  for (const c of chunks) p.push(c);
  return { events, over, retry, last: p.lastEventId };
}

function cut(bytes: Buffer, at: number[]): Buffer[] {
  const points = [...new Set(at.map((a) => a % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let prev = 0;
  for (const p of [...points, bytes.length]) {
    out.push(bytes.subarray(prev, p));
    prev = p;
  }
  return out;
}

describe('SseParser (HTML § 9.2 event stream)', () => {
  const stream = Buffer.from(
    ': a comment\r\nid: 1\nevent: message\ndata: {"a":\ndata:  "é 🚀"}\n\n' + 'retry: 250\rid: 2\rdata:x\r\r' + 'event: endpoint\r\ndata: /messages?s=1\r\n\r\n' + 'id: 3\ndata\n\n' + 'id: 4\n\n' + 'dat: ignored\ndata: last\n\n',
  );
  const expected = [
    { type: 'message', data: '{"a":\n "é 🚀"}', lastEventId: '1' },
    { type: 'message', data: 'x', lastEventId: '2' },
    { type: 'endpoint', data: '/messages?s=1', lastEventId: '2' },
    { type: 'message', data: '', lastEventId: '3' },
    { type: 'message', data: 'last', lastEventId: '4' },
  ];

  it('parses fields, comments, CR / LF / CRLF line ends and multi-line data', () => {
    const r = parse([stream]);
    expect(r.events).toEqual(expected);
    expect(r.retry).toEqual([250]);
    expect(r.last).toBe('4');
  });

  it('gives the same events for any chunking (also inside CRLF and UTF-8 sequences)', () => {
    fc.assert(
      fc.property(fc.array(fc.nat(), { maxLength: 12 }), (at) => {
        expect(parse(cut(stream, at)).events).toEqual(expected);
      }),
      { numRuns: runs(300) },
    );
  });

  it('keeps only the head of an event over the limit, and goes on after it', () => {
    const big = `data: {"jsonrpc":"2.0","id":7,"result":"${'a'.repeat(10_000)}"}\n\ndata: small\n\n`;
    const r = parse(cut(Buffer.from(big), [5, 100, 5000, 9000]), 1000);
    expect(r.over).toHaveLength(1);
    expect(r.over[0]?.size).toBe(10_000 + 36);
    expect(r.over[0]?.head.toString()).toMatch(/^\{"jsonrpc":"2.0","id":7,/);
    expect(r.events.map((e) => e.data)).toEqual(['small']);
  });
});

describe('upstream headers', () => {
  const env = { TOKEN: 'Bearer s3cr3t-value-0123456789', PART: 'p4rt-0123456789' };

  it('reads values from the command line (with ${VAR}), the environment and files', () => {
    expect(buildHeaders({ inline: ['X-A: v=${PART}'], fromEnv: ['Authorization=TOKEN'], fromFile: [] }, env)).toEqual([
      { name: 'X-A', value: 'v=p4rt-0123456789' },
      { name: 'Authorization', value: 'Bearer s3cr3t-value-0123456789' },
    ]);
  });

  it('refuses bad specs naming the header and variable, never a value', () => {
    const problems = [
      () => buildHeaders({ inline: ['no colon'], fromEnv: [], fromFile: [] }, env),
      () => buildHeaders({ inline: ['Mcp-Session-Id: x'], fromEnv: [], fromFile: [] }, env),
      () => buildHeaders({ inline: ['Bad Name: x'], fromEnv: [], fromFile: [] }, env),
      () => buildHeaders({ inline: ['X: ${MISSING}'], fromEnv: [], fromFile: [] }, env),
      () => buildHeaders({ inline: [], fromEnv: ['Authorization=MISSING'], fromFile: [] }, env),
      () => buildHeaders({ inline: [], fromEnv: [], fromFile: ['X=/nonexistent/file'] }, env),
      () => buildHeaders({ inline: [], fromEnv: ['X=TOKEN2'], fromFile: [] }, { TOKEN2: 'a\r\nInjected: 1' }),
    ];
    for (const p of problems) {
      let message = '';
      try {
        p();
      } catch (e) {
        message = (e as Error).message;
        expect((e as { code?: string }).code).toBe('USAGE');
      }
      expect(message).not.toBe('');
      expect(message).not.toMatch(/s3cr3t|p4rt|Injected/);
    }
  });
});

describe('inline header warnings', () => {
  it('warns about a literal credential on the command line, naming the header only', () => {
    const w = inlineSecretWarnings(['Authorization: Bearer lit3ral-0123456789', 'X-Team: blue', 'X-Api-Key: ${KEY}', 'x-api-key: abc']);
    expect(w).toHaveLength(2);
    expect(w.join(' ')).not.toMatch(/lit3ral|abc/);
    expect(w[0]).toMatch(/^--header Authorization: .*--header-from-env/);
  });
});

describe('listen checks', () => {
  it('parses addresses and tells loopback apart', () => {
    expect(parseListen('8889')).toEqual({ host: '127.0.0.1', port: 8889, loopback: true });
    expect(parseListen('localhost:1')).toEqual({ host: '127.0.0.1', port: 1, loopback: true });
    expect(parseListen('[::1]:2')).toEqual({ host: '::1', port: 2, loopback: true });
    expect(parseListen('0.0.0.0:3').loopback).toBe(false);
    expect(parseListen('192.168.1.5:3').loopback).toBe(false);
    expect(() => parseListen('example.com:80')).toThrow(/IP address/);
    expect(() => parseListen('70000')).toThrow(/PORT/);
  });

  it('accepts only the exact bearer token', () => {
    const t = 'token-0123456789abcdef';
    expect(bearerMatches(`Bearer ${t}`, t)).toBe(true);
    expect(bearerMatches(`bearer ${t}`, t)).toBe(true);
    for (const h of [undefined, '', t, `Bearer ${t}x`, `Bearer ${t.slice(1)}`, `Basic ${t}`, `Bearer  `, `Bearer ${t} extra`]) expect(bearerMatches(h, t), String(h)).toBe(false);
  });

  it('accepts loopback Host and Origin only (plus --allow-origin)', () => {
    const lo = parseListen('127.0.0.1:8889');
    for (const h of ['127.0.0.1:8889', 'localhost:8889', '[::1]:8889', 'localhost']) expect(hostAllowed(h, lo), h).toBe(true);
    for (const h of [undefined, 'evil.example:8889', '127.0.0.1.evil.example', 'localhost.evil.example:8889']) expect(hostAllowed(h, lo), String(h)).toBe(false);
    expect(hostAllowed('anything', parseListen('0.0.0.0:1'))).toBe(true);
    expect(originAllowed(undefined, [])).toBe(true);
    for (const o of ['http://localhost:3000', 'https://127.0.0.1', 'http://[::1]:1']) expect(originAllowed(o, []), o).toBe(true);
    for (const o of ['null', 'http://evil.example', 'http://localhost.evil.example', 'file://', 'chrome-extension://abc']) expect(originAllowed(o, []), o).toBe(false);
    expect(originAllowed('https://app.example', ['https://app.example'])).toBe(true);
  });
});
