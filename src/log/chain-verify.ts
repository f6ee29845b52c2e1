/**
 * `mcp-guard audit verify`: check hash-chained audit files (format:
 * `chain-format.ts`) and name the first broken line of each and why.
 *
 * Within a file: every line must re-seal to its own bytes (else `edited`, or
 * `wrong_key` on a header whose key id is not the given key's), the first line
 * must be a `chain_start`, and each line's `seq`/`prev` must follow the line
 * before (else `deleted`, `reordered` or `replayed`); an incomplete last line is
 * `truncated`. Across the files of a directory: the files of one chain (same
 * `chain` id) must have file indexes 0, 1, 2, … once each, and each file must
 * start from the last line of the one before (else `deleted`, `replayed` or
 * `truncated`).
 *
 * Not detectable from the files alone: lines cut from the end of the newest
 * file, or the newest file replaced by an older copy of itself. The report gives
 * each chain's last `seq` and `hash` to compare with a copy kept elsewhere
 * (the syslog and OTLP exports carry them).
 */
import { lstatSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { UNKEYED, isHeader, lineDigest, parseChainLine, sealLine, type ChainKey } from './chain-format.js';

/** Why a chain is broken. */
export type BreakKind = 'edited' | 'deleted' | 'reordered' | 'truncated' | 'wrong_key' | 'replayed' | 'not_chained';

/** The first broken line of a file. */
export interface ChainBreak {
  readonly file: string;
  /** 1-based line number. */
  readonly line: number;
  readonly kind: BreakKind;
  readonly detail: string;
}

/** What verifying one file found. */
export interface FileReport {
  readonly file: string;
  /** Complete lines read. */
  readonly lines: number;
  /** Lines 1–N that precede the chain (written before chaining was on); not covered by it. */
  readonly unchained?: number;
  readonly ok: boolean;
  readonly break?: ChainBreak;
  readonly chain?: string;
  readonly fileIndex?: number;
  readonly keyId?: string;
  readonly firstSeq?: number;
  readonly lastSeq?: number;
  /** `hash` of the last intact line. */
  readonly lastHash?: string;
}

/** The whole report (`--json` prints it). */
export interface VerifyReport {
  readonly ok: boolean;
  readonly files: readonly FileReport[];
  /** Breaks across files of a directory (a file missing, replayed or cut short). */
  readonly links: readonly ChainBreak[];
}

/** Input that cannot be verified: missing, unreadable, no audit files, or a keyed chain without `--key`. Exit 2. */
export class VerifyInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'VerifyInputError';
  }
}

/** Per-file facts kept for the directory checks. */
interface FileFacts {
  readonly report: FileReport;
  /** Digest of each complete line, in order. */
  readonly digests: readonly string[];
  /** The header's `prev` and `seq` (the link to the file before). */
  readonly headPrev?: string;
}

/** Split on `\n`: the complete lines, and the unterminated rest (empty when the file ends with `\n`). */
function splitLines(bytes: Buffer): { lines: Buffer[]; rest: Buffer } {
  const lines: Buffer[] = [];
  let start = 0;
  for (let nl = bytes.indexOf(0x0a, start); nl >= 0; nl = bytes.indexOf(0x0a, start)) {
    lines.push(bytes.subarray(start, nl));
    start = nl + 1;
  }
  return { lines, rest: bytes.subarray(start) };
}

function readAudit(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new VerifyInputError(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

function checkFile(path: string, key: ChainKey | undefined): FileFacts {
  const { lines, rest } = splitLines(readAudit(path));
  const expectedKey = key?.id ?? UNKEYED;
  const digests: string[] = [];
  const seen = new Map<string, number>();
  let info: { chain?: string; fileIndex?: number; keyId?: string; firstSeq?: number; headPrev?: string } = {};
  let lastSeq: number | undefined;
  let lastHash: string | undefined;
  /** Lines before the chain starts (from before chaining was on). */
  let unchained = 0;
  const done = (brk?: Omit<ChainBreak, 'file'>): FileFacts => ({
    report: {
      file: path,
      lines: lines.length,
      ok: brk === undefined,
      ...(unchained > 0 ? { unchained } : {}),
      ...(brk ? { break: { file: path, ...brk } } : {}),
      ...(info.chain !== undefined ? { chain: info.chain } : {}),
      ...(info.fileIndex !== undefined ? { fileIndex: info.fileIndex } : {}),
      ...(info.keyId !== undefined ? { keyId: info.keyId } : {}),
      ...(info.firstSeq !== undefined ? { firstSeq: info.firstSeq } : {}),
      ...(lastSeq !== undefined ? { lastSeq } : {}),
      ...(lastHash !== undefined ? { lastHash } : {}),
    },
    digests,
    ...(info.headPrev !== undefined ? { headPrev: info.headPrev } : {}),
  });
  if (lines.length === 0) return done({ line: 1, kind: 'truncated', detail: rest.length > 0 ? 'the only line is incomplete' : 'the file is empty' });

  for (let i = 0; i < lines.length; i++) {
    const n = i + 1;
    const bytes = lines[i] as Buffer;
    const text = bytes.toString('utf8');
    if (!Buffer.from(text, 'utf8').equals(bytes)) return done({ line: n, kind: 'edited', detail: 'not valid UTF-8' });
    const parsed = parseChainLine(text);
    if (parsed === undefined) {
      // Lines from before chaining was on may precede the chain; its first prev covers the last of them.
      if (lastSeq === undefined) {
        unchained = n;
        digests.push(lineDigest(text));
        continue;
      }
      return done({ line: n, kind: 'edited', detail: 'not a chain line (not JSON, or seq/prev/hash missing or malformed)' });
    }
    const header = isHeader(parsed.body);
    const keyId = header ? String(parsed.body['key_id']) : undefined;
    const sealed = sealLine(parsed.body, key).line === text;
    if (header && key === undefined && keyId !== UNKEYED) {
      // Keyed, or claims to be: without the key only a line that is in fact unkeyed can be judged (edited).
      if (!sealed && parsed.body['alg'] === 'hmac-sha256') throw new VerifyInputError(`${path}: line ${n} is chained with key id ${keyId}: pass that key with --key FILE`);
      return done({ line: n, kind: 'edited', detail: `the line claims key id ${keyId} but is not keyed` });
    }
    if (header && key !== undefined && keyId !== expectedKey) {
      const why = keyId === UNKEYED ? 'the chain is not keyed, so anyone who can write the file could have rebuilt it' : `it was chained with key id ${keyId}`;
      return done({ line: n, kind: 'wrong_key', detail: `--key is key id ${expectedKey}, but ${why}` });
    }
    if (!sealed) return done({ line: n, kind: 'edited', detail: "the line's content does not match its hash" });
    if (lastSeq === undefined) {
      if (!header && unchained > 0) return done({ line: n - 1, kind: 'edited', detail: `a line that is not a chain line stands where the chain_start line should be` });
      if (!header) {
        const earlier = lines.slice(i + 1).some((l) => {
          const p = parseChainLine(l.toString('utf8'));
          return p !== undefined && p.seq < parsed.seq;
        });
        if (earlier) return done({ line: n, kind: 'reordered', detail: `seq ${parsed.seq} comes before the chain's first line` });
        return done({ line: n, kind: 'deleted', detail: `the chain starts at seq ${parsed.seq} without a chain_start line: its first lines were removed` });
      }
      if (unchained > 0 && parsed.prev !== digests[i - 1]) return done({ line: n - 1, kind: 'edited', detail: `the chain starts from a different line ${n - 1}` });
      info = {
        ...(typeof parsed.body['chain'] === 'string' ? { chain: parsed.body['chain'] } : {}),
        ...(typeof parsed.body['file_index'] === 'number' ? { fileIndex: parsed.body['file_index'] } : {}),
        ...(keyId !== undefined ? { keyId } : {}),
        firstSeq: parsed.seq,
        headPrev: parsed.prev,
      };
    } else {
      const expected = (lastSeq as number) + 1;
      const linked = parsed.prev === digests[i - 1];
      if (!linked || parsed.seq !== expected) {
        const again = seen.get(text);
        if (again !== undefined) return done({ line: n, kind: 'replayed', detail: `repeats line ${again}` });
        if (parsed.seq > expected) {
          const later = lines.slice(i + 1).some((l) => {
            const p = parseChainLine(l.toString('utf8'));
            return p !== undefined && p.seq < parsed.seq;
          });
          if (later) return done({ line: n, kind: 'reordered', detail: `seq ${parsed.seq} comes before seq ${expected}` });
          const missing = parsed.seq - expected;
          return done({ line: n, kind: 'deleted', detail: `${missing} line${missing === 1 ? '' : 's'} (seq ${expected}${missing > 1 ? `–${parsed.seq - 1}` : ''}) missing before this one` });
        }
        if (parsed.seq < expected) return done({ line: n, kind: 'reordered', detail: `seq ${parsed.seq} after seq ${lastSeq as number}` });
        return done({ line: n - 1, kind: 'edited', detail: `line ${n} was chained to a different line ${n - 1}: that line was replaced` });
      }
    }
    digests.push(lineDigest(text));
    seen.set(text, n);
    lastSeq = parsed.seq;
    lastHash = parsed.hash;
  }
  if (lastSeq === undefined) return done({ line: 1, kind: 'not_chained', detail: 'no hash-chained line in the file (no seq/prev/hash)' });
  if (rest.length > 0) return done({ line: lines.length + 1, kind: 'truncated', detail: 'the last line is incomplete (the file was cut)' });
  return done();
}

/** The `.jsonl` files of a directory (regular files only; links are not followed), sorted by name. */
function auditFiles(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (err) {
    throw new VerifyInputError(`cannot read ${dir}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const files = names
    .filter((n) => n.endsWith('.jsonl') && !n.startsWith('.'))
    .map((n) => join(dir, n))
    .filter((p) => lstatSync(p).isFile())
    .sort();
  if (files.length === 0) throw new VerifyInputError(`${dir} holds no .jsonl audit files`);
  return files;
}

/** Check the files of each chain against each other (see the module comment). */
function checkLinks(facts: readonly FileFacts[]): ChainBreak[] {
  const out: ChainBreak[] = [];
  const chains = new Map<string, FileFacts[]>();
  for (const f of facts) {
    const { chain, fileIndex } = f.report;
    if (chain === undefined || fileIndex === undefined) continue;
    chains.set(chain, [...(chains.get(chain) ?? []), f]);
  }
  for (const [chain, members] of chains) {
    const byIndex = new Map<number, FileFacts>();
    for (const f of members) {
      const idx = f.report.fileIndex as number;
      const twin = byIndex.get(idx);
      if (twin !== undefined) {
        out.push({ file: f.report.file, line: 1, kind: 'replayed', detail: `same chain ${chain.slice(0, 8)} and file index ${idx} as ${basename(twin.report.file)}: a copy of an older file` });
        continue;
      }
      byIndex.set(idx, f);
    }
    const max = Math.max(...byIndex.keys());
    for (let k = 0; k <= max; k++) {
      const cur = byIndex.get(k);
      if (cur === undefined) {
        const next = [...byIndex.entries()].filter(([i]) => i > k).sort((a, b) => a[0] - b[0])[0];
        if (next) out.push({ file: next[1].report.file, line: 1, kind: 'deleted', detail: `file ${k} of chain ${chain.slice(0, 8)} is missing` });
        continue;
      }
      const next = byIndex.get(k + 1);
      if (next === undefined || !cur.report.ok || next.headPrev === undefined) continue;
      const last = cur.digests[cur.digests.length - 1];
      if (next.headPrev === last) continue;
      const at = cur.digests.indexOf(next.headPrev);
      const nextSeq = next.report.firstSeq ?? 0;
      const curSeq = cur.report.lastSeq ?? 0;
      if (at < 0 && nextSeq > curSeq + 1) {
        const missing = nextSeq - curSeq - 1;
        out.push({ file: cur.report.file, line: cur.report.lines + 1, kind: 'truncated', detail: `${basename(next.report.file)} continues from seq ${nextSeq - 1}: ${missing} line${missing === 1 ? '' : 's'} cut from the end of this file` });
      } else if (at >= 0) {
        out.push({ file: cur.report.file, line: at + 2, kind: 'truncated', detail: `${basename(next.report.file)} continues from line ${at + 1}: the lines after it were removed` });
      } else {
        out.push({ file: cur.report.file, line: 1, kind: 'replayed', detail: `${basename(next.report.file)} does not continue from this file: it is an older or foreign file in its place` });
      }
    }
  }
  return out;
}

/**
 * Verify a file, or every `.jsonl` file of a directory and the links between them.
 * @param key the chain key, when the chain was written with `logging.chain_key_file`
 * @throws VerifyInputError when the path cannot be read, a directory has no
 *   `.jsonl` file, or a keyed chain is checked without its key
 */
export function verifyAudit(path: string, key?: ChainKey): VerifyReport {
  let st;
  try {
    st = lstatSync(path);
  } catch (err) {
    throw new VerifyInputError(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const files = st.isDirectory() ? auditFiles(path) : [path];
  const facts = files.map((f) => checkFile(f, key));
  const links = st.isDirectory() ? checkLinks(facts) : [];
  return { ok: links.length === 0 && facts.every((f) => f.report.ok), files: facts.map((f) => f.report), links };
}
