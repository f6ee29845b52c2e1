import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Assessment } from '../../src/clients/assess.js';
import { FAKE_SECRETS, makeHome, runClientCli, snapshot, type FakeHome } from './helpers.js';

describe('client commands', () => {
  let h: FakeHome;
  beforeEach(() => {
    h = makeHome();
  });
  afterEach(() => h.cleanup());

  it('setup --dry-run prints a unified diff per file and writes nothing', async () => {
    const before = snapshot(h.home);
    const r = await runClientCli(['claude', 'setup', '--dry-run'], h);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`--- ${join(h.home, '.claude.json')}`);
    expect(r.stdout).toContain(`+++ ${join(h.home, 'Library', 'Application Support', 'Claude', 'claude_desktop_config.json')}`);
    expect(r.stdout).toMatch(/^-\s+"command": "npx",$/m);
    expect(r.stdout).toContain('Dry run: nothing was written.');
    expect(r.stdout).not.toContain('Restart');
    expect(snapshot(h.home)).toEqual(before);
  });

  it('setup --dry-run masks secrets that show in the diff', async () => {
    const r = await runClientCli(['cursor', 'setup', '--dry-run', '--scope', 'user'], h);
    expect(r.stdout).toContain('SLACK_BOT_TOKEN');
    expect(r.stdout).not.toContain(FAKE_SECRETS['@@SLACK_TOKEN@@']);
  });

  it('setup reports what it did and reminds to restart; remove restores', async () => {
    const before = snapshot(h.home);
    const r = await runClientCli(['cursor', 'setup'], h);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Cursor {2}~\/\.cursor\/mcp\.json\n {2}wrapped +playwright, slack, time\n {2}left alone \(remote\) +context7 \(http\)/);
    expect(r.stdout).toContain('Wrapped 5 servers (changed 2 files); 0 already wrapped; 1 remote left alone');
    expect(r.stdout).toContain('Restart Cursor');
    const again = await runClientCli(['cursor', 'setup'], h);
    expect(again.stdout).toContain('Wrapped 0 servers (changed 0 files); 5 already wrapped');
    const removed = await runClientCli(['cursor', 'remove'], h);
    expect(removed.code).toBe(0);
    expect(removed.stdout).toContain('Restored 5 servers exactly');
    expect(snapshot(h.home)).toEqual(before);
  });

  it('setup -c writes the absolute config path and refuses a missing one', async () => {
    const missing = await runClientCli(['junie', 'setup', '-c', 'nope.yaml'], h);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/nope\.yaml/);
    const cfg = join(h.home, 'guard.yaml');
    await import('node:fs').then((fs) => fs.writeFileSync(cfg, 'mode: strict\n'));
    const ok = await runClientCli(['junie', 'setup', '--scope', 'user', '-c', cfg], h);
    expect(ok.code).toBe(0);
    const junie = JSON.parse(readFileSync(join(h.home, '.junie', 'mcp', 'mcp.json'), 'utf8'));
    expect(junie.mcpServers['docker-github'].args).toContain(cfg);
  });

  it('rejects a bad --scope', async () => {
    const r = await runClientCli(['cursor', 'setup', '--scope', 'everywhere'], h);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/Allowed choices are user, project, all/);
  });

  it('assess --json prints the documented shape; exit 1 until every stdio server is wrapped', async () => {
    const r = await runClientCli(['assess', '--json'], h);
    expect(r.code).toBe(1);
    const a = JSON.parse(r.stdout) as Assessment;
    expect(a.schemaVersion).toBe(1);
    expect(Object.keys(a)).toEqual(['schemaVersion', 'files', 'servers', 'guard', 'summary', 'grade', 'exitCode']);
    expect(Object.keys(a.servers[0] ?? {})).toEqual(['client', 'clientName', 'file', 'scope', 'section', 'name', 'transport', 'kind', 'wrapped', 'config', 'command', 'risk', 'secrets', 'storedSecrets']);
    expect(a.summary.line).toMatch(/^\d+ servers in 13 files: 2\/\d+ stdio wrapped, 8 remote/);
    await runClientCli(['cursor', 'setup'], h);
    const cursor = await runClientCli(['assess', '--client', 'cursor'], h);
    expect(cursor.code).toBe(0);
    expect(cursor.stdout).not.toContain('\x1b[');
    expect(cursor.stdout).toMatch(/Summary: 6 servers in 2 files: 5\/5 stdio wrapped, 1 remote/);
    expect(cursor.stdout).toMatch(/ slack .* env\.SLACK_BOT_TOKEN xoxb…\[54 chars\]\n/);
    expect(cursor.stdout).toMatch(/Grade: B \(85\/100\)\n {2}-10 +slack \(Cursor, ~\/\.cursor\/mcp\.json\) has secrets written inline \(env\.SLACK_BOT_TOKEN slack-bot-token xoxb…\[54 chars\]\): .*\n {2}-5 +context7 \(Cursor, .*\) is a remote \(http\) server/);
  });

  it('assess --client with an unknown name is a usage error', async () => {
    const r = await runClientCli(['assess', '--client', 'emacs'], h);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown client "emacs"/);
  });
});
