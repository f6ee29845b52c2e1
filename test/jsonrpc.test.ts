/**
 * src/proxy/jsonrpc.ts on its own: frame classification (JSON-RPC 2.0 § 4, § 5),
 * id keys and raw id text, the error lines and block messages the proxy writes,
 * and the structure check (duplicate keys, nesting depth). The relay's use of
 * them is pinned in test/reliability/decisions.test.ts.
 */
import { describe, expect, it } from 'vitest';
import {
  BLOCKED,
  INVALID_REQUEST,
  MAX_FRAME_DEPTH,
  PARSE_ERROR,
  SERVER_EXITED,
  blockMessage,
  checkStructure,
  classify,
  errorLine,
  findDuplicateKey,
  idKey,
  publicFindings,
  rawIdText,
  sniffId,
} from '../src/proxy/jsonrpc.js';
import type { Finding } from '../src/scan/types.js';

describe('classify', () => {
  it.each([
    [{ jsonrpc: '2.0', id: 1, method: 'ping' }, 'request'],
    [{ jsonrpc: '2.0', id: 'a', method: 'ping' }, 'request'],
    [{ jsonrpc: '2.0', method: 'notifications/initialized' }, 'notification'],
    [{ jsonrpc: '2.0', id: 1, result: {} }, 'response'],
    [{ jsonrpc: '2.0', id: 'a', error: { code: 1, message: 'x' } }, 'response'],
    [{ jsonrpc: '2.0', id: null, error: { code: -32700, message: 'x' } }, 'response'],
    [{ jsonrpc: '2.0', id: 1, result: null }, 'response'],
    [{ jsonrpc: '2.0', id: null, method: 'ping' }, 'invalid'],
    [{ jsonrpc: '2.0', id: true, method: 'ping' }, 'invalid'],
    [{ jsonrpc: '2.0', id: 1, method: 7 }, 'invalid'],
    [{ jsonrpc: '2.0', id: 1 }, 'invalid'],
    [{ jsonrpc: '2.0', result: {} }, 'invalid'],
    [{ jsonrpc: '2.0', id: {}, result: {} }, 'invalid'],
    [{ jsonrpc: '2.0', id: [1], error: {} }, 'invalid'],
    [{ jsonrpc: '1.0', id: 1, method: 'ping' }, 'invalid'],
    [{ id: 1, method: 'ping' }, 'invalid'],
    [[{ jsonrpc: '2.0', id: 1, method: 'ping' }], 'invalid'],
    [null, 'invalid'],
    ['{"jsonrpc":"2.0"}', 'invalid'],
    [7, 'invalid'],
  ])('%j is %s', (value, kind) => {
    expect(classify(value)).toBe(kind);
  });
});

describe('idKey', () => {
  it('gives numbers and numeric strings one key, as the SDK client matches them', () => {
    for (const id of [1, '1', '0x1', '1e0', ' 1 ', '1.0']) expect(idKey(id), JSON.stringify(id)).toBe('n:1');
    expect(idKey('')).toBe('n:0');
    expect(idKey(-2.5)).toBe('n:-2.5');
  });
  it('keeps other strings as text, and null apart', () => {
    expect(idKey('a')).toBe('s:a');
    expect(idKey('1a')).toBe('s:1a');
    expect(idKey('NaN')).toBe('s:NaN');
    expect(idKey(null)).toBe('null');
    expect(idKey('null')).toBe('s:null');
  });
});

describe('sniffId (the id of an oversized frame, from its head)', () => {
  it.each([
    ['{"jsonrpc":"2.0","id":42,"method":"x","params":{"big":"', 42],
    ['  {"id" : -7, "jsonrpc":"2.0"', -7],
    ['{"id":"a\\"b","method"', 'a"b'],
    ['{"jsonrpc":"2.0","id":"x"', 'x'],
  ])('finds the id in %s', (head, id) => {
    expect(sniffId(head)).toEqual(id);
  });
  it.each([
    '{"params":{"id":1},"id":2',
    '{"method":"x"',
    '["id":1]',
    'x{"id":1',
    '{"id":null',
    `{"id":"${'a'.repeat(201)}"`,
    '{"id":"\\u12"',
  ])('finds none in %s', (head) => {
    expect(sniffId(head)).toBeUndefined();
  });
});

describe('publicFindings and blockMessage', () => {
  const dlp: Finding = { rule: 'github-pat', category: 'dlp', severity: 'high', path: 'params.arguments.token', masked: 'ghp_…', span: { start: 0, end: 4 } };
  const inj: Finding = { rule: 'inj-x', category: 'injection', severity: 'medium', path: '', transform: 'base64' };

  it('shows rule, category, path and transform, never the masked text or the span', () => {
    expect(publicFindings([dlp, inj])).toEqual([
      { rule: 'github-pat', category: 'dlp', path: 'params.arguments.token' },
      { rule: 'inj-x', category: 'injection', path: '', transform: 'base64' },
    ]);
  });

  it('names each category once, the first finding and where it is, and how many more', () => {
    expect(blockMessage('tools/call request', [dlp])).toBe(
      'mcp-guard: blocked tools/call request: found a credential (github-pat at params.arguments.token); to allow: suppress: [{rule: github-pat, path: "params.arguments.token"}]',
    );
    expect(blockMessage('x', [inj, dlp, { ...dlp, path: 'b' }])).toMatch(/^mcp-guard: blocked x: found prompt injection, a credential \(inj-x at the frame, \+2 more\); to allow: suppress: \[/);
    const others: Array<[Finding['category'], string]> = [
      ['tool-poisoning', 'tool poisoning'],
      ['drift', 'a changed tool definition (rug pull)'],
      ['policy', 'a tool-policy violation'],
    ];
    for (const [category, words] of others) expect(blockMessage('y', [{ ...inj, category }])).toContain(`found ${words} (`);
  });

  it('explains each protocol rule in words', () => {
    const hints: Record<string, string> = {
      'duplicate-key': 'a key appears twice in one object, so the receiver may read a copy that was never scanned',
      'frame-too-deep': 'the frame is nested deeper than the proxy scans',
      'unpaired-response': 'the response answers no request in flight (unknown id, answered twice, or sent before its request)',
      'duplicate-id': 'a request with this id is already in flight',
      'too-many-pending': 'too many requests are in flight',
      'scan-limit-normalize': 'the frame needs more Unicode normalisation than limits.normalize_chars allows',
      'call-before-list': 'the tool was called before any tools/list in this session, so its definition was never scanned; call tools/list first',
    };
    for (const [rule, hint] of Object.entries(hints)) {
      expect(blockMessage('r', [{ rule, category: 'protocol', severity: 'high', path: 'id' }])).toBe(`mcp-guard: blocked r: found a protocol violation (${rule} at id): ${hint}`);
    }
    expect(blockMessage('r', [{ rule: 'frame-too-large', category: 'protocol', severity: 'high', path: '' }])).toBe('mcp-guard: blocked r: found a protocol violation (frame-too-large at the frame)');
    expect(blockMessage('r', [])).toBe('mcp-guard: blocked r: found ');
  });
});

describe('errorLine', () => {
  it('writes one JSON-RPC error response line, with data only when given', () => {
    expect(errorLine(3, BLOCKED, 'no').toString()).toBe('{"jsonrpc":"2.0","id":3,"error":{"code":-32001,"message":"no"}}\n');
    expect(errorLine('a', BLOCKED, 'no', { findings: [] }).toString()).toBe('{"jsonrpc":"2.0","id":"a","error":{"code":-32001,"message":"no","data":{"findings":[]}}}\n');
    expect(errorLine(null, PARSE_ERROR, 'p').toString()).toBe('{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"p"}}\n');
  });
  it('prefers the raw id text', () => {
    expect(errorLine(1, SERVER_EXITED, 'gone', undefined, '1.0').toString()).toBe('{"jsonrpc":"2.0","id":1.0,"error":{"code":-32000,"message":"gone"}}\n');
  });
  it('uses the codes of JSON-RPC 2.0 § 5.1 and the server range', () => {
    expect([PARSE_ERROR, INVALID_REQUEST, SERVER_EXITED, BLOCKED]).toEqual([-32700, -32600, -32000, -32001]);
  });
});

describe('rawIdText', () => {
  it.each([
    ['{"jsonrpc":"2.0","id":9007199254740993,"method":"x"}', '9007199254740993'],
    ['{"id":1e3}', '1e3'],
    ['{"id":-1.50E+2,"x":1}', '-1.50E+2'],
    ['{ "id" :\t "a\\"b" }', '"a\\"b"'],
    ['{"id":"\\u0061"}', '"\\u0061"'],
    ['{"\\u0069d":7}', '7'],
    ['{"id":null}', 'null'],
    ['{"params":{"id":1},"list":[{"id":2}],"s":"\\"id\\":3","id":4}', '4'],
    ['{"a":"x,\\"id\\":5","id":6}', '6'],
    ['{"a":[1,{"b":2}],"id":"z"}', '"z"'],
    // A string value that reads like the member name is a value, not a key.
    ['{"a":"id","id":5}', '5'],
    ['{"m":"x","n":"id","id":"z"}', '"z"'],
  ])('reads the id of %s as it is written', (text, raw) => {
    expect(rawIdText(text)).toBe(raw);
  });
  it('is undefined when the member is absent or not a number, string or null', () => {
    expect(rawIdText('{"jsonrpc":"2.0","method":"x"}')).toBeUndefined();
    expect(rawIdText('{"params":{"id":1}}')).toBeUndefined();
    expect(rawIdText('{"id":true}')).toBeUndefined();
    expect(rawIdText('{"id":{"a":1}}')).toBeUndefined();
    expect(rawIdText('[{"id":1}]')).toBeUndefined();
  });
  it('reads another member when asked', () => {
    expect(rawIdText('{"id":1,"method":"tools/call"}', 'method')).toBe('"tools/call"');
  });
});

describe('checkStructure', () => {
  const nest = (n: number): string => `${'['.repeat(n)}${']'.repeat(n)}`;

  it(`allows ${MAX_FRAME_DEPTH} levels and refuses one more, naming at most the first 8 levels`, () => {
    expect(checkStructure(nest(MAX_FRAME_DEPTH))).toBeUndefined();
    expect(checkStructure(nest(MAX_FRAME_DEPTH + 1))).toEqual({ rule: 'frame-too-deep', path: '[0][0][0][0][0][0][0][0]' });
    expect(checkStructure(`{"a":{"b":${nest(10)}}}`, 5)).toEqual({ rule: 'frame-too-deep', path: 'a.b[0][0][0]' });
    expect(checkStructure('{"a":[1,2,{"b":[3]}]}', 3)).toEqual({ rule: 'frame-too-deep', path: 'a[2].b' });
    expect(checkStructure('{"a":[1,2,{"b":[3]}]}', 4)).toBeUndefined();
  });

  it('counts closed containers out, so siblings never add up', () => {
    expect(checkStructure(`[${Array(300).fill('[[]]').join(',')}]`, 3)).toBeUndefined();
    expect(checkStructure('{"a":{},"b":{},"c":{"d":{}}}', 3)).toBeUndefined();
  });

  it('reports the first duplicate key with its path, or nothing', () => {
    expect(checkStructure('{"a":[{"x":1},{"y":1,"y":2}]}')).toEqual({ rule: 'duplicate-key', path: 'a[1].y' });
    expect(checkStructure('{"a":{"k":1},"b":{"k":1}}')).toBeUndefined();
    expect(checkStructure('{"k":"{\\"k\\":1,\\"k\\":2}"}')).toBeUndefined();
    expect(findDuplicateKey('{"a\\\\":1,"a\\\\":2}')).toBe('["a\\\\"]');
    expect(findDuplicateKey('{"a\\\\":1,"a":2}')).toBeUndefined();
    expect(findDuplicateKey(`{"d":${nest(MAX_FRAME_DEPTH + 10)},"d":1}`)).toBe('d');
  });

  it('reads string values as values, keys as keys, after commas in objects only', () => {
    expect(checkStructure('{"a":"b","b":"a"}')).toBeUndefined();
    expect(checkStructure('{"a":["a","a"],"b":1}')).toBeUndefined();
    expect(checkStructure('{"a":["x","y"],"a":1}')).toEqual({ rule: 'duplicate-key', path: 'a' });
    expect(checkStructure('{"l":[1,2,3,{"k":1,"k":2}]}')).toEqual({ rule: 'duplicate-key', path: 'l[3].k' });
  });
});
