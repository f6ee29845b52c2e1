import { chmodSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseJsonc } from 'jsonc-parser';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CLIENTS } from '../../src/clients/registry.js';
import { runSetup } from '../../src/clients/setup.js';
import { runRemove } from '../../src/clients/remove.js';
import { assess } from '../../src/clients/assess.js';
import { parseWrapped, type Launcher } from '../../src/clients/wrap.js';
import { makeHome, snapshot, type FakeHome } from './helpers.js';

const LAUNCHER: Launcher = { command: '/opt/node/bin/node', args: ['/opt/mcp-guard/bin/mcp-guard.js'] };

describe('setup and remove on a fixture home with every agent', () => {
  let h: FakeHome;
  beforeEach(() => {
    h = makeHome();
  });
  afterEach(() => h.cleanup());

  const opts = (extra: object = {}) => ({ clients: CLIENTS, env: h.env, cwd: h.cwd, launcher: LAUNCHER, ...extra });

  it('finds a config of every agent', () => {
    const a = assess({ clients: CLIENTS, env: h.env, cwd: h.cwd });
    expect(new Set(a.files.map((f) => f.client))).toEqual(new Set(CLIENTS.map((c) => c.id)));
    expect(a.files.every((f) => f.error === undefined)).toBe(true);
    expect(a.summary.unwrapped).toBeGreaterThan(10);
    expect(a.exitCode).toBe(1);
  });

  it('setup wraps every stdio server; assess then shows all wrapped', () => {
    const reports = runSetup(opts());
    expect(reports.filter((r) => r.error !== undefined)).toEqual([]);
    const a = assess({ clients: CLIENTS, env: h.env, cwd: h.cwd });
    const stdio = a.servers.filter((s) => s.kind === 'stdio');
    expect(stdio.length).toBeGreaterThan(15);
    expect(stdio.filter((s) => !s.wrapped).map((s) => `${s.client}:${s.name}`)).toEqual([]);
    expect(a.summary.unwrapped).toBe(0);
    // the only thing left: Junie's hand-wrapped entry names a config that does not exist here
    expect(a.guard.configs.filter((c) => !c.valid).map((c) => c.path)).toEqual(['/home/dev/.config/mcp-guard/strict.yaml']);
    expect(a.exitCode).toBe(1);
    // remote entries are untouched and reported
    const remote = reports.flatMap((r) => r.items.filter((i) => i.status === 'remote').map((i) => i.name)).sort();
    expect(remote).toEqual(['atlassian', 'context7', 'events', 'figma', 'figma', 'github-remote', 'linear', 'sentry']);
    // already-wrapped entries are recognised and left as they were, unless their env block sets a variable they withhold
    const already = reports.flatMap((r) => r.items.filter((i) => i.status === 'already-wrapped').map((i) => i.name)).sort();
    expect(already).toEqual(['everything']);
    const envAdded = reports.flatMap((r) => r.items.filter((i) => i.status === 'env-added').map((i) => i.name));
    expect(envAdded).toEqual(['memory']);
  });

  it('rewrites command and args and keeps env, cwd, type and unknown keys', () => {
    const reports = runSetup(opts({ configPath: '/etc/mcp-guard.yaml' }));
    const claude = JSON.parse(readFileSync(join(h.home, '.claude.json'), 'utf8'));
    const gh = claude.mcpServers.github;
    expect(gh.type).toBe('stdio');
    expect(gh.command).toBe(LAUNCHER.command);
    expect(gh.args).toEqual([
      ...LAUNCHER.args, 'proxy', '--name', 'github', '-c', '/etc/mcp-guard.yaml',
      '--env', 'GITHUB_PERSONAL_ACCESS_TOKEN', '--', 'npx', '-y', '@modelcontextprotocol/server-github',
    ]);
    expect(Object.keys(gh)).toEqual(['type', 'command', 'args', 'env']);
    expect(claude.projects['/home/dev/work/api'].mcpServers.postgres.command).toBe(LAUNCHER.command);
    expect(claude.numStartups).toBe(57);

    const gemini = readFileSync(join(h.home, '.gemini', 'settings.json'), 'utf8');
    expect(gemini).toContain('// Gemini CLI user settings');
    expect(gemini).toContain('"ALLOW_COMMANDS": "ls,cat,pwd,grep", // read-only commands only');
    expect(gemini).toContain('"cwd": "./tools"');

    const cursor = JSON.parse(readFileSync(join(h.home, '.cursor', 'mcp.json'), 'utf8'));
    expect(cursor.mcpServers.time.args).toEqual([...LAUNCHER.args, 'proxy', '--name', 'time', '-c', '/etc/mcp-guard.yaml', '--env', 'LOCAL_TIMEZONE', '--', 'mcp-server-time']);
    expect(cursor.mcpServers.context7).toEqual({ url: 'https://mcp.context7.com/mcp' });

    const codex = readFileSync(join(h.home, '.codex', 'config.toml'), 'utf8');
    expect(codex).toContain('# GitHub, with a token written inline (assess should flag it)');
    expect(codex).toContain(`[mcp_servers."shell-tools"]\ncommand = ${JSON.stringify(LAUNCHER.command)}\nargs = [`);
    expect(codex).toContain('env = { SHELL_TIMEOUT = "30" }  # seconds');
    const fetchLine = /\[mcp_servers\.fetch\][\s\S]*?env_vars/.exec(codex)?.[0] ?? '';
    // *_PROXY redirects the server's traffic: the proxy refuses it, so setup does not pass it (and says so).
    expect(fetchLine).not.toContain('HTTPS_PROXY');
    const codexFetch = reports.filter((r) => r.file.endsWith('config.toml')).flatMap((r) => r.items).find((i) => i.name === 'fetch');
    expect(codexFetch?.note).toContain('not passed to the server (mcp-guard refuses them): HTTPS_PROXY');
  });

  it('passes no injection-vector variable and says so', () => {
    const reports = runSetup(opts());
    const shell = reports.flatMap((r) => r.items).find((i) => i.name === 'shell');
    expect(shell?.status).toBe('wrapped');
    expect(shell?.note).toContain('NODE_OPTIONS');
    const gemini = parseJsonc(readFileSync(join(h.home, '.gemini', 'settings.json'), 'utf8'));
    const info = parseWrapped(gemini.mcpServers.shell.command, gemini.mcpServers.shell.args);
    expect(info?.envNames).toEqual(['ALLOW_COMMANDS']);
  });

  it('setup twice equals setup once', () => {
    runSetup(opts());
    const once = snapshot(h.home);
    const second = runSetup(opts());
    expect(second.every((r) => !r.changed)).toBe(true);
    expect(snapshot(h.home)).toEqual(once);
  });

  it('setup then remove leaves every file byte-identical', () => {
    const before = snapshot(h.home);
    runSetup(opts({ configPath: '/etc/mcp-guard.yaml' }));
    const during = snapshot(h.home);
    expect([...during].filter(([k, v]) => !before.get(k)?.equals(v)).length).toBeGreaterThanOrEqual(12);
    const reports = runRemove(opts());
    const statuses = reports.flatMap((r) => r.items.map((i) => `${i.name}:${i.status}`));
    expect(statuses.filter((s) => s.endsWith(':unwrapped'))).toEqual([]);
    expect(statuses.filter((s) => s.endsWith(':unrecorded')).sort()).toEqual(['everything:unrecorded']);
    // the hand-wrapped entry setup gave --env MEMORY_FILE_PATH goes back to exactly what the user wrote
    expect(statuses).toContain('memory:restored');
    const after = snapshot(h.home);
    expect([...after.keys()]).toEqual([...before.keys()]);
    for (const [file, bytes] of before) expect(after.get(file)?.toString('utf8'), file).toBe(bytes.toString('utf8'));
    // entries that were wrapped before setup were not touched by remove: they are the user's
    const junie = readFileSync(join(h.home, '.junie', 'mcp', 'mcp.json'), 'utf8');
    expect(junie).toContain('mcp-guard/bin/mcp-guard.js');
  });

  it('--dry-run writes nothing and returns a diff per changed file', () => {
    const before = snapshot(h.home);
    const reports = runSetup(opts({ dryRun: true }));
    expect(snapshot(h.home)).toEqual(before);
    const changed = reports.filter((r) => r.changed);
    expect(changed.length).toBeGreaterThanOrEqual(12);
    for (const r of changed) expect(r.diff).toMatch(/^={0,67}\n?--- /m);
    expect(statSync(h.home).isDirectory()).toBe(true);
  });

  it('writes a .bak first and keeps the file mode', () => {
    const file = join(h.home, '.cursor', 'mcp.json');
    chmodSync(file, 0o600);
    const original = readFileSync(file, 'utf8');
    runSetup(opts());
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(`${file}.bak`, 'utf8')).toBe(original);
    expect(statSync(`${file}.bak`).mode & 0o777).toBe(0o600);
  });

  it('remove restores an entry edited after setup by unwrapping it in place', () => {
    runSetup(opts());
    const file = join(h.home, '.cursor', 'mcp.json');
    const cfg = JSON.parse(readFileSync(file, 'utf8'));
    cfg.mcpServers.slack.env.SLACK_CHANNEL_IDS = 'C0123';
    writeFileSync(file, JSON.stringify(cfg, null, 2));
    const reports = runRemove(opts());
    const slack = reports.flatMap((r) => r.items).find((i) => i.name === 'slack');
    expect(slack?.status).toBe('unwrapped');
    const now = JSON.parse(readFileSync(file, 'utf8'));
    expect(now.mcpServers.slack.command).toBe('npx');
    expect(now.mcpServers.slack.args).toEqual(['-y', '@modelcontextprotocol/server-slack']);
    expect(now.mcpServers.slack.env.SLACK_CHANNEL_IDS).toBe('C0123');
    expect(now.mcpServers.time).toEqual({ command: 'mcp-server-time', env: { LOCAL_TIMEZONE: 'Europe/Paris' } });
  });

  it('remove restores per entry while the rest of the file was changed by the agent', () => {
    runSetup(opts());
    const file = join(h.home, '.claude.json');
    const cfg = JSON.parse(readFileSync(file, 'utf8'));
    cfg.numStartups = 58;
    cfg.mcpServers.added = { command: 'npx', args: ['-y', 'new-server'] };
    writeFileSync(file, JSON.stringify(cfg, null, 2)); // Claude Code rewrites the whole file
    runRemove(opts());
    const now = JSON.parse(readFileSync(file, 'utf8'));
    expect(now.numStartups).toBe(58);
    expect(now.mcpServers.github.command).toBe('npx');
    expect(now.mcpServers.added).toEqual({ command: 'npx', args: ['-y', 'new-server'] });
  });

  it('remove --include-unrecorded also unwraps entries wrapped by hand', () => {
    runRemove(opts({ includeUnrecorded: true }));
    const claude = JSON.parse(readFileSync(join(h.home, '.claude.json'), 'utf8'));
    expect(claude.mcpServers.memory).toEqual({
      type: 'stdio',
      command: 'npx',
      args: ['-y', '@modelcontextprotocol/server-memory'],
      env: { MEMORY_FILE_PATH: '/home/dev/.local/share/memory.json' },
    });
  });

  it('remove --dry-run writes nothing', () => {
    runSetup(opts());
    const wrapped = snapshot(h.home);
    const reports = runRemove(opts({ dryRun: true }));
    expect(reports.filter((r) => r.changed).length).toBeGreaterThanOrEqual(12);
    expect(snapshot(h.home)).toEqual(wrapped);
  });

  it('skips a TOML entry it cannot edit in place and says why', () => {
    const file = join(h.home, '.codex', 'config.toml');
    writeFileSync(file, `${readFileSync(file, 'utf8')}
[mcp_servers]
inline = { command = "npx", args = ["-y", "x"] }
`);
    const reports = runSetup(opts({ clients: CLIENTS.filter((c) => c.id === 'codex') }));
    const inline = reports[0]?.items.find((i) => i.name === 'inline');
    expect(inline).toMatchObject({ status: 'read-only', note: 'not written as a [mcp_servers.inline] table' });
    expect(reports[0]?.items.filter((i) => i.status === 'wrapped').map((i) => i.name)).toEqual(['github', 'fetch', 'shell-tools']);
  });

  it('--scope limits the files', () => {
    const user = runSetup(opts({ scope: 'user', dryRun: true }));
    expect(user.every((r) => r.scope === 'user')).toBe(true);
    const project = runSetup(opts({ scope: 'project', dryRun: true }));
    expect(project.map((r) => r.file.slice(h.cwd.length + 1)).sort()).toEqual(
      ['.cursor/mcp.json', '.gemini/settings.json', '.junie/mcp/mcp.json', '.mcp.json', '.vscode/mcp.json'].map((p) => join(...p.split('/'))).sort(),
    );
  });

  it('reports a file that does not parse and goes on with the others', () => {
    writeFileSync(join(h.home, '.cursor', 'mcp.json'), '{ "mcpServers": { ');
    const reports = runSetup(opts());
    const bad = reports.find((r) => r.file.endsWith(join('.cursor', 'mcp.json')) && r.scope === 'user');
    expect(bad?.error).toMatch(/cannot parse/);
    expect(reports.filter((r) => r.changed).length).toBeGreaterThan(5);
  });
});
