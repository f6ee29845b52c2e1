import { existsSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import { describe, expect, it } from 'vitest';
import { classifyEntry, entryEnvNames, parseWrapped, resolveLauncher, unwrapEntry, wrapEntry, withCommand } from '../../src/clients/wrap.js';

const launcher = { command: '/usr/bin/node', args: ['/opt/mcp-guard/bin/mcp-guard.js'] };

describe('classifyEntry', () => {
  it('tells stdio, remote, wrapped and invalid entries apart', () => {
    expect(classifyEntry({ command: 'npx', args: ['-y', 'x'] })).toEqual({ kind: 'stdio', transport: 'stdio' });
    expect(classifyEntry({ type: 'stdio', command: 'x' })).toEqual({ kind: 'stdio', transport: 'stdio' });
    expect(classifyEntry({ url: 'https://a/mcp' })).toEqual({ kind: 'remote', transport: 'http' });
    expect(classifyEntry({ url: 'https://a/sse' }, 'sse')).toEqual({ kind: 'remote', transport: 'sse' });
    expect(classifyEntry({ httpUrl: 'https://a/mcp' }, 'sse')).toEqual({ kind: 'remote', transport: 'http' });
    expect(classifyEntry({ serverUrl: 'https://a/mcp' })).toEqual({ kind: 'remote', transport: 'http' });
    expect(classifyEntry({ type: 'sse', url: 'https://a/sse' })).toEqual({ kind: 'remote', transport: 'sse' });
    expect(classifyEntry({ type: 'http', url: 'https://a' })).toEqual({ kind: 'remote', transport: 'http' });
    expect(classifyEntry({ command: 'mcp-guard', args: ['proxy', '--', 'npx', 'x'] }).kind).toBe('wrapped');
    expect(classifyEntry({ command: 'node', args: ['C:\\tools\\mcp-guard\\bin\\mcp-guard.js', 'proxy', '--name', 'a', '--', 'x'] }).kind).toBe('wrapped');
    expect(classifyEntry({ command: 'npx', args: ['-y', 'mcp-guard@0.1.0', 'proxy', '--', 'x'] }).kind).toBe('wrapped');
    expect(classifyEntry({ env: {} })).toEqual({ kind: 'invalid', transport: 'unknown' });
    expect(classifyEntry({ command: 'x', args: 'not a list' }).kind).toBe('invalid');
  });

  it('does not take a server that merely mentions mcp-guard for a wrapped one', () => {
    expect(classifyEntry({ command: 'mcp-guard', args: ['assess'] }).kind).toBe('stdio');
    expect(classifyEntry({ command: 'mcp-guard', args: ['proxy', 'npx'] }).kind).toBe('stdio');
    expect(classifyEntry({ command: 'npx', args: ['mcp-guard-docs', 'proxy', '--', 'x'] }).kind).toBe('stdio');
  });
});

describe('wrapEntry / parseWrapped / unwrapEntry', () => {
  const entry = { type: 'stdio', command: 'npx', args: ['-y', 'server-github'], env: { GITHUB_TOKEN: 'x', LD_PRELOAD: '/evil.so' }, cwd: '/w', custom: 1 };

  it('builds the proxy command line and keeps every other key in order', () => {
    const w = wrapEntry(entry, { name: 'github', configPath: '/etc/g.yaml', launcher });
    expect(w.command).toBe('/usr/bin/node');
    expect(w.args).toEqual(['/opt/mcp-guard/bin/mcp-guard.js', 'proxy', '--name', 'github', '-c', '/etc/g.yaml', '--env', 'GITHUB_TOKEN', '--', 'npx', '-y', 'server-github']);
    expect(w.refusedEnv).toEqual(['LD_PRELOAD']);
    expect(Object.keys(w.entry)).toEqual(['type', 'command', 'args', 'env', 'cwd', 'custom']);
    expect(w.entry['env']).toBe(entry.env);
  });

  it('adds args after command when the entry had none', () => {
    const w = wrapEntry({ command: 'srv', env: { A: '1' } }, { name: 's', launcher });
    expect(Object.keys(w.entry)).toEqual(['command', 'args', 'env']);
    expect(w.args.slice(-2)).toEqual(['--', 'srv']);
  });

  it("passes Codex's env_vars through too", () => {
    expect(entryEnvNames({ env: { A: '1' }, env_vars: ['B', 'A'] })).toEqual(['A', 'B']);
  });

  it('parses what it wrote, and unwraps it back', () => {
    const w = wrapEntry(entry, { name: 'github', configPath: '/etc/g.yaml', launcher });
    expect(parseWrapped(w.command, w.args)).toEqual({ name: 'github', config: '/etc/g.yaml', envNames: ['GITHUB_TOKEN'], command: 'npx', args: ['-y', 'server-github'] });
    expect(unwrapEntry(w.entry)).toEqual(entry);
    const bare = wrapEntry({ command: 'srv' }, { name: 's', launcher });
    expect(unwrapEntry(bare.entry, false)).toEqual({ command: 'srv' });
    expect(unwrapEntry({ command: 'npx', args: [] })).toBeUndefined();
  });

  it('withCommand drops args when asked', () => {
    expect(withCommand({ command: 'a', args: ['x'], env: {} }, 'b', undefined)).toEqual({ command: 'b', env: {} });
  });
});

describe('resolveLauncher', () => {
  it('is the running node and this package’s bin/mcp-guard.js, both absolute', () => {
    const l = resolveLauncher();
    expect(l.command).toBe(process.execPath);
    expect(isAbsolute(l.args[0] ?? '')).toBe(true);
    expect(l.args[0]).toMatch(/bin[\\/]mcp-guard\.js$/);
    expect(existsSync(l.args[0] ?? '')).toBe(true);
  });
});
