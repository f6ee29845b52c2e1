/**
 * Multi-line secrets at the matcher and scanner level (issue 19): a rule with
 * an `end` regex reports the block from its opening to its closing line, or an
 * open hit (no span, `unterminated`) when the closing line is missing, past
 * MAX_BLOCK_CHARS, or after text that is not key material. The end-to-end
 * matrix with real keys is test/e2e/private-keys.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { loadBuiltinRules } from '../src/scan/rule-pack.js';
import { MAX_BLOCK_CHARS, RuleMatcher } from '../src/scan/matcher.js';
import { DlpScanner } from '../src/scan/dlp-scanner.js';
import { ResponseScanner } from '../src/scan/response-scanner.js';
import type { JsonRpcMessage } from '../src/scan/types.js';

const rules = loadBuiltinRules().filter((r) => ['private-key-pem', 'putty-private-key', 'ssh2-private-key'].includes(r.id));
const matcher = new RuleMatcher(rules);
/** Deterministic base64-looking lines (not a key). */
const line = (i: number): string => `MIIE${String(i).padStart(4, '0')}`.padEnd(64, 'Qx9+/').slice(0, 64);
const body = (n: number): string => Array.from({ length: n }, (_v, i) => line(i)).join('\n');
const pem = (n: number, label = 'RSA PRIVATE KEY'): string => `-----BEGIN ${label}-----\n${body(n)}\n-----END ${label}-----`;

describe('block rules span BEGIN to END', () => {
  it('the span of a PEM block is the whole block', () => {
    const text = `before\n${pem(20)}\nafter`;
    const [h] = matcher.find(text, { firstPerRule: false }).hits;
    expect(h?.open).toBeUndefined();
    expect(text.slice(h?.start, h?.end)).toBe(pem(20));
  });

  it('two keys give two spans, each whole, and the text between them is not taken', () => {
    const text = `${pem(3)}\nkeep me\n${pem(4, 'PRIVATE KEY')}`;
    const hits = matcher.find(text, { firstPerRule: false }).hits;
    expect(hits.map((h) => text.slice(h.start, h.end))).toEqual([pem(3), pem(4, 'PRIVATE KEY')]);
  });

  it('a JSON-escaped key (service-account private_key) ends after its trailing \\n escape', () => {
    const value = pem(5, 'PRIVATE KEY').replace(/\n/g, '\\n') + '\\n';
    const text = `{"private_key": "${value}", "client_email": "x@y.iam.gserviceaccount.com"}`;
    const [h] = matcher.find(text).hits;
    expect(text.slice(h?.start, h?.end)).toBe(value);
  });

  it('CRLF line ends, and a key indented in a YAML block scalar, close as usual', () => {
    const crlf = pem(8).replace(/\n/g, '\r\n');
    expect(matcher.find(`x\r\n${crlf}\r\n`).hits.map((h) => [h.open, h.end - h.start])).toEqual([[undefined, crlf.length]]);
    const yaml = `tls:\n  key: |\n${pem(8).split('\n').map((l) => `    ${l}`).join('\n')}\n  cert: x\n`;
    const [h] = matcher.find(yaml).hits;
    expect(h?.open).toBeUndefined();
    expect(yaml.slice(h?.start, h?.end)).toBe(pem(8).split('\n').map((l, i) => (i === 0 ? l : `    ${l}`)).join('\n'));
  });

  it('an SSH.com key with a header continued over two lines is taken whole', () => {
    const key = `---- BEGIN SSH2 ENCRYPTED PRIVATE KEY ----\nSubject: dev\nComment: "a long comment that RFC 4716 wraps with a backslash \\\nat the end"\n${body(6)}\n---- END SSH2 ENCRYPTED PRIVATE KEY ----`;
    const [h] = matcher.find(`x\n${key}\ny`).hits;
    expect(h?.rule.id).toBe('ssh2-private-key');
    expect(h?.matched).toBe(key);
  });

  it('without an END line the hit is open, and one open hit ends the rule scan', () => {
    const text = Array.from({ length: 2000 }, () => `-----BEGIN PRIVATE KEY-----\n${line(1)}\n`).join('');
    const { hits, limited } = matcher.find(text, { firstPerRule: false });
    expect(hits).toHaveLength(1);
    expect(hits[0]?.open).toBe(true);
    expect(limited).toEqual([]);
  });

  it('an END line past MAX_BLOCK_CHARS leaves the block open; just inside it closes', () => {
    const lines = Math.floor(MAX_BLOCK_CHARS / 65);
    expect(matcher.find(pem(lines - 2)).hits[0]?.open).toBeUndefined();
    expect(matcher.find(pem(lines + 2)).hits[0]?.open).toBe(true);
  });

  it('text that is not key material before END leaves the block open', () => {
    const text = pem(6).replace(line(3), `${line(3)}\n> quoted`);
    expect(matcher.find(text).hits[0]?.open).toBe(true);
  });
});

describe('scanners turn an open block into a finding without span', () => {
  const text = `-----BEGIN OPENSSH PRIVATE KEY-----\n${body(4)}\n`;
  it('response side: unterminated, no span, masked preview', () => {
    const s = new ResponseScanner(matcher);
    const message = { jsonrpc: '2.0', id: 1, result: { content: [{ type: 'text', text }] } } as JsonRpcMessage;
    const [f] = s.scan({ direction: 'server-to-client', message, context: { method: 'tools/call' } });
    expect(f).toMatchObject({ rule: 'private-key-pem', category: 'dlp', path: 'result.content[0].text', unterminated: true, masked: '----…[100 chars]' });
    expect(f?.span).toBeUndefined();
  });
  it('request side: unterminated, no span', () => {
    const s = new DlpScanner(matcher);
    const message = { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'x', arguments: { key: text } } } as JsonRpcMessage;
    const [f] = s.scan({ direction: 'client-to-server', message });
    expect(f).toMatchObject({ rule: 'private-key-pem', unterminated: true });
    expect(f?.span).toBeUndefined();
  });
});
