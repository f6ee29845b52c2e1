/**
 * Files that hold traffic or state are private (0600 files, 0700 directories)
 * and symbolic links are never followed for them.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EVIL, jsonLines, runCli, tempDir } from '../helpers.js';

const INIT = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } } });
const LIST = JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' });
const INPUT = `${INIT}\n${LIST}\n`;
const mode = (p: string): number => statSync(p).mode & 0o777;

function config(text: string): string {
  const f = join(tempDir(), 'cfg.yaml');
  writeFileSync(f, text);
  return f;
}

describe('audit log file', () => {
  it('is created with mode 0600', async () => {
    const file = join(tempDir(), 'logs', 'audit.jsonl');
    const r = await runCli(['proxy', '-c', config(`logging:\n  output: file\n  file: ${file}\n  include_allowed: true\n`), '--', process.execPath, EVIL], INPUT);
    expect(r.code).toBe(0);
    expect(jsonLines(readFileSync(file, 'utf8')).some((e) => e['event'] === 'decision')).toBe(true);
    expect(mode(file)).toBe(0o600);
  });

  it('narrows an existing 0644 log to 0600, with a warning, and appends to it', async () => {
    const file = join(tempDir(), 'audit.jsonl');
    writeFileSync(file, '{"earlier":true}\n');
    chmodSync(file, 0o644);
    const r = await runCli(['proxy', '-c', config(`logging:\n  output: both\n  file: ${file}\n`), '--', process.execPath, EVIL], INPUT);
    expect(r.code).toBe(0);
    expect(mode(file)).toBe(0o600);
    expect(r.stderr).toContain(`audit log ${file} had mode 0644; narrowed to 0600`);
    expect(readFileSync(file, 'utf8').startsWith('{"earlier":true}\n')).toBe(true);
  });

  it('refuses a symbolic link and leaves its target untouched', async () => {
    const dir = tempDir();
    const target = join(dir, 'target.txt');
    writeFileSync(target, 'precious\n');
    chmodSync(target, 0o644);
    const link = join(dir, 'audit.jsonl');
    symlinkSync(target, link);
    const r = await runCli(['proxy', '-c', config(`logging:\n  output: file\n  file: ${link}\n`), '--', process.execPath, EVIL], INPUT);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${link} is a symbolic link; refusing to follow it`);
    expect(readFileSync(target, 'utf8')).toBe('precious\n');
    expect(mode(target)).toBe(0o644);
  });
});

describe('--record file', () => {
  it('refuses a symbolic link: the target is neither truncated nor written', async () => {
    const dir = tempDir();
    const target = join(dir, 'victim.txt');
    writeFileSync(target, 'precious\n');
    const link = join(dir, 'session.jsonl');
    symlinkSync(target, link);
    const r = await runCli(['proxy', '--record', link, '--', process.execPath, EVIL], INPUT);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`--record: ${link} already exists`);
    expect(readFileSync(target, 'utf8')).toBe('precious\n');
  });

  it('refuses a dangling symbolic link and creates nothing at its target', async () => {
    const dir = tempDir();
    const target = join(dir, 'not-yet.txt');
    const link = join(dir, 'session.jsonl');
    symlinkSync(target, link);
    const r = await runCli(['proxy', '--record', link, '--', process.execPath, EVIL], INPUT);
    expect(r.code).toBe(2);
    expect(existsSync(target)).toBe(false);
  });

  it('refuses an existing file and leaves it as it was', async () => {
    const file = join(tempDir(), 'session.jsonl');
    writeFileSync(file, 'earlier recording\n');
    const r = await runCli(['proxy', '--record', file, '--', process.execPath, EVIL], INPUT);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('refusing to overwrite it');
    expect(readFileSync(file, 'utf8')).toBe('earlier recording\n');
  });
});

describe('state directory', () => {
  it('a pre-existing 0777 state directory is 0700 after a proxy run', async () => {
    const state = tempDir();
    const dir = join(state, 'mcp-guard');
    mkdirSync(dir);
    chmodSync(dir, 0o777);
    const r = await runCli(['proxy', '--', process.execPath, EVIL], INPUT, { XDG_STATE_HOME: state });
    expect(r.code).toBe(0);
    expect(mode(dir)).toBe(0o700);
    expect(mode(join(dir, 'pins.json'))).toBe(0o600);
    expect(r.stderr).toContain(`state directory ${dir} had mode 0777; narrowed to 0700`);
  });

  it('a pre-existing 0777 state directory is 0700 after setup writes its state', async () => {
    const home = tempDir();
    mkdirSync(join(home, '.cursor'));
    writeFileSync(join(home, '.cursor', 'mcp.json'), JSON.stringify({ mcpServers: { time: { command: 'mcp-server-time' } } }));
    const state = tempDir();
    const dir = join(state, 'mcp-guard');
    mkdirSync(dir);
    chmodSync(dir, 0o777);
    const r = await runCli(['cursor', 'setup', '--scope', 'user'], '', { HOME: home, XDG_STATE_HOME: state, XDG_CONFIG_HOME: join(home, '.config') });
    expect(r.code).toBe(0);
    expect(existsSync(join(dir, 'setup-state.json'))).toBe(true);
    expect(mode(dir)).toBe(0o700);
  });
});
