/**
 * The `redact` action: replace each located match with `[REDACTED:<rule>]` in a
 * parsed JSON-RPC message and re-serialise it. The result is still valid
 * JSON-RPC with the same shape (strings stay strings); a textual blob in
 * `resources/read` is decoded, redacted and re-encoded as base64.
 */
import type { Finding } from '../scan/types.js';

/** Parse a path written by `joinPath` (`a.b[2]["odd key"]`) into keys. */
export function parsePath(path: string): Array<string | number> {
  const keys: Array<string | number> = [];
  const re = /([A-Za-z_$][\w$-]*)|\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\]|\./gy;
  let m: RegExpExecArray | null;
  while (re.lastIndex < path.length && (m = re.exec(path)) !== null) {
    if (m[1] !== undefined) keys.push(m[1]);
    else if (m[2] !== undefined) keys.push(Number(m[2]));
    else if (m[3] !== undefined) keys.push(JSON.parse(m[3]) as string);
  }
  return keys;
}

function replaceSpans(text: string, spans: ReadonlyArray<{ start: number; end: number; rule: string }>): string {
  // Overlapping spans merge into their union, labelled with the rule that starts first.
  const merged: Array<{ start: number; end: number; rule: string }> = [];
  for (const s of [...spans].sort((a, b) => a.start - b.start || b.end - a.end)) {
    const last = merged[merged.length - 1];
    if (last !== undefined && s.start < last.end) last.end = Math.max(last.end, s.end);
    else merged.push({ ...s });
  }
  let out = text;
  for (const s of merged.reverse()) out = `${out.slice(0, s.start)}[REDACTED:${s.rule}]${out.slice(s.end)}`;
  return out;
}

/**
 * Apply redactions to `message` in place.
 * @returns false when some finding's path does not lead to a string (the caller then blocks)
 */
export function applyRedactions(message: unknown, redactions: readonly Finding[]): boolean {
  const byPath = new Map<string, Array<{ start: number; end: number; rule: string }>>();
  for (const f of redactions) {
    if (!f.span) return false;
    const list = byPath.get(f.path) ?? [];
    list.push({ ...f.span, rule: f.rule });
    byPath.set(f.path, list);
  }
  for (const [path, spans] of byPath) {
    const keys = parsePath(path);
    const last = keys.pop();
    let parent: unknown = message;
    for (const k of keys) parent = parent !== null && typeof parent === 'object' ? (parent as Record<string | number, unknown>)[k] : undefined;
    if (parent === null || typeof parent !== 'object' || last === undefined) return false;
    const holder = parent as Record<string | number, unknown>;
    const value = holder[last];
    if (typeof value !== 'string') return false;
    if (last === 'blob') {
      holder[last] = Buffer.from(replaceSpans(Buffer.from(value, 'base64').toString('utf8'), spans), 'utf8').toString('base64');
    } else {
      holder[last] = replaceSpans(value, spans);
    }
  }
  return true;
}
