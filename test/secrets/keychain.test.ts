/**
 * The keychain backend against a real Secret Service: a private D-Bus session
 * bus and gnome-keyring-daemon, started here with a throwaway home and unlocked
 * headless. Where they are missing or do not start, the tests are skipped and
 * the reason is printed (.ci/run installs dbus and gnome-keyring).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterAll, describe, expect, it } from 'vitest';
import { cli, makeSecretsHome, VALUES } from './helpers.js';

interface Keyring {
  readonly env: Record<string, string>;
  readonly busPid: number;
  readonly dir: string;
}

/** Start a session bus and an unlocked gnome-keyring on it, or say why not. */
function startKeyring(): Keyring | string {
  if (process.platform !== 'linux') return `not Linux (${process.platform})`;
  const dir = mkdtempSync(join(tmpdir(), 'mcp-guard-keyring-'));
  const env: Record<string, string> = { PATH: process.env['PATH'] ?? '', HOME: dir, XDG_DATA_HOME: join(dir, 'data'), XDG_RUNTIME_DIR: join(dir, 'run') };
  mkdirSync(join(dir, 'run'), { mode: 0o700 });
  const bus = spawnSync('dbus-daemon', ['--session', '--fork', '--nosyslog', '--print-address=1', '--print-pid=1'], { env, encoding: 'utf8', timeout: 10_000 });
  if (bus.error !== undefined || bus.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    return `dbus-daemon did not start (${bus.error?.message ?? bus.stderr.trim()})`;
  }
  const [address, pid] = bus.stdout.trim().split('\n');
  const keyring: Keyring = { env: { ...env, DBUS_SESSION_BUS_ADDRESS: address ?? '' }, busPid: Number(pid), dir };
  const daemon = spawnSync('gnome-keyring-daemon', ['--unlock', '--components=secrets'], { env: keyring.env, input: 'mcp-guard-test\n', encoding: 'utf8', timeout: 10_000 });
  if (daemon.error !== undefined || daemon.status !== 0) {
    stopKeyring(keyring);
    return `gnome-keyring-daemon did not start (${daemon.error?.message ?? daemon.stderr.trim()})`;
  }
  return keyring;
}

function stopKeyring(k: Keyring): void {
  // gnome-keyring-daemon leaves when its session bus goes away.
  try {
    process.kill(k.busPid, 'SIGTERM');
  } catch {
    // already gone
  }
  rmSync(k.dir, { recursive: true, force: true });
}

const keyring = startKeyring();
if (typeof keyring === 'string') console.warn(`keychain backend tests skipped: ${keyring}`);

describe.skipIf(typeof keyring === 'string')('the keychain backend (Secret Service)', () => {
  const k = keyring as Keyring;
  afterAll(() => stopKeyring(k));

  it('stores, lists, masks and deletes; auto picks the keychain when it answers', async () => {
    const h = makeSecretsHome();
    try {
      const env = { ...h.env, ...k.env, HOME: h.home, MCP_GUARD_SECRET_STORE: 'auto' };
      const set = await cli(['secrets', 'set', 'kc/one'], env, 'Zq4Lr8Xw2Nv6Tb1Hy9Kd3Mf7Pc5Gs0Ja\n');
      expect(set.code, set.stderr).toBe(0);
      expect(set.stdout).toContain('in Secret Service (service "mcp-guard")');
      const list = await cli(['secrets', 'list'], env);
      expect(list.stdout).toContain('kc/one  keychain');
      expect((await cli(['secrets', 'get', 'kc/one', '--masked'], env)).stdout).toContain('kc/one  Zq4L…[32 chars]  Secret Service');
      expect(existsSync(join(h.home, '.config', 'mcp-guard', 'secrets.json'))).toBe(false);
      expect((await cli(['secrets', 'rm', 'kc/one'], env)).code).toBe(0);
      expect((await cli(['secrets', 'get', 'kc/one'], env)).code).toBe(1);
    } finally {
      h.cleanup();
    }
  }, 30_000);

  it('setup --move-secrets into the keychain; the wrapped server gets the value from it', async () => {
    const h = makeSecretsHome();
    try {
      const env = { ...h.env, ...k.env, HOME: h.home, MCP_GUARD_SECRET_STORE: 'keychain' };
      const r = await cli(['claude-code', 'setup', '--move-secrets'], env);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain('Secret store: Secret Service');
      expect(readFileSync(join(h.home, '.claude.json'), 'utf8')).not.toContain(VALUES.GITHUB_TOKEN);
      const entry = (JSON.parse(readFileSync(join(h.home, '.claude.json'), 'utf8')) as { mcpServers: { everything: { command: string; args: string[]; env: Record<string, string> } } }).mcpServers.everything;
      const transport = new StdioClientTransport({ command: entry.command, args: entry.args, env: { ...env, ...entry.env, MCP_GUARD_CONFIG: '' }, cwd: h.home, stderr: 'pipe' });
      const client = new Client({ name: 'mcp-guard-test', version: '0.0.0' });
      await client.connect(transport);
      try {
        const out = JSON.stringify((await client.callTool({ name: 'get-env', arguments: {} })).content);
        expect(out).toContain('GITHUB_TOKEN');
        expect(out).toContain('[REDACTED:');
        expect(out).not.toContain(VALUES.GITHUB_TOKEN);
      } finally {
        await client.close();
      }
      const back = await cli(['claude-code', 'remove', '--restore-secrets'], env);
      expect(back.code, back.stderr).toBe(0);
      expect(readFileSync(join(h.home, '.claude.json'), 'utf8')).toContain(VALUES.GITHUB_TOKEN);
    } finally {
      h.cleanup();
    }
  }, 30_000);
});
