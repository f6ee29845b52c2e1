import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GuardError } from '../../src/errors.js';
import { compileRule, loadRulePacks } from '../../src/scan/rule-pack.js';
import { assess, type AssessOptions } from '../../src/clients/assess.js';
import { formatAssessment } from '../../src/clients/assess-format.js';
import { CLIENTS } from '../../src/clients/registry.js';
import { FAKE_SECRETS, makeHome, type FakeHome } from './helpers.js';

const GITHUB_TOKEN = FAKE_SECRETS['@@GITHUB_TOKEN@@'] as string;

/** One DLP rule, so these tests do not depend on the contents of the built-in packs. */
const githubRule = compileRule(
  {
    id: 'test-github-pat',
    category: 'dlp',
    severity: 'critical',
    description: 'GitHub classic PAT',
    regex: '\\bghp_[A-Za-z0-9]{36}\\b',
    validator: 'github-crc32',
    examples: { match: ['x'], no_match: ['y'] },
  },
  'test',
);

describe('assess', () => {
  let h: FakeHome;
  beforeEach(() => {
    h = makeHome();
  });
  afterEach(() => h.cleanup());
  const options = (extra: Partial<AssessOptions> = {}): AssessOptions => ({ clients: CLIENTS, env: h.env, cwd: h.cwd, loadRules: () => [githubRule], ...extra });

  it('describes every server: client, file, scope, transport, wrapped, config, risk', () => {
    const a = assess(options());
    const find = (client: string, name: string) => a.servers.find((s) => s.client === client && s.name === name);
    expect(find('claude-code', 'postgres')).toMatchObject({ scope: 'local', section: ['projects', '/home/dev/work/api', 'mcpServers'], transport: 'stdio', wrapped: false, risk: { level: 'high', category: 'database' } });
    expect(find('claude-code', 'linear')).toMatchObject({ kind: 'remote', transport: 'http', wrapped: false, command: null });
    expect(find('claude-code', 'memory')).toMatchObject({ wrapped: true, config: null, command: 'npx', risk: { level: 'medium', category: 'memory' } });
    expect(find('junie', 'everything')).toMatchObject({ wrapped: true, config: '/home/dev/.config/mcp-guard/strict.yaml' });
    expect(find('gemini', 'events')).toMatchObject({ transport: 'sse' });
    expect(find('codex', 'shell-tools')).toMatchObject({ file: join(h.home, '.codex', 'config.toml'), scope: 'user', risk: { level: 'high', category: 'shell' } });
    expect(find('cursor', 'everything')).toMatchObject({ scope: 'project', file: join(h.cwd, '.cursor', 'mcp.json') });
  });

  it('finds inline secrets with the DLP rules and reports them masked only', () => {
    const a = assess(options());
    const withSecrets = a.servers.filter((s) => s.secrets.length > 0).map((s) => `${s.client}:${s.name}`);
    expect(withSecrets.sort()).toEqual(['claude-code:github', 'codex:github']);
    const gh = a.servers.find((s) => s.client === 'codex' && s.name === 'github');
    expect(gh?.secrets).toEqual([{ location: 'env.GITHUB_PERSONAL_ACCESS_TOKEN', rule: 'test-github-pat', severity: 'critical', masked: 'ghp_…[40 chars]' }]);
    const everything = JSON.stringify(a) + formatAssessment(a, { color: false, env: h.env });
    expect(everything).not.toContain(GITHUB_TOKEN);
  });

  it('grades with a reason for each lost point', () => {
    const a = assess(options());
    expect(a.exitCode).toBe(1);
    expect(a.grade.letter).toBe('F');
    const reasons = a.grade.deductions.map((d) => d.reason);
    expect(reasons).toContainEqual(expect.stringMatching(/^filesystem \(Claude Code, .*\) is not wrapped: a high-risk \(filesystem\) server runs unprotected$/));
    expect(reasons).toContainEqual(expect.stringMatching(/^github \(Codex, .*\) has secrets written inline \(env\.GITHUB_PERSONAL_ACCESS_TOKEN test-github-pat ghp_…\[40 chars\]\)/));
    expect(reasons).toContainEqual(expect.stringMatching(/^linear .* is a remote \(http\) server/));
    expect(reasons).toContainEqual(expect.stringMatching(/^mcp-guard config \/home\/dev\/\.config\/mcp-guard\/strict\.yaml is invalid/));
    expect(a.grade.score).toBe(Math.max(0, 100 - a.grade.deductions.reduce((n, d) => n + d.points, 0)));
  });

  it('reports the config, enforcement, rules and pin store', () => {
    mkdirSync(join(h.home, '.config', 'mcp-guard'), { recursive: true });
    writeFileSync(join(h.home, '.config', 'mcp-guard', 'config.yaml'), 'mode: audit\n');
    const state = join(h.home, '.local', 'state', 'mcp-guard');
    mkdirSync(state, { recursive: true });
    writeFileSync(join(state, 'pins.json'), '{}');
    chmodSync(join(state, 'pins.json'), 0o666);
    const a = assess(options({ clients: CLIENTS.filter((c) => c.id === 'cursor') }));
    expect(a.guard.configs[0]).toMatchObject({ path: join(h.home, '.config', 'mcp-guard', 'config.yaml'), via: 'xdg', valid: true, enforce: false, mode: 'audit' });
    expect(a.guard.rules).toEqual({ loaded: 1, dlp: 1, injection: 0, toolPoisoning: 0 });
    expect(a.guard.pinStore).toEqual({ path: join(state, 'pins.json'), present: true, mode: '0666', writableByOthers: true });
    const reasons = a.grade.deductions.map((d) => d.reason).join('\n');
    expect(reasons).toMatch(/is audit-only \(mode audit\): findings are logged, never blocked/);
    expect(reasons).toMatch(/pin store .* has mode 0666/);
  });

  it('looks for the pin store where the config says', () => {
    mkdirSync(join(h.home, '.config', 'mcp-guard'), { recursive: true });
    writeFileSync(join(h.home, '.config', 'mcp-guard', 'config.yaml'), `mcp_tool_scanning:\n  pin_store: ${join(h.home, 'pins', 'p.json')}\n`);
    mkdirSync(join(h.home, 'pins'));
    writeFileSync(join(h.home, 'pins', 'p.json'), '{}', { mode: 0o600 });
    const a = assess(options({ clients: [] }));
    expect(a.guard.pinStore).toEqual({ path: join(h.home, 'pins', 'p.json'), present: true, mode: '0600', writableByOthers: false });
  });

  it('reports an invalid config and broken rule packs; exit code 1', () => {
    mkdirSync(join(h.home, '.config', 'mcp-guard'), { recursive: true });
    writeFileSync(join(h.home, '.config', 'mcp-guard', 'config.yaml'), 'mode: sometimes\nbogus: 1\n');
    const a = assess(options({ clients: [], loadRules: () => { throw new GuardError('RULES_INVALID', 'rule packs are invalid', ['dlp.yaml: x']); } }));
    expect(a.guard.configs[0]?.valid).toBe(false);
    expect(a.guard.configs[0]?.problems.join('\n')).toMatch(/bogus: unknown key/);
    expect(a.guard.rules.error).toMatch(/rule packs are invalid/);
    expect(a.summary.configValid).toBe(false);
    expect(a.exitCode).toBe(1);
  });

  it('reports a file it cannot parse instead of failing', () => {
    writeFileSync(join(h.home, '.codex', 'config.toml'), '[mcp_servers.a\ncommand = 1\n');
    const a = assess(options({ clients: CLIENTS.filter((c) => c.id === 'codex') }));
    expect(a.files[0]?.error).toMatch(/cannot parse .*config\.toml/);
    expect(a.exitCode).toBe(1);
  });

  it('with the built-in rule packs, finds the fixture tokens', () => {
    const dlp = loadRulePacks().filter((r) => r.category === 'dlp');
    expect(dlp.length).toBeGreaterThan(0);
    const a = assess({ clients: CLIENTS, env: h.env, cwd: h.cwd });
    const secrets = a.servers.flatMap((s) => s.secrets.map((x) => `${s.client}:${s.name}:${x.location}`));
    expect(secrets).toContain('codex:github:env.GITHUB_PERSONAL_ACCESS_TOKEN');
    expect(secrets).toContain('cursor:slack:env.SLACK_BOT_TOKEN');
    expect(secrets.filter((s) => s.includes('BRAVE') || s.includes('LINEAR') || s.includes('PERPLEXITY'))).toEqual([]);
  });
});
