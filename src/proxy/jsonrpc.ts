/**
 * JSON-RPC 2.0 frame classification and the error responses mcp-guard sends.
 * Error codes: JSON-RPC 2.0 spec § 5.1 (-32700 parse error, -32600 invalid
 * request); -32000 and -32001 are in the implementation-defined server range.
 */
import { joinPath } from '../scan/json-walk.js';
import type { Finding, JsonRpcMessage } from '../scan/types.js';
import { MAX_BLOCK_CHARS } from '../scan/matcher.js';

export const PARSE_ERROR = -32700;
export const INVALID_REQUEST = -32600;
/** The server exited while the request was pending. */
export const SERVER_EXITED = -32000;
/** mcp-guard blocked the request or its response. */
export const BLOCKED = -32001;

/** Frame kinds (JSON-RPC 2.0 § 4 request/notification, § 5 response). */
export type FrameKind = 'request' | 'notification' | 'response' | 'invalid';

/** A JSON-RPC id as it appears on the wire. */
export type JsonRpcId = string | number | null;

/**
 * Classify a parsed JSON value. Arrays (batches) are `invalid`: MCP 2025-06-18
 * removed batching. A frame without `"jsonrpc":"2.0"` is `invalid` (JSON-RPC 2.0
 * § 4 and § 5: the member MUST be exactly "2.0"); the SDK's client drops such a
 * frame, so it must never stand in for, or use up, a real answer.
 */
export function classify(value: unknown): FrameKind {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return 'invalid';
  const m = value as JsonRpcMessage;
  if (m.jsonrpc !== '2.0') return 'invalid';
  const hasId = 'id' in m && (typeof m.id === 'string' || typeof m.id === 'number');
  if (typeof m.method === 'string') return hasId ? 'request' : 'id' in m ? 'invalid' : 'notification';
  const validId = typeof m.id === 'string' || typeof m.id === 'number' || m.id === null;
  if ('id' in m && validId && ('result' in m || 'error' in m)) return 'response';
  return 'invalid';
}

/**
 * Map key for pairing a response with its request, the way clients match ids.
 * The SDK's client looks its handlers up by `Number(response.id)`, so `1`,
 * `"1"`, `"0x1"`, `"1e0"` and `" 1 "` all answer request 1 there: they get one
 * key here too, or a server could answer `"1"` and have its `tools/list`
 * scanned as an unpaired frame. Strings that are not numbers keep their text.
 * @param id a JSON-RPC id (`null` never pairs: the SDK would read it as 0, so it gets its own key)
 * @returns `n:<number>` or `s:<text>` (or `null`)
 */
export function idKey(id: JsonRpcId): string {
  if (typeof id === 'number') return `n:${id}`;
  if (id === null) return 'null';
  const n = Number(id);
  return Number.isNaN(n) ? `s:${id}` : `n:${n}`;
}

/**
 * Best-effort id recovery from the head of a frame we could not parse in full
 * (oversized). Only a top-level-looking `"id":` member is accepted.
 */
export function sniffId(head: string): JsonRpcId | undefined {
  const m = /^\s*\{(?:[^{}[\]]*?,)?\s*"id"\s*:\s*("(?:[^"\\]|\\.){0,200}"|-?\d{1,20})/.exec(head);
  if (!m || m[1] === undefined) return undefined;
  try {
    return JSON.parse(m[1]) as JsonRpcId;
  } catch {
    return undefined;
  }
}

/**
 * Findings as shown to the client: `{rule, category, path}` (and `transform`, `documented` when set;
 * `score` and `features` for the learned scorers); never secrets.
 */
export function publicFindings(findings: readonly Finding[]): Array<Record<string, string | number | boolean | readonly string[]>> {
  return findings.map((f) => ({
    rule: f.rule,
    category: f.category,
    path: f.path,
    ...(f.transform ? { transform: f.transform } : {}),
    ...(f.documented ? { documented: true } : {}),
    ...(f.score !== undefined ? { score: f.score } : {}),
    ...(f.features ? { features: f.features } : {}),
    ...(f.action ? { action: f.action } : {}),
    ...(f.reason ? { reason: f.reason } : {}),
  }));
}

/**
 * `error.data` of a blocked request: the public findings, and `retryAfter` (seconds) when a
 * rate limit blocked it (the longest wait of the rate-limit findings).
 */
export function blockData(findings: readonly Finding[]): { findings: ReturnType<typeof publicFindings>; retryAfter?: number } {
  const waits = findings.flatMap((f) => (f.retryAfter !== undefined ? [f.retryAfter] : []));
  return { findings: publicFindings(findings), ...(waits.length > 0 ? { retryAfter: Math.max(...waits) } : {}) };
}

const CATEGORY_WORDS: Record<Finding['category'], string> = {
  dlp: 'a credential',
  injection: 'prompt injection',
  'tool-poisoning': 'tool poisoning',
  drift: 'a changed tool definition (rug pull)',
  policy: 'a tool-policy violation',
  protocol: 'a protocol violation',
};

/** Why a protocol rule blocks, in words, for the block message. */
const PROTOCOL_HINTS: Record<string, string> = {
  'duplicate-key': 'a key appears twice in one object, so the receiver may read a copy that was never scanned',
  'frame-too-deep': 'the frame is nested deeper than the proxy scans',
  'unpaired-response': 'the response answers no request in flight (unknown id, answered twice, or sent before its request)',
  'duplicate-id': 'a request with this id is already in flight',
  'too-many-pending': 'too many requests are in flight',
  'scan-limit-normalize': 'the frame needs more Unicode normalisation than limits.normalize_chars allows',
  'call-before-list': 'the tool was called before any tools/list in this session, so its definition was never scanned; call tools/list first',
};

/** Plain-words summary, e.g. `mcp-guard: blocked tools/call request: a credential (github-classic-pat at params.arguments.token)`. */
export function blockMessage(what: string, findings: readonly Finding[]): string {
  const cats = [...new Set(findings.map((f) => CATEGORY_WORDS[f.category]))].join(', ');
  const first = findings[0];
  const detail = first ? ` (${first.rule} at ${first.path === '' ? 'the frame' : first.path}${findings.length > 1 ? `, +${findings.length - 1} more` : ''})` : '';
  // A key block without its END line blocks even under `redact`: say why, or the user cannot tell it from a plain DLP block.
  const open = findings.find((f) => f.unterminated);
  const hint = open !== undefined
    ? `the key block (${open.rule}) has no END line after its key material (missing, cut off, or past the ${MAX_BLOCK_CHARS / 1024} KiB scan window), so it cannot be redacted whole`
    : first !== undefined ? (PROTOCOL_HINTS[first.rule] ?? first.reason) : undefined;
  const allow = suppressHint(findings);
  return `mcp-guard: blocked ${what}: found ${cats}${detail}${hint !== undefined ? `: ${hint}` : ''}${allow !== undefined ? `; to allow: ${allow}` : ''}`;
}

/** Entries a block message or audit line spells out; more are counted. */
const HINT_ENTRIES = 3;

/**
 * The config entry that would let these findings through, in the YAML flow
 * form of the `suppress` key (src/config/schema.ts): each distinct rule with the
 * finding's JSON path, e.g. `suppress: [{rule: inj-tag-instruction-block, path: "result.content[0].text"}]`.
 * The path is JSON-quoted, which YAML reads as the same string; `globMatch`
 * takes it literally (it has no `*`). Protocol findings (fail-closed checks such
 * as `duplicate-key`) are left out: suppressing them is never the fix.
 * @returns the hint, or undefined when no finding can be suppressed
 */
export function suppressHint(findings: readonly Finding[]): string | undefined {
  // Advisory (scorer below its block threshold) and documented-example findings only warn: nothing to suppress.
  const entries = [...new Set(findings.filter((f) => f.category !== 'protocol' && f.advisory !== true && f.documented !== true).map((f) => `{rule: ${f.rule}, path: ${JSON.stringify(f.path)}}`))];
  if (entries.length === 0) return undefined;
  const more = entries.length > HINT_ENTRIES ? ` (+${entries.length - HINT_ENTRIES} more)` : '';
  return `suppress: [${entries.slice(0, HINT_ENTRIES).join(', ')}]${more}`;
}

/**
 * Serialise a JSON-RPC error response line (with trailing newline).
 * @param rawId the id exactly as the client wrote it (see {@link rawIdText}); preferred
 *   over `id`, so an integer beyond 2^53 or a spelling like `1e3` comes back unchanged
 */
export function errorLine(id: JsonRpcId, code: number, message: string, data?: unknown, rawId?: string): Buffer {
  const error: Record<string, unknown> = { code, message };
  if (data !== undefined) error['data'] = data;
  return Buffer.from(`{"jsonrpc":"2.0","id":${rawId ?? JSON.stringify(id)},"error":${JSON.stringify(error)}}\n`);
}

/**
 * The raw JSON text of a top-level member's value, e.g. `9007199254740993` or
 * `"a\u0062"` for `id`. One linear pass, no recursion; the text must be a JSON
 * object that already parsed.
 * @returns the value's text, or undefined when the member is absent or not a string/number/null
 */
export function rawIdText(text: string, member = 'id'): string | undefined {
  let depth = 0;
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      const end = closingQuote(text, i + 1);
      if (depth === 1 && expectKey) {
        const raw = text.slice(i + 1, end);
        expectKey = false;
        if ((raw.includes('\\') ? unescapeKey(raw) : raw) === member) {
          let j = end + 1;
          while (j < text.length && /[\s:]/.test(text[j] as string)) j++;
          if (text[j] === '"') return text.slice(j, closingQuote(text, j + 1) + 1);
          const m = /^(?:-?\d[\d.eE+-]*|null)/.exec(text.slice(j, j + 400));
          return m?.[0];
        }
      }
      i = end;
    } else if (c === 0x7b || c === 0x5b) {
      depth++;
      expectKey = c === 0x7b && depth === 1;
    } else if (c === 0x7d || c === 0x5d) depth--;
    else if (c === 0x2c && depth === 1) expectKey = true;
  }
  return undefined;
}

/** One open object or array while scanning for duplicate keys. */
interface OpenContainer {
  /** Keys seen so far (objects only). */
  readonly keys: Set<string> | undefined;
  /** The member being read: the last key (objects) or the element index (arrays). */
  member: string | number;
  /** True when the next string in this object is a key. */
  expectKey: boolean;
}

/** Deepest nesting of objects and arrays a frame may have; deeper frames are blocked (`frame-too-deep`). */
export const MAX_FRAME_DEPTH = 128;

/** What {@link checkStructure} found wrong with a frame's JSON text. */
export type StructureProblem =
  | { readonly rule: 'duplicate-key'; readonly path: string }
  | { readonly rule: 'frame-too-deep'; readonly path: string };

/**
 * One linear pass over a frame's JSON text: the first key that appears twice
 * in one object (see {@link findDuplicateKey}), or nesting deeper than
 * `maxDepth`. Re-serialising (`JSON.stringify`) and the scanners' walks recurse,
 * so a frame nested thousands deep is refused here, before anything else runs.
 * @param text one JSON text that already parsed
 * @param maxDepth deepest nesting allowed (objects and arrays), default {@link MAX_FRAME_DEPTH}
 */
export function checkStructure(text: string, maxDepth = MAX_FRAME_DEPTH): StructureProblem | undefined {
  return scanStructure(text, maxDepth);
}

/**
 * Find the first object key that appears twice in the same object of a JSON
 * text. `JSON.parse` keeps the last copy silently, but a server built on
 * another parser may read the first one, so the scanners would check a value
 * the server never sees (RFC 8259 § 4: names "SHOULD be unique", behaviour
 * with duplicates is unpredictable). Keys are compared after unescaping, so
 * `"id"` and `"\u0069d"` are the same key.
 *
 * One linear pass with no recursion, so any nesting depth is safe. The text
 * must already be valid JSON (the caller parsed it); on anything else the
 * answer is meaningless but the scan still ends.
 * @param text one JSON text, e.g. a frame's line
 * @returns the JSON path of the second copy (`params.arguments.token`, `method`), or undefined
 */
export function findDuplicateKey(text: string): string | undefined {
  const p = scanStructure(text, Infinity);
  return p?.rule === 'duplicate-key' ? p.path : undefined;
}

function scanStructure(text: string, maxDepth: number): StructureProblem | undefined {
  const stack: OpenContainer[] = [];
  const n = text.length;
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      const end = closingQuote(text, i + 1);
      const top = stack[stack.length - 1];
      if (top?.keys !== undefined && top.expectKey) {
        const raw = text.slice(i + 1, end);
        const key = raw.includes('\\') ? unescapeKey(raw) : raw;
        top.member = key;
        top.expectKey = false;
        if (top.keys.has(key)) return { rule: 'duplicate-key', path: pathOf(stack) };
        top.keys.add(key);
      }
      i = end + 1;
      continue;
    }
    if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      if (stack.length >= maxDepth) return { rule: 'frame-too-deep', path: pathOf(stack.slice(0, 8)) };
      stack.push(c === 0x7b ? { keys: new Set(), member: '', expectKey: true } : { keys: undefined, member: 0, expectKey: false });
    }
    else if (c === 0x7d /* } */ || c === 0x5d /* ] */) stack.pop();
    else if (c === 0x2c /* , */) {
      const top = stack[stack.length - 1];
      if (top?.keys !== undefined) top.expectKey = true;
      else if (top !== undefined) top.member = (top.member as number) + 1;
    }
    i++;
  }
  return undefined;
}

/** Index of the `"` that closes a string whose contents start at `from` (or the text's length). */
function closingQuote(text: string, from: number): number {
  let j = from;
  for (;;) {
    j = text.indexOf('"', j);
    if (j === -1) return text.length;
    let backslashes = 0;
    while (text.charCodeAt(j - 1 - backslashes) === 0x5c) backslashes++;
    if (backslashes % 2 === 0) return j;
    j++;
  }
}

/** A key's value from its escaped JSON text (the text itself if it does not parse). */
function unescapeKey(raw: string): string {
  try {
    return JSON.parse(`"${raw}"`) as string;
  } catch {
    return raw;
  }
}

function pathOf(stack: readonly OpenContainer[]): string {
  return stack.reduce((path, c) => joinPath(path, c.member), '');
}
