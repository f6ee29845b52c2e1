/**
 * Property: for random paths under a root, with `..` and separators in random
 * encodings, the path normaliser never lets a path through whose reading by a
 * server (literal, URL-decoded once or twice, Unicode-folded, Windows separators)
 * lands outside the root. And plain paths under the root are never refused.
 */
import { posix } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkPath, globSet } from '../../src/policy/paths.js';
import { runs } from '../fast-check-runs.js';

const CTX = { home: '/home/user', cwd: '/srv/root/work' };
const ROOT = '/srv/root';
const none = globSet([], CTX);

const DOTDOT = ['..', '%2e%2e', '%2E%2E', '.%2e', '%2e.', '%252e%252e', '%25252e%25252e', '\uff0e\uff0e', '\u2024\u2024', '\ufe52\ufe52', '.\uff0e', '..\u0020', '...'];
const SEP = ['/', '//', '/./', '\\', '%2f', '%2F', '%5c', '%252f', '\uff0f', '\u2215', '\uff3c', '/%2e/'];
const NAME = fc.stringMatching(/^[a-zA-Z0-9_-]{1,8}$/);

/** Ways a server may read a path: literal, decoded (as many times as a sloppy server decodes), folded, Windows. */
function serverReadings(p: string): string[] {
  const out: string[] = [];
  let d = p;
  for (let i = 0; i < 4; i++) {
    for (const v of [d, d.normalize('NFKC').replace(/\u2215/g, '/')]) {
      out.push(v, v.replace(/\\/g, '/'));
      // Windows ignores trailing dots and spaces of a name.
      out.push(v.replace(/\\/g, '/').split('/').map((s) => (s === '' || s === '.' || s === '..' ? s : s.replace(/[. ]+$/, '') || '..')).join('/'));
    }
    try {
      d = decodeURIComponent(d);
    } catch {
      break;
    }
  }
  return out.map((r) => posix.resolve(CTX.cwd, r));
}

const inside = (p: string): boolean => p === ROOT || p.startsWith(`${ROOT}/`);

describe('the path normaliser', () => {
  it('never lets an encoded .. escape the root', () => {
    const segment = fc.oneof(NAME, fc.constantFrom(...DOTDOT));
    fc.assert(
      fc.property(fc.array(fc.tuple(segment, fc.constantFrom(...SEP)), { minLength: 1, maxLength: 10 }), fc.boolean(), (parts, absolute) => {
        const rel = parts.map(([s, sep]) => s + sep).join('');
        const path = absolute ? `${ROOT}/${rel}` : rel;
        const check = checkPath(path, CTX, [ROOT], none, none);
        if (check.problems.length === 0) {
          for (const r of serverReadings(path)) expect(inside(r), `${JSON.stringify(path)} read as ${r}`).toBe(true);
        }
      }),
      { numRuns: runs(3000) },
    );
  });

  it('lets plain paths under the root through', () => {
    fc.assert(
      fc.property(fc.array(NAME, { minLength: 1, maxLength: 8 }), (names) => {
        expect(checkPath(`${ROOT}/${names.join('/')}`, CTX, [ROOT], none, none).problems).toEqual([]);
        expect(checkPath(names.join('/'), CTX, [ROOT], none, none).problems).toEqual([]);
      }),
      { numRuns: runs(500) },
    );
  });

  it('refuses each encoding of .. that climbs out, as its own example', () => {
    for (const dd of DOTDOT.filter((d) => d !== '...' && d !== '..\u0020')) {
      const p = `${ROOT}/a/${dd}/${dd}/${dd}/etc/hostname`;
      expect(checkPath(p, CTX, [ROOT], none, none).problems.length, p).toBeGreaterThan(0);
    }
  });

  it('deny globs catch every reading: ~, $HOME, case, Windows separators, file://, NUL', () => {
    const deny = globSet(['~/.ssh/**', '**/.env'], CTX);
    for (const p of ['~/.ssh/id_rsa', '$HOME/.ssh/id_rsa', '/home/user/.SSH/id_rsa', '/home/user/work/..\\.ssh\\id_rsa', 'file:///home/user/.ssh/config', '/home/user/%2essh/id_rsa', '/srv/root/.env', '/srv/root/.env\u0000.txt', '/srv/root/.e%6ev', '/proc/self/root/home/user/.ssh/id_rsa', '/proc/1234/root/home/user/.ssh/id_rsa', '/proc/self/cwd/../../../home/user/.ssh/id_rsa', '/proc/self/cwd/../../../home/user/.ssh']) {
      expect(checkPath(p, CTX, [], deny, none).problems.map((q) => q.rule), p).toContain('path-denied');
    }
  });
});
