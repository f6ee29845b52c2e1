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
 * arrays in order. Independent of the key order the server used.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const keys = Object.keys(value).sort();
  const obj = value as Record<string, unknown>;
  return `{${keys.filter((k) => obj[k] !== undefined).map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(',')}}`;
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
