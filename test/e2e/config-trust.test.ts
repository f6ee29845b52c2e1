/**
 * A `./mcp-guard.yaml` in the working directory (which any cloned repository can
 * ship) is loaded only after `mcp-guard config trust`, and only while unchanged.
 */
import { appendFileSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { base62, crc32 } from '../../src/scan/validators.js';
import { EVIL, jsonLines, runCli, tempDir } from '../helpers.js';

const INIT = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } } });
const BODY = 'Q7wErT9yUiOp3AsDfGhJkLzXcVbNm1';
const TOKEN = `ghp_${BODY}${base62(crc32(BODY), 6)}`;
const LEAK = JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'report_args', arguments: { note: TOKEN } } });

/** A repository checkout holding a config that turns blocking off, plus private state and user-config dirs. */
function repo(): { dir: string; config: string; state: string; userConfig: string; env: Record<string, string> } {
  const dir = tempDir();
  const config = join(dir, 'mcp-guard.yaml');
  writeFileSync(config, 'mode: audit\n');
  const state = join(tempDir(), 'state');
  const userConfig = join(tempDir(), 'config');
  return { dir, config, state, userConfig, env: { XDG_STATE_HOME: state, XDG_CONFIG_HOME: userConfig } };
}

/** Run the proxy in `dir` and send a credential in tools/call arguments; true when it was blocked. */
async function leakBlocked(dir: string, env: Record<string, string>): Promise<{ blocked: boolean; stderr: string }> {
  const r = await runCli(['proxy', '--', process.execPath, EVIL], `${INIT}\n${LEAK}\n`, env, { cwd: dir });
  const answer = jsonLines(r.stdout).find((m) => m['id'] === 2);
  expect(answer).toBeDefined();
  const blocked = (answer as { error?: { code: number } }).error?.code === -32001;
  if (blocked) expect(r.stdout + r.stderr).not.toContain(BODY);
  return { blocked, stderr: r.stderr };
}

describe('working-directory config trust', () => {
  it('does not load an untrusted ./mcp-guard.yaml: mode audit does not turn blocking off, and stderr says how to trust it', async () => {
    const { dir, config, env } = repo();
    const r = await leakBlocked(dir, env);
    expect(r.blocked).toBe(true);
    expect(r.stderr).toContain(`not loading ${config}`);
    expect(r.stderr).toContain(`mcp-guard config trust \\"${config}\\"`);
  });

  it('loads it after `config trust` (store mode 0600), and trust lapses when the file changes', async () => {
    const { dir, config, state, env } = repo();
    const trust = await runCli(['config', 'trust'], '', env, { cwd: dir });
    expect(trust.code).toBe(0);
    expect(trust.stdout).toContain(`Trusted ${config}`);
    expect(trust.stdout).toContain('audit mode: nothing is blocked');
    const store = join(state, 'mcp-guard', 'trusted-configs.json');
    expect(statSync(store).mode & 0o777).toBe(0o600);
    expect(statSync(join(state, 'mcp-guard')).mode & 0o777).toBe(0o700);

    const trusted = await leakBlocked(dir, env);
    expect(trusted.blocked).toBe(false); // audit mode, as the user chose
    expect(trusted.stderr).not.toContain('not loading');

    appendFileSync(config, 'dlp:\n  include_defaults: false\n');
    const edited = await leakBlocked(dir, env);
    expect(edited.blocked).toBe(true);
    expect(edited.stderr).toContain('it changed since you trusted it');

    const list = await runCli(['config', 'list'], '', env, { cwd: dir });
    expect(list.stdout).toContain(`${config}  `);
    expect(list.stdout).toContain('changed since trusted');
  });

  it('`config untrust` stops loading it', async () => {
    const { dir, env } = repo();
    expect((await runCli(['config', 'trust', 'mcp-guard.yaml'], '', env, { cwd: dir })).code).toBe(0);
    expect((await leakBlocked(dir, env)).blocked).toBe(false);
    const untrust = await runCli(['config', 'untrust'], '', env, { cwd: dir });
    expect(untrust.stdout).toContain('No longer trusted');
    expect((await leakBlocked(dir, env)).blocked).toBe(true);
  });

  it('refuses to trust a config that does not validate', async () => {
    const { dir, config, env } = repo();
    writeFileSync(config, 'mode: off\n');
    const r = await runCli(['config', 'trust'], '', env, { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`invalid config ${config}`);
  });

  it('falls back to the user config, which needs no trust, as does MCP_GUARD_CONFIG', async () => {
    const { dir, userConfig, env } = repo();
    writeFileSync(join(dir, 'mcp-guard.yaml'), 'mode: strict\n');
    mkdirSync(join(userConfig, 'mcp-guard'), { recursive: true });
    const user = join(userConfig, 'mcp-guard', 'config.yaml');
    writeFileSync(user, 'mode: audit\n');
    const r = await leakBlocked(dir, env);
    expect(r.blocked).toBe(false);
    expect(r.stderr).toContain(`using ${user}`);

    const chosen = join(tempDir(), 'team.yaml');
    writeFileSync(chosen, readFileSync(user));
    expect((await leakBlocked(tempDir(), { ...env, XDG_CONFIG_HOME: tempDir(), MCP_GUARD_CONFIG: chosen })).blocked).toBe(false);
  });
});
