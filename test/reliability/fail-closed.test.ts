/**
 * Fail closed. A scanner that throws blocks the frame with an `internal-error`
 * finding, never forwards it and never stops the proxy (in process, through the
 * real `GuardSession` and `Relay`). Anything the proxy cannot read at start-up
 * (config, pin store, rule packs) is exit 2 with a clear message before the
 * server is ever started (through the built CLI).
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GuardSession } from '../../src/proxy/session.js';
import { ScanChain, type Verdict } from '../../src/scan/chain.js';
import { normalizeConfig } from '../../src/config/normalize.js';
import type { ScanInput } from '../../src/scan/types.js';
import { ROOT, tempDir } from '../helpers.js';
import { credential, unlistedConfig } from './harness.js';
import { pipedRelay } from './piped-relay.js';

const INTERNAL = { rule: 'internal-error', category: 'protocol', path: '' };

/** A real chain whose evaluate throws for any frame that mentions BOOM. */
class ThrowingChain extends ScanChain {
  override evaluate(input: ScanInput): Verdict {
    if (JSON.stringify(input.message).includes('BOOM')) throw new Error('scanner exploded on BOOM');
    return super.evaluate(input);
  }
}

describe('a scanner that throws (in process)', () => {
  const chain = new ScanChain({ config: normalizeConfig({}), env: {} });

  it('GuardSession blocks the frame with internal-error and reports the exception, both ways', () => {
    const session = new GuardSession(chain);
    const errors: string[] = [];
    session.onInternalError = (e) => errors.push(e.message);
    // A real scanner fails: the DLP walk reads a getter that throws.
    const params = { name: 'tool' } as Record<string, unknown>;
    Object.defineProperty(params, 'arguments', { enumerable: true, get: () => { throw new Error('getter exploded'); } });
    const req = session.fromClient({ jsonrpc: '2.0', id: 1, method: 'tools/call', params });
    expect(req.verdict.action).toBe('block');
    expect(req.verdict.findings).toEqual([expect.objectContaining(INTERNAL)]);
    expect(session.pending.size).toBe(0);

    const ok = session.fromClient({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'tool', arguments: {} } });
    expect(ok.verdict.action).toBe('allow');
    const result = { content: [] } as Record<string, unknown>;
    Object.defineProperty(result, 'structuredContent', { enumerable: true, get: () => { throw new Error('result getter exploded'); } });
    const res = session.fromServer({ jsonrpc: '2.0', id: 2, result });
    expect(res.verdict.action).toBe('block');
    expect(res.verdict.findings).toEqual([expect.objectContaining(INTERNAL)]);
    expect(errors).toEqual(['getter exploded', 'result getter exploded']);
  });

  it('the Relay never forwards such a frame, answers it, logs it, and keeps relaying', async () => {
    const p = pipedRelay(new ThrowingChain({ config: normalizeConfig({}), env: {} }));
    const frames = [
      { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 't', arguments: { x: 'BOOM' } } },
      { jsonrpc: '2.0', method: 'notifications/progress', params: { message: 'BOOM' } },
      { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 't', arguments: { x: 'fine' } } },
      { jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 't', arguments: { x: 'fine too' } } },
    ];
    p.clientIn.end(`${frames.map((f) => JSON.stringify(f)).join('\n')}\n`);
    await p.done;
    // Only the two clean requests reach the server.
    expect(p.toServer().split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { id: number }).id)).toEqual([2, 3]);
    p.serverOut.end(`${JSON.stringify({ jsonrpc: '2.0', id: 2, result: { content: [{ type: 'text', text: 'BOOM' }] } })}\n${JSON.stringify({ jsonrpc: '2.0', id: 3, result: { content: [{ type: 'text', text: 'ok' }] } })}\n`);
    await new Promise((r) => p.serverOut.on('end', () => setImmediate(r)));
    const out = p.toClient().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(out).toEqual([
      { jsonrpc: '2.0', id: 1, error: expect.objectContaining({ code: -32001, data: { findings: [INTERNAL] } }) },
      { jsonrpc: '2.0', id: 2, error: expect.objectContaining({ code: -32001, data: { findings: [INTERNAL] } }) },
      { jsonrpc: '2.0', id: 3, result: { content: [{ type: 'text', text: 'ok' }] } },
    ]);
    expect(p.toClient()).not.toContain('BOOM');
    expect(p.log()).toContain('scanner failed, frame blocked: scanner exploded on BOOM');
  });
});

// ---- start-up errors through the built CLI ---------------------------------------

interface Run {
  readonly code: number | null;
  readonly stderr: string;
  /** True when the server command ran at all. */
  readonly started: boolean;
}

/** Run `mcp-guard proxy [args] -- node -e <touch marker>` with `bin` and `home`, stdin closed. */
function startup(args: string[], options: { home?: string; bin?: string; env?: Record<string, string> } = {}): Run {
  const dir = tempDir();
  const marker = join(dir, 'server-started');
  const r = spawnSync(process.execPath, [options.bin ?? join(ROOT, 'bin', 'mcp-guard.js'), 'proxy', ...args, '--', process.execPath, '-e', `require('fs').writeFileSync(${JSON.stringify(marker)}, '1')`], {
    cwd: dir,
    env: { PATH: process.env['PATH'] ?? '', HOME: options.home ?? dir, MCP_GUARD_CONFIG: '', ...options.env },
    input: '',
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { code: r.status, stderr: r.stderr, started: existsSync(marker) };
}

describe('unreadable config or pin store: exit 2 before the server starts', () => {
  it('a config path that is a directory, or missing (from -c and from $MCP_GUARD_CONFIG)', () => {
    const dir = tempDir();
    const cases: Array<[string[], Record<string, string>, RegExp]> = [
      [['-c', dir], {}, /cannot read config .* \(from -c\): EISDIR/],
      [['-c', join(dir, 'missing.yaml')], {}, /cannot read config .*missing\.yaml \(from -c\): ENOENT/],
      [[], { MCP_GUARD_CONFIG: join(dir, 'missing.yaml') }, /cannot read config .*missing\.yaml \(from MCP_GUARD_CONFIG\): ENOENT/],
    ];
    for (const [args, env, message] of cases) {
      const r = startup(args, { env });
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.started).toBe(false);
    }
  });

  it('a config that is not YAML', () => {
    const file = join(tempDir(), 'bad.yaml');
    writeFileSync(file, 'dlp: [unclosed\n  action: : block\n');
    const r = startup(['-c', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(file);
    expect(r.started).toBe(false);
  });

  it('a pin store that is a directory, or damaged', () => {
    const unreadable = tempDir();
    mkdirSync(join(unreadable, '.local', 'state', 'mcp-guard', 'pins.json'), { recursive: true });
    const damaged = tempDir();
    mkdirSync(join(damaged, '.local', 'state', 'mcp-guard'), { recursive: true });
    writeFileSync(join(damaged, '.local', 'state', 'mcp-guard', 'pins.json'), '{"servers": {');
    const a = startup([], { home: unreadable });
    expect(a.code).toBe(2);
    expect(a.stderr).toMatch(/cannot read pin store .*pins\.json: EISDIR/);
    expect(a.started).toBe(false);
    const b = startup([], { home: damaged });
    expect(b.code).toBe(2);
    expect(b.stderr).toMatch(/pin store .*pins\.json is damaged/);
    expect(b.started).toBe(false);
  });
});

/**
 * A private copy of the built package (bin, dist, rules; node_modules linked),
 * so a test can break the rule packs without touching the real ones.
 */
function packageCopy(): { bin: string; rules: string; dist: string } {
  const dir = tempDir();
  for (const part of ['bin', 'dist', 'rules', 'package.json']) cpSync(join(ROOT, part), join(dir, part), { recursive: true, preserveTimestamps: true });
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
  return { bin: join(dir, 'bin', 'mcp-guard.js'), rules: join(dir, 'rules'), dist: join(dir, 'dist') };
}

/** A request carrying a credential from the rule pack's own examples (so it must be blocked). */
function secretRequest(): string {
  return JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'x', arguments: { token: credential() } } });
}

/** Run the copy's proxy in front of a server that logs what it receives. */
function relaySecret(bin: string): { code: number | null; stdout: string; stderr: string; received: string } {
  const dir = tempDir();
  const log = join(dir, 'received');
  const r = spawnSync(process.execPath, [bin, 'proxy', '--', process.execPath, '-e', `process.stdin.on('data', (d) => require('fs').appendFileSync(${JSON.stringify(log)}, d))`], {
    cwd: dir,
    env: { PATH: process.env['PATH'] ?? '', HOME: dir, MCP_GUARD_CONFIG: unlistedConfig(dir) },
    input: `${secretRequest()}\n`,
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, received: existsSync(log) ? readFileSync(log, 'utf8') : '' };
}

describe('unreadable rule packs: exit 2 before the server starts, never a silent pass', () => {
  it('a rule pack file that cannot be read (a directory, a dangling link)', () => {
    const a = packageCopy();
    renameSync(join(a.rules, 'dlp.yaml'), join(a.rules, 'dlp.yaml.off'));
    mkdirSync(join(a.rules, 'dlp.yaml'));
    let r = startup([], { bin: a.bin });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/rule packs in .* are invalid\n\s+dlp\.yaml: EISDIR/);
    expect(r.started).toBe(false);

    const b = packageCopy();
    rmSync(join(b.rules, 'injection.yaml'));
    symlinkSync(join(b.rules, 'nowhere.yaml'), join(b.rules, 'injection.yaml'));
    r = startup([], { bin: b.bin });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/injection\.yaml: ENOENT/);
    expect(r.started).toBe(false);
  });

  it('a missing rules directory', () => {
    const c = packageCopy();
    rmSync(c.rules, { recursive: true });
    const r = startup([], { bin: c.bin });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/cannot read rules directory/);
    expect(r.started).toBe(false);
  });

  it('a damaged prebuilt dist/rules.json falls back to the YAML packs: the secret is still blocked', () => {
    const d = packageCopy();
    writeFileSync(join(d.dist, 'rules.json'), '{"files":');
    const r = relaySecret(d.bin);
    expect(r.received).toBe('');
    expect(JSON.parse(r.stdout)).toMatchObject({ id: 2, error: { code: -32001 } });
  });

  // Regression, fixed (src/scan/rule-pack.ts loadRulePacks): a rules directory with no *.yaml left loads
  // zero rules without complaint, and the proxy then forwards every secret.
  it('a rules directory with every pack removed is an error, not a proxy that blocks nothing', () => {
    const e = packageCopy();
    for (const f of ['dlp.yaml', 'injection.yaml', 'tool-poisoning.yaml']) rmSync(join(e.rules, f));
    const r = relaySecret(e.bin);
    expect(r.received).toBe('');
    expect(r.code).toBe(2);
  });
});
