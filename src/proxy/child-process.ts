/**
 * Owns the MCP server child process: spawn (argument array, `shell: false`),
 * stderr pass-through, signal forwarding and staged shutdown (end stdin, wait,
 * SIGTERM, wait, SIGKILL), modelled on the SDK's `StdioClientTransport.close()`.
 *
 * On POSIX the child leads its own process group, so shutdown signals reach
 * grandchildren too (a server started through `npx` is several processes deep).
 *
 * Windows: `spawn` without a shell cannot run `.cmd`/`.bat` shims such as
 * `npx.cmd` (Node refuses them since CVE-2024-27980). We resolve the command
 * through PATH and PATHEXT; when it is an npm-style shim, we read the shim and
 * run the JavaScript file it points at with `node` directly, still without a
 * shell. Other batch files are refused with a clear message.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { delimiter, dirname, extname, isAbsolute, join, resolve } from 'node:path';
import { constants as osConstants } from 'node:os';
import { PassThrough, type Readable } from 'node:stream';
import { GuardError } from '../errors.js';

/** Grace periods of the staged shutdown, in ms. */
export const SHUTDOWN_GRACE_MS = { afterStdinEnd: 2000, afterSigterm: 2000 } as const;

/** After the server exits, how long its remaining output may take to arrive (ms). */
export const EXIT_OUTPUT_GRACE_MS = 200;

/** How the child ended. */
export interface ChildExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** Exit status for our own process: the code, or 128 + signal number. */
  readonly status: number;
  /** Milliseconds from spawn to exit. */
  readonly uptimeMs: number;
  /**
   * True when the server's stdout was still open {@link EXIT_OUTPUT_GRACE_MS} after
   * it exited: a process outside its group (started with `setsid`, or spawned
   * `detached`) holds the pipe. We stopped waiting for it and closed our ends.
   */
  readonly outputHeld: boolean;
}

/** A resolved command line. */
export interface ResolvedCommand {
  readonly file: string;
  readonly args: readonly string[];
}

/**
 * Resolve a Windows command through PATH/PATHEXT and unwrap npm `.cmd` shims.
 * On other platforms returns the input unchanged.
 * @throws GuardError `SPAWN_FAILED` for a batch file that is not an npm shim
 */
export function resolveCommand(command: string, args: readonly string[], env: Record<string, string>, platform = process.platform): ResolvedCommand {
  if (platform !== 'win32') return { file: command, args };
  const pathExt = (env['PATHEXT'] ?? '.COM;.EXE;.BAT;.CMD').split(';').filter(Boolean);
  const dirs = isAbsolute(command) || command.includes('\\') || command.includes('/') ? [''] : (env['PATH'] ?? env['Path'] ?? '').split(delimiter);
  const exts = extname(command) ? [''] : pathExt;
  for (const dir of dirs) {
    for (const ext of exts) {
      const candidate = dir === '' ? resolve(command + ext) : join(dir, command + ext);
      if (!existsSync(candidate)) continue;
      const lower = candidate.toLowerCase();
      if (!lower.endsWith('.cmd') && !lower.endsWith('.bat')) return { file: candidate, args };
      const shim = readFileSync(candidate, 'utf8');
      const m = /"%(?:~?dp0%?)\\?([^"%]+?\.(?:c|m)?js)"/i.exec(shim);
      if (m?.[1] !== undefined) {
        const script = join(dirname(candidate), m[1]);
        const localNode = join(dirname(candidate), 'node.exe');
        return { file: existsSync(localNode) ? localNode : process.execPath, args: [script, ...args] };
      }
      throw new GuardError('SPAWN_FAILED', `cannot start "${command}": ${candidate} is a batch file and mcp-guard never runs a shell; point the config at the program it runs`);
    }
  }
  return { file: command, args };
}

/** A running child. */
export interface SpawnedChild {
  readonly process: ChildProcess;
  /**
   * Resolves once the child has exited (its group killed) and its output has arrived,
   * or {@link EXIT_OUTPUT_GRACE_MS} later; then our ends of its pipes are closed, so an
   * escaped grandchild that still holds them cannot keep this process alive.
   */
  readonly exited: Promise<ChildExit>;
  /**
   * The server's output: read this, not `process.stdout`. Until {@link SpawnedChild.attached},
   * it is `process.stdout` itself; when the server exits before anyone reads it, its output
   * is moved into a buffer stream (Node discards the output of an exited child nobody reads),
   * and this returns that stream.
   */
  readonly stdout: Readable;
  /**
   * Call once the relay reads {@link SpawnedChild.stdout} (or, when giving up on the child,
   * once it is resumed to discard). Until then an exited child's output is kept and the
   * {@link EXIT_OUTPUT_GRACE_MS} grace period does not start, so a server that writes and
   * exits while the relay is still being built loses nothing. Idempotent.
   */
  attached(): void;
  /** Start the staged shutdown (idempotent). */
  shutdown(): void;
  /** Send a signal to the child's process group (POSIX) or the child. */
  signal(sig: NodeJS.Signals): void;
}

/**
 * Spawn the server and wait until it has started.
 * @throws GuardError `SPAWN_FAILED` naming the command when it cannot be started
 */
export async function spawnChild(
  command: string,
  args: readonly string[],
  env: Record<string, string>,
  options: { stderr?: NodeJS.WritableStream; cwd?: string } = {},
): Promise<SpawnedChild> {
  const resolved = resolveCommand(command, args, env);
  const posix = process.platform !== 'win32';
  const started = Date.now();
  const child = spawn(resolved.file, [...resolved.args], {
    shell: false,
    env,
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: posix,
    windowsHide: true,
    ...(options.cwd !== undefined ? { cwd: options.cwd } : {}),
  });
  await new Promise<void>((ok, fail) => {
    child.once('spawn', ok);
    child.once('error', (err: NodeJS.ErrnoException) => {
      const why = err.code === 'ENOENT' ? 'command not found' : err.code === 'EACCES' ? 'permission denied' : err.message;
      fail(new GuardError('SPAWN_FAILED', `cannot start "${command}": ${why}`));
    });
  });
  child.on('error', () => {
    // Errors after spawn (EPIPE on stdin and the like) surface through 'exit'.
  });
  const stderr = options.stderr ?? process.stderr;
  child.stderr?.on('data', (chunk: Buffer) => stderr.write(chunk));

  let alive = true;
  let isAttached = false;
  let attach!: () => void;
  const readersAttached = new Promise<void>((ok) => {
    attach = () => {
      isAttached = true;
      ok();
    };
  });
  /** The output of a server that exited before the relay read it (see `stdout` above). */
  let early: PassThrough | undefined;
  /** Signal the whole process group (POSIX), even after the child itself is gone. */
  const killGroup = (sig: NodeJS.Signals): void => {
    if (child.pid === undefined) return;
    try {
      if (posix) process.kill(-child.pid, sig);
      else child.kill(sig);
    } catch {
      // Nothing left to signal.
    }
  };
  const exited = new Promise<ChildExit>((ok) => {
    child.once('exit', (code, signal) => {
      alive = false;
      const signum = signal ? (osConstants.signals[signal] ?? 15) : 0;
      const result = (outputHeld: boolean): ChildExit => ({ code, signal, status: code ?? 128 + signum, uptimeMs: Date.now() - started, outputHeld });
      // The server is gone: take down what is left of its process group. A grandchild
      // holding our pipe open would otherwise keep 'close' from firing, and pending
      // requests from being answered.
      killGroup('SIGKILL');
      // Let output already written reach the relay, but do not wait long for it once
      // the relay reads. A grandchild in another session (setsid) survives the group
      // kill; while it holds the pipes their handles keep our event loop alive, so close our ends.
      let closed = false;
      let grace: NodeJS.Timeout | undefined;
      const done = (): void => {
        closed = true;
        clearTimeout(grace);
        ok(result(false));
      };
      // Node resumes (and so discards) the unread output of an exited child on the next
      // tick: keep it for the relay. Exit then resolves once the relay has read all of it.
      if (!isAttached && child.stdout) {
        early = new PassThrough({ highWaterMark: 1 << 20 });
        child.stdout.pipe(early);
        early.once('end', done);
        early.once('close', done);
      } else child.once('close', done);
      void readersAttached.then(() => {
        if (closed) return;
        grace = setTimeout(() => {
          for (const stream of [child.stdin, child.stdout, child.stderr, early]) stream?.destroy();
          ok(result(true));
        }, EXIT_OUTPUT_GRACE_MS);
      });
    });
  });
  const signal = (sig: NodeJS.Signals): void => {
    if (alive) killGroup(sig);
  };
  let shuttingDown = false;
  const shutdown = (): void => {
    if (shuttingDown) return;
    shuttingDown = true;
    child.stdin?.end();
    const term = setTimeout(() => {
      signal('SIGTERM');
      const kill = setTimeout(() => signal('SIGKILL'), SHUTDOWN_GRACE_MS.afterSigterm);
      kill.unref();
    }, SHUTDOWN_GRACE_MS.afterStdinEnd);
    term.unref();
  };
  return {
    process: child,
    get stdout(): Readable {
      return early ?? (child.stdout as Readable);
    },
    exited,
    attached: () => attach(),
    shutdown,
    signal,
  };
}
