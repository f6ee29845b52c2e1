/**
 * Harness for the reliability tests: runs the built CLI in front of a fault-*.js
 * fixture with raw stdio (so a test controls every byte and every timing), and
 * proves afterwards that no process is left behind.
 *
 * Every fixture appends its pid (and any grandchild's) to a pid file; the
 * proxy's own pid comes from the spawn. {@link expectAllGone} fails a test
 * that leaves any of them running, and kills them so the next test starts clean.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, ROOT, tempDir } from '../helpers.js';
import { loadBuiltinRules } from '../../src/scan/rule-pack.js';

export { tempDir };

export const FIXTURES = join(ROOT, 'test', 'fixtures');

/** Path of a fault fixture, e.g. `fixture('silent')` → test/fixtures/fault-silent.js. */
export function fixture(name: string): string {
  return join(FIXTURES, `fault-${name}.js`);
}

export const INIT = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'reliability', version: '1' } } });

/** A `tools/call` request line (no terminator). */
export function call(id: string | number, name: string, args: object = {}): string {
  return JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: args } });
}

/** How a process ended. */
export interface Ended {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** A running `mcp-guard proxy` with raw access to its stdio. */
export interface RunningProxy {
  readonly child: ChildProcessWithoutNullStreams;
  readonly pid: number;
  /** File the fixture (and its grandchildren) append their pids to. */
  readonly pidFile: string;
  /** A scratch directory for this run. */
  readonly dir: string;
  /** Write raw bytes to the proxy's stdin. */
  write(data: string | Buffer): void;
  /** Close the proxy's stdin. */
  end(): void;
  /** Everything on stdout so far (unless `discardStdout`). */
  stdout(): Buffer;
  /** Bytes seen on stdout so far. */
  stdoutBytes(): number;
  /** Everything on stderr so far. */
  stderr(): string;
  /** Parsed stdout lines so far. */
  frames(): Array<Record<string, unknown>>;
  /** Resolves when `test(frames())` holds; rejects after `ms` or when the proxy exits first. */
  waitFor(test: (frames: Array<Record<string, unknown>>) => boolean, ms?: number): Promise<void>;
  /** Resolves when the proxy has exited and its stdio is closed. */
  readonly ended: Promise<Ended>;
  /** Pids written by the fixture so far. */
  serverPids(): number[];
}

export interface StartOptions {
  /** Scratch directory (default: a new temporary one). */
  readonly dir?: string;
  /** Extra proxy arguments before `--`. */
  readonly proxyArgs?: readonly string[];
  /** Environment passed to the fixture (each name is forwarded with `--env`). */
  readonly serverEnv?: Readonly<Record<string, string>>;
  /** Count stdout bytes without keeping them (for large streams). */
  readonly discardStdout?: boolean;
  /** Do not read stdout at all until `child.stdout.resume()` (slow-reader tests). */
  readonly pausedStdout?: boolean;
  /** Receive each stdout line (without its `\n`) instead of keeping stdout. */
  readonly onLine?: (line: Buffer) => void;
  /**
   * Keep `mcp_tool_scanning.require_list` on (the default in real use). Off by
   * default here: the fault fixtures answer tools/call only, and these tests are
   * about framing and lifecycle, not session binding (test/e2e/binding.test.ts).
   */
  readonly requireList?: boolean;
}

/** A config file that turns `require_list` off, in `dir`. */
export function unlistedConfig(dir: string): string {
  const path = join(dir, 'no-require-list.yaml');
  writeFileSync(path, 'mcp_tool_scanning:\n  require_list: false\n');
  return path;
}

const started: RunningProxy[] = [];

/** Start `mcp-guard proxy [--env NAME]... -- node <fixture>` with raw pipes. */
export function startProxy(fixturePath: string, options: StartOptions = {}): RunningProxy {
  const dir = options.dir ?? tempDir();
  const pidFile = join(dir, 'pids');
  const serverEnv: Record<string, string> = { FAULT_PIDS: pidFile, ...options.serverEnv };
  const envArgs = Object.keys(serverEnv).flatMap((k) => ['--env', k]);
  const child = spawn(process.execPath, [BIN, 'proxy', ...(options.proxyArgs ?? []), ...envArgs, '--', process.execPath, fixturePath], {
    cwd: ROOT,
    // HOME is the scratch directory, so state the proxy keeps (such as its pin store) never leaks between runs.
    env: { PATH: process.env['PATH'] ?? '', HOME: dir, MCP_GUARD_CONFIG: options.requireList === true ? '' : unlistedConfig(dir), ...serverEnv },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const out: Buffer[] = [];
  let outBytes = 0;
  let err = '';
  let partial: Buffer = Buffer.alloc(0);
  child.stdout.on('data', (c: Buffer) => {
    outBytes += c.length;
    if (options.onLine) {
      let data = partial.length > 0 ? Buffer.concat([partial, c]) : c;
      let nl: number;
      while ((nl = data.indexOf(0x0a)) !== -1) {
        options.onLine(data.subarray(0, nl));
        data = data.subarray(nl + 1);
      }
      partial = Buffer.from(data);
    } else if (!options.discardStdout) out.push(c);
  });
  if (options.pausedStdout) child.stdout.pause();
  child.stderr.on('data', (c: Buffer) => (err += c.toString('utf8')));
  child.stdin.on('error', () => {
    // EPIPE after the proxy exits: the test checks the outcome, not the write.
  });
  const ended = new Promise<Ended>((ok) => child.on('close', (code, signal) => ok({ code, signal })));
  let exited = false;
  void ended.then(() => (exited = true));
  const stdout = (): Buffer => Buffer.concat(out);
  const frames = (): Array<Record<string, unknown>> =>
    stdout()
      .toString('utf8')
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  const proxy: RunningProxy = {
    child,
    pid: child.pid as number,
    pidFile,
    dir,
    write: (data) => void child.stdin.write(data),
    end: () => child.stdin.end(),
    stdout,
    stdoutBytes: () => outBytes,
    stderr: () => err,
    frames,
    ended,
    serverPids: () => readPids(pidFile),
    async waitFor(test, ms = 20_000) {
      const deadline = Date.now() + ms;
      while (!test(frames())) {
        if (exited) {
          if (test(frames())) return;
          throw new Error(`proxy exited before the expected output; stdout:\n${stdout().toString('utf8').slice(0, 2000)}\nstderr:\n${err.slice(-2000)}`);
        }
        if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for output; stdout:\n${stdout().toString('utf8').slice(0, 2000)}\nstderr:\n${err.slice(-2000)}`);
        await sleep(20);
      }
    },
  };
  started.push(proxy);
  return proxy;
}

/** Pids listed in a pid file (empty when it does not exist yet). */
export function readPids(file: string): number[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map(Number);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** True while `pid` is a live process (a zombie awaiting its reaper counts as gone). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code !== 'ESRCH';
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true;
  }
}

/**
 * Wait up to `ms` for every pid to be gone. Any survivor is SIGKILLed (so the
 * suite does not leak it) and reported by throwing.
 */
export async function expectAllGone(pids: readonly number[], ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  let alive = pids.filter(isAlive);
  while (alive.length > 0 && Date.now() < deadline) {
    await sleep(25);
    alive = alive.filter(isAlive);
  }
  if (alive.length === 0) return;
  for (const pid of alive) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Gone meanwhile.
    }
  }
  throw new Error(`processes left running: ${alive.join(', ')}`);
}

/** The proxy and every pid its fixture recorded: all must be gone. */
export async function expectNoOrphans(proxy: RunningProxy, ms = 5000): Promise<void> {
  const pids = [proxy.pid, ...proxy.serverPids()];
  if (pids.length < 2) throw new Error('the fixture recorded no pid: was FAULT_PIDS passed through?');
  await expectAllGone(pids, ms);
}

/**
 * Safety net for `afterEach`: SIGKILL every proxy (and recorded server pid) a
 * test started and left running, e.g. after a failed assertion.
 */
export function killLeftovers(): void {
  for (const p of started.splice(0)) {
    for (const pid of [p.pid, ...p.serverPids()]) {
      if (!isAlive(pid)) continue;
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Gone meanwhile.
      }
    }
  }
}

/** Peak resident set size (VmHWM) of a live process, in bytes; undefined where /proc is missing. */
export function peakRss(pid: number): number | undefined {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m?.[1] !== undefined ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Current resident set size (VmRSS) of a live process, in bytes. */
export function currentRss(pid: number): number | undefined {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m?.[1] !== undefined ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

export const HAS_PROC = existsSync('/proc/self/status');
export const MiB = 1024 * 1024;

/** A credential the rule pack must block: the first example of its GitHub token rule (a checksum-valid token). */
export function credential(): string {
  const dlp = loadBuiltinRules().filter((r) => r.category === 'dlp');
  const rule = dlp.find((r) => r.spec.keywords?.includes('ghp_')) ?? dlp[0];
  const example = rule?.spec.examples.match[0] ?? '';
  return /ghp_[A-Za-z0-9]{36}/.exec(example)?.[0] ?? example;
}
