/**
 * Reading agent config files and writing them back safely:
 * - the write is atomic (a temporary file in the same directory, then rename);
 * - the file's permission bits are kept (configs often hold tokens: 0600 stays 0600);
 * - `<file>.bak` holds the previous bytes, written before the rename;
 * - symlinks (dotfile managers) are followed, so the link stays a link;
 * - the file is re-read just before the rename, and the change is made again
 *   on the new text if an agent rewrote the file meanwhile (Claude Code
 *   rewrites `~/.claude.json` often).
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, closeSync, fsyncSync, openSync, readFileSync, realpathSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { GuardError } from '../errors.js';
import { jsonEditor } from './json-entries.js';
import { tomlEditor } from './toml-entries.js';
import type { ConfigFormat, EntryEditor } from './types.js';

/** The editor for a format. */
export function editorFor(format: ConfigFormat): EntryEditor {
  return format === 'toml' ? tomlEditor : jsonEditor;
}

/** A config file's bytes as text and its metadata. */
export interface FileText {
  /** The real path (symlinks resolved). */
  readonly realPath: string;
  readonly text: string;
  /** Permission bits, e.g. 0o600. */
  readonly mode: number;
}

/**
 * Read a config file as UTF-8.
 * @returns undefined when the file does not exist
 * @throws GuardError `INPUT_INVALID` when it exists but cannot be read (permissions, a directory)
 */
export function readText(file: string): FileText | undefined {
  let realPath: string;
  try {
    realPath = realpathSync(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new GuardError('INPUT_INVALID', `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  try {
    const mode = statSync(realPath).mode & 0o7777;
    return { realPath, text: readFileSync(realPath, 'utf8'), mode };
  } catch (err) {
    throw new GuardError('INPUT_INVALID', `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

function writeWithMode(path: string, text: string, mode: number, flag: string): void {
  const fd = openSync(path, flag, mode);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  chmodSync(path, mode); // openSync's mode is filtered by the umask
}

function failure(path: string, err: unknown): GuardError {
  return new GuardError('INPUT_INVALID', `cannot write ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
}

function removeQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // never created, or already gone
  }
}

/** Write `text` to a new temporary file next to `realPath`, with `mode`. @returns its path */
function stage(realPath: string, text: string, mode: number): string {
  const tmp = join(dirname(realPath), `.${basename(realPath)}.mcp-guard-${process.pid}-${randomBytes(4).toString('hex')}.tmp`);
  try {
    writeWithMode(tmp, text, mode, 'wx');
  } catch (err) {
    removeQuietly(tmp);
    throw failure(realPath, err);
  }
  return tmp;
}

function commit(tmp: string, realPath: string): void {
  try {
    renameSync(tmp, realPath);
  } catch (err) {
    removeQuietly(tmp);
    throw failure(realPath, err);
  }
}

/**
 * Replace `realPath` with `text` atomically, keeping `mode`.
 * @throws GuardError `INPUT_INVALID` when the directory is not writable
 */
export function writeAtomic(realPath: string, text: string, mode: number): void {
  commit(stage(realPath, text, mode), realPath);
}

/** The outcome of {@link updateFile}. */
export interface FileUpdate<T> {
  readonly before: string;
  readonly after: string;
  /** What the last `transform` call returned besides the text. */
  readonly result: T;
}

/** How many times {@link updateFile} re-applies a change when the file keeps moving. */
const MAX_ATTEMPTS = 3;

/**
 * Apply `transform` to a file's text and write the result (atomically, `.bak`
 * first, mode kept). The file is re-read just before the rename; if it changed
 * since it was read, the transform runs again on the new text.
 * @param transform gets the text and the file's real path; returns the new text (equal to the input for no change), a result,
 *   and optionally what `.bak` gets instead of the old text
 * @returns undefined when the file does not exist
 * @throws GuardError `INPUT_INVALID` on read/write failure, or when the file kept changing;
 *   whatever `transform` throws
 */
export function updateFile<T>(file: string, transform: (text: string, realPath: string) => { text: string; result: T; backup?: string }): FileUpdate<T> | undefined {
  let current = readText(file);
  for (let attempt = 0; attempt < MAX_ATTEMPTS && current !== undefined; attempt++) {
    const { text, result, backup } = transform(current.text, current.realPath);
    if (text === current.text) return { before: current.text, after: text, result };
    writeAtomic(`${current.realPath}.bak`, backup ?? current.text, current.mode);
    const tmp = stage(current.realPath, text, current.mode);
    const again = readText(file);
    if (again !== undefined && again.text === current.text) {
      commit(tmp, current.realPath);
      return { before: current.text, after: text, result };
    }
    removeQuietly(tmp);
    current = again;
  }
  if (current === undefined) return undefined;
  throw new GuardError('INPUT_INVALID', `${file} kept changing while mcp-guard was writing it; close the agent and try again`);
}
