/**
 * `setup --move-secrets` and `remove --restore-secrets` through the built CLI on
 * a fixture home with inline secrets in Claude Code, Cursor and Codex configs
 * (file backend, as on CI).
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { listFiles } from '../clients/helpers.js';
import { cli, CONFIGS, makeSecretsHome, runInProcess, VALUES, type SecretsHome } from './helpers.js';

/** The parts of `assess --json` these tests read. */
interface Assessed {
  grade: { score: number; deductions: Array<{ reason: string }> };
  servers: Array<{ secrets: unknown[]; storedSecrets: Array<{ variable: string; store: string; present: boolean | null }> }>;
}

function snapshot(home: string): Map<string, string> {
  return new Map(CONFIGS.map((rel) => [rel, readFileSync(join(home, rel), 'utf8')]));
}

/** Every file under the home that holds `value`, except the secret store itself. */
function filesHolding(home: string, value: string): string[] {
  return listFiles(home).filter((rel) => !rel.endsWith(join('mcp-guard', 'secrets.json')) && readFileSync(join(home, rel), 'utf8').includes(value));
}

describe('setup --move-secrets', () => {
  let h: SecretsHome;
  beforeEach(() => {
    h = makeSecretsHome();
  });
  afterEach(() => h.cleanup());

  it('moves every inline env secret to the store, and remove --restore-secrets gives the same bytes back', async () => {
    const before = snapshot(h.home);
    const assessBefore = JSON.parse((await runInProcess(['assess', '--json'], h.env)).stdout) as Assessed;
    expect(assessBefore.servers.map((s) => s.secrets.length)).toEqual([1, 1, 1]);
    expect(assessBefore.grade.deductions.map((d) => d.reason).join('\n')).toContain('setup --move-secrets');

    // Dry run: a diff with the values masked, nothing written, nothing stored.
    const dry = await runInProcess(['all', 'setup', '--move-secrets', '--dry-run'], h.env);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain('secret:claude-code/everything/GITHUB_TOKEN');
    expect(dry.stdout).toContain('ghp_…[40 chars]');
    for (const v of Object.values(VALUES)) expect(dry.stdout + dry.stderr).not.toContain(v);
    expect(snapshot(h.home)).toEqual(before);
    expect(listFiles(h.home).some((f) => f.endsWith('secrets.json'))).toBe(false);

    // Through the built CLI once; the other steps run the same code in-process.
    const run = await cli(['all', 'setup', '--move-secrets'], h.env);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('GITHUB_TOKEN → secret:claude-code/everything/GITHUB_TOKEN');
    expect(run.stdout).toContain('SLACK_BOT_TOKEN → secret:cursor/slack/SLACK_BOT_TOKEN');
    expect(run.stdout).toContain('OPENAI_API_KEY → secret:codex/everything/OPENAI_API_KEY');
    for (const v of Object.values(VALUES)) {
      expect(run.stdout + run.stderr).not.toContain(v);
      // Not in the configs, their .bak files or the setup state: only in the store.
      expect(filesHolding(h.home, v)).toEqual([]);
    }
    const storePath = join(h.home, '.config', 'mcp-guard', 'secrets.json');
    expect(statSync(storePath).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(storePath, 'utf8'))).toEqual({
      version: 1,
      secrets: { 'claude-code/everything/GITHUB_TOKEN': VALUES.GITHUB_TOKEN, 'codex/everything/OPENAI_API_KEY': VALUES.OPENAI_API_KEY, 'cursor/slack/SLACK_BOT_TOKEN': VALUES.SLACK_BOT_TOKEN },
    });
    const cursor = readFileSync(join(h.home, '.cursor', 'mcp.json'), 'utf8');
    expect(cursor).toContain('// Cursor reads JSONC: this comment must survive setup and remove');
    expect(cursor).toContain('"SLACK_BOT_TOKEN": "secret:cursor/slack/SLACK_BOT_TOKEN"');
    expect(cursor).toContain('"SLACK_BOT_TOKEN=secret:cursor/slack/SLACK_BOT_TOKEN"');
    expect(readFileSync(join(h.home, '.codex', 'config.toml'), 'utf8')).toContain('env = { OPENAI_API_KEY = "secret:codex/everything/OPENAI_API_KEY", LOG_LEVEL = "info" }');

    // assess: no inline secret left, the stored ones are named, the grade goes up.
    const after = JSON.parse((await runInProcess(['assess', '--json'], h.env)).stdout) as Assessed;
    expect(after.servers.map((s) => s.secrets.length)).toEqual([0, 0, 0]);
    expect(after.servers.map((s) => s.storedSecrets.map((x) => x.variable))).toEqual([['GITHUB_TOKEN'], ['SLACK_BOT_TOKEN'], ['OPENAI_API_KEY']]);
    expect(after.grade.score).toBeGreaterThan(assessBefore.grade.score);

    // Setup again: nothing to move, nothing changes.
    const moved = snapshot(h.home);
    expect((await runInProcess(['all', 'setup', '--move-secrets'], h.env)).code).toBe(0);
    expect(snapshot(h.home)).toEqual(moved);

    // remove without --restore-secrets: the entries stay wrapped, with their references, and it says so.
    const keep = await runInProcess(['all', 'remove'], h.env);
    expect(keep.code).toBe(0);
    expect(keep.stdout).toContain('left wrapped (secrets in store)');
    expect(keep.stdout).toContain('remove --restore-secrets');
    expect(snapshot(h.home)).toEqual(moved);

    const restore = await runInProcess(['all', 'remove', '--restore-secrets'], h.env);
    expect(restore.code, restore.stderr).toBe(0);
    for (const v of Object.values(VALUES)) expect(restore.stdout).not.toContain(v);
    expect(snapshot(h.home)).toEqual(before);
  }, 60_000);

  it('moves secrets out of entries an earlier setup wrapped, scrubbing that setup\'s record and .bak', async () => {
    const before = snapshot(h.home);
    expect((await runInProcess(['all', 'setup'], h.env)).code).toBe(0);
    // The plain setup keeps the values inline (and in its record and .bak, which remove needs).
    const assessWrapped = JSON.parse((await runInProcess(['assess', '--json'], h.env)).stdout) as Assessed;
    const moved = await runInProcess(['all', 'setup', '--move-secrets'], h.env);
    expect(moved.code, moved.stderr).toBe(0);
    for (const v of Object.values(VALUES)) expect(filesHolding(h.home, v)).toEqual([]);
    const assessMoved = JSON.parse((await runInProcess(['assess', '--json'], h.env)).stdout) as Assessed;
    // Wrapped with inline secrets is graded lower than wrapped with stored ones, and says how to fix it.
    expect(assessWrapped.grade.score).toBeLessThan(assessMoved.grade.score);
    expect(assessWrapped.grade.deductions.map((d) => d.reason).join('\n')).toContain(
      'has secrets written inline (env.OPENAI_API_KEY generic-secret-assignment sk-p…[56 chars]): run `mcp-guard codex setup --move-secrets` to move them to the secret store',
    );
    expect(assessMoved.grade.deductions).toEqual([]);
    expect((await runInProcess(['all', 'remove', '--restore-secrets'], h.env)).code).toBe(0);
    expect(snapshot(h.home)).toEqual(before);
  }, 60_000);

  it('names a missing secret when restoring, and leaves the entry wrapped', async () => {
    expect((await runInProcess(['cursor', 'setup', '--move-secrets'], h.env)).code).toBe(0);
    expect((await runInProcess(['secrets', 'rm', 'cursor/slack/SLACK_BOT_TOKEN'], h.env)).code).toBe(0);
    const moved = snapshot(h.home);
    // assess sees the reference that no longer resolves: the proxy would refuse to start.
    const a = JSON.parse((await runInProcess(['assess', '--json', '--client', 'cursor'], h.env)).stdout) as Assessed;
    expect(a.servers[0]?.storedSecrets).toEqual([{ variable: 'SLACK_BOT_TOKEN', store: 'cursor/slack/SLACK_BOT_TOKEN', present: false }]);
    expect(a.grade.deductions.map((d) => d.reason).join('\n')).toContain('names secret:cursor/slack/SLACK_BOT_TOKEN for SLACK_BOT_TOKEN, which is not in file store ~/.config/mcp-guard/secrets.json: the proxy will refuse to start it');
    const r = await runInProcess(['cursor', 'remove', '--restore-secrets'], h.env);
    expect(r.stdout).toContain('not in the secret store: cursor/slack/SLACK_BOT_TOKEN');
    expect(snapshot(h.home)).toEqual(moved);
  }, 30_000);
});
