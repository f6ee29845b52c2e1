/**
 * Files and directories only their owner may read: the state directory (pins,
 * setup state, trusted configs), the audit log and `--record` transcripts. They
 * hold tool definitions, original agent entries and raw traffic, secrets
 * included. Symbolic links are never followed for the files: a link planted in
 * their place would otherwise have us truncate, or write traffic into, its target.
 *
 * On Windows, POSIX modes and owners do not apply; only the open flags do.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, closeSync, constants, fchmodSync, fstatSync, fsyncSync, mkdirSync, openSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { GuardError } from './errors.js';

/** Bits that let the group or others in. */
const NOT_OWNER = 0o077;

// Undefined on Windows, where there are no symlinks to worry about for a plain open.
const O_NOFOLLOW = constants.O_NOFOLLOW ?? 0;

/** `0o644` → `"0644"`. */
export function octalMode(mode: number): string {
  return `0${(mode & 0o777).toString(8).padStart(3, '0')}`;
}

/** A system error's code (`ELOOP`, `EEXIST`, …), else its message. */
export function errCode(err: unknown): string {
  return (err as NodeJS.ErrnoException).code ?? (err as Error).message;
}

/** Thrown by this module: `message` is safe to show; `code` is the system code or ours. */
export class PrivateFsError extends Error {
  readonly code: string;

  constructor(code: string, message: string) {
    super(message);
    this.name = 'PrivateFsError';
    this.code = code;
  }
}

const uid = (): number | undefined => (typeof process.getuid === 'function' ? process.getuid() : undefined);

/**
 * Make an existing directory private: mode 0700, owned by the current user.
 * @returns `absent` when it does not exist, `tightened` (with the old mode) when
 *   group or others had access and it was narrowed to 0700, `ok` otherwise
 * @throws PrivateFsError `NOT_DIRECTORY`, `NOT_OWNER` (owned by another user: not
 *   ours to change, and not safe to use), or the system code when chmod fails
 */
export function securePrivateDir(dir: string): { state: 'absent' | 'ok' } | { state: 'tightened'; was: string } {
  let st;
  try {
    st = statSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { state: 'absent' };
    throw new PrivateFsError(errCode(err), `cannot check ${dir}: ${errCode(err)}`);
  }
  if (!st.isDirectory()) throw new PrivateFsError('NOT_DIRECTORY', `${dir} is not a directory`);
  const me = uid();
  if (me === undefined || process.platform === 'win32') return { state: 'ok' };
  if (st.uid !== me) throw new PrivateFsError('NOT_OWNER', `${dir} is owned by another user (uid ${st.uid}); refusing to keep state there`);
  if ((st.mode & NOT_OWNER) === 0) return { state: 'ok' };
  try {
    chmodSync(dir, 0o700);
  } catch (err) {
    throw new PrivateFsError(errCode(err), `cannot make ${dir} private (mode ${octalMode(st.mode)}): ${errCode(err)}`);
  }
  return { state: 'tightened', was: octalMode(st.mode) };
}

/**
 * Create `dir` (and missing parents) with mode 0700, then {@link securePrivateDir} it.
 * @throws PrivateFsError as {@link securePrivateDir}, or the system code when mkdir fails
 */
export function ensurePrivateDir(dir: string): ReturnType<typeof securePrivateDir> {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw new PrivateFsError(errCode(err), `cannot create ${dir}: ${errCode(err)}`);
  }
  return securePrivateDir(dir);
}

function symlinkOr(err: unknown, path: string, fallback: string): PrivateFsError {
  const code = errCode(err);
  // Linux and macOS answer ELOOP for O_NOFOLLOW on a link; FreeBSD answers EMLINK.
  if (code === 'ELOOP' || code === 'EMLINK') return new PrivateFsError(code, `${path} is a symbolic link; refusing to follow it`);
  return new PrivateFsError(code, fallback);
}

/**
 * Create a new file, mode 0600, for writing. An existing file, or a symbolic
 * link (even a dangling one), is refused: `O_CREAT | O_EXCL | O_NOFOLLOW`.
 * @returns the file descriptor
 * @throws PrivateFsError `EEXIST` when something is already at `path`; the system code otherwise
 */
export function createPrivateFile(path: string): number {
  let fd: number;
  try {
    fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | O_NOFOLLOW, 0o600);
  } catch (err) {
    if (errCode(err) === 'EEXIST') throw new PrivateFsError('EEXIST', `${path} already exists; refusing to overwrite it (choose a new file name)`);
    throw symlinkOr(err, path, `cannot create ${path}: ${errCode(err)}`);
  }
  fchmodSync(fd, 0o600); // the umask may have narrowed it; never widened
  return fd;
}

/**
 * Open `path` for appending, creating it with mode 0600 (and its directory with
 * 0700). A symbolic link is refused (`O_NOFOLLOW`), and so is anything but a
 * regular file. An existing file that group or others can read is narrowed to 0600.
 * @returns the descriptor, and the old mode when it was narrowed
 * @throws PrivateFsError `ELOOP` for a link, `NOT_REGULAR`, or the system code
 */
export function openPrivateAppend(path: string): { fd: number; tightenedFrom?: string } {
  let fd: number;
  try {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    fd = openSync(path, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | O_NOFOLLOW, 0o600);
  } catch (err) {
    throw symlinkOr(err, path, `cannot open ${path}: ${errCode(err)}`);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new PrivateFsError('NOT_REGULAR', `${path} is not a regular file`);
    if (process.platform === 'win32' || (st.mode & NOT_OWNER) === 0) return { fd };
    fchmodSync(fd, 0o600);
    return { fd, tightenedFrom: octalMode(st.mode) };
  } catch (err) {
    closeSync(fd);
    if (err instanceof PrivateFsError) throw err;
    throw new PrivateFsError(errCode(err), `cannot make ${path} private: ${errCode(err)}`);
  }
}

/**
 * Replace `path` with `text` atomically, mode 0600: a temporary file in the same
 * directory (created with {@link createPrivateFile}, fsynced), then rename.
 * @throws PrivateFsError with the system code
 */
export function writePrivateAtomic(path: string, text: string): void {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  let fd: number | undefined;
  try {
    fd = createPrivateFile(tmp);
    writeSync(fd, text);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, path);
  } catch (err) {
    if (fd !== undefined) closeSync(fd);
    try {
      unlinkSync(tmp);
    } catch {
      // Never created, or already renamed.
    }
    throw err instanceof PrivateFsError ? err : new PrivateFsError(errCode(err), `cannot write ${path}: ${errCode(err)}`);
  }
}

/**
 * {@link securePrivateDir} for mcp-guard's state directory (pins, setup state,
 * trusted configs), as a startup check.
 * @returns a warning to log when the directory was narrowed to 0700, else undefined
 * @throws GuardError `INPUT_INVALID` when it is not a directory, is owned by
 *   another user, or cannot be narrowed
 */
export function secureStateDir(dir: string): string | undefined {
  try {
    const r = securePrivateDir(dir);
    return r.state === 'tightened' ? `state directory ${dir} had mode ${r.was}; narrowed to 0700 (it holds pins and setup state)` : undefined;
  } catch (err) {
    if (err instanceof PrivateFsError) throw new GuardError('INPUT_INVALID', `state directory: ${err.message}`);
    throw err;
  }
}
