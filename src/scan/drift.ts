/**
 * Rug-pull detection within a session: a SHA-256 fingerprint over the canonical
 * JSON (sorted keys, RFC 8785-style ordering) of each whole tool definition,
 * keyed by tool name. A definition that changes after it was first seen is a
 * `drift` finding. The first-seen fingerprint is never replaced, so a blocked
 * change is never promoted into the baseline.
 */
import { createHash } from 'node:crypto';
import { joinPath } from './json-walk.js';
import { listedTools } from './tool-text.js';
import type { Finding, ScanInput, Scanner } from './types.js';

/**
 * Canonical JSON: object keys sorted by UTF-16 code units, no whitespace,
 * arrays in order, members whose value is `undefined` left out. Independent of
 * the key order the server used. Iterative, so hostile nesting cannot overflow
 * the stack (the framer bounds the input's size).
 */
export function canonicalJson(value: unknown): string {
  // Recursion is several times faster; past RECURSION_DEPTH the iterative form takes over.
  const fast = canonicalRecursive(value, 0);
  return fast ?? canonicalIterative(value);
}

/** Depth up to which {@link canonicalJson} recurses (frames nest at most 128 levels). */
const RECURSION_DEPTH = 256;

/** The recursive form of {@link canonicalJson}; undefined when `value` nests deeper than {@link RECURSION_DEPTH}. */
function canonicalRecursive(v: unknown, depth: number): string | undefined {
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'null';
  if (depth >= RECURSION_DEPTH) return undefined;
  let out: string;
  if (Array.isArray(v)) {
    out = '[';
    for (let i = 0; i < v.length; i++) {
      const item = canonicalRecursive(v[i] as unknown, depth + 1);
      if (item === undefined) return undefined;
      out += i > 0 ? `,${item}` : item;
    }
    return `${out}]`;
  }
  const obj = v as Record<string, unknown>;
  const keys = Object.keys(obj).sort();
  out = '{';
  let first = true;
  for (const k of keys) {
    const member = obj[k];
    if (member === undefined) continue;
    const text = canonicalRecursive(member, depth + 1);
    if (text === undefined) return undefined;
    out += `${first ? '' : ','}${JSON.stringify(k)}:${text}`;
    first = false;
  }
  return `${out}}`;
}

/** The iterative form of {@link canonicalJson}, for any depth. */
function canonicalIterative(value: unknown): string {
  const out: string[] = [];
  // Work items: a literal to emit, or a value to serialise; popped last-in first-out.
  const todo: Array<string | { readonly v: unknown }> = [{ v: value }];
  for (let t = todo.pop(); t !== undefined; t = todo.pop()) {
    if (typeof t === 'string') {
      out.push(t);
      continue;
    }
    const v = t.v;
    if (v === null || typeof v !== 'object') {
      out.push(JSON.stringify(v) ?? 'null');
      continue;
    }
    const parts: Array<string | { readonly v: unknown }> = [];
    if (Array.isArray(v)) {
      parts.push('[');
      for (let i = 0; i < v.length; i++) parts.push(...(i > 0 ? [','] : []), { v: v[i] as unknown });
      parts.push(']');
    } else {
      const obj = v as Record<string, unknown>;
      const keys = Object.keys(obj).sort().filter((k) => obj[k] !== undefined);
      parts.push('{');
      keys.forEach((k, i) => parts.push(`${i > 0 ? ',' : ''}${JSON.stringify(k)}:`, { v: obj[k] }));
      parts.push('}');
    }
    for (let i = parts.length - 1; i >= 0; i--) todo.push(parts[i] as string | { readonly v: unknown });
  }
  return out.join('');
}

/** SHA-256 (hex) of the canonical JSON of a tool definition. */
export function toolFingerprint(tool: unknown): string {
  return createHash('sha256').update(canonicalJson(tool)).digest('hex');
}

/** Tracks tool fingerprints across `tools/list` results of one session. */
export class DriftScanner implements Scanner {
  readonly name = 'drift' as const;
  readonly #baseline = new Map<string, string>();

  scan(input: ScanInput): Finding[] {
    const tools = listedTools(input);
    if (tools === undefined) return [];
    const findings: Finding[] = [];
    tools.forEach((tool: unknown, i) => {
      if (tool === null || typeof tool !== 'object') return;
      const name = (tool as Record<string, unknown>)['name'];
      if (typeof name !== 'string') return;
      const fp = toolFingerprint(tool);
      const prior = this.#baseline.get(name);
      if (prior === undefined) this.#baseline.set(name, fp);
      else if (prior !== fp) {
        findings.push({ rule: 'tool-definition-changed', category: 'drift', severity: 'high', path: joinPath('result.tools', i) });
      }
    });
    return findings;
  }
}
