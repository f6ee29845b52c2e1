/**
 * A fixture home with inline secrets in Claude Code, Cursor (JSONC) and Codex
 * (TOML) configs, each entry running @modelcontextprotocol/server-everything,
 * and a way to run the built CLI against it.
 */
import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { FAKE_SECRETS, listFiles } from '../clients/helpers.js';
import { BIN, EVERYTHING, ROOT } from '../helpers.js';

/** The fake credentials in the fixture, by variable (made at run time: the repository holds no token). */
export const VALUES = {
  GITHUB_TOKEN: FAKE_SECRETS['@@GITHUB_TOKEN@@'] as string,
  SLACK_BOT_TOKEN: FAKE_SECRETS['@@SLACK_TOKEN@@'] as string,
  OPENAI_API_KEY: ['sk', 'proj', 'Tq8vW3nZ5xKp2LmR7sYc4HjB6dFa1EoU9gI0tQwXeJrN3vMb'].join('-'),
} as const;

/** A private copy of test/fixtures/secrets-home. */
export interface SecretsHome {
  readonly home: string;
  /** The environment of every CLI run: this home, its XDG dirs, the file store. */
  readonly env: Record<string, string>;
  cleanup(): void;
}

export function makeSecretsHome(): SecretsHome {
  const home = mkdtempSync(join(tmpdir(), 'mcp-guard-secrets-'));
  cpSync(join(ROOT, 'test', 'fixtures', 'secrets-home'), home, { recursive: true });
  const markers: Record<string, string> = {
    '@@NODE@@': process.execPath,
    '@@EVERYTHING@@': EVERYTHING,
    '@@GITHUB_TOKEN@@': VALUES.GITHUB_TOKEN,
    '@@SLACK_TOKEN@@': VALUES.SLACK_BOT_TOKEN,
    '@@OPENAI_KEY@@': VALUES.OPENAI_API_KEY,
  };
  for (const rel of listFiles(home)) {
    const p = join(home, rel);
    let text = readFileSync(p, 'utf8');
    for (const [m, v] of Object.entries(markers)) text = text.split(m).join(v);
    writeFileSync(p, text);
  }
  const env = {
    HOME: home,
    PATH: process.env['PATH'] ?? '',
    XDG_CONFIG_HOME: join(home, '.config'),
    XDG_STATE_HOME: join(home, '.local', 'state'),
    MCP_GUARD_CONFIG: '',
    MCP_GUARD_SECRET_STORE: 'file',
  };
  return { home, env, cleanup: () => rmSync(home, { recursive: true, force: true }) };
}

/** The agent configs of the fixture, relative to the home. */
export const CONFIGS = ['.claude.json', join('.cursor', 'mcp.json'), join('.codex', 'config.toml')] as const;

/**
 * Run the CLI's `run()` in-process (src/cli/program.ts, the code bin/mcp-guard.js
 * runs), with `input` on stdin: for setup, remove, assess and secrets, which
 * start no server; saves a Node start per call.
 */
export async function runInProcess(args: readonly string[], env: Record<string, string>, input = ''): Promise<{ code: number; stdout: string; stderr: string }> {
  const { run } = await import('../../src/cli/program.js');
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  const stdout = new PassThrough().on('data', (c: Buffer) => out.push(c));
  const stderr = new PassThrough().on('data', (c: Buffer) => err.push(c));
  const stdin = new PassThrough();
  stdin.end(input);
  const code = await run(args, { stdin, stdout, stderr, env, cwd: env['HOME'] ?? ROOT });
  return { code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') };
}

/** Run `node bin/mcp-guard.js ARGS` to completion. */
export function cli(args: readonly string[], env: Record<string, string>, input = '', cwd?: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((ok) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: cwd ?? env['HOME'] ?? ROOT, env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    child.on('close', (code) => ok({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}
