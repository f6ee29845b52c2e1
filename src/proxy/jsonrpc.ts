/**
 * JSON-RPC 2.0 frame classification and the error responses mcp-guard sends.
 * Error codes: JSON-RPC 2.0 spec § 5.1 (-32700 parse error, -32600 invalid
 * request); -32000 and -32001 are in the implementation-defined server range.
 */
import type { Finding, JsonRpcMessage } from '../scan/types.js';

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

/** Classify a parsed JSON value. Arrays (batches) are `invalid`: MCP 2025-06-18 removed batching. */
export function classify(value: unknown): FrameKind {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return 'invalid';
  const m = value as JsonRpcMessage;
  const hasId = 'id' in m && (typeof m.id === 'string' || typeof m.id === 'number');
  if (typeof m.method === 'string') return hasId ? 'request' : 'id' in m ? 'invalid' : 'notification';
  if ('id' in m && ('result' in m || 'error' in m)) return 'response';
  return 'invalid';
}

/** Map key for an id that keeps `1` and `"1"` apart. */
export function idKey(id: JsonRpcId): string {
  return typeof id === 'number' ? `n:${id}` : `s:${String(id)}`;
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

/** Findings as shown to the client: `{rule, category, path}` (and `transform` when set); never secrets. */
export function publicFindings(findings: readonly Finding[]): Array<Record<string, string>> {
  return findings.map((f) => ({ rule: f.rule, category: f.category, path: f.path, ...(f.transform ? { transform: f.transform } : {}) }));
}

const CATEGORY_WORDS: Record<Finding['category'], string> = {
  dlp: 'a credential',
  injection: 'prompt injection',
  'tool-poisoning': 'tool poisoning',
  drift: 'a changed tool definition (rug pull)',
  policy: 'a tool-policy violation',
  protocol: 'a protocol violation',
};

/** Plain-words summary, e.g. `mcp-guard: blocked tools/call request: a credential (github-classic-pat at params.arguments.token)`. */
export function blockMessage(what: string, findings: readonly Finding[]): string {
  const cats = [...new Set(findings.map((f) => CATEGORY_WORDS[f.category]))].join(', ');
  const first = findings[0];
  const detail = first ? ` (${first.rule} at ${first.path}${findings.length > 1 ? `, +${findings.length - 1} more` : ''})` : '';
  return `mcp-guard: blocked ${what}: found ${cats}${detail}`;
}

/** Serialise a JSON-RPC error response line (with trailing newline). */
export function errorLine(id: JsonRpcId, code: number, message: string, data?: unknown): Buffer {
  const error: Record<string, unknown> = { code, message };
  if (data !== undefined) error['data'] = data;
  return Buffer.from(`${JSON.stringify({ jsonrpc: '2.0', id, error })}\n`);
}
