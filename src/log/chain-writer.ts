/**
 * Writes the hash-chained audit file (format: `chain-format.ts`). Each line is
 * one `write(2)` on a descriptor opened with `O_APPEND` (`openPrivateAppend`:
 * mode 0600, symbolic links refused). A proxy that appends to an existing file
 * continues its chain (seq and prev from its last line) after a new
 * `chain_start` line; with `maxBytes`, a full file is renamed to
 * `<stem>.<file_index><ext>` and a new file starts whose header's `prev` is the
 * digest of the old file's last line.
 *
 * One writer per file: two processes appending to the same file interleave
 * their chains (and `audit verify` says so). Concurrent proxies use
 * `logging.dir`, which gives each its own `{server}-{pid}.jsonl`.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, constants, existsSync, fstatSync, openSync, readSync, renameSync, writeSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import { openPrivateAppend } from '../private-fs.js';
import { CHAIN_START, GENESIS, UNKEYED, isHeader, lineDigest, parseChainLine, sealLine, type ChainKey } from './chain-format.js';

/** What a writer needs. */
export interface ChainWriterOptions {
  /** The active file. */
  readonly path: string;
  readonly key?: ChainKey | undefined;
  /** Rotate before a line would take the file past this many bytes; undefined = never. */
  readonly maxBytes?: number | undefined;
  readonly server: string;
  readonly version: string;
  /** SHA-256 (hex) of the effective config. */
  readonly configHash: string;
}

/** Longest last line read when continuing an existing file (bytes). */
const MAX_SCAN_LINE = 16 * 1024 * 1024;

/** `github/x y` → `github_x_y`: a server name as a file name part (at most 64 characters). */
export function fileSafe(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '_').slice(0, 64) || 'server';
}

/** The per-process file under `logging.dir`: `{server}-{pid}.jsonl`. */
export function perProcessFile(dir: string, server: string, pid: number): string {
  return join(dir, `${fileSafe(server)}-${pid}.jsonl`);
}

/** Where a full file goes: `audit.jsonl` → `audit.3.jsonl` (index 3), with `-N` added if that is taken. */
export function rotatedName(path: string, index: number): string {
  const ext = extname(path);
  const stem = join(dirname(path), basename(path, ext));
  let candidate = `${stem}.${index}${ext}`;
  for (let n = 1; existsSync(candidate); n++) candidate = `${stem}.${index}-${n}${ext}`;
  return candidate;
}

/** Appends sealed lines to the audit file; see the module comment. */
export class ChainWriter {
  readonly #o: ChainWriterOptions;
  #fd: number;
  #size = 0;
  #linesInFile = 0;
  #seq = 0;
  #prev = GENESIS;
  #hash = GENESIS;
  #chain: string;
  #fileIndex = 0;
  /** Set when an existing file was narrowed to 0600 on open (its old mode). */
  readonly tightenedFrom: string | undefined;
  /** A warning for the log: set when the chain starts after lines that are not chained. */
  note: string | undefined;

  /**
   * Open (or create) the file and write a `chain_start` line.
   * @throws Error (PrivateFsError from the open) when the file cannot be opened, or
   *   when an existing file is not a chain this writer can continue: its last line
   *   is incomplete or not a chain line, or it was chained with another key
   */
  constructor(o: ChainWriterOptions) {
    this.#o = o;
    const opened = openPrivateAppend(o.path);
    this.#fd = opened.fd;
    this.tightenedFrom = opened.tightenedFrom;
    this.#chain = randomBytes(16).toString('hex');
    try {
      this.#continueExisting();
    } catch (err) {
      closeSync(this.#fd);
      throw err;
    }
    this.#writeHeader();
  }

  /** `seq` and `hash` of the last line written. */
  get last(): { readonly seq: number; readonly hash: string } {
    return { seq: this.#seq - 1, hash: this.#hash };
  }

  /** The active file's path. */
  get path(): string {
    return this.#o.path;
  }

  /**
   * Seal and append one event (a pino JSON line, or an object). Members named
   * `seq`, `prev` or `hash` in the event are kept as `field_seq` … so they cannot
   * pose as the chain's own.
   */
  append(event: string | Record<string, unknown>): void {
    const body = typeof event === 'string' ? (JSON.parse(event) as Record<string, unknown>) : { ...event };
    for (const k of ['seq', 'prev', 'hash']) {
      if (k in body) {
        body[`field_${k}`] = body[k];
        delete body[k];
      }
    }
    let sealed = this.#seal(body);
    if (this.#o.maxBytes !== undefined && this.#linesInFile > 1 && this.#size + Buffer.byteLength(sealed.line) + 1 > this.#o.maxBytes) {
      this.#rotate();
      sealed = this.#seal(body);
    }
    this.#write(sealed);
  }

  /** Close the file (idempotent). */
  close(): void {
    if (this.#fd < 0) return;
    closeSync(this.#fd);
    this.#fd = -1;
  }

  #seal(body: Record<string, unknown>): { line: string; hash: string } {
    return sealLine({ ...body, seq: this.#seq, prev: this.#prev }, this.#o.key);
  }

  #write(sealed: { line: string; hash: string }): void {
    const buf = Buffer.from(`${sealed.line}\n`, 'utf8');
    // One write(2) per line; a regular file takes it whole unless the disk is full.
    let done = writeSync(this.#fd, buf);
    while (done < buf.length) done += writeSync(this.#fd, buf, done);
    this.#size += buf.length;
    this.#linesInFile++;
    this.#seq++;
    this.#prev = lineDigest(sealed.line);
    this.#hash = sealed.hash;
  }

  #writeHeader(rotatedFrom?: { file: string; hash: string }): void {
    this.#write(
      this.#seal({
        ...(rotatedFrom ? { prev_file: rotatedFrom.file, prev_hash: rotatedFrom.hash } : {}),
        time: new Date().toISOString(),
        level: 30,
        server: this.#o.server,
        event: CHAIN_START,
        msg: 'audit chain start',
        alg: this.#o.key ? 'hmac-sha256' : 'sha256',
        key_id: this.#o.key?.id ?? UNKEYED,
        chain: this.#chain,
        file_index: this.#fileIndex,
        version: this.#o.version,
        config_hash: this.#o.configHash,
        pid: process.pid,
      }),
    );
  }

  #rotate(): void {
    closeSync(this.#fd);
    this.#fd = -1;
    const rotated = rotatedName(this.#o.path, this.#fileIndex);
    renameSync(this.#o.path, rotated);
    const opened = openPrivateAppend(this.#o.path);
    this.#fd = opened.fd;
    this.#size = fstatSync(this.#fd).size;
    this.#linesInFile = 0;
    this.#fileIndex++;
    // The new file names the old one and its last hash; its `prev` is the digest of that last line.
    this.#writeHeader({ file: basename(rotated), hash: this.#hash });
  }

  /**
   * Pick up seq, prev, chain id and file index from a non-empty existing file.
   * A file whose last line is not a chain line (a log from before chaining) gets
   * a new chain after it, whose first `prev` is that line's digest.
   */
  #continueExisting(): void {
    const size = fstatSync(this.#fd).size;
    this.#size = size;
    if (size === 0) return;
    const file = this.#o.path;
    const how = 'run `mcp-guard audit verify` on it, then move it away or choose another logging.file';
    // The append descriptor is write-only; read through a second one (no links followed either).
    const rfd = openSync(file, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0));
    try {
      const tail = readLastLine(rfd, size);
      if (tail === undefined) throw new Error(`${file} does not end with a complete line (truncated?); ${how}`);
      const last = parseChainLine(tail);
      this.#prev = lineDigest(tail);
      this.#linesInFile = 2; // more than a header: a full file may rotate
      if (last === undefined) {
        this.note = `audit log ${file} held ${size} bytes of lines that are not hash-chained; the chain starts after them`;
        return;
      }
      const header = findLastHeader(rfd, size);
      if (header === undefined) throw new Error(`${file} has chain lines but no chain_start line in its last ${MAX_SCAN_BYTES >> 20} MiB; ${how}`);
      const keyId = this.#o.key?.id ?? UNKEYED;
      if (header['key_id'] !== keyId) {
        throw new Error(`${file} was chained with key id ${String(header['key_id'])}, and the configured key is ${keyId}; choose another logging.file`);
      }
      if (typeof header['chain'] === 'string') this.#chain = header['chain'];
      if (typeof header['file_index'] === 'number') this.#fileIndex = header['file_index'];
      this.#seq = last.seq + 1;
      this.#hash = last.hash;
    } finally {
      closeSync(rfd);
    }
  }
}

/** How far back from the end a continuing writer looks for the last `chain_start` line (bytes). */
const MAX_SCAN_BYTES = 64 * 1024 * 1024;

/** The body of the last `chain_start` line within {@link MAX_SCAN_BYTES} of the end, if any. */
function findLastHeader(fd: number, size: number): Record<string, unknown> | undefined {
  const step = 64 * 1024;
  let end = size;
  let carry = Buffer.alloc(0); // the start of a line cut by the chunk boundary
  while (end > 0 && size - end < MAX_SCAN_BYTES) {
    const from = Math.max(0, end - step);
    const buf = Buffer.alloc(end - from);
    readSync(fd, buf, 0, buf.length, from);
    const text = Buffer.concat([buf, carry]);
    const lines = text.toString('utf8').split('\n');
    // Unless this chunk starts the file, its first piece may be part of a longer line.
    const first = from === 0 ? 0 : 1;
    for (let i = lines.length - 1; i >= first; i--) {
      const l = lines[i] as string;
      if (!l.includes(`"event":"${CHAIN_START}"`)) continue;
      const parsed = parseChainLine(l);
      if (parsed !== undefined && isHeader(parsed.body)) return parsed.body;
    }
    carry = from === 0 ? Buffer.alloc(0) : Buffer.from(text.subarray(0, text.indexOf(0x0a) < 0 ? text.length : text.indexOf(0x0a)));
    end = from;
  }
  return undefined;
}

/** The last line (without its newline), or undefined when the file does not end with `\n`. */
function readLastLine(fd: number, size: number): string | undefined {
  const one = Buffer.alloc(1);
  readSync(fd, one, 0, 1, size - 1);
  if (one[0] !== 0x0a) return undefined;
  const end = size - 1;
  const chunks: Buffer[] = [];
  let pos = end;
  const step = 64 * 1024;
  while (pos > 0 && end - pos < MAX_SCAN_LINE) {
    const from = Math.max(0, pos - step);
    const buf = Buffer.alloc(pos - from);
    readSync(fd, buf, 0, buf.length, from);
    const nl = buf.lastIndexOf(0x0a);
    if (nl >= 0) {
      chunks.unshift(buf.subarray(nl + 1));
      return Buffer.concat(chunks).toString('utf8');
    }
    chunks.unshift(buf);
    pos = from;
  }
  return pos === 0 ? Buffer.concat(chunks).toString('utf8') : undefined;
}
