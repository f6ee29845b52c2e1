/**
 * The hash-chained audit file: `audit verify` (through the built CLI) names each
 * tamper (edit, rebuilt hash, delete, reorder, truncate, replay, wrong key) with
 * its line number, and a property: any single-byte change in any line is caught.
 */
import { chmodSync, copyFileSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ChainWriter } from '../../src/log/chain-writer.js';
import { canonicalLine, chainKey, sealLine, type ChainKey } from '../../src/log/chain-format.js';
import { canonicalJson } from '../../src/scan/drift.js';
import { verifyAudit } from '../../src/log/chain-verify.js';
import { readChainKey } from '../../src/log/chain-key.js';
import { runCli, tempDir } from '../helpers.js';
import { runs } from '../fast-check-runs.js';

const KEY = chainKey(Buffer.from('0123456789abcdef0123456789abcdef'));
const OTHER_KEY = chainKey(Buffer.from('fedcba9876543210fedcba9876543210'));

/** A log of `n` decision lines after the header (line 1). */
function writeLog(path: string, n: number, key?: ChainKey, maxBytes?: number): void {
  const w = new ChainWriter({ path, key, maxBytes, server: 'fixture', version: 'test', configHash: 'c'.repeat(64) });
  for (let i = 0; i < n; i++) {
    w.append({ time: `2026-12-08T00:00:${String(i).padStart(2, '0')}.000Z`, level: 50, event: 'decision', action: i % 3 === 0 ? 'block' : 'allow', direction: 'client-to-server', method: 'tools/call', findings: [{ rule: 'aws-access-key-id', masked: 'AKIA…[20 chars]' }], scan_us: 12.5 + i });
  }
  w.close();
}

const lines = (p: string): string[] => readFileSync(p, 'utf8').split('\n').slice(0, -1);
const save = (p: string, ls: string[]): void => writeFileSync(p, ls.map((l) => `${l}\n`).join(''));

async function verifyCli(path: string, ...extra: string[]): Promise<{ code: number | null; report: { ok: boolean; files: Array<{ file: string; break?: { line: number; kind: string } }>; links: Array<{ file: string; line: number; kind: string }> } }> {
  const r = await runCli(['audit', 'verify', path, '--json', ...extra]);
  return { code: r.code, report: JSON.parse(r.stdout) as never };
}

const firstBreak = (path: string, key?: ChainKey): { line: number; kind: string } | undefined => {
  const r = verifyAudit(path, key);
  return r.files.find((f) => f.break)?.break ?? r.links[0];
};

describe('audit verify', () => {
  it('passes a fresh log and a continued one, and says so in text', async () => {
    const dir = tempDir();
    const log = join(dir, 'audit.jsonl');
    writeLog(log, 5);
    writeLog(log, 3); // a second proxy run appends a new chain_start and continues seq/prev
    const ls = lines(log);
    expect(ls).toHaveLength(10);
    expect(JSON.parse(ls[6] as string)).toMatchObject({ event: 'chain_start', seq: 6 });
    expect(statSync(log).mode & 0o777).toBe(0o600);
    const r = await runCli(['audit', 'verify', log]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^ok {6}audit\.jsonl {2}10 lines, seq 0–9/);
    expect(r.stdout).toContain('intact: 1 file');
  });

  it('edited line: exit 1, the line number, in text and JSON', async () => {
    const dir = tempDir();
    const log = join(dir, 'audit.jsonl');
    writeLog(log, 6);
    const ls = lines(log);
    ls[3] = (ls[3] as string).replace('"action":"allow"', '"action":"block"');
    save(log, ls);
    const text = await runCli(['audit', 'verify', log]);
    expect(text.code).toBe(1);
    expect(text.stdout).toContain('BROKEN  audit.jsonl  line 4: edited');
    const { code, report } = await verifyCli(log);
    expect(code).toBe(1);
    expect(report.ok).toBe(false);
    expect(report.files[0]?.break).toMatchObject({ line: 4, kind: 'edited' });
  });

  it('an unkeyed line edited and re-hashed is caught by the next line; with a key the rebuilt hash itself fails', () => {
    const dir = tempDir();
    for (const key of [undefined, KEY]) {
      const log = join(dir, key ? 'keyed.jsonl' : 'plain.jsonl');
      writeLog(log, 6, key);
      const ls = lines(log);
      const { hash: _h, ...body } = JSON.parse(ls[3] as string) as Record<string, unknown>;
      ls[3] = sealLine({ ...body, action: 'allow', findings: [] }, undefined).line; // the attacker has no key
      save(log, ls);
      expect(firstBreak(log, key)).toMatchObject({ line: 4, kind: 'edited' });
    }
  });

  it('deleted line: the first line after the gap', async () => {
    const log = join(tempDir(), 'audit.jsonl');
    writeLog(log, 6);
    const ls = lines(log);
    ls.splice(3, 1);
    save(log, ls);
    const { code, report } = await verifyCli(log);
    expect(code).toBe(1);
    expect(report.files[0]?.break).toMatchObject({ line: 4, kind: 'deleted' });
    // The header removed: line 1 no longer starts a chain.
    const log2 = join(tempDir(), 'audit.jsonl');
    writeLog(log2, 3);
    save(log2, lines(log2).slice(1));
    expect(firstBreak(log2)).toMatchObject({ line: 1, kind: 'deleted' });
  });

  it('reordered lines', async () => {
    const log = join(tempDir(), 'audit.jsonl');
    writeLog(log, 6);
    const ls = lines(log);
    [ls[3], ls[4]] = [ls[4] as string, ls[3] as string];
    save(log, ls);
    const { report } = await verifyCli(log);
    expect(report.files[0]?.break).toMatchObject({ line: 4, kind: 'reordered' });
  });

  it('truncated: a file cut mid-line, and whole lines cut from a rotated file', async () => {
    const log = join(tempDir(), 'audit.jsonl');
    writeLog(log, 6);
    const bytes = readFileSync(log);
    const cut = lines(log).slice(0, 5).join('\n').length + 1 + 40; // 40 bytes into line 6
    writeFileSync(log, bytes.subarray(0, cut));
    const { code, report } = await verifyCli(log);
    expect(code).toBe(1);
    expect(report.files[0]?.break).toMatchObject({ line: 6, kind: 'truncated' });

    const dir = tempDir();
    writeLog(join(dir, 'audit.jsonl'), 30, undefined, 4096);
    const rotated = readdirSync(dir).sort();
    expect(rotated.length).toBeGreaterThanOrEqual(3); // audit.0.jsonl, audit.1.jsonl, …, audit.jsonl
    expect((await verifyCli(dir)).code).toBe(0);
    const first = join(dir, 'audit.0.jsonl');
    const n = lines(first).length;
    save(first, lines(first).slice(0, n - 2));
    const r2 = await verifyCli(dir);
    expect(r2.code).toBe(1);
    expect(r2.report.links[0]).toMatchObject({ file: first, line: n - 1, kind: 'truncated' });
  });

  it('replayed: an old file copied in place of a newer one, and an old line appended again', async () => {
    const dir = tempDir();
    writeLog(join(dir, 'audit.jsonl'), 30, undefined, 4096);
    copyFileSync(join(dir, 'audit.0.jsonl'), join(dir, 'audit.1.jsonl'));
    const { code, report } = await verifyCli(dir);
    expect(code).toBe(1);
    expect(report.links[0]).toMatchObject({ file: join(dir, 'audit.1.jsonl'), line: 1, kind: 'replayed' });

    const log = join(tempDir(), 'audit.jsonl');
    writeLog(log, 4);
    const ls = lines(log);
    save(log, [...ls, ls[2] as string]);
    expect(firstBreak(log)).toMatchObject({ line: 6, kind: 'replayed' });
  });

  it('wrong key, no key for a keyed chain (exit 2), and a key for an unkeyed chain (a downgrade)', async () => {
    const dir = tempDir();
    const keyed = join(dir, 'keyed.jsonl');
    const plain = join(dir, 'plain.jsonl');
    writeLog(keyed, 3, KEY);
    writeLog(plain, 3);
    const other = join(dir, 'other.key');
    writeFileSync(other, OTHER_KEY.bytes, { mode: 0o600 });
    const right = join(dir, 'right.key');
    writeFileSync(right, `${KEY.bytes.toString()}\n`, { mode: 0o600 });
    expect((await verifyCli(keyed, '--key', right)).code).toBe(0);
    const wrong = await verifyCli(keyed, '--key', other);
    expect(wrong.code).toBe(1);
    expect(wrong.report.files[0]?.break).toMatchObject({ line: 1, kind: 'wrong_key' });
    const none = await runCli(['audit', 'verify', keyed]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('pass that key with --key');
    expect((await verifyCli(plain, '--key', right)).report.files[0]?.break).toMatchObject({ line: 1, kind: 'wrong_key' });
    // An unkeyed header edited to claim a key is an edit (exit 1), not "needs --key" (exit 2).
    const ls = lines(plain);
    ls[0] = (ls[0] as string).replace('"key_id":"none"', `"key_id":"${KEY.id}"`);
    save(plain, ls);
    expect(firstBreak(plain)).toMatchObject({ line: 1, kind: 'edited' });
  });

  it('unreadable input exits 2', async () => {
    const dir = tempDir();
    expect((await runCli(['audit', 'verify', join(dir, 'missing.jsonl')])).code).toBe(2);
    expect((await runCli(['audit', 'verify', dir])).code).toBe(2); // no .jsonl files
  });

  it('any single-byte change in any line is detected, at that line', () => {
    const log = join(tempDir(), 'audit.jsonl');
    writeLog(log, 5, KEY);
    const original = readFileSync(log);
    const bounds: Array<[number, number]> = [];
    let start = 0;
    for (let nl = original.indexOf(0x0a); nl >= 0; nl = original.indexOf(0x0a, start)) {
      bounds.push([start, nl]); // the line's bytes, newline excluded
      start = nl + 1;
    }
    fc.assert(
      fc.property(fc.nat(bounds.length - 1), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), fc.integer({ min: 1, max: 255 }), (line, where, delta) => {
        const [a, b] = bounds[line] as [number, number];
        const at = a + Math.floor(where * (b - a));
        const copy = Buffer.from(original);
        copy[at] = ((copy[at] as number) + delta) % 256;
        writeFileSync(log, copy);
        const r = verifyAudit(log, KEY);
        expect(r.ok).toBe(false);
        // And it names the line that was changed (or, when the byte became a newline, one of its two halves).
        expect(copy[at] === 0x0a ? [line + 1, line + 2] : [line + 1]).toContain(r.files[0]?.break?.line);
      }),
      { numRuns: runs(300) },
    );
  });
});

describe('audit verify: any one line deleted or two adjacent lines swapped', () => {
  it('is caught at that line (all but the last line: cutting the tail needs a copy kept elsewhere)', () => {
    const log = join(tempDir(), 'audit.jsonl');
    writeLog(log, 9);
    const original = lines(log);
    fc.assert(
      fc.property(fc.nat(original.length - 2), fc.boolean(), (k, swap) => {
        const ls = [...original];
        if (swap) [ls[k], ls[k + 1]] = [ls[k + 1] as string, ls[k] as string];
        else ls.splice(k, 1);
        save(log, ls);
        expect(firstBreak(log)).toMatchObject({ line: k + 1, kind: swap ? 'reordered' : 'deleted' });
      }),
      { numRuns: runs(100) },
    );
  });
});

describe('canonical form', () => {
  it('the fast form gives canonicalJson\'s bytes for any JSON value (index-like keys, __proto__, deep nesting included)', () => {
    const deep = JSON.parse('['.repeat(200) + ']'.repeat(200)) as unknown;
    for (const v of [{ b: 1, a: { '10': 1, '9': 2, x: [1, { z: 0, y: null }] } }, JSON.parse('{"__proto__":{"a":1},"b":2}') as unknown, deep]) expect(canonicalLine(v)).toBe(canonicalJson(v));
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        expect(canonicalLine(v)).toBe(canonicalJson(v));
      }),
      { numRuns: runs(500) },
    );
  });
});

describe('chain key file', () => {
  it('is refused unless mode 0600, with a clear error', () => {
    const dir = tempDir();
    const key = join(dir, 'chain.key');
    writeFileSync(key, 'k'.repeat(32), { mode: 0o644 });
    chmodSync(key, 0o644);
    expect(() => readChainKey(key, true)).toThrow(/mode 0644; it must be readable by its owner only \(chmod 600/);
    chmodSync(key, 0o600);
    expect(readChainKey(key, true).id).toMatch(/^[0-9a-f]{16}$/);
    writeFileSync(key, 'short', { mode: 0o600 });
    expect(() => readChainKey(key, true)).toThrow(/at least 16/);
  });

  it('a file chained with one key is not continued with another', () => {
    const log = join(tempDir(), 'audit.jsonl');
    writeLog(log, 2, KEY);
    expect(() => writeLog(log, 1, OTHER_KEY)).toThrow(/was chained with key id/);
    writeFileSync(log, '{"cut":');
    expect(() => writeLog(log, 1)).toThrow(/does not end with a complete line/);
  });

  it('an existing plain log gets a chain after its lines, anchored on the last of them', () => {
    const log = join(tempDir(), 'audit.jsonl');
    writeFileSync(log, '{"earlier":1}\n{"earlier":2}\n');
    writeLog(log, 2);
    const r = verifyAudit(log);
    expect(r.ok).toBe(true);
    expect(r.files[0]).toMatchObject({ unchained: 2, firstSeq: 0, lastSeq: 2 });
    const ls = lines(log);
    ls[1] = '{"earlier":3}';
    save(log, ls);
    expect(firstBreak(log)).toMatchObject({ line: 2, kind: 'edited' });
    writeFileSync(log, '{"earlier":1}\n');
    expect(firstBreak(log)).toMatchObject({ line: 1, kind: 'not_chained' });
  });
});
