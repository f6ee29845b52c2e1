/**
 * `setup` keeps a wrapped entry's `env` block working: every variable the entry
 * sets reaches the server through `--env NAME` (the value stays in the env block,
 * never in `args`), also for entries wrapped by hand or edited after setup, and
 * for names such as `my-setting` that are valid in an env block. `remove` puts
 * each entry back byte for byte. The end-to-end case starts the rewritten entry
 * as an agent would and reads the server's environment with server-everything's
 * get-env tool. Needs the built CLI (`npm run build`).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CLIENTS } from '../../src/clients/registry.js';
import { runRemove } from '../../src/clients/remove.js';
import { runSetup } from '../../src/clients/setup.js';
import { addEnvPassthrough, parseWrapped, wrapEntry, type Launcher } from '../../src/clients/wrap.js';
import { makeHome, REPO_ROOT, type FakeHome } from './helpers.js';

const BIN = join(REPO_ROOT, 'bin', 'mcp-guard.js');
const EVERYTHING = join(REPO_ROOT, 'node_modules', '@modelcontextprotocol', 'server-everything', 'dist', 'index.js');
const LAUNCHER: Launcher = { command: '/opt/node/bin/node', args: ['/opt/mcp-guard/bin/mcp-guard.js'] };
const MEMORY_PATH = '/home/dev/.local/share/memory.json';
const CLAUDE = CLIENTS.filter((c) => c.id === 'claude-code');
const CURSOR = CLIENTS.filter((c) => c.id === 'cursor');

interface JsonEntry {
  command: string;
  args: string[];
  env?: Record<string, string>;
}

describe('setup passes the env block of wrapped entries', () => {
  let h: FakeHome;
  beforeAll(() => {
    if (!existsSync(join(REPO_ROOT, 'dist', 'cli', 'program.js'))) throw new Error('dist/ is missing: run `npm run build` first (npm test does)');
  });
  beforeEach(() => {
    h = makeHome();
  });
  afterEach(() => h.cleanup());
  const opts = (extra: object = {}) => ({ clients: CLAUDE, env: h.env, cwd: h.cwd, launcher: LAUNCHER, scope: 'user' as const, ...extra });

  it('adds --env to an entry wrapped by hand; the value stays in the env block; remove restores it byte for byte', () => {
    const file = join(h.home, '.claude.json');
    const before = readFileSync(file, 'utf8');
    const [report] = runSetup(opts());
    const item = report?.items.find((i) => i.name === 'memory');
    expect(item).toMatchObject({ status: 'env-added', note: expect.stringContaining('MEMORY_FILE_PATH') });
    const memory = JSON.parse(readFileSync(file, 'utf8')).mcpServers.memory as JsonEntry;
    // the hand-written launcher is kept; only the option is added, before the `--`
    expect(memory.command).toBe('mcp-guard');
    expect(memory.args).toEqual(['proxy', '--name', 'memory', '--env', 'MEMORY_FILE_PATH', '--', 'npx', '-y', '@modelcontextprotocol/server-memory']);
    expect(memory.env).toEqual({ MEMORY_FILE_PATH: MEMORY_PATH });
    expect(JSON.stringify(memory.args)).not.toContain(MEMORY_PATH);

    // setup twice = setup once
    const [again] = runSetup(opts());
    expect(again?.changed).toBe(false);
    expect(again?.items.find((i) => i.name === 'memory')?.status).toBe('already-wrapped');

    runRemove(opts());
    expect(readFileSync(file, 'utf8')).toBe(before);
  });

  it('adds --env for a variable added to the env block after setup; remove then unwraps in place and keeps it', () => {
    const file = join(h.home, '.claude.json');
    runSetup(opts());
    const cfg = JSON.parse(readFileSync(file, 'utf8'));
    cfg.mcpServers.github.env.GITHUB_HOST = 'https://github.example.com';
    writeFileSync(file, JSON.stringify(cfg, null, 2));
    const [report] = runSetup(opts());
    expect(report?.items.find((i) => i.name === 'github')).toMatchObject({ status: 'env-added' });
    const github = JSON.parse(readFileSync(file, 'utf8')).mcpServers.github as JsonEntry;
    expect(parseWrapped(github.command, github.args)?.envNames).toEqual(['GITHUB_PERSONAL_ACCESS_TOKEN', 'GITHUB_HOST']);
    expect(JSON.stringify(github.args)).not.toContain('github.example.com');

    const removed = runRemove(opts());
    expect(removed[0]?.items.find((i) => i.name === 'github')).toMatchObject({ status: 'unwrapped' });
    const now = JSON.parse(readFileSync(file, 'utf8')).mcpServers.github as JsonEntry;
    expect(now.command).toBe('npx');
    expect(now.args).toEqual(['-y', '@modelcontextprotocol/server-github']);
    expect(now.env?.['GITHUB_HOST']).toBe('https://github.example.com');
  });

  it('the rewritten entries start and their server gets every variable of the env block', async () => {
    const file = join(h.home, '.cursor', 'mcp.json');
    mkdirSync(join(h.home, '.cursor'), { recursive: true });
    const env = { MEMORY_FILE_PATH: join(h.home, 'memory.json'), 'my-setting': 'on-7e1f' };
    writeFileSync(
      file,
      JSON.stringify(
        {
          mcpServers: {
            // wrapped by hand, without --env: the proxy would withhold MEMORY_FILE_PATH
            byhand: { command: process.execPath, args: [BIN, 'proxy', '--name', 'byhand', '--', process.execPath, EVERYTHING, 'stdio'], env },
            // not wrapped yet; `my-setting` is a valid name in an env block
            plain: { command: process.execPath, args: [EVERYTHING, 'stdio'], env },
          },
        },
        null,
        2,
      ),
    );
    const [report] = runSetup({ clients: CURSOR, env: h.env, cwd: h.cwd, scope: 'user' });
    expect(report?.items.map((i) => `${i.name}:${i.status}`)).toEqual(['byhand:env-added', 'plain:wrapped']);
    const entries = JSON.parse(readFileSync(file, 'utf8')).mcpServers as Record<string, JsonEntry>;
    for (const name of ['byhand', 'plain']) {
      const entry = entries[name] as JsonEntry;
      expect(JSON.stringify(entry.args)).not.toContain('on-7e1f');
      const transport = new StdioClientTransport({
        command: entry.command,
        args: entry.args,
        // what the agent does: its own environment plus the entry's env
        env: { ...entry.env, HOME: h.home, PATH: process.env['PATH'] ?? '', XDG_STATE_HOME: join(h.home, '.state'), MCP_GUARD_CONFIG: '' },
        cwd: h.cwd,
        stderr: 'pipe',
      });
      let stderr = '';
      transport.stderr?.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
      const client = new Client({ name: 'mcp-guard-test', version: '0.0.0' });
      try {
        await client.connect(transport);
        const text = JSON.stringify((await client.callTool({ name: 'get-env', arguments: {} })).content);
        expect(text, name).toContain(env.MEMORY_FILE_PATH);
        expect(text, name).toContain('on-7e1f');
        expect(stderr, name).not.toContain('withheld_settings');
      } finally {
        await client.close();
      }
    }
  }, 60_000);
});

describe('addEnvPassthrough', () => {
  const wrapped = (env: Record<string, string>, options: string[] = []) => ({
    command: 'mcp-guard',
    args: ['proxy', '--name', 's', ...options, '--', 'srv', '--flag'],
    env,
  });

  it('inserts the missing names before the --, after the ones already passed', () => {
    const fix = addEnvPassthrough(wrapped({ A: '1', B: '2' }, ['--env', 'A']));
    expect(fix?.args).toEqual(['proxy', '--name', 's', '--env', 'A', '--env', 'B', '--', 'srv', '--flag']);
    expect(fix?.added).toEqual(['B']);
    expect(Object.keys(fix?.entry ?? {})).toEqual(['command', 'args', 'env']);
  });

  it('never passes names the proxy refuses or that cannot be a name, and says so', () => {
    const fix = addEnvPassthrough(wrapped({ LD_PRELOAD: '/x.so', 'A=B': 'v', OK_DIR: '/d' }));
    expect(fix?.added).toEqual(['OK_DIR']);
    expect(fix?.refusedEnv).toEqual(['LD_PRELOAD', 'A=B']);
    // a key with `=` would put part of itself into args as a value: never written
    expect(wrapEntry({ command: 'srv', env: { 'A=B': 'v' } }, { name: 's', launcher: LAUNCHER }).args).not.toContain('A=B');
  });

  it('changes nothing when all is passed, with --inherit-env, or for an entry that is not wrapped', () => {
    expect(addEnvPassthrough(wrapped({ A: '1' }, ['--env', 'A']))).toBeUndefined();
    expect(addEnvPassthrough(wrapped({ A: '1' }, ['--inherit-env']))).toBeUndefined();
    expect(addEnvPassthrough({ command: 'srv', args: [], env: { A: '1' } })).toBeUndefined();
  });
});
