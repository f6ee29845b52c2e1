/**
 * The hash-chained audit line format, shared by the writer (`chain-writer.ts`)
 * and `mcp-guard audit verify` (`chain-verify.ts`).
 *
 * A line is the canonical JSON (sorted keys, no whitespace; see
 * {@link canonicalJson}) of the event with two more members, `seq` (0, 1, 2, …
 * along the chain) and `prev` (SHA-256, hex, of the previous line's bytes
 * without its newline; {@link GENESIS} for the first line of a chain). Then
 * `"hash"` is appended as the last member: the SHA-256 (or, with a key,
 * HMAC-SHA-256) of the canonical JSON of everything before it. So a line's bytes
 * are fully determined by its content: {@link sealLine} of the parsed line
 * without `hash` gives the same bytes back, and any change to a byte is either
 * not canonical or does not hash to `hash`.
 *
 * The first line of each file, and of each proxy run appending to a file, is a
 * `chain_start` event ({@link ChainHeader}) naming the key id, the mcp-guard
 * version, the config hash, the chain's random id and the file's index in it.
 */
import { createHash, createHmac, createSecretKey, type KeyObject } from 'node:crypto';
import { canonicalJson } from '../scan/drift.js';

/** `prev` of a chain's very first line: 64 zeros. */
export const GENESIS = '0'.repeat(64);

/** `key_id` of an unkeyed chain (plain SHA-256). */
export const UNKEYED = 'none';

/** `event` of a header line. */
export const CHAIN_START = 'chain_start';

/** A chain key: its bytes and its public id. */
export interface ChainKey {
  readonly bytes: Buffer;
  /** The same bytes as a KeyObject (imported once, not on every line). */
  readonly secret: KeyObject;
  /** 16 hex digits of HMAC-SHA-256(key, "mcp-guard audit key id"): names the key without revealing it. */
  readonly id: string;
}

/** The members of a `chain_start` line (besides pino's `time`, `level`, `server`, `msg`). */
export interface ChainHeader {
  readonly event: typeof CHAIN_START;
  /** `hmac-sha256` with a key, else `sha256`. */
  readonly alg: 'sha256' | 'hmac-sha256';
  /** {@link ChainKey.id}, or {@link UNKEYED}. */
  readonly key_id: string;
  /** Random id (32 hex digits) shared by every file of one chain. */
  readonly chain: string;
  /** 0 for the chain's first file, +1 at each rotation. */
  readonly file_index: number;
  readonly version: string;
  /** SHA-256 of the canonical JSON of the effective (normalised) config. */
  readonly config_hash: string;
  readonly pid: number;
  /** After a rotation: the previous file's name and the `hash` of its last line. */
  readonly prev_file?: string;
  readonly prev_hash?: string;
}

/** Minimum key length in bytes (after trailing whitespace is removed). */
export const MIN_KEY_BYTES = 16;

/** Build a {@link ChainKey} from a key file's bytes (trailing whitespace removed). */
export function chainKey(fileBytes: Buffer): ChainKey {
  let end = fileBytes.length;
  while (end > 0 && [0x20, 0x09, 0x0a, 0x0d].includes(fileBytes[end - 1] as number)) end--;
  const bytes = fileBytes.subarray(0, end);
  return { bytes, secret: createSecretKey(bytes), id: createHmac('sha256', bytes).update('mcp-guard audit key id').digest('hex').slice(0, 16) };
}

/** SHA-256, hex, of a line's bytes (without its newline): the next line's `prev`. */
export function lineDigest(line: string): string {
  return createHash('sha256').update(line, 'utf8').digest('hex');
}

/** The `hash` of canonical text: SHA-256, or HMAC-SHA-256 with `key`. */
export function contentHash(canonical: string, key: ChainKey | undefined): string {
  return (key ? createHmac('sha256', key.secret) : createHash('sha256')).update(canonical, 'utf8').digest('hex');
}

/** Thrown inside {@link sortedCopy} when the fast form cannot be used. */
class SlowPath extends Error {}

/** Array-index-like keys: JavaScript objects enumerate them first, whatever the insertion order. */
const INDEX_KEY = /^(?:0|[1-9]\d{0,9})$/;

/** A copy with every object's keys inserted in sorted order (null prototype, so `__proto__` stays a key). */
function sortedCopy(v: unknown, depth: number): unknown {
  if (v === null || typeof v !== 'object') return v;
  if (depth > 64) throw new SlowPath();
  if (Array.isArray(v)) return v.map((x: unknown) => sortedCopy(x, depth + 1));
  const src = v as Record<string, unknown>;
  const out = Object.create(null) as Record<string, unknown>;
  for (const k of Object.keys(src).sort()) {
    if (INDEX_KEY.test(k)) throw new SlowPath();
    const m = src[k];
    if (m !== undefined) out[k] = sortedCopy(m, depth + 1);
  }
  return out;
}

/**
 * {@link canonicalJson}, the same bytes for any JSON value, faster for the
 * shallow objects of the audit log: keys sorted into a copy, then the native
 * `JSON.stringify`. Deep values and index-like keys take {@link canonicalJson}.
 */
export function canonicalLine(v: unknown): string {
  try {
    return JSON.stringify(sortedCopy(v, 0));
  } catch (err) {
    if (err instanceof SlowPath) return canonicalJson(v);
    throw err;
  }
}

/**
 * Seal an event: `body` must already hold `seq` and `prev`, and must not hold `hash`.
 * @returns the line (no newline) and its `hash`
 */
export function sealLine(body: Record<string, unknown>, key: ChainKey | undefined): { line: string; hash: string } {
  const canonical = canonicalLine(body);
  const hash = contentHash(canonical, key);
  return { line: `${canonical.slice(0, -1)},"hash":"${hash}"}`, hash };
}

const HEX64 = /^[0-9a-f]{64}$/;

/** A parsed chain line. */
export interface ChainLine {
  readonly seq: number;
  readonly prev: string;
  readonly hash: string;
  readonly body: Record<string, unknown>;
}

/**
 * Parse one line as a chain line.
 * @returns undefined when it is not JSON, not an object, or lacks a valid `seq`/`prev`/`hash`
 */
export function parseChainLine(line: string): ChainLine | undefined {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return undefined;
  const { hash, ...body } = v as Record<string, unknown>;
  const { seq, prev } = body;
  if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 0) return undefined;
  if (typeof prev !== 'string' || !HEX64.test(prev) || typeof hash !== 'string' || !HEX64.test(hash)) return undefined;
  return { seq, prev, hash, body };
}

/** True when `body` is a header line. */
export function isHeader(body: Record<string, unknown>): boolean {
  return body['event'] === CHAIN_START;
}
