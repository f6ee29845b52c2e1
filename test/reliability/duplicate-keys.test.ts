/**
 * Duplicate keys. `JSON.parse` keeps the last copy of a repeated key, but the
 * server's parser may keep the first, so the scanners would vet a value the
 * server never reads. A client frame with a key repeated in any object is
 * blocked with a `duplicate-key` protocol finding (findDuplicateKey in
 * src/proxy/jsonrpc.ts, applied by GuardSession.fromClient when given the raw line).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { runs } from '../fast-check-runs.js';
import { findDuplicateKey } from '../../src/proxy/jsonrpc.js';
import { GuardSession } from '../../src/proxy/session.js';
import { joinPath } from '../../src/scan/json-walk.js';
import { ScanChain } from '../../src/scan/chain.js';
import { normalizeConfig } from '../../src/config/normalize.js';

describe('findDuplicateKey', () => {
  it.each([
    ['{"jsonrpc":"2.0","id":1,"method":"tools/call","method":"ping"}', 'method'],
    ['{"jsonrpc":"2.0","id":1,"id":2,"method":"ping"}', 'id'],
    ['{"jsonrpc":"2.0","jsonrpc":"1.0","id":1,"method":"ping"}', 'jsonrpc'],
    ['{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"a"},"params":{"name":"b"}}', 'params'],
    ['{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"rm","arguments":{},"name":"ls"}}', 'params.name'],
    ['{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"x","arguments":{"token":"ghp_x","token":"safe"}}}', 'params.arguments.token'],
    ['{"id":1,"\\u0069d":2}', 'id'],
    ['{"a\\"b":1,"a\\u0022b":2}', '["a\\"b"]'],
    ['{"list":[{"k":1},{"k":2,"k":3}]}', 'list[1].k'],
    ['{"list":[[],[{}],[{"x":{"y":1,"y":2}}]]}', 'list[2][0].x.y'],
    [' { "a" : 1 ,\t"a" : 2 } ', 'a'],
  ])('finds the repeated key in %s', (text, path) => {
    expect(() => JSON.parse(text) as unknown).not.toThrow();
    expect(findDuplicateKey(text)).toBe(path);
  });

  it.each([
    '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"x","arguments":{"id":1,"method":"y","params":{}}}}',
    '{"a":"\\"a\\":1","b":"{\\"a\\":2}"}',
    '{"a":"back\\\\","a2":"slash\\\\\\"","b":[{"a":1},{"a":1}]}',
    '{"k":{"k":{"k":{}}}}',
    '[{"a":1},{"a":2}]',
    '"just a string"',
    '{}',
  ])('finds nothing in %s', (text) => {
    expect(findDuplicateKey(text)).toBeUndefined();
  });

  it('never reports a duplicate in JSON.stringify output (which cannot hold one)', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), (v) => {
        expect(findDuplicateKey(JSON.stringify(v))).toBeUndefined();
        expect(findDuplicateKey(JSON.stringify(v, null, '\t'))).toBeUndefined();
      }),
      { numRuns: runs(500) },
    );
  });

  it('finds a key repeated anywhere, and names its path', () => {
    // A JSON tree with one object, chosen by `pick`, serialised with `key` twice.
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 5 }), fc.nat(), fc.string({ unit: 'grapheme', maxLength: 6 }), (tree, pick, key) => {
        const root = { root: tree };
        const objects: Array<{ path: string }> = [];
        const collect = (v: unknown, path: string): void => {
          if (Array.isArray(v)) v.forEach((x, i) => collect(x, joinPath(path, i)));
          else if (v !== null && typeof v === 'object') {
            objects.push({ path });
            for (const [k, x] of Object.entries(v)) collect(x, joinPath(path, k));
          }
        };
        collect(root, '');
        const target = objects[pick % objects.length] as { path: string };
        let n = 0;
        const ser = (v: unknown, path: string): string => {
          if (Array.isArray(v)) return `[${v.map((x, i) => ser(x, joinPath(path, i))).join(',')}]`;
          if (v === null || typeof v !== 'object') return JSON.stringify(v);
          const members = Object.entries(v).map(([k, x]) => `${JSON.stringify(k)}:${ser(x, joinPath(path, k))}`);
          if (path === target.path && n++ === 0) {
            // Repeat `key` (escaped differently the second time when it has a letter) after the existing members.
            const again = JSON.stringify(key).replace(/[a-z]/, (c) => `\\u00${c.charCodeAt(0).toString(16)}`);
            const existing = Object.keys(v).includes(key);
            members.push(...(existing ? [`${again}:0`] : [`${JSON.stringify(key)}:1`, `${again}:2`]));
          }
          return `{${members.join(',')}}`;
        };
        const text = ser(root, '');
        expect(() => JSON.parse(text) as unknown).not.toThrow();
        const found = findDuplicateKey(text);
        // Everything else came from real objects, so the injected copy is the only duplicate.
        expect(found).toBe(joinPath(target.path, key));
      }),
      { numRuns: runs(500) },
    );
  });

  it('handles 100,000 levels of nesting without recursion', () => {
    const deep = `${'{"a":['.repeat(100_000)}{"k":1,"k":2}${']}'.repeat(100_000)}`;
    expect(findDuplicateKey(deep)?.endsWith('.a[0].k')).toBe(true);
  });
});

describe('GuardSession.fromClient with the raw line', () => {
  const chain = new ScanChain({ config: normalizeConfig({}), env: {} });
  const FINDING = { rule: 'duplicate-key', category: 'protocol', path: 'params.arguments.token' };

  it('blocks a request whose arguments hide a second copy of a key, before any scanner runs', () => {
    const session = new GuardSession(chain);
    const raw = '{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"x","arguments":{"token":"AKIAIOSFODNN7EXAMPLE","token":"nothing to see"}}}';
    const d = session.fromClient(JSON.parse(raw), raw);
    expect(d.kind).toBe('request');
    expect(d.verdict.action).toBe('block');
    expect(d.verdict.findings).toEqual([expect.objectContaining(FINDING)]);
    expect(session.pending.size).toBe(0);
  });

  it('blocks notifications and client responses too, and even in audit mode', () => {
    const audit = new ScanChain({ config: normalizeConfig({ mode: 'audit' } as never), env: {} });
    const session = new GuardSession(audit);
    const note = '{"jsonrpc":"2.0","method":"notifications/progress","params":{"progress":1,"progress":2}}';
    expect(session.fromClient(JSON.parse(note), note).verdict.action).toBe('block');
    const ask = '{"jsonrpc":"2.0","id":"s1","method":"sampling/createMessage","params":{"messages":[],"maxTokens":5}}';
    expect(session.fromServer(JSON.parse(ask), ask).verdict.action).toBe('allow');
    const answer = '{"jsonrpc":"2.0","id":"s1","result":{"content":[]},"result":{"content":[{"type":"text","text":"x"}]}}';
    expect(session.fromClient(JSON.parse(answer), answer).verdict).toMatchObject({ action: 'block', findings: [{ rule: 'duplicate-key', path: 'result' }] });
  });

  it('passes frames without duplicates, and does not check when no raw line is given (replays)', () => {
    const session = new GuardSession(chain);
    const raw = '{"jsonrpc":"2.0","id":8,"method":"tools/call","params":{"name":"x","arguments":{"a":1,"b":{"a":2}}}}';
    expect(session.fromClient(JSON.parse(raw), raw).verdict.action).toBe('allow');
    const dup = '{"jsonrpc":"2.0","id":9,"method":"ping","method":"ping"}';
    expect(session.fromClient(JSON.parse(dup)).verdict.action).toBe('allow');
  });
});
