/**
 * Test helpers: a private copy of the fixture home per test, file snapshots,
 * and an in-process CLI run of the client commands.
 */
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { crc32 } from '../../src/scan/validators.js';
import { PassThrough } from 'node:stream';
import { Command, CommanderError } from 'commander';
import { GuardError } from '../../src/errors.js';
import { registerClientCommands } from '../../src/cli/client-commands.js';
import type { CliIO } from '../../src/cli/io.js';

export const FIXTURE_HOME = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'home');
export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

function base62(v: number, width: number): string {
  let out = '';
  for (let n = v; n > 0; n = Math.floor(n / 62)) out = BASE62[n % 62] + out;
  return out.padStart(width, '0');
}

/**
 * Fake credentials with a real format (GitHub's CRC32 checksum included). They
 * are made here, not stored in the fixture files, so the repository holds no
 * token that secret scanners or push protection would flag.
 */
export const FAKE_SECRETS: Readonly<Record<string, string>> = (() => {
  const body = 'Qm7vT2xKp9LwZ3nR8sYc4HjB6dFa1E';
  return {
    '@@GITHUB_TOKEN@@': `ghp_${body}${base62(crc32(body), 6)}`,
    '@@SLACK_TOKEN@@': ['xoxb', '2048736159', '4081726354918', 'Rk3vQ9mTz7LpW2xNc8YhB5sD'].join('-'),
  };
})();

/** A temporary copy of `test/fixtures/home` with the fake secrets filled in. */
export interface FakeHome {
  readonly home: string;
  /** The project directory (`<home>/work/api`), used as cwd. */
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
  cleanup(): void;
}

/** Every file under `dir`, relative path → path. */
export function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out.push(relative(dir, p));
    }
  };
  walk(dir);
  return out.sort();
}

/** Copy the fixture home to a new temporary directory. */
export function makeHome(): FakeHome {
  const home = mkdtempSync(join(tmpdir(), 'mcp-guard-home-'));
  cpSync(FIXTURE_HOME, home, { recursive: true });
  for (const rel of listFiles(home)) {
    const p = join(home, rel);
    let text = readFileSync(p, 'utf8');
    for (const [marker, value] of Object.entries(FAKE_SECRETS)) text = text.split(marker).join(value);
    writeFileSync(p, text);
  }
  const env: NodeJS.ProcessEnv = { HOME: home, PATH: process.env['PATH'] ?? '' };
  return { home, cwd: join(home, 'work', 'api'), env, cleanup: () => rmSync(home, { recursive: true, force: true }) };
}

/** Contents of every agent config under `dir` (no `.bak`, no mcp-guard state), relative path → bytes. */
export function snapshot(dir: string): Map<string, Buffer> {
  return new Map(
    listFiles(dir)
      .filter((f) => !f.endsWith('.bak') && !f.startsWith(join('.local', 'state')))
      .map((f) => [f, readFileSync(join(dir, f))]),
  );
}

/** The result of {@link runClientCli}. */
export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function sink(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}

/** Run the client commands in-process, as `run()` in src/cli/program.ts does. */
export async function runClientCli(argv: readonly string[], home: FakeHome, env: NodeJS.ProcessEnv = home.env): Promise<CliRun> {
  const out = sink();
  const err = sink();
  const io: CliIO = { stdin: new PassThrough(), stdout: out.stream, stderr: err.stream, env, cwd: home.cwd };
  let code = 0;
  const program = new Command('mcp-guard')
    .exitOverride()
    .enablePositionalOptions()
    .configureOutput({ writeOut: (s) => out.stream.write(s), writeErr: (s) => err.stream.write(s) });
  registerClientCommands(program, io, (c) => {
    code = c;
  });
  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) code = e.exitCode === 0 ? 0 : 2;
    else if (e instanceof GuardError) {
      err.stream.write(`mcp-guard: ${e.message}\n${e.problems.join('\n')}`);
      code = 2;
    } else throw e;
  }
  await new Promise((r) => setImmediate(r));
  return { code, stdout: out.text(), stderr: err.text() };
}
