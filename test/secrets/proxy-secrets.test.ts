/**
 * The proxy resolves `--env NAME=secret:STORE_NAME` into the server's environment
 * only, and the value joins the env-secret DLP check in both directions: the
 * agent cannot send it to the server, the server cannot hand it back. Through
 * the built CLI, an entry rewritten by `setup --move-secrets`, the SDK's Client
 * and server-everything's `get-env` tool.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers.js';
import { cli, makeSecretsHome, runInProcess, VALUES, type SecretsHome } from './helpers.js';

interface WrappedEntry {
  command: string;
  args: string[];
  env: Record<string, string>;
}

/** Start the Claude Code entry as the agent would: its command, args and env block over the agent's environment. */
async function startEntry(h: SecretsHome, extraEnv: Record<string, string> = {}): Promise<{ client: Client; stderr: () => string }> {
  const entry = (JSON.parse(readFileSync(join(h.home, '.claude.json'), 'utf8')) as { mcpServers: Record<string, WrappedEntry> }).mcpServers['everything'] as WrappedEntry;
  const transport = new StdioClientTransport({ command: entry.command, args: entry.args, env: { ...h.env, ...entry.env, ...extraEnv }, cwd: h.home, stderr: 'pipe' });
  let err = '';
  transport.stderr?.on('data', (c: Buffer) => (err += c.toString('utf8')));
  const client = new Client({ name: 'mcp-guard-test', version: '0.0.0' });
  await client.connect(transport);
  return { client, stderr: () => err };
}

const text = (r: unknown): string => JSON.stringify((r as { content: unknown }).content);

describe('stored secrets in the proxy', () => {
  let h: SecretsHome;
  beforeAll(async () => {
    if (!existsSync(join(ROOT, 'dist', 'cli', 'program.js'))) throw new Error('dist/ is missing: run `npm run build` first');
    h = makeSecretsHome();
    const r = await cli(['claude-code', 'setup', '--move-secrets'], h.env);
    expect(r.code, r.stderr).toBe(0);
  }, 30_000);
  afterAll(() => h.cleanup());

  it('gives the value to the server, redacts it when the server hands it back, blocks the agent sending it anywhere', async () => {
    const { client, stderr } = await startEntry(h);
    try {
      const env = text(await client.callTool({ name: 'get-env', arguments: {} }));
      // The variable is set in the child, and its value (only it matches) is redacted on the way back.
      expect(env).toMatch(/\\"GITHUB_TOKEN\\": ?\\"\[REDACTED:env-secret\]\\"/);
      expect(env).toContain('EVERYTHING_MODE');
      expect(env).not.toContain(VALUES.GITHUB_TOKEN);
      for (const message of [`token is ${VALUES.GITHUB_TOKEN}`, Buffer.from(VALUES.GITHUB_TOKEN).toString('base64')]) {
        const err = await client.callTool({ name: 'echo', arguments: { message } }).then(
          () => undefined,
          (e: Error) => e,
        );
        expect(err?.message).toContain('env-secret');
      }
      expect(stderr()).toContain('"stored_secrets":["GITHUB_TOKEN"]');
      expect(stderr()).toContain(`"secret_store":"file store ${join(h.home, '.config', 'mcp-guard', 'secrets.json')}"`);
      expect(stderr()).toContain('GITHUB_TOKEN=ghp_…[40 chars]');
      expect(stderr()).not.toContain(VALUES.GITHUB_TOKEN);
    } finally {
      await client.close();
    }
  }, 30_000);

  it('checks a value no DLP rule knows, set with `secrets set` from stdin, in both directions', async () => {
    // Random-looking, no provider prefix: only the stored-secret check can know it.
    const value = 'Zq4Lr8Xw2Nv6Tb1Hy9Kd3Mf7Pc5Gs0Ja';
    const set = await runInProcess(['secrets', 'set', 'plain/key'], h.env, `${value}\n`);
    expect(set.code, set.stderr).toBe(0);
    expect(set.stdout).not.toContain(value);
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [join(ROOT, 'bin', 'mcp-guard.js'), 'proxy', '--env', 'PLAIN_KEY=secret:plain/key', '--', process.execPath, join(ROOT, 'node_modules', '@modelcontextprotocol', 'server-everything', 'dist', 'index.js'), 'stdio'],
      env: h.env,
      stderr: 'pipe',
    });
    let err = '';
    transport.stderr?.on('data', (c: Buffer) => (err += c.toString('utf8')));
    const client = new Client({ name: 'mcp-guard-test', version: '0.0.0' });
    await client.connect(transport);
    try {
      const env = text(await client.callTool({ name: 'get-env', arguments: {} }));
      expect(env).toMatch(/\\"PLAIN_KEY\\": ?\\"\[REDACTED:env-secret\]\\"/);
      expect(env).not.toContain(value);
      for (const message of [`send ${value} to evil.example`, Buffer.from(value).toString('hex'), encodeURIComponent(`k=${value}`)]) {
        const e = await client.callTool({ name: 'echo', arguments: { message } }).then(
          () => undefined,
          (x: Error) => x,
        );
        expect(e?.message, message).toContain('env-secret');
      }
      expect(err).toContain('PLAIN_KEY=Zq4L…[32 chars]');
      expect(err).not.toContain(value);
    } finally {
      await client.close();
    }
  }, 30_000);

  it('shows the value in the server\'s environment when response DLP only warns', async () => {
    const config = join(h.home, 'warn.yaml');
    writeFileSync(config, 'dlp:\n  response_action: warn\n');
    const { client, stderr } = await startEntry(h, { MCP_GUARD_CONFIG: config });
    try {
      const env = text(await client.callTool({ name: 'get-env', arguments: {} }));
      expect(env).toContain(VALUES.GITHUB_TOKEN);
      expect(stderr()).toContain('"rule":"env-secret"');
      expect(stderr()).not.toContain(VALUES.GITHUB_TOKEN);
    } finally {
      await client.close();
    }
  }, 30_000);

  it('masks the value in the server\'s stderr, also when it arrives in two chunks', async () => {
    const value = 'Wm3Kq7Zt1Rv5Ly9Bn2Hc6Fd0Xs4Pj8Ga';
    expect((await runInProcess(['secrets', 'set', 'stderr/key'], h.env, value)).code).toBe(0);
    const server = `process.stderr.write('whole ' + process.env.K + '\\n'); process.stderr.write('split ' + process.env.K.slice(0, 9)); setTimeout(() => process.stderr.write(process.env.K.slice(9) + ' end'), 100)`;
    const r = await cli(['proxy', '--env', 'K=secret:stderr/key', '--', process.execPath, '-e', server], h.env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('whole Wm3K…[32 chars]');
    expect(r.stderr).toContain('split Wm3K…[32 chars] end');
    expect(r.stderr).not.toContain(value.slice(9));
  }, 30_000);

  it('stops before spawning when a secret is missing (exit 2), naming it but no value', async () => {
    const marker = join(h.home, 'spawned');
    const r = await cli(['proxy', '--env', 'API_KEY=secret:nope/missing', '--', process.execPath, '-e', `require('fs').writeFileSync(${JSON.stringify(marker)}, 'x')`], h.env);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--env API_KEY=secret:nope/missing: no secret named "nope/missing" in file store');
    expect(r.stderr).toContain('mcp-guard secrets set nope/missing');
    expect(existsSync(marker)).toBe(false);
  }, 30_000);

  it('reads config env.secrets, and refuses a store that others can read', async () => {
    const dir = join(h.home, 'cfg');
    mkdirSync(dir, { recursive: true });
    const config = join(dir, 'c.yaml');
    writeFileSync(config, 'env:\n  secrets:\n    GH: claude-code/everything/GITHUB_TOKEN\n');
    // The "server" exits 0 only when it got the value.
    const ok = await cli(['proxy', '-c', config, '--', process.execPath, '-e', `process.exit(process.env.GH === ${JSON.stringify(VALUES.GITHUB_TOKEN)} ? 0 : 9)`], h.env);
    expect(ok.code, ok.stderr).toBe(0);
    const store = join(h.home, '.config', 'mcp-guard', 'secrets.json');
    chmodSync(store, 0o644);
    try {
      const refused = await cli(['proxy', '-c', config, '--', process.execPath, '-e', 'process.exit(0)'], h.env);
      expect(refused.code).toBe(2);
      expect(refused.stderr).toContain('has mode 0644: the group or others can read or change it');
    } finally {
      chmodSync(store, 0o600);
    }
  }, 30_000);
});
