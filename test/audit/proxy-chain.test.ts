/**
 * The chained audit file as the running proxy writes it: one file per process
 * under `logging.dir` (two proxies at once), `audit verify` on the directory,
 * `audit show` of the block, a chain key that others can read refused at
 * start-up, and rotation by `max_bytes` through the proxy.
 */
import { chmodSync, existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { base62, crc32 } from '../../src/scan/validators.js';
import { spawnSync } from 'node:child_process';
import { BIN, connectProxied, errorOf, EVIL, ROOT, runCli, tempDir } from '../helpers.js';

function fakeGithubToken(): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  let body = '';
  for (let i = 0; i < 30; i++) body += alphabet[Math.floor(Math.random() * alphabet.length)];
  return `ghp_${body}${base62(crc32(body), 6)}`;
}

describe('the chained audit file, written by the proxy', () => {
  it('logging.dir: one file per proxy process, both verified; show lists the block, masked', async () => {
    const dir = join(tempDir(), 'audit');
    const key = join(tempDir(), 'chain.key');
    writeFileSync(key, 'a'.repeat(24) + 'b'.repeat(24), { mode: 0o600 });
    const cfg = join(tempDir(), 'cfg.yaml');
    writeFileSync(cfg, `logging:\n  output: file\n  dir: "${dir}"\n  chain_key_file: "${key}"\n`);
    const token = fakeGithubToken();
    const [a, b] = await Promise.all([connectProxied([EVIL], ['--name', 'evil', '-c', cfg]), connectProxied([EVIL], ['--name', 'evil', '-c', cfg])]);
    try {
      await Promise.all([a.client.listTools(), b.client.listTools()]);
      expect((await errorOf(a.client.callTool({ name: 'report_args', arguments: { note: token } }))).code).toBe(-32001);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
    expect(a.stderr()).not.toContain('"event":"decision"'); // output: file
    const files = readdirSync(dir).sort();
    expect(files).toHaveLength(2);
    for (const f of files) {
      expect(f).toMatch(/^evil-\d+\.jsonl$/);
      expect(statSync(join(dir, f)).mode & 0o777).toBe(0o600);
    }
    expect(statSync(dir).mode & 0o777).toBe(0o700);

    const ok = await runCli(['audit', 'verify', dir, '--key', key]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('intact: 2 files');
    expect((await runCli(['audit', 'verify', dir])).code).toBe(2); // keyed: needs --key

    const show = await runCli(['audit', 'show', dir, '--action', 'block', '--since', '1h', '--server', 'evil']);
    expect(show.code).toBe(0);
    expect(show.stdout).toMatch(/TIME +SERVER +ACTION +DIRECTION +METHOD +TOOL +RULES/);
    expect(show.stdout).toMatch(/evil +block +to server +tools\/call +report_args +github/);
    expect(show.stdout).toContain('1 decision');
    expect(show.stdout).not.toContain(token);
    for (const f of files) expect(readFileSync(join(dir, f), 'utf8')).not.toContain(token);
    expect((await runCli(['audit', 'show', dir, '--server', 'other'])).stdout).toContain('no decisions match');
  });

  it('refuses a chain key that others can read, before the server starts', async () => {
    const key = join(tempDir(), 'chain.key');
    writeFileSync(key, 'k'.repeat(32));
    chmodSync(key, 0o644);
    const cfg = join(tempDir(), 'cfg.yaml');
    writeFileSync(cfg, `logging:\n  output: both\n  file: "${join(tempDir(), 'audit.jsonl')}"\n  chain_key_file: "${key}"\n`);
    const r = await runCli(['proxy', '-c', cfg, '--', process.execPath, EVIL]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`chain key ${key} has mode 0644; it must be readable by its owner only (chmod 600 ${key})`);
  });

  it('rotates by max_bytes; the directory verifies across the rotated files', async () => {
    const dir = tempDir();
    const file = join(dir, 'audit.jsonl');
    const cfg = join(tempDir(), 'cfg.yaml');
    writeFileSync(cfg, `logging:\n  output: file\n  file: "${file}"\n  include_allowed: true\n  max_bytes: 4096\n`);
    const p = await connectProxied([EVIL], ['--name', 'evil', '-c', cfg]);
    try {
      for (let i = 0; i < 6; i++) await p.client.listTools();
    } finally {
      await p.close();
    }
    const files = readdirSync(dir).sort();
    expect(files.length).toBeGreaterThan(1);
    expect(files).toContain('audit.0.jsonl');
    const r = await runCli(['audit', 'verify', dir, '--json']);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as { files: Array<{ fileIndex: number }> };
    expect(report.files.map((f) => f.fileIndex).sort()).toEqual(files.map((_, i) => i));
  });

  it('loads the OpenTelemetry SDK only when logging.otlp is configured (start-up stays lean)', () => {
    const dir = tempDir();
    const trace = (name: string, config?: string): string => {
      const out = join(dir, `${name}.txt`);
      const args = ['--import', join(ROOT, 'test', 'fixtures', 'import-trace.mjs'), BIN, 'proxy', ...(config !== undefined ? ['-c', config] : []), '--', process.execPath, '-e', ''];
      spawnSync(process.execPath, args, { input: '', env: { PATH: process.env['PATH'] ?? '', HOME: dir, XDG_STATE_HOME: dir, MCP_GUARD_CONFIG: '', IMPORT_TRACE: out } });
      return existsSync(out) ? readFileSync(out, 'utf8') : '';
    };
    const plain = trace('plain');
    expect(plain).toContain('/dist/proxy/run-proxy.js'); // the trace works
    expect(plain).not.toContain('@opentelemetry');
    expect(plain).not.toContain('/dist/log/exporters.js');
    const cfg = join(dir, 'otlp.yaml');
    writeFileSync(cfg, 'logging:\n  otlp:\n    endpoint: "http://127.0.0.1:9"\n');
    expect(trace('otlp', cfg)).toContain('@opentelemetry/sdk-logs');
  });
});
