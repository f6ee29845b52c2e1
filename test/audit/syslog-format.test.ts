/**
 * The RFC 5424 formatter against hostile values (a server names its tools): no
 * value can close the SD-ELEMENT, add a parameter, or start a new message.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { escapeParamValue, formatSyslog, octetCounted, parseAddress } from '../../src/log/syslog-format.js';
import { runs } from '../fast-check-runs.js';

/** PARAM-VALUE back from its escaped form (RFC 5424 §6.3.3). */
const unescape = (v: string): string => v.replace(/\\(["\\\]])/g, '$1');

describe('RFC 5424 formatter', () => {
  it('escapes ", \\ and ] in values, cleans names and header fields, keeps one line', () => {
    const msg = formatSyslog({
      facility: 'local0',
      severity: 3,
      time: new Date('2026-12-08T01:02:03.456Z'),
      appName: 'mcp guard\n',
      msgId: 'decision',
      params: [['tool', 'x"] [evil@1 a="b'], ['na me="]', 'v\\']],
      msg: 'block\nfake <13>1 line',
    }).toString('utf8');
    expect(msg).toMatch(/^<131>1 2026-12-08T01:02:03\.456Z \S+ mcp_guard_ \d+ decision \[mcpguard@32473 tool="x\\"\\] \[evil@1 a=\\"b" na_me___="v\\\\"\] \uFEFFblock fake <13>1 line$/);
    expect(msg).not.toContain('\n');
  });

  it('any value survives escaping: one SD-ELEMENT, the same value back', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 20 }), (v) => {
        const text = formatSyslog({ facility: 'user', severity: 6, time: new Date(0), appName: 'a', msgId: 'm', params: [['tool', v], ['after', 'x']], msg: '' }).toString('utf8');
        const m = /\[mcpguard@32473 tool="((?:[^"\\\]]|\\["\\\]])*)" after="x"\]/.exec(text);
        expect(m).not.toBeNull();
        expect(unescape(m?.[1] ?? '')).toBe(v);
        expect(escapeParamValue(v)).toBe(m?.[1]);
      }),
      { numRuns: runs(200) },
    );
  });

  it('bounds what a server-chosen name can add: values 256 characters, MSG 1024', () => {
    const long = 'x'.repeat(100_000);
    const text = formatSyslog({ facility: 'user', severity: 6, time: new Date(0), appName: 'a', msgId: 'm', params: [['tool', long]], msg: long }).toString('utf8');
    expect(text.length).toBeLessThan(1500);
    expect(text).toContain(`tool="${'x'.repeat(255)}…"`);
  });

  it('octet counting counts bytes, not characters (RFC 6587 §3.4.1)', () => {
    const body = Buffer.from('é€', 'utf8');
    expect(octetCounted(body).toString('utf8')).toBe(`${body.length} é€`);
  });

  it('addresses: host:port, [v6]:port, default ports, bad ports refused', () => {
    expect(parseAddress('127.0.0.1:1514', 'tcp')).toEqual({ host: '127.0.0.1', port: 1514 });
    expect(parseAddress('[::1]:514', 'udp')).toEqual({ host: '::1', port: 514 });
    expect(parseAddress('logs.example', 'tls')).toEqual({ host: 'logs.example', port: 6514 });
    expect(() => parseAddress('host:0', 'tcp')).toThrow(/port must be 1–65535/);
    expect(() => parseAddress('host:99999', 'tcp')).toThrow(/port/);
  });
});
