import { lstatSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { updateFile } from '../../src/clients/config-file.js';

describe('updateFile', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'mcp-guard-cf-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('re-applies the change when the file moved between read and write', () => {
    const file = join(dir, 'c.json');
    writeFileSync(file, 'one');
    let calls = 0;
    const result = updateFile(file, (text) => {
      calls++;
      if (calls === 1) writeFileSync(file, 'two'); // the agent rewrites its file meanwhile
      return { text: `${text}!`, result: calls };
    });
    expect(result?.result).toBe(2);
    expect(readFileSync(file, 'utf8')).toBe('two!');
    expect(readFileSync(`${file}.bak`, 'utf8')).toBe('two');
    expect(readdirSync(dir).sort()).toEqual(['c.json', 'c.json.bak']);
  });

  it('writes through a symlink and leaves the link in place', () => {
    const target = join(dir, 'real.json');
    const link = join(dir, 'link.json');
    writeFileSync(target, 'a');
    symlinkSync(target, link);
    updateFile(link, (t) => ({ text: `${t}b`, result: null }));
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readFileSync(target, 'utf8')).toBe('ab');
  });

  it('does nothing for a missing file or an unchanged text', () => {
    expect(updateFile(join(dir, 'none.json'), (t) => ({ text: t, result: 1 }))).toBeUndefined();
    const file = join(dir, 'same.json');
    writeFileSync(file, 'x');
    expect(updateFile(file, (t) => ({ text: t, result: 1 }))?.after).toBe('x');
    expect(readdirSync(dir)).toEqual(['same.json']);
  });
});
