/**
 * Recorded traffic: JSON Lines, one record per frame, `{"from":"client"|"server","message":<JSON-RPC>}`.
 * Written by `mcp-guard proxy --record FILE` (mode 0600: recordings contain raw
 * traffic, secrets included) and replayed by `mcp-guard scan` through the same
 * stateful chain as the live proxy.
 */
import { closeSync, writeSync } from 'node:fs';
import { createPrivateFile } from '../private-fs.js';
import { GuardError } from '../errors.js';
import { publicFindings } from './jsonrpc.js';
import { GuardSession } from './session.js';
import type { ScanChain } from '../scan/chain.js';

/** One transcript record. */
export interface TranscriptRecord {
  readonly from: 'client' | 'server';
  readonly message: unknown;
}

/** One verdict line of `mcp-guard scan`. */
export interface ReplayVerdict {
  readonly index: number;
  /** `ask`: a person would have been asked (the live proxy blocks it when the client cannot ask). */
  readonly action: 'allow' | 'block' | 'warn' | 'redact' | 'ask';
  readonly findings: Array<Record<string, string | number | boolean | readonly string[]>>;
}

/**
 * Parse one transcript line.
 * @param n 1-based line number, for the error
 * @throws GuardError `INPUT_INVALID` naming the line
 */
export function parseRecord(line: string, n: number): TranscriptRecord {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw new GuardError('INPUT_INVALID', `line ${n}: not valid JSON`);
  }
  const rec = value as Partial<TranscriptRecord> | null;
  if (rec === null || typeof rec !== 'object' || (rec.from !== 'client' && rec.from !== 'server') || !('message' in rec)) {
    throw new GuardError('INPUT_INVALID', `line ${n}: expected {"from":"client"|"server","message":{…}}`);
  }
  return { from: rec.from, message: rec.message };
}

/** Replays records through one session (requests pair with responses; drift carries across lists). */
export class Replayer {
  readonly #session: GuardSession;
  #index = 0;

  constructor(chain: ScanChain) {
    this.#session = new GuardSession(chain);
  }

  /** Decide on one record; `index` counts records from 0. */
  next(rec: TranscriptRecord): ReplayVerdict {
    const d = rec.from === 'client' ? this.#session.fromClient(rec.message) : this.#session.fromServer(rec.message);
    const action = d.kind === 'invalid' || d.verdict.action === 'filter' ? 'block' : d.verdict.action;
    const findings =
      d.kind === 'invalid'
        ? [{ rule: 'invalid-jsonrpc', category: 'protocol', path: '' }]
        : publicFindings(d.verdict.findings);
    return { index: this.#index++, action, findings };
  }
}

/** Appends transcript records to a new file created with mode 0600 (see {@link createPrivateFile}). */
export class Recorder {
  readonly #fd: number;

  /**
   * Create the file: it must not exist yet, and a symbolic link in its place is
   * refused (never followed, so no other file is truncated or filled with traffic).
   * @throws GuardError `USAGE` when the file exists, is a link, or cannot be created
   */
  constructor(path: string) {
    try {
      this.#fd = createPrivateFile(path);
    } catch (err) {
      throw new GuardError('USAGE', `--record: ${(err as Error).message}`);
    }
  }

  /**
   * Append one record. The frame's own line text is spliced in, not re-serialised:
   * the record is exact, and no frame (however deeply nested) can make it fail.
   * @param line a frame's text that parsed as JSON
   */
  record(from: 'client' | 'server', line: string): void {
    writeSync(this.#fd, `{"from":"${from}","message":${line}}\n`);
  }

  close(): void {
    closeSync(this.#fd);
  }
}
